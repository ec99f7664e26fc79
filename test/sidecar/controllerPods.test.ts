/**
 * The ingress controller's pods as a source of node health: reading a pod, which Ingresses are
 * the controller's, empty-status targets, and the store's bookkeeping (counts per node, what a
 * pod change invalidates), checked against a store fed the same objects afresh.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseLabelSelector } from "../../lib/k8s/labelSelector";
import type { NodeState } from "../../sidecar/src/model";
import type { SourceContext } from "../../sidecar/src/source/context";
import { entriesFromIngress } from "../../sidecar/src/source/ingress";
import { controllerPodState } from "../../sidecar/src/source/pods";
import { SourceStore } from "../../sidecar/src/source/store";
import { trimObject } from "../../sidecar/src/source/trim";
import { rng } from "../helpers/rng";
import { ingress, node, pod } from "./fakes";

const ZONES = ["apps.example.com"];
const WORKERS = (() => {
  const r = parseLabelSelector("node-role.kubernetes.io/worker=true");
  if (!r.ok) throw new Error(r.error);
  return r.requirements;
})();

const cdnsNode = (name: string, ip: string) => {
  const n = node(name, ip) as { spec: Record<string, unknown> };
  return { ...n, spec: { taints: [{ key: "purpose", value: "cdns", effect: "NoSchedule" }] } };
};

describe("controllerPodState", () => {
  it("Ready means the Ready condition, Running and not terminating; any scheduled pod places the controller on its node", () => {
    assert.deepEqual(controllerPodState(pod("p", "w1")), { kind: "scheduled", state: { node: "w1", ready: true } });
    assert.deepEqual(controllerPodState(pod("p", "w1", { ready: false })), { kind: "scheduled", state: { node: "w1", ready: false } });
    assert.deepEqual(controllerPodState(pod("p", "w1", { deleting: true })), { kind: "scheduled", state: { node: "w1", ready: false } });
    assert.deepEqual(controllerPodState(pod("p", "w1", { phase: "Pending" })), { kind: "scheduled", state: { node: "w1", ready: false } });
    assert.deepEqual(controllerPodState(pod("p", undefined)), { kind: "unscheduled" });
    assert.deepEqual(controllerPodState({ metadata: {} }), { kind: "malformed" });
    assert.deepEqual(controllerPodState({ metadata: { name: "p" }, spec: { nodeName: "w1" }, status: { conditions: "x" } }), { kind: "scheduled", state: { node: "w1", ready: false } });
  });

  it("is trimmed to what it reads, and reads the same from the trimmed pod", () => {
    const full = pod("p", "w1", { ready: false });
    const trimmed = trimObject("Pod", full) as Record<string, unknown>;
    assert.deepEqual(trimmed, {
      metadata: { name: "p", namespace: "kube-system", labels: { "app.kubernetes.io/name": "rke2-ingress-nginx", "app.kubernetes.io/component": "controller" } },
      spec: { nodeName: "w1" },
      status: { phase: "Running", conditions: [{ type: "Initialized", status: "True" }, { type: "Ready", status: "False" }] },
    });
    assert.deepEqual(controllerPodState(trimmed), controllerPodState(full));
  });
});

describe("entriesFromIngress with an ingress controller", () => {
  const nodes: NodeState[] = [
    { name: "w1", addresses: ["10.0.0.1"], healthy: true, fallback: true, controlPlane: false, controllerPod: true, controllerReady: true },
    { name: "w2", addresses: ["10.0.0.2"], healthy: true, fallback: true, controlPlane: false, controllerPod: true, controllerReady: false },
    { name: "w3", addresses: ["10.0.0.3"], healthy: true, fallback: true, controlPlane: false, controllerPod: false, controllerReady: false },
  ];
  const ctx = (controllerClasses: readonly string[] | undefined): SourceContext => ({ zones: ZONES, nodes, namespaces: [], maxTargets: 64, ...(controllerClasses === undefined ? {} : { controllerClasses }) });

  it("marks the controller's Ingresses (spec class or legacy annotation) and no others", () => {
    const nginx = entriesFromIngress(ingress("web", "a", ["a.apps.example.com"], ["10.0.0.9"], { className: "nginx" }), ctx(["nginx"]));
    assert.deepEqual(nginx.entries, [{ hostname: "a.apps.example.com", targets: ["10.0.0.9"], owner: "Ingress/web/a", viaController: true }]);
    const legacy = entriesFromIngress(ingress("web", "b", ["b.apps.example.com"], ["10.0.0.9"], { annotations: { "kubernetes.io/ingress.class": "nginx" } }), ctx(["nginx"]));
    assert.equal(legacy.entries[0]?.viaController, true);
    const other = entriesFromIngress(ingress("web", "c", ["c.apps.example.com"], ["10.0.0.9"], { className: "traefik" }), ctx(["nginx"]));
    assert.equal(other.entries[0]?.viaController, undefined);
    const classless = entriesFromIngress(ingress("web", "d", ["d.apps.example.com"], ["10.0.0.9"]), ctx(["nginx"]));
    assert.equal(classless.entries[0]?.viaController, undefined);
    assert.equal(entriesFromIngress(ingress("web", "d", ["d.apps.example.com"], ["10.0.0.9"]), ctx(["*"])).entries[0]?.viaController, true);
    assert.equal(entriesFromIngress(ingress("web", "a", ["a.apps.example.com"], ["10.0.0.9"], { className: "nginx" }), ctx(undefined)).entries[0]?.viaController, undefined);
  });

  it("an empty status targets the nodes running a controller pod (Ready or not: the plan decides), not the fallback nodes", () => {
    const r = entriesFromIngress(ingress("web", "a", ["a.apps.example.com"], [], { className: "nginx" }), ctx(["nginx"]));
    assert.deepEqual(r.entries[0]?.targets, ["10.0.0.1", "10.0.0.2"]);
    const notOurs = entriesFromIngress(ingress("web", "b", ["b.apps.example.com"], [], { className: "traefik" }), ctx(["nginx"]));
    assert.deepEqual(notOurs.entries[0]?.targets, ["10.0.0.1", "10.0.0.2", "10.0.0.3"], "another class keeps the fallback nodes");
    const none = entriesFromIngress(ingress("web", "a", ["a.apps.example.com"], [], { className: "nginx" }), { ...ctx(["nginx"]), nodes: [] });
    assert.deepEqual(none.ignored.map((i) => [i.reason, i.detail]), [["no_targets", "no IPv4 status address and no node running an ingress controller pod"]]);
  });
});

describe("SourceStore with ingress controller pods", () => {
  const opts = { zones: ZONES, namespaces: [], maxTargets: 64, fallbackSelector: WORKERS, controllerClasses: ["nginx"] };
  const byName = (nodes: NodeState[]) => Object.fromEntries(nodes.map((n) => [n.name, [n.controllerPod, n.controllerReady]]));

  it("shows per node whether a controller pod runs and is Ready; never places it on a cDNS node", () => {
    const store = new SourceStore(opts);
    store.upsert("Node", node("w1", "10.0.0.1"));
    store.upsert("Node", node("w2", "10.0.0.2"));
    store.upsert("Node", cdnsNode("cdns-0", "10.0.0.50"));
    store.upsert("Pod", pod("a", "w1"));
    store.upsert("Pod", pod("b", "w2", { ready: false }));
    store.upsert("Pod", pod("c", "cdns-0"));
    store.upsert("Pod", pod("pending", undefined));
    assert.deepEqual(byName(store.nodes()), { w1: [true, true], w2: [true, false], "cdns-0": [false, true] });
    assert.equal(store.count("Pod"), 3);
    // A rollout: a second pod on w2 turns Ready, the old one terminates and goes.
    store.upsert("Pod", pod("b2", "w2"));
    store.upsert("Pod", pod("b", "w2", { ready: false, deleting: true }));
    store.remove("Pod", pod("b", "w2"));
    assert.deepEqual(byName(store.nodes()).w2, [true, true]);
    store.remove("Pod", pod("b2", "w2"));
    assert.deepEqual(byName(store.nodes()).w2, [false, false]);
  });

  it("without a controller configured, nodes carry no controller fields", () => {
    const store = new SourceStore({ ...opts, controllerClasses: undefined });
    store.upsert("Node", node("w1", "10.0.0.1"));
    store.upsert("Pod", pod("a", "w1"));
    assert.deepEqual(byName(store.nodes()), { w1: [undefined, undefined] });
  });

  it("signals only pod changes that alter a node's pods or Ready pods from none to some or back", () => {
    const changes: string[] = [];
    const store = new SourceStore(opts, (k) => changes.push(k));
    store.upsert("Node", node("w1", "10.0.0.1"));
    changes.length = 0;
    store.upsert("Pod", pod("a", "w1", { ready: false })); // placed
    store.upsert("Pod", pod("a", "w1", { ready: false })); // same
    store.upsert("Pod", pod("a", "w1")); // Ready
    store.upsert("Pod", pod("b", "w1")); // a second Ready pod: nothing new
    store.upsert("Pod", pod("a", "w1", { ready: false })); // b still Ready
    store.remove("Pod", pod("b", "w1")); // no Ready pod left
    store.remove("Pod", pod("a", "w1")); // none left
    store.remove("Pod", pod("a", "w1")); // already gone
    assert.deepEqual(changes, ["Pod", "Pod", "Pod", "Pod"]);
  });

  it("reports a nameless pod as malformed", () => {
    const store = new SourceStore(opts);
    store.upsert("Pod", { metadata: {}, spec: { nodeName: "w1" } });
    assert.deepEqual(store.snapshot().ignored.map((i) => [i.owner, i.reason]), [["Pod/?", "malformed_object"]]);
  });

  it("a readiness flip keeps every cached entry; a pod placed on a new node recomputes the empty-status ones", () => {
    const store = new SourceStore(opts);
    store.upsert("Node", node("w1", "10.0.0.1"));
    store.upsert("Node", node("w2", "10.0.0.2"));
    store.upsert("Pod", pod("a", "w1"));
    store.upsert("Ingress", ingress("web", "empty", ["e.apps.example.com"], [], { className: "nginx" }));
    store.upsert("Ingress", ingress("web", "set", ["s.apps.example.com"], ["10.0.0.2"], { className: "nginx" }));
    const first = store.snapshot();
    assert.deepEqual(first.entries.map((x) => x.targets), [["10.0.0.1"], ["10.0.0.2"]]);
    store.upsert("Pod", pod("a", "w1", { ready: false }));
    const second = store.snapshot();
    assert.equal(second.entries[0], first.entries[0], "health is the plan's business: same entry object");
    assert.equal(second.entries[1], first.entries[1]);
    assert.equal(second.nodes.find((n) => n.name === "w1")?.controllerReady, false);
    store.upsert("Pod", pod("b", "w2"));
    const third = store.snapshot();
    assert.deepEqual(third.entries[0]?.targets, ["10.0.0.1", "10.0.0.2"]);
    assert.equal(third.entries[1], first.entries[1], "an Ingress with a status does not read the nodes");
  });

  it("the data-path check's verdict shows as checkFailed and schedules a reconcile only when it changes", () => {
    const changes: string[] = [];
    const store = new SourceStore(opts, (k) => changes.push(k));
    store.upsert("Node", node("w1", "10.0.0.1"));
    changes.length = 0;
    store.setCheckDown(new Set(["10.0.0.1", "192.0.2.1"]));
    store.setCheckDown(new Set(["192.0.2.1", "10.0.0.1"]));
    assert.deepEqual(store.nodes().find((n) => n.name === "w1")?.checkFailed, ["10.0.0.1"]);
    store.setCheckDown(new Set());
    assert.equal(store.nodes().find((n) => n.name === "w1")?.checkFailed, undefined);
    assert.deepEqual(changes, ["Node", "Node"]);
  });

  it("a snapshot after pod, node and Ingress changes equals one from a store fed the current objects afresh", () => {
    const r = rng(11);
    const objects = new Map<string, Record<string, unknown>>();
    const nodes = new Map<string, Record<string, unknown>>();
    const pods = new Map<string, Record<string, unknown>>();
    const store = new SourceStore(opts);
    const NODES = ["w0", "w1", "w2", "w3"];
    const nodeObj = (w: string) =>
      w === "w3" && r() < 0.5 ? cdnsNode(w, `10.0.1.${w.slice(1)}`) : node(w, `10.0.1.${w.slice(1)}`, { ready: r() < 0.8, labels: r() < 0.7 ? { "node-role.kubernetes.io/worker": "true" } : {} });
    const ingressObj = (i: number) =>
      ingress("ns", `x${i}`, [`h${i}.apps.example.com`], r() < 0.4 ? [] : [`10.0.1.${Math.floor(r() * 4)}`], { className: r() < 0.7 ? "nginx" : "traefik" });
    const podObj = (p: string) => pod(p, r() < 0.1 ? undefined : NODES[Math.floor(r() * NODES.length)], { ready: r() < 0.6, deleting: r() < 0.1 });
    for (const w of NODES) {
      nodes.set(w, nodeObj(w));
      store.upsert("Node", nodes.get(w));
    }
    for (let i = 0; i < 15; i++) {
      objects.set(`x${i}`, ingressObj(i));
      store.upsert("Ingress", objects.get(`x${i}`));
    }
    for (let step = 0; step < 300; step++) {
      const what = r();
      if (what < 0.45) {
        const p = `p${Math.floor(r() * 6)}`;
        if (r() < 0.25 && pods.has(p)) {
          store.remove("Pod", pods.get(p));
          pods.delete(p);
        } else {
          pods.set(p, podObj(p));
          store.upsert("Pod", pods.get(p));
        }
      } else if (what < 0.65) {
        const w = NODES[Math.floor(r() * NODES.length)] as string;
        nodes.set(w, nodeObj(w));
        store.upsert("Node", nodes.get(w));
      } else if (what < 0.75) {
        store.setCheckDown(new Set(NODES.filter(() => r() < 0.2).map((w) => `10.0.1.${w.slice(1)}`)));
      } else {
        const i = Math.floor(r() * 15);
        objects.set(`x${i}`, ingressObj(i));
        store.upsert("Ingress", objects.get(`x${i}`));
      }
      if (r() < 0.5) continue;
      const snap = store.snapshot();
      const fresh = new SourceStore(opts);
      for (const o of nodes.values()) fresh.upsert("Node", o);
      for (const o of pods.values()) fresh.upsert("Pod", o);
      for (const o of objects.values()) fresh.upsert("Ingress", o);
      fresh.setCheckDown(new Set(snap.nodes.flatMap((n) => n.checkFailed ?? [])));
      const want = fresh.snapshot();
      assert.deepEqual(snap.entries, want.entries, `step ${step}`);
      assert.deepEqual(snap.nodes, want.nodes, `step ${step}`);
      assert.deepEqual(snap.ignored, want.ignored, `step ${step}`);
    }
  });
});
