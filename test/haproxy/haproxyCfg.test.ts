import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  DEFAULT_HAPROXY_MAXCONN,
  HAPROXY_ACCEPTED_PAYLOAD_SIZE,
  HAPROXY_UDP_MAX_SERVERS,
  controlPlaneName,
  haproxyQuote,
  renderHaproxyCfg,
  udpMaxServers,
  validateHaproxyCfgInput,
  type HaproxyCfgInput,
} from "../../lib/render/haproxyCfg";
import { nodesName } from "../../lib/dns/names";
import { DEFAULT_HAPROXY_MAX_SERVERS } from "../../lib/config/defaults";
import { startDnsmasq } from "../helpers/dnsmasq";
import { query } from "../helpers/dns";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, randomLoopback } from "../helpers/ports";
import { haproxyCheck, serverStats, sleep, startHaproxy, waitUntil, type RunningHaproxy } from "./haproxyHelpers";

const zone = "apps.example.com";
const base: HaproxyCfgInput = { zone, cdnsAddresses: ["192.0.2.10", "192.0.2.11"] };

/** Lines of a section, without indentation. */
function section(cfg: string, header: string): string[] {
  const lines = cfg.split("\n");
  const start = lines.indexOf(header);
  assert.ok(start >= 0, `no section "${header}" in:\n${cfg}`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith("    ")) break;
    out.push(l.trim());
  }
  return out;
}

