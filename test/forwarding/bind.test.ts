import { test } from "node:test";
import * as assert from "node:assert/strict";
import { namedConf, runCheck, startNamed, tempDir, type RunningServer } from "./servers";
import { renderBindForwardZones, renderBindValidateExcept, renderDelegationRecords } from "../../lib/render/forwarding";
import { resolve } from "./resolve";
import { cdnsQueries, fakeDsDigest, LOOKALIKE, PUBLIC_IP, PUBLIC_NAME, startCdns, startUpstream, WEB, WEB_IP, ZONE } from "./fixtures";
import type { RunningDnsmasq } from "../helpers/dnsmasq";

const zones = ["apps.example.com", "svc.example.org"];

test("BIND snippet: one forward-only zone per zone, forwarders primary first, port only when not 53", () => {
  const text = renderBindForwardZones({ zones, cdnsAddresses: ["192.0.2.10", "192.0.2.11"] });
  const statements = text.split("\n").filter((l) => l.startsWith("zone "));
  assert.deepEqual(statements, [
    'zone "apps.example.com" { type forward; forward only; forwarders { 192.0.2.10; 192.0.2.11; }; };',
    'zone "svc.example.org" { type forward; forward only; forwarders { 192.0.2.10; 192.0.2.11; }; };',
  ]);
  assert.ok(text.includes('//   validate-except { "apps.example.com"; "svc.example.org"; };'), "the options line is offered");
  const ported = renderBindForwardZones({ zones: ["apps.example.com."], cdnsAddresses: ["127.0.0.9"], port: 5353 });
  assert.ok(ported.includes('zone "apps.example.com" { type forward; forward only; forwarders { 127.0.0.9 port 5353; }; };'), ported);
  assert.equal(renderBindValidateExcept({ zones: ["A.example.com"] }), 'validate-except { "a.example.com"; };');
});

test("BIND snippet: bad input is rejected with every problem listed", () => {
  assert.throws(() => renderBindForwardZones({ zones: [], cdnsAddresses: [] }), /zones must not be empty; cdnsAddresses must not be empty/);
  assert.throws(() => renderBindForwardZones({ zones: ['a"; };'], cdnsAddresses: ["10.0.0.300"], port: 0 }),
    /zones\[0\].*not a domain name; cdnsAddresses\[0\].*not an IP address; port 0 is not in 1..65535/);
});

test("named-checkconf accepts a named.conf around the snippet and rejects a broken one", () => {
  const tmp = tempDir("cdns-bindcheck-");
  try {
    const input = { zones, cdnsAddresses: ["192.0.2.10", "192.0.2.11"] };
    const good = tmp.write("good.conf", namedConf(tmp.dir, "127.0.0.1", 53, `  ${renderBindValidateExcept(input)}`, renderBindForwardZones(input)));
    const ok = runCheck("named-checkconf", [good]);
    assert.equal(ok.ok, true, ok.output);
    // The same snippet with one statement broken: the checker must say no.
    const broken = renderBindForwardZones(input).replace("forward only;", "forward sometimes;");
    const bad = runCheck("named-checkconf", [tmp.write("bad.conf", namedConf(tmp.dir, "127.0.0.1", 53, "", broken))]);
    assert.equal(bad.ok, false, "a broken snippet must fail the check");
    assert.match(bad.output, /sometimes/);
  } finally {
    tmp.remove();
  }
});

/** Starts cDNS + upstream, runs `body`, stops everything. */
async function withCdnsAndUpstream(body: (cdns: RunningDnsmasq, upstream: RunningDnsmasq) => Promise<void>): Promise<void> {
  const cdns = await startCdns();
  try {
    const upstream = await startUpstream();
    try {
      await body(cdns, upstream);
    } finally {
      await upstream.stop();
    }
  } finally {
    await cdns.stop();
  }
}

async function withNamed(opts: Parameters<typeof startNamed>[0], body: (n: RunningServer) => Promise<void>): Promise<void> {
  const n = await startNamed(opts);
  try {
    await body(n);
  } finally {
    await n.stop();
  }
}

