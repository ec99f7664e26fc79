import { test } from "node:test";
import * as assert from "node:assert/strict";
import { validateHaproxySettings } from "../../lib/config/validateHaproxy";
import type { HaproxyConfig } from "../../lib/config/types";
import { DEFAULT_HAPROXY_MAX_SERVERS, DEFAULT_HAPROXY_VM } from "../../lib/config/defaults";
import { udpMaxServers } from "../../lib/render/haproxyCfg";
import { nodesName } from "../../lib/dns/names";

const good: HaproxyConfig = {
  enabled: true,
  ip: "192.0.2.80",
  hostname: "qa-haproxy",
  vm: DEFAULT_HAPROXY_VM,
  maxServers: DEFAULT_HAPROXY_MAX_SERVERS,
  kubeApi: false,
};
const ctx = { zones: ["apps.example.com"], cdnsAddresses: ["192.0.2.10", "192.0.2.11"], workerCount: 3 };

function only(h: Partial<HaproxyConfig>, c: Partial<typeof ctx> = {}): { key: string; message: string }[] {
  return validateHaproxySettings({ ...good, ...h }, { ...ctx, ...c });
}

test("a good config has no problems", () => {
  assert.deepEqual(validateHaproxySettings(good, ctx), []);
  assert.deepEqual(only({ httpCheck: { port: 10254, path: "/healthz" }, kubeApi: true }), []);
});

test("no cDNS address", () => {
  const p = only({}, { cdnsAddresses: [] });
  assert.equal(p.length, 1);
  assert.equal(p[0]?.key, "haproxy.enabled");
  assert.match(p[0]?.message ?? "", /no cDNS node address/);
});

test("template smaller than the worker pool", () => {
  const p = only({ maxServers: 4 }, { workerCount: 6 });
  assert.deepEqual(p.map((x) => x.key), ["haproxy.maxServers"]);
  assert.match(p[0]?.message ?? "", /4 is smaller than the worker pool \(6\)/);
  assert.deepEqual(only({ maxServers: 6 }, { workerCount: 6 }), [], "equal is enough");
});

test("template above what one UDP answer carries", () => {
  const limit = udpMaxServers(nodesName("apps.example.com"));
  const p = only({ maxServers: limit + 1 }, { workerCount: 3 });
  assert.deepEqual(p.map((x) => x.key), ["haproxy.maxServers"]);
  assert.match(p[0]?.message ?? "", new RegExp(`above ${limit}.*does not retry a truncated answer over TCP and then follows no worker`));
  assert.deepEqual(only({ maxServers: limit }), []);
  // A longer zone name leaves room for fewer records.
  assert.ok(udpMaxServers(nodesName("a-much-longer-zone-name.platform.department.example.com")) < limit);
});

test("maxServers not a positive integer", () => {
  assert.match(only({ maxServers: 0 })[0]?.message ?? "", /positive integer, got 0/);
  assert.match(only({ maxServers: 2.5 })[0]?.message ?? "", /positive integer, got 2.5/);
});

test("http check port and path", () => {
  const p = only({ httpCheck: { port: 70000, path: "healthz" } });
  assert.deepEqual(p.map((x) => x.key), ["haproxy.httpCheck.port", "haproxy.httpCheck.path"]);
  assert.match(p[0]?.message ?? "", /1-65535, got 70000/);
  assert.match(p[1]?.message ?? "", /absolute URL path/);
  assert.match(only({ httpCheck: { port: 443, path: "/healthz" } })[0]?.message ?? "", /TLS listener/);
  for (const path of ["/a b", "/a#b", '/a"b', "/a\\b", "/a\nb"]) {
    assert.deepEqual(only({ httpCheck: { port: 10254, path } }).map((x) => x.key), ["haproxy.httpCheck.path"], JSON.stringify(path));
  }
});

test("address, hostname and VM size", () => {
  assert.match(only({ ip: "192.0.2.300" })[0]?.message ?? "", /IPv4 address/);
  assert.match(only({ ip: "192.0.2.10" })[0]?.message ?? "", /already a cDNS node address/);
  assert.equal(only({ hostname: "Bad_Name" })[0]?.key, "haproxy.hostname");
  assert.deepEqual(only({ vm: { cpus: 0, memoryMb: 100, diskGb: 0 } }).map((x) => x.key), ["haproxy.vm.cpus", "haproxy.vm.memoryMb", "haproxy.vm.diskGb"]);
});

test("every problem is listed at once", () => {
  const p = validateHaproxySettings(
    { ...good, ip: "x", maxServers: 1, httpCheck: { port: 0, path: "" } },
    { zones: [], cdnsAddresses: [], workerCount: 5 },
  );
  assert.deepEqual(p.map((x) => x.key).sort(), [
    "haproxy.enabled", "haproxy.enabled", "haproxy.httpCheck.path", "haproxy.httpCheck.port", "haproxy.ip", "haproxy.maxServers",
  ]);
});
