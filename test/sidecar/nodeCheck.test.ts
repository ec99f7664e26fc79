/**
 * The data-path check: rise/fall, bounded work per interval whatever the node count, targets
 * changing under it (hand-driven clock, scripted connector), and the real TCP connector against
 * listeners on 127.0.0.x (accepting, refusing, and silent: a listener whose accept queue is full).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as net from "node:net";
import { SidecarMetrics } from "../../sidecar/src/metrics";
import { NodeChecker, type CheckTarget, type Connect, type NodeCheckOptions } from "../../sidecar/src/source/nodeCheck";
import { tcpConnect } from "../../sidecar/src/source/tcpConnect";
import { FakeClock } from "./fakes";

type Behaviour = "ok" | "refused" | "silent";

/** A connector scripted per IP (and port); silent ones fail when their timeout runs out on the fake clock. */
function scripted(clock: FakeClock) {
  const behaviour = new Map<string, Behaviour>();
  const log: Array<{ ip: string; port: number; at: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const connect: Connect = (ip, port, timeoutMs) => {
    log.push({ ip, port, at: clock.now() });
    const b = behaviour.get(`${ip}:${port}`) ?? behaviour.get(ip) ?? "ok";
    if (b !== "silent") return Promise.resolve(b === "ok");
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise((resolve) => clock.setTimeout(() => {
      inFlight--;
      resolve(false);
    }, timeoutMs));
  };
  return { behaviour, log, connect, get maxInFlight() { return maxInFlight; } };
}

const OPTS: NodeCheckOptions = { ports: [80, 443], intervalMs: 1000, timeoutMs: 200, rise: 2, fall: 3, concurrency: 8 };
const targets = (n: number): CheckTarget[] => Array.from({ length: n }, (_, i) => ({ node: `w${i}`, ip: `10.0.${Math.floor(i / 250)}.${1 + (i % 250)}` }));

function setup(opts: NodeCheckOptions = OPTS) {
  const clock = new FakeClock();
  const c = scripted(clock);
  const downs: string[][] = [];
  const metrics = new SidecarMetrics();
  const checker = new NodeChecker(opts, { connect: c.connect, clock, metrics, onDown: (ips) => downs.push([...ips].sort()) });
  return { clock, c, downs, metrics, checker };
}

describe("NodeChecker", () => {
  it("takes an IP out after `fall` failed checks in a row and back after `rise` good ones; one lost check changes nothing", async () => {
    const { clock, c, downs, metrics, checker } = setup();
    checker.setTargets(targets(2));
    checker.start();
    await clock.advance(0);
    assert.deepEqual(c.log.map((l) => `${l.ip}:${l.port}`), ["10.0.0.1:80", "10.0.0.1:443", "10.0.0.2:80", "10.0.0.2:443"], "every port of every target, in the first interval");
    // One refused connect between good ones (a lost packet, a restart): no flap.
    c.behaviour.set("10.0.0.2:443", "refused");
    await clock.advance(1000);
    c.behaviour.delete("10.0.0.2:443");
    await clock.advance(1000);
    assert.deepEqual(downs, []);
    // Nothing listening any more: down on the third failure in a row.
    c.behaviour.set("10.0.0.2", "refused");
    await clock.advance(2000);
    assert.deepEqual(downs, [], "two failures: still up");
    assert.equal(metrics.nodeCheckUp.get({ node: "w1", ip: "10.0.0.2" }), 1);
    await clock.advance(1000);
    assert.deepEqual(downs, [["10.0.0.2"]]);
    assert.equal(metrics.nodeCheckUp.get({ node: "w1", ip: "10.0.0.2" }), 0);
    assert.deepEqual([...checker.down()], ["10.0.0.2"]);
    // Back: one good check is not enough, two are.
    c.behaviour.delete("10.0.0.2");
    await clock.advance(1000);
    assert.deepEqual(downs, [["10.0.0.2"]]);
    await clock.advance(1000);
    assert.deepEqual(downs, [["10.0.0.2"], []]);
    assert.equal(metrics.nodeCheckUp.get({ node: "w1", ip: "10.0.0.2" }), 1);
    assert.ok(metrics.nodeChecks.get({ result: "failed" }) >= 4);
    await checker.stop();
    assert.equal(clock.pendingTimers, 0);
  });

  it("all checks fit one interval when connects answer; the pass takes one interval", async () => {
    const { clock, c, checker } = setup();
    checker.setTargets(targets(500));
    checker.start();
    await clock.advance(0);
    assert.equal(c.log.length, 1000);
    await clock.advance(1000);
    assert.equal(c.log.length, 2000);
    assert.equal(checker.stats.lastPassIntervals, 1);
    await checker.stop();
  });

  it("bounds the work when every connect times out: concurrency at once, checks only while a timeout fits the interval, round-robin over several intervals", async () => {
    const opts = { ...OPTS, concurrency: 4, ports: [80] };
    const { clock, c, metrics, checker } = setup(opts);
    for (const t of targets(100)) c.behaviour.set(t.ip, "silent");
    checker.setTargets(targets(100));
    checker.start();
    await clock.advance(0);
    const perInterval = opts.concurrency * Math.floor(opts.intervalMs / opts.timeoutMs); // 4 x 5 = 20
    await clock.advance(999);
    assert.equal(c.log.length, perInterval, "one interval's checks");
    assert.equal(c.maxInFlight, opts.concurrency);
    // Every check started in an interval ended inside it (started at most intervalMs - timeoutMs in).
    assert.ok(c.log.every((l) => l.at - (c.log[0] as { at: number }).at <= opts.intervalMs - opts.timeoutMs));
    await clock.advance(4 * 1000);
    assert.equal(c.log.length, 5 * perInterval);
    assert.deepEqual(new Set(c.log.map((l) => l.ip)).size, 100, "round-robin: every target once in 5 intervals");
    assert.equal(checker.stats.lastPassIntervals, 5);
    assert.equal(metrics.nodeCheckPassIntervals.get(), 5);
    // stop() waits for the checks in flight: they end within their timeout.
    const stopped = checker.stop();
    await clock.advance(opts.timeoutMs);
    await stopped;
    assert.equal(clock.pendingTimers, 0);
  });

  it("new targets start up, dropped ones are forgotten (and leave the down set and /metrics)", async () => {
    const { clock, c, downs, metrics, checker } = setup({ ...OPTS, fall: 1 });
    checker.setTargets(targets(3));
    c.behaviour.set("10.0.0.3", "refused");
    checker.start();
    await clock.advance(0);
    assert.deepEqual(downs, [["10.0.0.3"]]);
    checker.setTargets(targets(2));
    assert.deepEqual(downs, [["10.0.0.3"], []]);
    assert.equal(metrics.render().includes('ip="10.0.0.3"'), false);
    checker.setTargets([...targets(2), { node: "w9", ip: "10.0.0.9" }]);
    assert.equal(metrics.nodeCheckUp.get({ node: "w9", ip: "10.0.0.9" }), 1);
    assert.equal(downs.length, 2, "adding an up target changes no verdict");
    await checker.stop();
  });

  it("rejects a timeout longer than the interval", () => {
    const clock = new FakeClock();
    assert.throws(() => new NodeChecker({ ...OPTS, timeoutMs: 2000 }, { connect: async () => true, clock, onDown: () => {} }), /exceeds the interval/);
  });
});

describe("tcpConnect (real sockets on loopback)", () => {
  it("true when something listens, false when refused, false after the timeout when nothing answers", async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.31", r));
    const port = (server.address() as net.AddressInfo).port;
    // A listener that never accepts, with a backlog of 0: once one connection waits in its
    // queue, the kernel drops further SYNs, as from a host that is silent.
    const py = spawn("python3", ["-c", "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.32',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      assert.equal(await tcpConnect("127.0.0.31", port, 1000), true);
      server.close();
      assert.equal(await tcpConnect("127.0.0.31", port, 1000), false);
      const silentPort = await new Promise<number>((r) => py.stdout?.once("data", (d) => r(Number(String(d).trim()))));
      await tcpConnect("127.0.0.32", silentPort, 1000); // fills the queue
      const t0 = performance.now();
      assert.equal(await tcpConnect("127.0.0.32", silentPort, 300), false);
      const ms = performance.now() - t0;
      assert.ok(ms >= 290 && ms < 1000, `timed out after ${ms.toFixed(0)} ms`);
    } finally {
      server.close();
      py.kill();
    }
  });
});