/** A validating BIND whose other names go to `upstream` (the internet), with a trust anchor above the zone. */
function validatingOptions(upstream: RunningDnsmasq, extra: string): string {
  return `  dnssec-validation yes;
  forwarders { ${upstream.address} port ${upstream.port}; };
  forward only;
${extra}`;
}

const trustAnchor = (): string => `trust-anchors { "example.com." static-ds 12345 13 2 "${fakeDsDigest()}"; };\n`;

test("real BIND forwards the zone to the cDNS and nothing else", async () => {
  await withCdnsAndUpstream(async (cdns, upstream) => {
    const input = { zones: [ZONE], cdnsAddresses: [cdns.address], port: cdns.port };
    const opts = { options: validatingOptions(upstream, `  ${renderBindValidateExcept(input)}`), body: renderBindForwardZones(input) + trustAnchor() };
    await withNamed(opts, async (n) => {
      const web = await resolve(WEB, n.address, n.port);
      assert.equal(web.rcode, "NOERROR", n.output().slice(-2000));
      assert.deepEqual(web.addresses, [WEB_IP]);
      assert.ok((web.ttls[0] ?? 99) <= 5, "the cDNS TTL comes through");
      assert.equal((await resolve(`nope.${ZONE}`, n.address, n.port)).rcode, "NXDOMAIN");
      const pub = await resolve(PUBLIC_NAME, n.address, n.port);
      assert.deepEqual(pub.addresses, [PUBLIC_IP], "out-of-zone names take the normal path");
      assert.equal((await resolve(LOOKALIKE, n.address, n.port)).rcode, "SERVFAIL", "the upstream refuses it; the cDNS never sees it");
      const seen = await cdnsQueries(cdns);
      assert.ok(seen.includes(WEB), `the cDNS answered the zone: ${seen.join(" ")}`);
      assert.deepEqual(seen.filter((q) => !q.endsWith(`.${ZONE}`) && q !== ZONE), [], "no out-of-zone query reached the cDNS");
    });
  });
});

test("real BIND: without validate-except a trust anchor above the zone turns every answer into SERVFAIL", async () => {
  await withCdnsAndUpstream(async (cdns, upstream) => {
    const input = { zones: [ZONE], cdnsAddresses: [cdns.address], port: cdns.port };
    await withNamed({ options: validatingOptions(upstream, ""), body: renderBindForwardZones(input) + trustAnchor() }, async (n) => {
      assert.equal((await resolve(WEB, n.address, n.port)).rcode, "SERVFAIL");
    });
  });
});

test("real BIND authoritative for the parent: the forward zone works only once the parent delegates the zone", async () => {
  await withCdnsAndUpstream(async (cdns, upstream) => {
    const input = { zones: [ZONE], cdnsAddresses: [cdns.address], port: cdns.port };
    const parent = (delegation: string): string => `$TTL 60
@ IN SOA ns.example.com. hostmaster.example.com. 1 60 60 600 60
@ IN NS ns.example.com.
ns IN A 127.0.0.1
www IN A 192.0.2.1
${delegation}`;
    const body = `${renderBindForwardZones(input)}zone "example.com" { type primary; file "example.zone"; };\n`;
    const options = validatingOptions(upstream, `  ${renderBindValidateExcept(input)}`);
    // Without a delegation BIND answers from its own example.com and never forwards.
    await withNamed({ options, body, files: { "example.zone": parent("") } }, async (n) => {
      const web = await resolve(WEB, n.address, n.port);
      assert.equal(web.rcode, "NXDOMAIN");
      assert.equal(web.aa, true, "answered from the parent zone, not forwarded");
    });
    assert.ok(!(await cdnsQueries(cdns)).includes(WEB), "the cDNS was never asked");
    const delegation = renderDelegationRecords({ parentZone: "example.com", zones: [ZONE], nameServers: [{ name: `ns1.${ZONE}`, ip: cdns.address }] });
    await withNamed({ options, body, files: { "example.zone": parent(delegation) } }, async (n) => {
      assert.deepEqual((await resolve(WEB, n.address, n.port)).addresses, [WEB_IP]);
      assert.equal((await resolve(`www.example.com`, n.address, n.port)).aa, true, "the rest of the parent is still served");
    });
  });
});
