/**
 * The controller with the responder's front: every plan reaches the responder before the hosts
 * write, names under a wildcard wait one hold (a reconcile comes by itself when it ends), and the
 * metrics count wildcards and held names.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Controller } from "../../sidecar/src/controller";
import { createMemoryLogger } from "../../sidecar/src/log";
import { parseLabelSelector } from "../../lib/k8s/labelSelector";
import { answerQuestion, type ResponderData } from "../../sidecar/src/responder/answer";
import { ResponderFront } from "../../sidecar/src/responder/front";
import { holdMs } from "../../sidecar/src/responder/staging";
import { TYPE_A } from "../../sidecar/src/responder/wire";
import { SourceStore } from "../../sidecar/src/source/store";
import { InMemoryWatch } from "../../sidecar/src/watch";
import { FakeClock, RecordingSink, ingress } from "./fakes";

const ZONE = "apps.example.com";
const TTL = 5;

function setup(clock: FakeClock) {
  const published: Array<{ at: number; data: ResponderData }> = [];
  const sink = new RecordingSink(() => clock.now());
  const r = parseLabelSelector("node-role.kubernetes.io/worker=true");
  if (!r.ok) throw new Error(r.error);
  let ctl: Controller | undefined;
  const store = new SourceStore({ zones: [ZONE], namespaces: [], maxTargets: 64, fallbackSelector: r.requirements, wildcards: true }, () => ctl?.schedule());
  const front = new ResponderFront(TTL, (data) => published.push({ at: clock.now(), data }));
  ctl = new Controller(
    { zones: [ZONE], allDroppedRule: "keep-last", maxTargets: 8, debounceMs: 50, maxDelayMs: 250 },
    { source: store, watches: [new InMemoryWatch("Ingress"), new InMemoryWatch("Node")], sink, logger: createMemoryLogger(), clock, front },
  );
  const answer = (name: string) => {
    const d = published.at(-1)?.data;
    return d === undefined ? undefined : answerQuestion(d, name, TYPE_A).reply;
  };
  return { sink, store, ctl, published, answer };
}

describe("Controller with the responder front", () => {
  it("a wildcard reaches the responder, not the hosts files; an exact name under it waits one hold, answered by the responder meanwhile", async () => {
    const clock = new FakeClock();
    const { sink, store, ctl, published, answer } = setup(clock);
    await ctl.start();
    store.upsert("Ingress", ingress("qa", "preview", ["*.preview.apps.example.com"], ["10.0.0.2"]));
    store.upsert("Ingress", ingress("qa", "web", ["web.apps.example.com"], ["10.0.0.1"]));
    await clock.advance(100);
    assert.equal(sink.writes.length, 1);
    assert.deepEqual([...(sink.last?.records.keys() ?? [])], ["web.apps.example.com"]);
    assert.deepEqual(answer("x.preview.apps.example.com")?.addresses, ["10.0.0.2"]);
    assert.equal(ctl.metrics.wildcardsServed.get(), 1);

    store.upsert("Ingress", ingress("qa", "api", ["api.preview.apps.example.com"], ["10.0.0.9"]));
    const addedAt = clock.now();
    await clock.advance(100);
    // The responder answers the exact name at once (TTL 0); the hosts files do not have it yet.
    assert.deepEqual(answer("api.preview.apps.example.com"), { rcode: 0, addresses: ["10.0.0.9"], ttl: 0 });
    assert.ok(!(sink.last?.records.has("api.preview.apps.example.com") ?? true));
    assert.equal(ctl.metrics.stagedNames.get(), 1);
    const publishedBefore = published.length;
    await clock.advance(holdMs(TTL));
    const w = sink.writes.find((x) => x.data.records.has("api.preview.apps.example.com"));
    assert.ok(w !== undefined, "written once the hold ended, without any other event");
    assert.ok(w.at - addedAt >= holdMs(TTL), `written after ${w.at - addedAt} ms`);
    assert.ok(w.at - addedAt <= holdMs(TTL) + 300);
    assert.ok(published.length > publishedBefore);
    assert.equal(ctl.metrics.stagedNames.get(), 0);
    assert.match(ctl.metrics.render(), /cdns_sidecar_wildcards_served 1/);

    // Removing the Ingress removes the wildcard from the responder at the next plan.
    store.remove("Ingress", ingress("qa", "preview", []));
    await clock.advance(100);
    assert.equal(answer("x.preview.apps.example.com")?.rcode, 3);
    assert.equal(ctl.metrics.wildcardsServed.get(), 0);
    await ctl.stop();
  });

  it("a wildcard-only change publishes without rewriting the hosts files", async () => {
    const clock = new FakeClock();
    const { sink, store, ctl, answer } = setup(clock);
    await ctl.start();
    store.upsert("Ingress", ingress("qa", "web", ["web.apps.example.com"], ["10.0.0.1"]));
    await clock.advance(100);
    store.upsert("Ingress", ingress("qa", "preview", ["*.preview.apps.example.com"], ["10.0.0.2"]));
    await clock.advance(100);
    store.upsert("Ingress", ingress("qa", "preview", ["*.preview.apps.example.com"], ["10.0.0.3"]));
    await clock.advance(100);
    assert.equal(sink.writes.length, 1, "hosts data unchanged: skipped");
    assert.deepEqual(answer("x.preview.apps.example.com")?.addresses, ["10.0.0.3"]);
    await ctl.stop();
  });
});
