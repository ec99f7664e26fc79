/**
 * Real traffic on loopback: a real dnsmasq serves `nodes.<zone>` from a hosts
 * file, a real HAProxy with our rendered config follows it, and tiny TCP
 * backends on 127.0.0.21-24 answer their own id.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderHaproxyCfg } from "../../lib/render/haproxyCfg";
import { nodeCanonicalName, nodesName } from "../../lib/dns/names";
import { startDnsmasq, type RunningDnsmasq } from "../helpers/dnsmasq";
import { freePort, randomLoopback } from "../helpers/ports";
import {
  fetchId,
  serverStats,
  sleep,
  startBackend,
  startHaproxy,
  waitUntil,
  writeAtomic,
  type Backend,
  type RunningHaproxy,
} from "./haproxyHelpers";

const zone = "apps.example.com";
const HOSTS_FILE = "nodes.hosts";
const IPS = { b1: "127.0.0.21", b2: "127.0.0.22", b3: "127.0.0.23", b4: "127.0.0.24" } as const;
type Id = keyof typeof IPS;

function hostsText(ids: readonly Id[]): string {
  return ids.map((id) => `${IPS[id]} ${nodeCanonicalName(IPS[id], zone)} ${nodesName(zone)}\n`).join("");
}

async function startBackends(): Promise<{ port: number; backends: Map<Id, Backend> }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = await freePort(IPS.b1);
    const backends = new Map<Id, Backend>();
    try {
      for (const id of Object.keys(IPS) as Id[]) backends.set(id, await startBackend(id, IPS[id], port));
      return { port, backends };
    } catch {
      for (const b of backends.values()) await b.kill();
    }
  }
  throw new Error("no port free on all backend addresses");
}

/** `n` sequential connections through the frontend; the ids that answered. */
async function ids(host: string, port: number, n: number): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < n; i++) got.push(await fetchId(host, port));
  return got;
}

