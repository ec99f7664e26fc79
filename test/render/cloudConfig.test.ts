import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import {
  DISABLE_NETWORK_CONFIG_FILE,
  STATIC_NETPLAN_FILE,
  TEMPLATE_NETPLAN_FILES,
  netplanDocument,
  renderCdnsCloudConfig,
  renderNetplan,
  staticNetworkCloudConfig,
} from "../../lib/render/cloudConfig";
import type { StaticNetworkConfig } from "../../lib/config/types";

const network: StaticNetworkConfig = {
  prefixLength: 24,
  gateway: "192.0.2.1",
  nameservers: ["198.51.100.53", "198.51.100.54"],
  searchDomains: ["qa.example.com"],
  interfaceName: "ens192",
};

interface WriteFile { path: string; content: string; permissions: string; owner: string }
interface CloudConfig { hostname?: string; preserve_hostname?: boolean; write_files: WriteFile[]; runcmd: (string | string[])[] }

function render(): { text: string; doc: CloudConfig } {
  const text = renderCdnsCloudConfig({ hostname: "qa-cdns-1", ip: "192.0.2.11", network });
  return { text, doc: parse(text) as CloudConfig };
}

function file(doc: CloudConfig, path: string): WriteFile {
  const f = doc.write_files.find((w) => w.path === path);
  assert.ok(f, `no write_files entry for ${path}`);
  return f;
}

test("valid YAML whose first line is #cloud-config, with the hostname", () => {
  const { text, doc } = render();
  assert.equal(text.split("\n")[0], "#cloud-config");
  assert.equal(doc.hostname, "qa-cdns-1");
  assert.equal(doc.preserve_hostname, false);
});

test("without a hostname the datasource's host name is kept", () => {
  const doc = parse(renderCdnsCloudConfig({ ip: "192.0.2.11", network })) as CloudConfig;
  assert.equal("hostname" in doc, false);
  assert.equal("preserve_hostname" in doc, false);
  assert.ok(doc.write_files.some((w) => w.path === STATIC_NETPLAN_FILE), "the static network is there all the same");
});

test("the netplan file gives the static address, gateway route, nameservers and search domains on the interface", () => {
  const { doc } = render();
  const f = file(doc, STATIC_NETPLAN_FILE);
  assert.equal(f.permissions, "0600", "netplan rejects world-readable files");
  const plan = parse(f.content) as { network: { version: number; ethernets: Record<string, Record<string, unknown>> } };
  assert.equal(plan.network.version, 2);
  assert.deepEqual(Object.keys(plan.network.ethernets), ["ens192"]);
  const nic = plan.network.ethernets.ens192 ?? {};
  assert.equal(nic.dhcp4, false);
  assert.deepEqual(nic.addresses, ["192.0.2.11/24"]);
  assert.deepEqual(nic.routes, [{ to: "default", via: "192.0.2.1" }]);
  assert.deepEqual(nic.nameservers, { addresses: ["198.51.100.53", "198.51.100.54"], search: ["qa.example.com"] });
});

test("cloud-init's own network config is disabled and the template's netplan files are removed before netplan apply", () => {
  const { doc } = render();
  const disable = file(doc, DISABLE_NETWORK_CONFIG_FILE);
  assert.deepEqual(parse(disable.content), { network: { config: "disabled" } });
  const rm = doc.runcmd.findIndex((c) => Array.isArray(c) && c[0] === "rm");
  const apply = doc.runcmd.indexOf("netplan apply");
  assert.ok(rm >= 0, "template netplan files are removed");
  assert.ok(apply > rm, "netplan apply runs after the removal");
  assert.deepEqual(doc.runcmd[rm], ["rm", "-f", ...TEMPLATE_NETPLAN_FILES]);
  assert.ok(!(doc.runcmd[rm] as string[]).includes(STATIC_NETPLAN_FILE), "our own file is never removed");
});

test("other interface names and no search domains", () => {
  const text = renderNetplan({ ip: "203.0.113.5", network: { ...network, interfaceName: "eth0", searchDomains: [], prefixLength: 26, gateway: "203.0.113.1" } });
  const plan = parse(text) as { network: { ethernets: Record<string, { addresses: string[]; nameservers: Record<string, unknown> }> } };
  assert.deepEqual(plan.network.ethernets.eth0?.addresses, ["203.0.113.5/26"]);
  assert.equal("search" in (plan.network.ethernets.eth0?.nameservers ?? {}), false);
});

test("the parts are reusable: removal list can be overridden, the netplan document matches the file", () => {
  const parts = staticNetworkCloudConfig({ ip: "192.0.2.20", network }, ["/etc/netplan/01-netcfg.yaml"]);
  assert.deepEqual(parts.runcmd, [["rm", "-f", "/etc/netplan/01-netcfg.yaml"], "netplan apply"]);
  const netplan = parts.write_files.find((w) => w.path === STATIC_NETPLAN_FILE);
  assert.deepEqual(parse(netplan?.content ?? ""), netplanDocument({ ip: "192.0.2.20", network }));
  assert.deepEqual(staticNetworkCloudConfig({ ip: "192.0.2.20", network }, []).runcmd, ["netplan apply"]);
});

// Real tools, when installed (Debian packages cloud-init and netplan.io).
function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin"])) {
    const p = join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

const CLOUD_INIT = which("cloud-init");
test("cloud-init schema accepts the user data", { skip: CLOUD_INIT === undefined ? "cloud-init is not installed (Debian package cloud-init)" : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), "cdns-cloudcfg-"));
  const path = join(dir, "user-data");
  writeFileSync(path, render().text);
  execFileSync(CLOUD_INIT ?? "cloud-init", ["schema", "--config-file", path], { stdio: "pipe" });
  writeFileSync(join(dir, "bad"), "#cloud-config\nwrite_files: 3\n");
  assert.throws(() => execFileSync(CLOUD_INIT ?? "cloud-init", ["schema", "--config-file", join(dir, "bad")], { stdio: "pipe" }));
});

const NETPLAN = which("netplan");
test("netplan generate accepts the netplan file", { skip: NETPLAN === undefined ? "netplan is not installed (Debian package netplan.io)" : false }, () => {
  const root = mkdtempSync(join(tmpdir(), "cdns-netplan-"));
  mkdirSync(join(root, "etc", "netplan"), { recursive: true });
  const file = join(root, STATIC_NETPLAN_FILE);
  writeFileSync(file, renderNetplan({ ip: "192.0.2.11", network }), { mode: 0o600 });
  execFileSync(NETPLAN ?? "netplan", ["generate", "--root-dir", root], { stdio: "pipe" });
  const unit = readFileSync(join(root, "run", "systemd", "network", "10-netplan-ens192.network"), "utf8");
  assert.match(unit, /Address=192\.0\.2\.11\/24/);
  assert.match(unit, /Gateway=192\.0\.2\.1|Destination=0\.0\.0\.0\/0[\s\S]*Gateway=192\.0\.2\.1/);
  assert.match(unit, /DNS=198\.51\.100\.53/);
});
