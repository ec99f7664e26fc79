import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { systemClock, type Clock } from "../../sidecar/src/clock";
import { Controller, HELD_WRITE_RETRY_MS } from "../../sidecar/src/controller";
import { createMemoryLogger } from "../../sidecar/src/log";
import { parseLabelSelector } from "../../lib/k8s/labelSelector";
import { SourceStore } from "../../sidecar/src/source/store";
import { InMemoryWatch } from "../../sidecar/src/watch";
import { FakeClock, RecordingSink, flush, ingress, node } from "./fakes";

const ZONE = "apps.example.com";

function selector(s: string) {
  const r = parseLabelSelector(s);
  if (!r.ok) throw new Error(r.error);
  return r.requirements;
}

function setup(clock: Clock, over: { stuckWatchMs?: number } = {}) {
  const logger = createMemoryLogger();
  const sink = new RecordingSink(() => clock.now());
  const ingresses = new InMemoryWatch("Ingress");
  const nodes = new InMemoryWatch("Node");
  let ctl: Controller | undefined;
  const store = new SourceStore(
    { zones: [ZONE], namespaces: [], maxTargets: 64, fallbackSelector: selector("node-role.kubernetes.io/worker=true") },
    () => ctl?.schedule(),
  );
  ctl = new Controller(
    { zones: [ZONE], allDroppedRule: "keep-last", maxTargets: 64, debounceMs: 50, maxDelayMs: 250, ...(over.stuckWatchMs === undefined ? {} : { stuckWatchMs: over.stuckWatchMs }) },
    { source: store, watches: [ingresses, nodes], sink, logger, clock },
  );
  return { logger, sink, ingresses, nodes, store, ctl };
}