test("HAProxy follows nodes.<zone> from a real dnsmasq and spreads real TCP traffic", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cdns-haproxy-"));
  const { port: backendPort, backends } = await startBackends();
  let dns: RunningDnsmasq | undefined;
  let haproxy: RunningHaproxy | undefined;
  try {
    dns = await startDnsmasq({ zones: [zone], ttlSeconds: 0, initialHosts: { [HOSTS_FILE]: hostsText(["b1", "b2", "b3"]) } });
    const dnsAddress = dns.address;
    const dnsPort = dns.port;
    const bind = randomLoopback();
    const httpPort = await freePort(bind);
    const httpsPort = await freePort(bind);
    const statsPort = await freePort("127.0.0.1");
    const socket = join(dir, "admin.sock");
    const cfgPath = join(dir, "haproxy.cfg");
    writeFileSync(
      cfgPath,
      renderHaproxyCfg({
        zone,
        cdnsAddresses: [dnsAddress],
        dnsPort,
        maxServers: 8,
        bindAddress: bind,
        frontendPorts: { http: httpPort, https: httpsPort },
        backendPorts: { http: backendPort, https: backendPort },
        stats: { port: statsPort },
        statsSocket: socket,
        log: "stdout",
        // This machine caps open files at 20000; 20000 connections need about 40000.
        maxconn: 2000,
        // Resolver timings are the production ones: the 2 s claim holds for them.
        // Only the health checks are faster, to see a dead backend sooner.
        health: { inter: "200ms", fall: 2, rise: 1 },
      }),
    );
    haproxy = await startHaproxy(cfgPath, bind, httpPort);
    const upAddrs = async (): Promise<string[]> =>
      (await serverStats(socket)).filter((s) => s.backend === "workers_http" && s.status === "UP").map((s) => s.addr.split(":")[0] ?? "").sort();

    await t.test("traffic reaches all three workers, and only them", async () => {
      await waitUntil("three UP servers", async () => (await upAddrs()).length === 3, 5000);
      const got = await ids(bind, httpPort, 30);
      assert.deepEqual([...new Set(got)].sort(), ["b1", "b2", "b3"]);
      for (const id of ["b1", "b2", "b3"]) assert.equal(got.filter((g) => g === id).length, 10, `round robin: ${got.join(",")}`);
      // The https frontend follows the same name.
      assert.deepEqual([...new Set(await ids(bind, httpsPort, 9))].sort(), ["b1", "b2", "b3"]);
      assert.equal(backends.get("b4")?.connections, 0, "b4 is not in DNS yet");
    });

    await t.test("an IP added to DNS becomes a backend within 2 s", async () => {
      const dnsDir = dns?.hostsDir ?? assert.fail("dnsmasq not running");
      writeAtomic(dnsDir, HOSTS_FILE, hostsText(["b1", "b2", "b3", "b4"]));
      const ms = await waitUntil("traffic on b4", async () => (await fetchId(bind, httpPort)) === "b4", 2000, 10);
      t.diagnostic(`added IP served after ${ms.toFixed(0)} ms`);
      assert.ok(ms < 2000);
    });

    await t.test("a removed IP stops receiving traffic", async () => {
      const dnsDir = dns?.hostsDir ?? assert.fail("dnsmasq not running");
      writeAtomic(dnsDir, HOSTS_FILE, hostsText(["b1", "b3", "b4"]));
      const ms = await waitUntil("b2 gone from the servers", async () => !(await upAddrs()).includes(IPS.b2), 2000);
      t.diagnostic(`removed IP dropped after ${ms.toFixed(0)} ms`);
      const before = backends.get("b2")?.connections ?? -1;
      const got = await ids(bind, httpPort, 30);
      assert.ok(!got.includes("b2"), `b2 answered after removal: ${got.join(",")}`);
      assert.deepEqual([...new Set(got)].sort(), ["b1", "b3", "b4"]);
      assert.equal(backends.get("b2")?.connections, before, "no new connection reached b2");
    });

    await t.test("a killed backend is marked down and gets no new connections", async () => {
      await backends.get("b3")?.kill();
      const ms = await waitUntil("b3 DOWN", async () => (await serverStats(socket)).some(
        (s) => s.backend === "workers_http" && s.addr.startsWith(`${IPS.b3}:`) && s.status.startsWith("DOWN")), 3000);
      t.diagnostic(`killed backend marked DOWN after ${ms.toFixed(0)} ms`);
      const stot = async (): Promise<number> =>
        (await serverStats(socket)).filter((s) => s.addr.startsWith(`${IPS.b3}:`)).reduce((n, s) => n + s.stot, 0);
      const sessionsBefore = await stot();
      const got = await ids(bind, httpPort, 30);
      assert.deepEqual([...new Set(got)].sort(), ["b1", "b4"], "every connection answered by a live backend");
      assert.equal(await stot(), sessionsBefore, "HAProxy sent no session to the DOWN server");
    });

    await t.test("the frontend keeps serving while DNS is unreachable, and follows DNS again after", async () => {
      const running = dns ?? assert.fail("dnsmasq not running");
      await running.stop();
      dns = undefined;
      const start = performance.now();
      let served = 0;
      while (performance.now() - start < 3000) {
        const id = await fetchId(bind, httpPort);
        assert.ok(id === "b1" || id === "b4", `unexpected answer ${JSON.stringify(id)} during the DNS outage`);
        served++;
        await sleep(25);
      }
      t.diagnostic(`${served} connections served during a 3 s DNS outage`);
      assert.deepEqual((await upAddrs()).filter((a) => a !== IPS.b3), [IPS.b1, IPS.b4], "servers kept through the outage");

      dns = await startDnsmasq({ zones: [zone], ttlSeconds: 0, address: dnsAddress, port: dnsPort,
        initialHosts: { [HOSTS_FILE]: hostsText(["b1", "b2", "b4"]) } });
      const ms = await waitUntil("b2 back after DNS returns", async () => (await fetchId(bind, httpPort)) === "b2", 3000, 10);
      t.diagnostic(`change after DNS restart served after ${ms.toFixed(0)} ms`);
      const got = await ids(bind, httpPort, 30);
      assert.deepEqual([...new Set(got)].sort(), ["b1", "b2", "b4"]);
    });
  } catch (err) {
    throw new Error(`${String(err)}\nhaproxy output:\n${haproxy?.output() ?? "(not started)"}`);
  } finally {
    await haproxy?.stop();
    await dns?.stop();
    for (const b of backends.values()) await b.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