const variants: Record<string, HaproxyCfgInput> = {
  default: base,
  kubeApi: { ...base, kubeApi: {} },
  proxyProtocol: { ...base, proxyProtocol: true },
  httpCheck: { ...base, httpCheck: { port: 10254, path: "/healthz" } },
  httpCheckOnTrafficPortWithProxy: { ...base, proxyProtocol: true, httpCheck: { port: 80, path: "/healthz?full=1" } },
  statsWithCredentials: { ...base, stats: { user: "ops", password: `p"a$s #w\\ord'` } },
  manyCdns: { ...base, cdnsAddresses: ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"] },
  everything: {
    ...base, kubeApi: { name: "cp.nodes.apps.example.com", maxServers: 5 }, proxyProtocol: true, maxServers: 60,
    httpCheck: { port: 10254, path: "/healthz" }, stats: { password: "s3cret" }, bindAddress: "192.0.2.80", log: "stdout",
  },
};

test("default: global, defaults, resolvers, frontends and backends", () => {
  const cfg = renderHaproxyCfg(base);
  const global = section(cfg, "global");
  assert.ok(global.includes(`maxconn ${DEFAULT_HAPROXY_MAXCONN}`));
  assert.ok(global.includes("log /dev/log local0"));
  assert.ok(global.some((l) => l.startsWith("stats socket /run/haproxy/admin.sock")));
  const defaults = section(cfg, "defaults");
  for (const want of ["mode tcp", "timeout connect 5s", "timeout client 60s", "timeout server 60s", "timeout tunnel 1h", "timeout check 5s", `maxconn ${DEFAULT_HAPROXY_MAXCONN}`]) {
    assert.ok(defaults.includes(want), `defaults lacks ${want}`);
  }
  const resolvers = section(cfg, "resolvers cdns");
  assert.deepEqual(resolvers.filter((l) => l.startsWith("nameserver")), ["nameserver cdns0 192.0.2.10:53", "nameserver cdns1 192.0.2.11:53"]);
  assert.ok(resolvers.includes(`accepted_payload_size ${HAPROXY_ACCEPTED_PAYLOAD_SIZE}`));
  for (const hold of ["valid", "obsolete", "nx", "refused", "other", "timeout"]) {
    assert.ok(resolvers.some((l) => l.startsWith(`hold ${hold} `)), `no hold ${hold}`);
  }
  assert.deepEqual(section(cfg, "frontend http"), ["bind :80", "default_backend workers_http"]);
  assert.deepEqual(section(cfg, "frontend https"), ["bind :443", "default_backend workers_https"]);
  for (const [backend, port] of [["workers_http", 80], ["workers_https", 443]] as const) {
    const lines = section(cfg, `backend ${backend}`);
    assert.ok(lines.includes(`server-template node ${DEFAULT_HAPROXY_MAX_SERVERS} ${nodesName(zone)}:${port} check resolvers cdns init-addr none resolve-prefer ipv4`), lines.join("\n"));
    assert.ok(!lines.some((l) => l.includes("httpchk") || l.includes("send-proxy")), "TCP connect check, no PROXY by default");
  }
  assert.ok(!cfg.includes("6443"), "no kube API frontend by default");
  const stats = section(cfg, "listen stats");
  assert.ok(stats.includes("bind 127.0.0.1:8404"), "stats on localhost only without credentials");
  assert.ok(!stats.some((l) => l.startsWith("stats auth")));
});

test("kubeApi: a 6443 frontend over the control-plane name, TCP check", () => {
  const cfg = renderHaproxyCfg(variants.kubeApi as HaproxyCfgInput);
  assert.deepEqual(section(cfg, "frontend kube_api"), ["bind :6443", "default_backend control_plane"]);
  const cp = section(cfg, "backend control_plane");
  assert.ok(cp.includes(`server-template cp 9 ${controlPlaneName(zone)}:6443 check resolvers cdns init-addr none resolve-prefer ipv4`), cp.join("\n"));
  assert.equal(controlPlaneName(zone), "control-plane.nodes.apps.example.com");
});

test("proxyProtocol: send-proxy-v2 on the worker backends only", () => {
  const cfg = renderHaproxyCfg({ ...base, proxyProtocol: true, kubeApi: {} });
  for (const b of ["workers_http", "workers_https"]) assert.ok(section(cfg, `backend ${b}`).some((l) => l.startsWith("default-server") && l.includes("send-proxy-v2")));
  assert.ok(!section(cfg, "backend control_plane").some((l) => l.includes("send-proxy")), "the API server does not speak PROXY");
});

test("httpCheck: option httpchk on the given port and path; check-send-proxy only on a traffic port", () => {
  const lines = section(renderHaproxyCfg(variants.httpCheck as HaproxyCfgInput), "backend workers_https");
  assert.ok(lines.includes("option httpchk"));
  assert.ok(lines.includes("http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost"));
  assert.ok(lines.includes("http-check expect status 200"));
  assert.ok(lines.some((l) => l.startsWith("default-server") && l.includes("port 10254") && !l.includes("check-send-proxy")));
  const proxied = section(renderHaproxyCfg(variants.httpCheckOnTrafficPortWithProxy as HaproxyCfgInput), "backend workers_http");
  assert.ok(proxied.some((l) => l.startsWith("default-server") && l.includes("port 80") && l.includes("check-send-proxy")));
});

test("stats with credentials: bound on all addresses, password quoted so it cannot break the line", () => {
  const cfg = renderHaproxyCfg(variants.statsWithCredentials as HaproxyCfgInput);
  const stats = section(cfg, "listen stats");
  assert.ok(stats.includes("bind :8404"));
  assert.ok(stats.includes(`stats auth "ops:p\\"a\\$s #w\\\\ord'"`), stats.join("\n"));
  assert.equal(haproxyQuote("a\nb\u00e9"), '"a\\x0ab\\xc3\\xa9"', "control and non-ASCII bytes are escaped");
});

test("haproxy -c accepts every variant", () => {
  for (const [name, input] of Object.entries(variants)) {
    const r = haproxyCheck(renderHaproxyCfg(input));
    assert.equal(r.status, 0, `${name}: ${r.output}`);
    assert.match(r.output, /Configuration file is valid/, name);
  }
});

test("haproxy -c rejects a broken config (the check can fail)", () => {
  const broken = renderHaproxyCfg(base).replace("resolvers cdns init-addr none", "resolvers nosuch init-addr none");
  const r = haproxyCheck(broken);
  assert.notEqual(r.status, 0);
  assert.match(r.output, /nosuch/);
  assert.notEqual(haproxyCheck(renderHaproxyCfg(base).replace("mode tcp", "mode tcpx")).status, 0);
});

test("renderer input validation lists every problem", () => {
  const problems = validateHaproxyCfgInput({
    zone: "Bad_Zone",
    cdnsAddresses: [],
    maxServers: 500,
    frontendPorts: { http: 8080, https: 8080 },
    stats: { port: 8080, user: "a b", password: "" },
    httpCheck: { port: 443, path: "health check" },
    timeouts: { connect: "soon" },
    health: { fall: 0 },
  });
  const keys = problems.map((p) => p.key).sort();
  assert.deepEqual(keys, [
    "cdnsAddresses", "frontendPorts.https", "health.fall", "httpCheck.path", "httpCheck.port", "maxServers",
    "stats.password", "stats.port", "stats.user", "timeouts.connect", "zone",
  ]);
  assert.match(problems.find((p) => p.key === "stats.port")?.message ?? "", /already used by frontendPorts\.http/);
  assert.throws(() => renderHaproxyCfg({ ...base, cdnsAddresses: [] }), /cdnsAddresses: at least one cDNS address/);
  assert.deepEqual(validateHaproxyCfgInput(base), []);
  assert.match(validateHaproxyCfgInput({ ...base, kubeApi: {}, frontendPorts: { kubeApi: 443 } })[0]?.message ?? "", /443 is already used by frontendPorts\.https/);
});

test("UDP limit: at udpMaxServers() a real HAProxy follows every IP from a real dnsmasq; one more and it follows none", { timeout: 30_000 }, async (t) => {
  const name = nodesName(zone);
  const limit = udpMaxServers(name);
  assert.ok(limit <= HAPROXY_UDP_MAX_SERVERS && limit >= 70, `limit ${limit}`);
  const hosts = (n: number): string => Array.from({ length: n }, (_, i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1} ${name}\n`).join("");
  for (const [n, truncated] of [[limit, false], [limit + 1, true]] as const) {
    const dir = mkdtempSync(join(tmpdir(), "cdns-haproxy-udp-"));
    const d = await startDnsmasq({ zones: [zone], ttlSeconds: 5, initialHosts: { "n.hosts": hosts(n) } });
    let h: RunningHaproxy | undefined;
    try {
      const a = await query(name, { server: d.address, port: d.port, ednsUdpSize: HAPROXY_ACCEPTED_PAYLOAD_SIZE });
      assert.equal(a.tc, truncated, `${n} records: TC=${a.tc}`);
      if (!truncated) assert.equal(a.addresses.length, n);

      const bind = randomLoopback();
      const [http, https, stats] = [await freePort(bind), await freePort(bind), await freePort("127.0.0.1")];
      // The renderer refuses a template above the limit; bypass it to show why.
      const cfg = renderHaproxyCfg({
        zone, cdnsAddresses: [d.address], dnsPort: d.port, maxServers: limit, bindAddress: bind,
        frontendPorts: { http, https }, stats: { port: stats }, statsSocket: join(dir, "s"), log: "stdout", maxconn: 1000,
      }).replaceAll(`server-template node ${limit} `, `server-template node ${n} `);
      writeFileSync(join(dir, "h.cfg"), cfg);
      h = await startHaproxy(join(dir, "h.cfg"), bind, http);
      const socket = join(dir, "s");
      const resolvedCount = async (): Promise<number> =>
        (await serverStats(socket)).filter((s) => s.backend === "workers_http" && !s.status.startsWith("MAINT")).length;
      if (!truncated) {
        await waitUntil(`${n} resolved servers`, async () => (await resolvedCount()) === n, 5000);
      } else {
        await sleep(2500); // two resolve intervals
        assert.equal(await resolvedCount(), 0, "a truncated answer leaves HAProxy with no server");
      }
      t.diagnostic(`${n} A records (${name}): TC=${a.tc}, HAProxy servers resolved: ${await resolvedCount()}`);
    } finally {
      await h?.stop();
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  assert.match(validateHaproxyCfgInput({ ...base, maxServers: limit + 1 })[0]?.message ?? "", /one UDP answer carries/);
  assert.deepEqual(validateHaproxyCfgInput({ ...base, maxServers: limit }), []);
});