describe("Controller", () => {
  it("writes nothing before every watch synced once, then becomes ready", async () => {
    const clock = new FakeClock();
    const { sink, nodes, store, ctl } = setup(clock);
    nodes.failNextStarts = 1;
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await ctl.start();
    await clock.advance(100);
    assert.equal(sink.writes.length, 0, "Nodes not synced yet");
    const h = ctl.health();
    assert.equal(h.live, true);
    assert.equal(h.ready, false);
    assert.match(h.readyProblems.join(), /watch Node not synced yet: Node: list failed/);
    await clock.advance(500); // node watch restarts after 500 ms
    assert.equal(sink.writes.length, 1);
    assert.deepEqual(sink.last?.records.get("a.apps.example.com"), ["10.0.0.1"]);
    assert.equal(ctl.health().ready, true);
  });

  it("a write the sink held back: started (startupz) but not ready, written again soon until the sink takes it all", async () => {
    const clock = new FakeClock();
    const { sink, store, ctl, logger } = setup(clock);
    sink.holdNext = 2;
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await ctl.start();
    await clock.advance(100);
    assert.equal(sink.writes.length, 1);
    let h = ctl.health();
    assert.equal(h.started, true, "startupz passes: dnsmasq may start now");
    assert.equal(h.ready, false);
    assert.match(h.readyProblems.join(), /held back until dnsmasq answers/);
    await clock.advance(HELD_WRITE_RETRY_MS);
    assert.equal(sink.writes.length, 2, "the same data written again, not skipped as unchanged");
    assert.equal(ctl.health().ready, false);
    await clock.advance(HELD_WRITE_RETRY_MS);
    assert.equal(sink.writes.length, 3);
    h = ctl.health();
    assert.equal(h.ready, true, h.readyProblems.join());
    assert.equal(ctl.metrics.writeErrors.get(), 0, "a hold is not a failure");
    await clock.advance(5000);
    assert.equal(sink.writes.length, 3, "no more writes once the sink took it all");
    assert.equal(logger.lines.filter((l) => l.msg === "hosts files held back until dnsmasq answers").length, 2);
  });

  it("restarts a failed watch with exponential backoff, reset after a successful start", async () => {
    const clock = new FakeClock();
    const { ingresses, ctl, logger } = setup(clock);
    ingresses.failNextStarts = 4;
    const t0 = clock.now();
    const startTimes: number[] = [];
    const origStart = ingresses.start.bind(ingresses);
    ingresses.start = () => {
      startTimes.push(clock.now() - t0);
      return origStart();
    };
    await ctl.start();
    await clock.advance(20_000);
    assert.deepEqual(startTimes, [0, 500, 1500, 3500, 7500]);
    assert.equal(ingresses.running, true);
    assert.equal(ctl.metrics.watchRestarts.get({ kind: "Ingress" }), 4);
    assert.equal(logger.lines.filter((l) => l.msg === "watch failed, restarting").length, 4);
    // A later drop starts over at the initial delay.
    ingresses.fail();
    await clock.advance(499);
    assert.equal(ingresses.running, false);
    await clock.advance(1);
    assert.equal(ingresses.running, true);
    assert.equal(startTimes.length, 6);
  });

  it("a watch down (API outage) makes it unready, never unlive, however long; it recovers", async () => {
    const clock = new FakeClock();
    const { ingresses, ctl } = setup(clock);
    await ctl.start();
    await clock.advance(100);
    assert.equal(ctl.health().ready, true);
    ingresses.failNextStarts = 100;
    ingresses.fail(new Error("connect ECONNREFUSED 127.0.0.1:6443"));
    assert.match(ctl.health().readyProblems.join(), /watch Ingress down for 0 s: connect ECONNREFUSED/);
    await clock.advance(10 * 60_000);
    const h = ctl.health();
    assert.equal(h.live, true, "an API outage must not restart the sidecar");
    assert.equal(h.ready, false);
    assert.match(h.readyProblems.join(), /watch Ingress down for 600 s: Ingress: list failed/);
    ingresses.failNextStarts = 0;
    await clock.advance(10_000); // backoff is at most 8 s
    assert.deepEqual(ctl.health(), { live: true, ready: true, liveProblems: [], readyProblems: [], started: true });
  });

  it("a running watch silent past the stuck bound fails liveness", async () => {
    const clock = new FakeClock();
    const { ingresses, ctl } = setup(clock, { stuckWatchMs: 80_000 });
    let last = clock.now();
    ingresses.lastActivity = () => last;
    await ctl.start();
    await clock.advance(79_000);
    assert.equal(ctl.health().live, true);
    await clock.advance(2_000);
    const h = ctl.health();
    assert.equal(h.live, false);
    assert.match(h.liveProblems.join(), /watch Ingress stuck: silent for 81 s/);
    last = clock.now();
    assert.equal(ctl.health().live, true);
  });

  it("a failed write fails readiness at once, liveness only after a minute, and is retried until it succeeds", async () => {
    const clock = new FakeClock();
    const { sink, store, ctl, logger } = setup(clock);
    await ctl.start();
    sink.failNext = 2;
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await clock.advance(100);
    assert.equal(ctl.health().live, true);
    assert.equal(ctl.health().ready, false);
    assert.match(ctl.health().readyProblems.join(), /last hosts write failed/);
    await clock.advance(1000); // retry 1 fails, next in 2 s
    assert.equal(sink.writes.length, 0);
    await clock.advance(2000);
    assert.equal(sink.writes.length, 1);
    assert.deepEqual(ctl.health(), { live: true, ready: true, liveProblems: [], readyProblems: [], started: true });
    assert.equal(ctl.metrics.writeErrors.get(), 2);
    assert.equal(logger.lines.filter((l) => l.level === "error").length, 2);
  });

  it("writes failing for more than a minute fail liveness", async () => {
    const clock = new FakeClock();
    const { sink, store, ctl } = setup(clock);
    await ctl.start();
    sink.failNext = 1000;
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await clock.advance(59_000);
    assert.equal(ctl.health().live, true);
    await clock.advance(3_000);
    assert.equal(ctl.health().live, false);
    assert.match(ctl.health().liveProblems.join(), /hosts writes failing for 6\d s/);
  });

  it("skips the write when the plan did not change", async () => {
    const clock = new FakeClock();
    const { sink, store, ctl } = setup(clock);
    await ctl.start();
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await clock.advance(100);
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await clock.advance(100);
    assert.equal(sink.writes.length, 1);
    assert.equal(ctl.metrics.writesSkipped.get(), 1);
  });

  it("logs each ignored (object, host, reason) once and counts it by reason", async () => {
    const clock = new FakeClock();
    const { store, ctl, logger } = setup(clock);
    await ctl.start();
    store.upsert("Ingress", ingress("web", "a", ["x.other.com", "*.apps.example.com"], ["10.0.0.1"]));
    await clock.advance(100);
    store.upsert("Ingress", ingress("web", "b", ["b.apps.example.com"], ["10.0.0.2"]));
    await clock.advance(100);
    const notServed = logger.lines.filter((l) => l.msg === "not served");
    assert.equal(notServed.length, 2);
    assert.equal(ctl.metrics.ignored.get({ reason: "outside_zones" }), 1);
    assert.equal(ctl.metrics.ignored.get({ reason: "wildcard_unsupported" }), 1);
    store.remove("Ingress", ingress("web", "a", []));
    await clock.advance(100);
    assert.equal(ctl.metrics.ignored.get({ reason: "outside_zones" }), 0, "gauge drops when the object goes");
    assert.match(ctl.metrics.render(), /cdns_sidecar_ignored_objects\{reason="outside_zones"\} 0/);
  });

  it("reconcileNow() writes at once, without waiting for the debounce", async () => {
    const clock = new FakeClock();
    const { sink, store, ctl } = setup(clock);
    await ctl.start();
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await ctl.reconcileNow();
    assert.deepEqual(sink.last?.records.get("a.apps.example.com"), ["10.0.0.1"]);
    await clock.advance(1000);
    assert.equal(sink.writes.length, 1, "the cancelled debounce does not write again");
  });

  it("stop() stops the watches and writes nothing afterwards", async () => {
    const clock = new FakeClock();
    const { sink, store, ctl, ingresses, nodes } = setup(clock);
    await ctl.start();
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await ctl.stop();
    await clock.advance(1000);
    assert.equal(sink.writes.length, 0);
    assert.deepEqual([ingresses.stops, nodes.stops], [1, 1]);
    assert.equal(clock.pendingTimers, 0);
  });

  it("a node going NotReady reaches the sink within 1 s (real time)", async () => {
    const { sink, store, ctl } = setup(systemClock);
    await ctl.start();
    store.upsert("Node", node("w1", "10.0.0.1"));
    store.upsert("Node", node("w2", "10.0.0.2"));
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1", "10.0.0.2"]));
    const deadline = Date.now() + 2000;
    while (sink.last?.records.get("a.apps.example.com")?.length !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sink.last?.records.get("a.apps.example.com"), ["10.0.0.1", "10.0.0.2"]);
    const observed = performance.now();
    store.upsert("Node", node("w2", "10.0.0.2", { ready: false }));
    while (sink.last?.records.get("a.apps.example.com")?.length !== 1 && performance.now() - observed < 2000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const elapsed = performance.now() - observed;
    assert.deepEqual(sink.last?.records.get("a.apps.example.com"), ["10.0.0.1"]);
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    // A storm of events keeps flushing within the max delay too.
    const stormStart = Date.now(); // the sink stamps writes with the controller clock (Date.now)
    for (let i = 0; i < 40; i++) {
      store.upsert("Ingress", ingress("web", `s${i}`, [`s${i}.apps.example.com`], ["10.0.0.1"]));
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(sink.writes.some((w) => w.at > stormStart && w.at - stormStart < 400), "a write happened during the storm");
    await ctl.stop();
    await flush();
  });
});

describe("optional watches", () => {
  it("the first write waits for required watches only, and for optional ones at most the grace; /readyz keeps naming them", async () => {
    const clock = new FakeClock();
    const logger = createMemoryLogger();
    const sink = new RecordingSink(() => clock.now());
    const ingresses = new InMemoryWatch("Ingress");
    const nodes = new InMemoryWatch("Node");
    const routes = new InMemoryWatch("HTTPRoute", true);
    routes.failNextStarts = 1000; // the Gateway API CRDs are not installed
    let ctl: Controller | undefined;
    const store = new SourceStore({ zones: [ZONE], namespaces: [], maxTargets: 64, fallbackSelector: selector("node-role.kubernetes.io/worker=true") }, () => ctl?.schedule());
    ctl = new Controller({ zones: [ZONE], allDroppedRule: "keep-last", maxTargets: 64, debounceMs: 50, maxDelayMs: 250, optionalSyncGraceMs: 10_000 },
      { source: store, watches: [ingresses, nodes, routes], sink, logger, clock });
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await ctl.start();
    await clock.advance(9_000);
    assert.equal(sink.writes.length, 0, "within the grace, still waiting for the optional watch");
    assert.equal(ctl.health().started, false);
    await clock.advance(2_000);
    assert.equal(sink.writes.length, 1, "after the grace, the Ingress names are written");
    const h = ctl.health();
    assert.equal(h.started, true);
    assert.equal(h.ready, false);
    assert.match(h.readyProblems.join(), /watch HTTPRoute not synced yet/);
    assert.ok(logger.lines.some((l) => l.msg === "first sync without optional sources that did not sync"));
    await ctl.stop();
  });

  it("a required watch that never syncs writes nothing, however long", async () => {
    const clock = new FakeClock();
    const { sink, nodes, store, ctl } = setup(clock);
    nodes.failNextStarts = 1000;
    store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    await ctl.start();
    await clock.advance(5 * 60_000);
    assert.equal(sink.writes.length, 0);
    assert.equal(ctl.health().started, false);
    await ctl.stop();
  });
});
