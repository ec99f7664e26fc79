/**
 * The reflectors (through createKubeWatches) against a small fake API server on
 * loopback, for failures a real API server does not produce on demand: a watch
 * failing with 500 (the reflector stops; the controller restarts it) and a 410
 * Gone (the reflector relists and reports objects deleted meanwhile). The real
 * API server is exercised in test/rig/.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KubeTarget } from "../../sidecar/src/source/kubeconfig";
import { Controller } from "../../sidecar/src/controller";
import { createMemoryLogger } from "../../sidecar/src/log";
import { createKubeWatches } from "../../sidecar/src/source/informers";
import { parseLabelSelector } from "../../lib/k8s/labelSelector";
import { kubeTransport } from "../../sidecar/src/source/transport";
import { SourceStore } from "../../sidecar/src/source/store";
import { FakeApiServer, type Obj } from "./fakeApi";
import { RecordingSink, ingress, node } from "./fakes";

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("reflectors against a fake API server", () => {
  it("lists, follows watch events, restarts after a 500 and relists after a 410", async () => {
    const api = new FakeApiServer();
    const port = await api.listen();
    const target: KubeTarget = { server: `http://127.0.0.1:${port}`, tls: { rejectUnauthorized: false }, authorization: () => undefined };
    const put = (o: Obj) => api.ingresses.set(`${String((o.metadata as Obj).namespace)}/${String((o.metadata as Obj).name)}`, o);
    put(ingress("web", "a", ["a.apps.example.com"], ["10.0.0.1"]));
    api.nodes.set("w1", node("w1", "10.0.0.1"));

    const logger = createMemoryLogger();
    const sink = new RecordingSink();
    let ctl: Controller | undefined;
    const store = new SourceStore(
      { zones: ["apps.example.com"], namespaces: [], maxTargets: 64, fallbackSelector: (() => { const r = parseLabelSelector("x=y"); return r.ok ? r.requirements : []; })() },
      () => ctl?.schedule(),
    );
    const watches = createKubeWatches(kubeTransport(target), store, { enableServices: false, enableHttpRoutes: false });
    assert.deepEqual(watches.map((w) => w.name), ["Ingress", "Node"]);
    ctl = new Controller(
      { zones: ["apps.example.com"], allDroppedRule: "keep-last", maxTargets: 64, debounceMs: 10, maxDelayMs: 50,
        watchBackoff: { initialMs: 50, maxMs: 200 } },
      { source: store, watches, sink, logger },
    );
    const names = () => [...(sink.last?.records.keys() ?? [])].sort();
    try {
      await ctl.start();
      await until(() => names().join() === "a.apps.example.com");
      assert.equal(ctl.health().ready, true);

      await until(() => api.ingressWatches.length === 1);
      api.event("ADDED", ingress("web", "b", ["b.apps.example.com"], ["10.0.0.1"]));
      await until(() => names().join() === "a.apps.example.com,b.apps.example.com");

      // The watch ends, the reflector re-watches by itself and gets a 500: it stops and
      // emits an error; the controller starts it again after the backoff.
      api.nextIngressWatchStatus.push(500);
      api.closeIngressWatches();
      await until(() => ctl?.metrics.watchRestarts.get({ kind: "Ingress" }) === 1);
      await until(() => api.ingressWatches.length === 1);
      api.event("ADDED", ingress("web", "c", ["c.apps.example.com"], ["10.0.0.1"]));
      await until(() => names().length === 3);

      // 410 Gone on the next watch: the reflector relists; an object deleted while
      // the watch was away disappears through the relist.
      api.ingresses.delete("web/a");
      api.rv += 10;
      api.nextIngressWatchStatus.push(410);
      const listsBefore = api.requests.filter((r) => r === "LIST /apis/networking.k8s.io/v1/ingresses").length;
      api.closeIngressWatches();
      await until(() => names().join() === "b.apps.example.com,c.apps.example.com");
      const listsAfter = api.requests.filter((r) => r === "LIST /apis/networking.k8s.io/v1/ingresses").length;
      assert.equal(listsAfter, listsBefore + 1, "a 410 relists");
      assert.equal(ctl.metrics.watchRestarts.get({ kind: "Ingress" }), 1, "a 410 is not an error");
      assert.equal(ctl.health().live, true);
    } finally {
      await ctl.stop();
      await api.close();
    }
  });
});
