import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cdnsNameServers, renderDelegationRecords, renderForwarding } from "../../lib/render/forwarding";
import { startDnsmasq } from "../helpers/dnsmasq";
import { freePort, randomLoopback } from "../helpers/ports";
import { NAMED_ADDRESS, runCheck, startNamed, tempDir } from "./servers";
import { resolve } from "./resolve";
import { WEB, WEB_IP, ZONE } from "./fixtures";

const zones = ["apps.example.com", "svc.example.com"];
const parentHead = `$TTL 300
@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 604800 300
@ IN NS ns.example.com.
ns IN A 192.0.2.1
`;

test("delegation records: NS for every zone to every cDNS name server (nsName), glue for each", () => {
  const nameServers = cdnsNameServers(zones, ["192.0.2.10", "192.0.2.11"]);
  assert.deepEqual(nameServers, [{ name: "ns1.apps.example.com", ip: "192.0.2.10" }, { name: "ns2.apps.example.com", ip: "192.0.2.11" }]);
  const records = renderDelegationRecords({ parentZone: "example.com", zones, nameServers })
    .split("\n").filter((l) => l !== "" && !l.startsWith(";"));
  assert.deepEqual(records, [
    "apps.example.com. IN NS ns1.apps.example.com.",
    "apps.example.com. IN NS ns2.apps.example.com.",
    "svc.example.com. IN NS ns1.apps.example.com.",
    "svc.example.com. IN NS ns2.apps.example.com.",
    "ns1.apps.example.com. IN A 192.0.2.10",
    "ns2.apps.example.com. IN A 192.0.2.11",
  ]);
});

test("delegation records: a name server outside the parent gets no glue; bad input lists every problem", () => {
  const text = renderDelegationRecords({ parentZone: "example.org", zones: ["svc.example.org"], nameServers: [{ name: "ns1.apps.example.com", ip: "192.0.2.10" }] });
  assert.ok(text.includes("svc.example.org. IN NS ns1.apps.example.com."));
  assert.ok(!/^ns1\.apps\.example\.com\. IN A/m.test(text), "no out-of-parent glue");
  assert.ok(renderDelegationRecords({ zones: ["a.example.com"], nameServers: [{ name: "ns1.a.example.com", ip: "2001:db8::1" }] }).includes("ns1.a.example.com. IN AAAA 2001:db8::1"));
  assert.throws(
    () => renderDelegationRecords({ parentZone: "example.org", zones: ["apps.example.com"], nameServers: [{ name: "bad name", ip: "x" }] }),
    /nameServers\.name\[0\].*not a domain name; nameServers\.ip\[0\].*not an IP address; zones\[0\] "apps\.example\.com" is not below the parent zone "example\.org"/,
  );
  assert.throws(() => renderDelegationRecords({ zones: ["a.example.com"], nameServers: [] }), /nameServers.ip must not be empty/);
});

/**
 * named-checkzone exits 0 on a delegation without glue and only warns, so the
 * strict check also fails on the missing-required-glue warning. (It also warns
 * that svc.example.com's name servers, which sit under the apps.example.com
 * cut, have "no addresses records": sibling glue, which resolvers follow
 * through the apps delegation, so that warning is not a failure.)
 */
function checkZone(file: string): { ok: boolean; output: string } {
  const r = runCheck("named-checkzone", ["example.com", file]);
  return { ok: r.ok && !/has no REQUIRED GLUE/.test(r.output), output: r.output };
}

test("named-checkzone accepts the parent zone with the delegation and rejects broken ones", () => {
  const tmp = tempDir("cdns-zonecheck-");
  try {
    const delegation = renderForwarding({ zones, cdnsAddresses: ["192.0.2.10", "192.0.2.11"], authoritative: { parentZone: "example.com" } }).delegation;
    assert.ok(delegation !== undefined);
    const ok = checkZone(tmp.write("good.zone", parentHead + delegation));
    assert.equal(ok.ok, true, ok.output);
    // Glue is mandatory for an in-bailiwick name server: without it the check must fail.
    const noGlue = delegation.split("\n").filter((l) => !/ IN A /.test(l)).join("\n");
    const bad = checkZone(tmp.write("noglue.zone", parentHead + noGlue));
    assert.equal(bad.ok, false, "a delegation without glue must fail the check");
    assert.match(bad.output, /ns1\.apps\.example\.com' has no REQUIRED GLUE/);
    // A record without its data is a hard error of named-checkzone itself.
    const truncated = delegation.replace("IN NS ns1.apps.example.com.", "IN NS");
    assert.equal(runCheck("named-checkzone", ["example.com", tmp.write("bad.zone", parentHead + truncated)]).ok, false);
  } finally {
    tmp.remove();
  }
});

test("real BIND resolves through the delegation to an authoritative cDNS; only zone names reach the cDNS", async () => {
  // A delegation has no port: BIND's `port` option sets the port it listens
  // on and sends to, so the cDNS and BIND share one random port on two addresses.
  const port = await freePort(NAMED_ADDRESS);
  const cdnsAddress = randomLoopback();
  const cdns = await startDnsmasq({
    zones: [ZONE], ttlSeconds: 5, address: cdnsAddress, port, logQueries: true,
    initialHosts: { "ingress.hosts": `${WEB_IP} ${WEB}\n` },
    authoritative: { hostmaster: `hostmaster.${ZONE}`, nameServerAddresses: [cdnsAddress] },
  });
  try {
    const delegation = renderForwarding({ zones: [ZONE], cdnsAddresses: [cdnsAddress], authoritative: { parentZone: "example.com" } }).delegation ?? "";
    const n = await startNamed({
      port,
      options: `  port ${port};\n  dnssec-validation no;`,
      body: 'zone "example.com" { type primary; file "example.zone"; };\n',
      files: { "example.zone": parentHead + delegation },
    });
    try {
      const web = await resolve(WEB, n.address, n.port);
      assert.equal(web.rcode, "NOERROR", n.output().slice(-2000));
      assert.deepEqual(web.addresses, [WEB_IP]);
      assert.ok((web.ttls[0] ?? 99) <= 5);
      // dnsmasq answers unknown names with a non-aa NXDOMAIN from loopback; BIND passes it on as NXDOMAIN.
      const nope = await resolve(`nope.${ZONE}`, n.address, n.port);
      assert.equal(nope.rcode, "NXDOMAIN");
      const parentName = await resolve("ns.example.com", n.address, n.port);
      assert.deepEqual(parentName.addresses, ["192.0.2.1"], "the parent's own names are answered by BIND itself");
      await new Promise((r) => setTimeout(r, 200));
      const asked = [...cdns.output().matchAll(/query\[[A-Z]+\] (\S+) from/g)].map((m) => m[1] as string);
      assert.ok(asked.includes(WEB), asked.join(" "));
      assert.deepEqual(asked.filter((q) => q !== ZONE && !q.endsWith(`.${ZONE}`)), [], "only zone names reach the cDNS");
    } finally {
      await n.stop();
    }
  } finally {
    await cdns.stop();
  }
});
