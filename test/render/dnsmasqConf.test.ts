import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DNSMASQ_CACHE_SIZE, renderDnsmasqConf } from "../../lib/render/dnsmasqConf";
import { RESPONDER_CACHE_BUDGET } from "../../lib/dns/responder";
import { startDnsmasq, DNSMASQ_BIN } from "../helpers/dnsmasq";
import { query } from "../helpers/dns";

const zones = ["apps.example.com", "svc.example.org"];

test("forwarding mode: local zones, no upstreams, hosts dir, TTL, health record", () => {
  const conf = renderDnsmasqConf({ zones, ttlSeconds: 7, hostsDir: "/h" });
  const lines = conf.split("\n");
  for (const want of ["no-resolv", "local=/apps.example.com/", "local=/svc.example.org/", "hostsdir=/h", "local-ttl=7",
    "host-record=cdns-health.apps.example.com,127.0.0.1", "port=53"]) {
    assert.ok(lines.includes(want), `missing line ${want}`);
  }
  assert.ok(!lines.some((l) => l.startsWith("server=")), "no upstream server may be configured");
  assert.ok(!lines.some((l) => l.startsWith("auth-")), "no auth lines in forwarding mode");
});

test("with the sidecar's responder: each zone forwarded to 127.0.0.1#PORT instead of local=, negative caching on; never with authoritative mode", () => {
  const lines = renderDnsmasqConf({ zones, ttlSeconds: 7, responderPort: 10053 }).split("\n");
  assert.deepEqual(lines.filter((l) => l.startsWith("server=")), ["server=/apps.example.com/127.0.0.1#10053", "server=/svc.example.org/127.0.0.1#10053"]);
  assert.ok(!lines.some((l) => l.startsWith("local=")));
  assert.ok(!lines.includes("no-negcache"));
  assert.ok(lines.includes("no-resolv"), "everything outside the zones stays REFUSED");
  assert.ok(renderDnsmasqConf({ zones, ttlSeconds: 7 }).split("\n").includes("no-negcache"), "without the responder as before");
  assert.throws(
    () => renderDnsmasqConf({ zones, ttlSeconds: 7, responderPort: 10053, authoritative: { hostmaster: "h.apps.example.com", nameServerAddresses: ["192.0.2.10"] } }),
    /forwarding mode only/,
  );
});

test("the responder's cache budget is half of dnsmasq's cache-size (the two live apart: the sidecar image has no lib/render)", () => {
  assert.equal(RESPONDER_CACHE_BUDGET * 2, DEFAULT_DNSMASQ_CACHE_SIZE);
});

test("root without setuid or setgid: user=root and an empty group= (the pod grants NET_BIND_SERVICE only)", () => {
  const lines = renderDnsmasqConf({ zones, ttlSeconds: 7 }).split("\n");
  // Without `group=` dnsmasq switches to group "dip" and, lacking CAP_SETGID, exits 5
  // (test/runtime/pod.test.ts runs the image under the pod's securityContext, with and without it).
  assert.equal(lines.filter((l) => l.startsWith("user=")).join(), "user=root");
  assert.equal(lines.filter((l) => l.startsWith("group=")).join(), "group=");
});

test("cache-size: sized for large hosts data by default (hash table is sized at start only), overridable", () => {
  const dflt = renderDnsmasqConf({ zones, ttlSeconds: 7 }).split("\n");
  assert.equal(DEFAULT_DNSMASQ_CACHE_SIZE, 20_000);
  assert.deepEqual(dflt.filter((l) => l.startsWith("cache-size=")), ["cache-size=20000"]);
  const custom = renderDnsmasqConf({ zones, ttlSeconds: 7, cacheSize: 5000 }).split("\n");
  assert.deepEqual(custom.filter((l) => l.startsWith("cache-size=")), ["cache-size=5000"]);
});

test("dnsmasq --test accepts every variant", () => {
  const dir = mkdtempSync(join(tmpdir(), "cdns-conf-"));
  mkdirSync(join(dir, "h"));
  const variants = [
    renderDnsmasqConf({ zones, ttlSeconds: 5, hostsDir: join(dir, "h") }),
    renderDnsmasqConf({ zones, ttlSeconds: 0, hostsDir: join(dir, "h"), apexAddresses: ["192.0.2.80"], pidFile: join(dir, "pid"), logQueries: true }),
    renderDnsmasqConf({ zones, ttlSeconds: 5, hostsDir: join(dir, "h"), responderPort: 10053 }),
    renderDnsmasqConf({ zones, ttlSeconds: 5, hostsDir: join(dir, "h"), authoritative: { hostmaster: "hostmaster.apps.example.com", nameServerAddresses: ["192.0.2.10", "192.0.2.11"] } }),
  ];
  variants.forEach((text, i) => {
    const path = join(dir, `v${i}.conf`);
    writeFileSync(path, text);
    const out = execFileSync(DNSMASQ_BIN, ["--test", `--conf-file=${path}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.equal(out.trim() === "" || /syntax check OK/.test(out), true);
  });
  writeFileSync(join(dir, "bad.conf"), "no-such-option\n");
  assert.throws(() => execFileSync(DNSMASQ_BIN, ["--test", `--conf-file=${join(dir, "bad.conf")}`], { stdio: "pipe" }));
});

test("real dnsmasq: serves hosts, NXDOMAIN in zone, REFUSED outside, TTL applied", async () => {
  const d = await startDnsmasq({ zones, ttlSeconds: 9, initialHosts: { "a.hosts": "10.0.0.1 web.apps.example.com\n" } });
  try {
    const web = await query("web.apps.example.com", { server: d.address, port: d.port });
    assert.deepEqual(web.addresses, ["10.0.0.1"]);
    assert.equal(web.ttls[0], 9);
    assert.equal((await query("nope.apps.example.com", { server: d.address, port: d.port })).rcode, "NXDOMAIN");
    assert.equal((await query("example.net", { server: d.address, port: d.port })).rcode, "REFUSED");
  } finally {
    await d.stop();
  }
});

test("real dnsmasq, authoritative: SOA and NS per zone with glue", async () => {
  const d = await startDnsmasq({ zones, ttlSeconds: 5, apexAddresses: ["192.0.2.80"],
    authoritative: { hostmaster: "hostmaster.apps.example.com", nameServerAddresses: ["192.0.2.10", "192.0.2.11"] } });
  try {
    const ns = await query("svc.example.org", { server: d.address, port: d.port, type: "NS" });
    assert.deepEqual(ns.answers.map((a) => ("data" in a ? String(a.data) : "")).sort(), ["ns1.apps.example.com", "ns2.apps.example.com"]);
    assert.equal(ns.aa, true);
    const soa = await query("apps.example.com", { server: d.address, port: d.port, type: "SOA" });
    assert.equal(soa.answers.find((a) => a.type === "SOA") !== undefined, true);
    const glue = await query("ns2.apps.example.com", { server: d.address, port: d.port });
    assert.deepEqual(glue.addresses, ["192.0.2.11"]);
    const apex = await query("apps.example.com", { server: d.address, port: d.port });
    assert.deepEqual(apex.addresses, ["192.0.2.80"]);
    const nx = await query("nope.apps.example.com", { server: d.address, port: d.port });
    // dnsmasq 2.90 answers unknown names of an auth zone with a plain (non-aa)
    // NXDOMAIN when the query comes from loopback; the rcode is what matters here.
    assert.equal(nx.rcode, "NXDOMAIN");
  } finally {
    await d.stop();
  }
});
