/**
 * The ingress-path features wired in startSidecar (store -> plan -> sink, the node check fed from
 * each snapshot and feeding the store back), with a hand-driven clock and a scripted connector.
 * The real API server, kwok's pods and real sockets are in test/rig/ingressController.test.ts
 * and test/rig/nodeCheck.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startSidecar } from "../../sidecar/src/app";
import { createMemoryLogger } from "../../sidecar/src/log";
import { validateSidecarSettings } from "../../sidecar/src/settings";
import { InMemoryWatch } from "../../sidecar/src/watch";
import { FakeClock, RecordingSink, ingress, node, pod } from "./fakes";

describe("startSidecar with an ingress controller and the node check", () => {
  it("follows controller pod readiness and the check's verdicts, and reports both in /metrics", async () => {
    const result = validateSidecarSettings({
      zones: "apps.example.com",
      "ingress-controller-namespace": "ingress", "ingress-controller-selector": "app=ing", "ingress-controller-classes": "nginx",
      "node-check": "true", "node-check-ports": "80", "node-check-interval-ms": "1000", "node-check-timeout-ms": "100", "node-check-fall": "2", "node-check-rise": "1",
    });
    assert.ok(result.ok);
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const refusing = new Set<string>();
    const checked: string[] = [];
    const sidecar = await startSidecar({ ...result.settings, httpPort: 0 }, {
      logger: createMemoryLogger(),
      sink,
      clock,
      watches: async () => [new InMemoryWatch("Ingress"), new InMemoryWatch("Node"), new InMemoryWatch("Pod")],
      connect: async (ip) => {
        checked.push(ip);
        return !refusing.has(ip);
      },
      httpHost: "127.0.0.1",
    });
    const A = "a.apps.example.com";
    const served = () => sink.last?.records.get(A);
    try {
      await sidecar.started;
      const { store } = sidecar;
      store.upsert("Node", node("w1", "10.0.0.1"));
      store.upsert("Node", node("w2", "10.0.0.2"));
      store.upsert("Node", node("w3", "10.0.0.3"));
      store.upsert("Pod", pod("c1", "w1", { ns: "ingress" }));
      store.upsert("Pod", pod("c2", "w2", { ns: "ingress" }));
      store.upsert("Ingress", ingress("web", "a", [A], ["10.0.0.1", "10.0.0.2", "10.0.0.3"], { className: "nginx" }));
      store.upsert("Ingress", ingress("web", "b", ["b.apps.example.com"], [], { className: "nginx" }));
      await sidecar.controller.reconcileNow();
      assert.deepEqual(served(), ["10.0.0.1", "10.0.0.2"], "w3 runs no controller pod");
      assert.deepEqual(sink.last?.records.get("b.apps.example.com"), ["10.0.0.1", "10.0.0.2"], "empty status: the nodes with a Ready controller pod");

      store.upsert("Pod", pod("c2", "w2", { ns: "ingress", ready: false }));
      await sidecar.controller.reconcileNow();
      assert.deepEqual(served(), ["10.0.0.1"]);
      assert.deepEqual(sink.last?.records.get("b.apps.example.com"), ["10.0.0.1"]);
      store.upsert("Pod", pod("c2", "w2", { ns: "ingress" }));
      await sidecar.controller.reconcileNow();

      // The check covers every node IP an entry lists (w3's too), served or not.
      await clock.advance(1000);
      assert.deepEqual([...new Set(checked)].sort(), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
      refusing.add("10.0.0.1");
      await clock.advance(1000);
      assert.deepEqual(served(), ["10.0.0.1", "10.0.0.2"], "one failure: still in");
      await clock.advance(1000); // second failure: down, and the store schedules a reconcile
      await clock.advance(result.settings.maxDelayMs);
      await sidecar.controller.idle();
      assert.deepEqual(served(), ["10.0.0.2"]);
      assert.deepEqual(sink.last?.nodeIps, ["10.0.0.2"]);
      const metrics = sidecar.controller.metrics.render();
      assert.match(metrics, /^cdns_sidecar_node_check_up\{ip="10.0.0.1",node="w1"\} 0$/m);
      assert.match(metrics, /^cdns_sidecar_node_check_up\{ip="10.0.0.2",node="w2"\} 1$/m);
      assert.match(metrics, /^cdns_sidecar_controller_ready_nodes 2$/m);
      assert.match(metrics, /^cdns_sidecar_watch_up\{kind="Pod"\} 1$/m);

      refusing.delete("10.0.0.1");
      await clock.advance(1000); // rise 1
      await clock.advance(result.settings.maxDelayMs);
      await sidecar.controller.idle();
      assert.deepEqual(served(), ["10.0.0.1", "10.0.0.2"]);
    } finally {
      const stopped = sidecar.stop();
      await clock.advance(1000);
      await stopped;
    }
  });
});
