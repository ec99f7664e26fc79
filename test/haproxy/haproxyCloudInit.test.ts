import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { HAPROXY_CFG_PATH, renderHaproxyExtraConfig, renderHaproxyMetaData, renderHaproxyUserData, type HaproxyCloudInitInput } from "../../lib/render/haproxyCloudInit";
import { renderHaproxyCfg } from "../../lib/render/haproxyCfg";

const input: HaproxyCloudInitInput = {
  hostname: "qa-haproxy",
  ip: "192.0.2.80",
  network: { prefixLength: 24, gateway: "192.0.2.1", nameservers: ["192.0.2.53", "192.0.2.54"], searchDomains: ["example.com"], interfaceName: "ens192" },
  haproxyCfg: renderHaproxyCfg({ zone: "apps.example.com", cdnsAddresses: ["192.0.2.10"] }),
};

test("userdata: #cloud-config installing haproxy, writing our config after the package, restarting it", () => {
  const text = renderHaproxyUserData(input);
  assert.ok(text.startsWith("#cloud-config\n"));
  const doc = parse(text) as Record<string, unknown> & { write_files: Record<string, unknown>[]; runcmd: string[][] };
  assert.equal(doc.hostname, "qa-haproxy");
  assert.deepEqual(doc.packages, ["haproxy"]);
  assert.deepEqual(doc.write_files, [{ path: HAPROXY_CFG_PATH, content: input.haproxyCfg, owner: "root:haproxy", permissions: "0640", defer: true }]);
  assert.deepEqual(doc.runcmd, [["haproxy", "-c", "-f", HAPROXY_CFG_PATH], ["systemctl", "enable", "haproxy"], ["systemctl", "restart", "haproxy"]]);
});

test("metadata: instance id, hostname, static IP as network config v2", () => {
  const md = parse(renderHaproxyMetaData(input)) as Record<string, unknown> & { network: { version: number; ethernets: Record<string, unknown> } };
  assert.equal(md["local-hostname"], "qa-haproxy");
  assert.match(String(md["instance-id"]), /^qa-haproxy-[0-9a-f]{12}$/);
  assert.deepEqual(md.network, {
    version: 2,
    ethernets: {
      ens192: {
        dhcp4: false, dhcp6: false, addresses: ["192.0.2.80/24"], routes: [{ to: "default", via: "192.0.2.1" }],
        nameservers: { addresses: ["192.0.2.53", "192.0.2.54"], search: ["example.com"] },
      },
    },
  });
  const other = parse(renderHaproxyMetaData({ ...input, haproxyCfg: `${input.haproxyCfg}# changed\n` })) as Record<string, unknown>;
  assert.notEqual(other["instance-id"], md["instance-id"], "a config change gives a new instance id, so cloud-init runs again");
});

test("extraConfig: both documents base64 with their encoding keys", () => {
  const x = renderHaproxyExtraConfig(input);
  assert.deepEqual(Object.keys(x).sort(), ["guestinfo.metadata", "guestinfo.metadata.encoding", "guestinfo.userdata", "guestinfo.userdata.encoding"]);
  assert.equal(x["guestinfo.userdata.encoding"], "base64");
  assert.equal(x["guestinfo.metadata.encoding"], "base64");
  assert.equal(Buffer.from(x["guestinfo.userdata"], "base64").toString("utf8"), renderHaproxyUserData(input));
  assert.equal(Buffer.from(x["guestinfo.metadata"], "base64").toString("utf8"), renderHaproxyMetaData(input));
});
