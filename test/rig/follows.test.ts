/**
 * The sidecar against a real API server with real dnsmasq answering: Ingresses, their status,
 * node health and the fallback targets, as a user's cluster produces them.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CDNS_TAINTS, SidecarRig, WORKER, ZONE } from "./harness";

describe("sidecar on a real API server", () => {
  let rig: SidecarRig;
  before(async () => {
    rig = await SidecarRig.start({
      nodes: [
        { name: "w1", ip: "10.0.0.11", labels: WORKER },
        { name: "w2", ip: "10.0.0.12", labels: WORKER },
        { name: "w3", ip: "10.0.0.13", labels: WORKER },
        // A cDNS node: Rancher gives its pool the worker role too.
        { name: "cdns-0", ip: "10.0.0.2", labels: { ...WORKER, purpose: "cdns" }, taints: CDNS_TAINTS },
      ],
    });
    await rig.sidecar.started;
  });
  after(async () => {
    await rig?.stop();
  });

  it("follows an Ingress: created, status patched, host changed, deleted", async () => {
    const name = `web.${ZONE}`;
    await rig.createIngress("team-a", "web", [name], ["10.0.0.11", "10.0.0.12"]);
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12"]);
    await rig.setIngressStatus("team-a", "web", ["10.0.0.13"]);
    await rig.waitAddresses(name, ["10.0.0.13"]);
    const renamed = `www.${ZONE}`;
    await rig.cluster.call("PATCH", "/apis/networking.k8s.io/v1/namespaces/team-a/ingresses/web",
      [{ op: "replace", path: "/spec/rules/0/host", value: renamed }], "application/json-patch+json");
    await rig.waitAddresses(renamed, ["10.0.0.13"]);
    await rig.waitAddresses(name, []);
    assert.equal((await rig.answer(name)).rcode, "NXDOMAIN");
    await rig.cluster.call("DELETE", "/apis/networking.k8s.io/v1/namespaces/team-a/ingresses/web");
    await rig.waitAddresses(renamed, []);
    assert.equal((await rig.http("/readyz")).status, 200);
  });

  it("an empty status serves the Ready fallback nodes, never the tainted cDNS node", async () => {
    const name = `empty.${ZONE}`;
    await rig.createIngress("team-a", "empty", [name]);
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
    // The cDNS node matches the default selector (worker=true) but carries the purpose=cdns taint.
    assert.ok(!(await rig.addresses(name)).includes("10.0.0.2"));
    await rig.cluster.call("DELETE", "/apis/networking.k8s.io/v1/namespaces/team-a/ingresses/empty");
    await rig.waitAddresses(name, []);
  });

  it("a node going NotReady, cordoned or deleted leaves the answers within 1 s; a deleted node's IP stays out while a status lists it", async () => {
    const name = `shop.${ZONE}`;
    await rig.createIngress("team-b", "shop", [name], ["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12", "10.0.0.13"]);

    // NotReady through kwok, with its delay annotations at zero so the clock starts at the patch.
    const started = performance.now();
    await rig.cluster.call("PATCH", "/api/v1/nodes/w1", {
      metadata: {
        labels: { "node-not-ready.stage.kwok.x-k8s.io": "true" },
        annotations: { "node-not-ready.stage.kwok.x-k8s.io/delay": "0s", "node-not-ready.stage.kwok.x-k8s.io/jitter-delay": "0s" },
      },
    }, "application/merge-patch+json");
    await rig.waitAddresses(name, ["10.0.0.12", "10.0.0.13"], 3000);
    const notReadyMs = performance.now() - started;
    await rig.cluster.waitNodeReady("w1", false);
    assert.ok(notReadyMs < 1000, `NotReady node left the answers after ${notReadyMs.toFixed(0)} ms`);
    await rig.cluster.setNodeNotReady("w1", false);
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12", "10.0.0.13"], 3000);

    // Cordon (spec.unschedulable), then uncordon.
    const cordonAt = performance.now();
    await rig.cluster.call("PATCH", "/api/v1/nodes/w2", { spec: { unschedulable: true } }, "application/merge-patch+json");
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.13"], 1000);
    assert.ok(performance.now() - cordonAt < 1000);
    await rig.cluster.call("PATCH", "/api/v1/nodes/w2", { spec: { unschedulable: null } }, "application/merge-patch+json");
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12", "10.0.0.13"], 1000);

    // Deleted while the Ingress status still lists it (Rancher deletes the Node first).
    const deleteAt = performance.now();
    await rig.cluster.call("DELETE", "/api/v1/nodes/w3");
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12"], 1000);
    assert.ok(performance.now() - deleteAt < 1000);
    // Unrelated changes re-plan; the deleted node's IP must not come back.
    await rig.createIngress("team-b", "other", [`other.${ZONE}`], ["10.0.0.12"]);
    await rig.waitAddresses(`other.${ZONE}`, ["10.0.0.12"]);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await rig.addresses(name), ["10.0.0.11", "10.0.0.12"]);
    // The controller rewrites the status; a node with that IP joins later: it is served again.
    await rig.setIngressStatus("team-b", "shop", ["10.0.0.11", "10.0.0.12"]);
    await rig.cluster.createNode({ name: "w3b", ip: "10.0.0.13", labels: WORKER });
    await rig.cluster.waitNodeReady("w3b", true);
    await rig.setIngressStatus("team-b", "shop", ["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
  });

  it("nodes.<zone> lists the healthy nodes that serve a name", async () => {
    await rig.waitAddresses(`nodes.${ZONE}`, ["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
  });
});
