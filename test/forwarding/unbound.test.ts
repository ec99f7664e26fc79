import { test } from "node:test";
import * as assert from "node:assert/strict";
import { renderUnboundForwardZones } from "../../lib/render/forwarding";
import { LOOPBACK_ROOT_HINTS, runCheck, startUnbound, tempDir, unboundConf, type RunningServer } from "./servers";
import { resolve } from "./resolve";
import { cdnsQueries, fakeDsDigest, LOOKALIKE, PUBLIC_IP, PUBLIC_NAME, startCdns, startUpstream, WEB, WEB_IP, ZONE } from "./fixtures";
import type { RunningDnsmasq } from "../helpers/dnsmasq";

const zones = ["apps.example.com", "svc.example.org"];

test("Unbound snippet: server lines for internal zones, one forward-zone per zone, primary first", () => {
  const text = renderUnboundForwardZones({ zones, cdnsAddresses: ["192.0.2.10", "192.0.2.11"] });
  const lines = text.split("\n");
  assert.equal(lines[1], "server:");
  for (const z of zones) {
    assert.ok(lines.includes(`    private-domain: "${z}"`), `private-domain for ${z}`);
    assert.ok(lines.includes(`    domain-insecure: "${z}"`), `domain-insecure for ${z}`);
  }
  const zone1 = lines.indexOf('    name: "apps.example.com"');
  assert.equal(lines[zone1 - 1], "forward-zone:");
  assert.deepEqual(lines.slice(zone1 + 1, zone1 + 4), ["    forward-addr: 192.0.2.10@53", "    forward-addr: 192.0.2.11@53", "    forward-first: no"]);
  assert.equal(lines.filter((l) => l === "forward-zone:").length, 2);
  assert.ok(renderUnboundForwardZones({ zones: ["a.example.com"], cdnsAddresses: ["127.0.0.9"], port: 5353 }).includes("forward-addr: 127.0.0.9@5353"));
  assert.throws(() => renderUnboundForwardZones({ zones: ["a.example.com"], cdnsAddresses: [] }), /renderUnboundForwardZones: cdnsAddresses must not be empty/);
});

test("unbound-checkconf accepts an unbound.conf around the snippet and rejects a broken one", () => {
  const tmp = tempDir("cdns-unboundcheck-");
  try {
    tmp.write("root.hints", LOOPBACK_ROOT_HINTS);
    const snippet = renderUnboundForwardZones({ zones, cdnsAddresses: ["192.0.2.10", "192.0.2.11"] });
    const ok = runCheck("unbound-checkconf", [tmp.write("good.conf", unboundConf(tmp.dir, "127.0.0.1", 5353, "", snippet))]);
    assert.equal(ok.ok, true, ok.output);
    const broken = snippet.replace("forward-addr: 192.0.2.10@53", "forward-addr: 192.0.2.10@port53");
    const bad = runCheck("unbound-checkconf", [tmp.write("bad.conf", unboundConf(tmp.dir, "127.0.0.1", 5353, "", broken))]);
    assert.equal(bad.ok, false, "a broken snippet must fail the check");
    assert.match(bad.output, /192\.0\.2\.10@port53/, bad.output);
  } finally {
    tmp.remove();
  }
});

/**
 * A hardened Unbound: rebinding protection for 10/8 and a trust anchor above
 * the zone (standing in for the root anchor and a signed example.com); every
 * other name goes to the stand-in upstream.
 */
async function withUnbound(snippet: string, upstream: RunningDnsmasq, body: (u: RunningServer) => Promise<void>): Promise<void> {
  const u = await startUnbound({
    serverLines: `    private-address: 10.0.0.0/8\n    trust-anchor: "example.com. DS 12345 13 2 ${fakeDsDigest()}"`,
    snippet: `${snippet}forward-zone:\n    name: "."\n    forward-addr: ${upstream.address}@${upstream.port}\n`,
  });
  try {
    await body(u);
  } finally {
    await u.stop();
  }
}

async function withCdnsAndUpstream(body: (cdns: RunningDnsmasq, upstream: RunningDnsmasq, snippet: string) => Promise<void>): Promise<void> {
  const cdns = await startCdns();
  try {
    const upstream = await startUpstream();
    try {
      await body(cdns, upstream, renderUnboundForwardZones({ zones: [ZONE], cdnsAddresses: [cdns.address], port: cdns.port }));
    } finally {
      await upstream.stop();
    }
  } finally {
    await cdns.stop();
  }
}

test("real Unbound forwards the zone to the cDNS and nothing else", async () => {
  await withCdnsAndUpstream(async (cdns, upstream, snippet) => {
    await withUnbound(snippet, upstream, async (u) => {
      const web = await resolve(WEB, u.address, u.port);
      assert.equal(web.rcode, "NOERROR", u.output().slice(-2000));
      assert.deepEqual(web.addresses, [WEB_IP]);
      assert.ok((web.ttls[0] ?? 99) <= 5, "the cDNS TTL comes through");
      assert.equal((await resolve(`nope.${ZONE}`, u.address, u.port)).rcode, "NXDOMAIN");
      assert.deepEqual((await resolve(PUBLIC_NAME, u.address, u.port)).addresses, [PUBLIC_IP]);
      assert.equal((await resolve(LOOKALIKE, u.address, u.port)).rcode, "SERVFAIL", "the upstream refuses it");
      const seen = await cdnsQueries(cdns);
      assert.ok(seen.includes(WEB), seen.join(" "));
      assert.deepEqual(seen.filter((q) => !q.endsWith(`.${ZONE}`) && q !== ZONE), [], "no out-of-zone query reached the cDNS");
    });
  });
});

test("real Unbound: each server line is needed (private-domain against private-address, domain-insecure against a trust anchor)", async () => {
  await withCdnsAndUpstream(async (_cdns, upstream, snippet) => {
    const noPrivate = snippet.replace(/^ +private-domain:.*\n/gm, "");
    assert.notEqual(noPrivate, snippet);
    await withUnbound(noPrivate, upstream, async (u) => {
      const web = await resolve(WEB, u.address, u.port);
      assert.equal(web.rcode, "NOERROR");
      assert.deepEqual(web.addresses, [], "private-address strips the ingress address");
    });
    const noInsecure = snippet.replace(/^ +domain-insecure:.*\n/gm, "");
    assert.notEqual(noInsecure, snippet);
    await withUnbound(noInsecure, upstream, async (u) => {
      assert.equal((await resolve(WEB, u.address, u.port)).rcode, "SERVFAIL", "bogus without domain-insecure");
    });
  });
});
