import { test } from "node:test";
import * as assert from "node:assert/strict";
import { renderDnsmasqServers } from "../../lib/render/forwarding";
import { DNSMASQ_BIN, runCheck, startIdnsDnsmasq, tempDir } from "./servers";
import { resolve } from "./resolve";
import { cdnsQueries, LOOKALIKE, PUBLIC_IP, PUBLIC_NAME, startCdns, startUpstream, WEB, WEB_IP, ZONE } from "./fixtures";

test("dnsmasq lines: server=/zone/ip#port per address, primary first, rebind exemption per zone", () => {
  const text = renderDnsmasqServers({ zones: ["apps.example.com", "svc.example.org"], cdnsAddresses: ["192.0.2.10", "192.0.2.11"] });
  assert.deepEqual(text.split("\n").filter((l) => l !== "" && !l.startsWith("#")), [
    "server=/apps.example.com/192.0.2.10#53",
    "server=/apps.example.com/192.0.2.11#53",
    "rebind-domain-ok=/apps.example.com/",
    "server=/svc.example.org/192.0.2.10#53",
    "server=/svc.example.org/192.0.2.11#53",
    "rebind-domain-ok=/svc.example.org/",
  ]);
  assert.ok(renderDnsmasqServers({ zones: ["a.example.com"], cdnsAddresses: ["127.0.0.9"], port: 5353 }).includes("server=/a.example.com/127.0.0.9#5353"));
  assert.throws(() => renderDnsmasqServers({ zones: ["a/b"], cdnsAddresses: ["127.0.0.9"] }), /renderDnsmasqServers: zones\[0\] "a\/b" is not a domain name/);
});

test("dnsmasq --test accepts the lines and rejects a broken one", () => {
  const tmp = tempDir("cdns-dnsmasqcheck-");
  try {
    const text = renderDnsmasqServers({ zones: ["apps.example.com"], cdnsAddresses: ["192.0.2.10", "192.0.2.11"] });
    const ok = runCheck(DNSMASQ_BIN, ["--test", `--conf-file=${tmp.write("good.conf", `no-resolv\nstop-dns-rebind\n${text}`)}`]);
    assert.equal(ok.ok, true, ok.output);
    assert.match(ok.output, /syntax check OK/);
    const broken = text.replace("#53", "#port53");
    const bad = runCheck(DNSMASQ_BIN, ["--test", `--conf-file=${tmp.write("bad.conf", `no-resolv\n${broken}`)}`]);
    assert.equal(bad.ok, false, "a broken line must fail the check");
  } finally {
    tmp.remove();
  }
});

test("real dnsmasq iDNS with stop-dns-rebind forwards the zone, and needs rebind-domain-ok for it", async () => {
  const cdns = await startCdns();
  try {
    const upstream = await startUpstream();
    try {
      const snippet = renderDnsmasqServers({ zones: [ZONE], cdnsAddresses: [cdns.address], port: cdns.port });
      const lines = `stop-dns-rebind\nserver=${upstream.address}#${upstream.port}`;
      const idns = await startIdnsDnsmasq({ lines, snippet });
      try {
        assert.deepEqual((await resolve(WEB, idns.address, idns.port)).addresses, [WEB_IP], idns.output());
        assert.equal((await resolve(`nope.${ZONE}`, idns.address, idns.port)).rcode, "NXDOMAIN");
        assert.deepEqual((await resolve(PUBLIC_NAME, idns.address, idns.port)).addresses, [PUBLIC_IP]);
        assert.equal((await resolve(LOOKALIKE, idns.address, idns.port)).rcode, "REFUSED", "the upstream's answer, not the cDNS's");
      } finally {
        await idns.stop();
      }
      const seen = await cdnsQueries(cdns);
      assert.ok(seen.includes(WEB), seen.join(" "));
      assert.deepEqual(seen.filter((q) => !q.endsWith(`.${ZONE}`) && q !== ZONE), [], "no out-of-zone query reached the cDNS");
      // The same without the exemption: dnsmasq drops the private ingress address.
      const noExemption = snippet.replace(/^rebind-domain-ok=.*\n/gm, "");
      assert.notEqual(noExemption, snippet);
      const strict = await startIdnsDnsmasq({ lines, snippet: noExemption });
      try {
        assert.deepEqual((await resolve(WEB, strict.address, strict.port)).addresses, []);
      } finally {
        await strict.stop();
      }
    } finally {
      await upstream.stop();
    }
  } finally {
    await cdns.stop();
  }
});
