/**
 * Answers that follow the ingress controller's Ready pods, on a real API server with real
 * dnsmasq: RKE2's ingress-nginx as a hostPort DaemonSet in kube-system (the rke2-ingress-nginx
 * preset's labels), its pods run by kwok, the sidecar bound by the chart's own Role for them.
 * How a pod is made NotReady: see controllerPods.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { INGRESS_NODE, NS, controllerDaemonSet, controllerPods, controllerRbac, setPodReady, waitPods } from "./controllerPods";
import { CDNS_TAINTS, SidecarRig, WORKER, ZONE } from "./harness";

describe("sidecar with the ingress controller's pods on a real API server", () => {
  let rig: SidecarRig;
  let podOn: (node: string) => Promise<string>;
  before(async () => {
    rig = await SidecarRig.start({
      nodes: [
        { name: "w1", ip: "10.0.0.11", labels: { ...WORKER, ...INGRESS_NODE } },
        { name: "w2", ip: "10.0.0.12", labels: { ...WORKER, ...INGRESS_NODE } },
        { name: "w3", ip: "10.0.0.13", labels: { ...WORKER, ...INGRESS_NODE } },
        // A worker where the controller does not run.
        { name: "w4", ip: "10.0.0.14", labels: WORKER },
        { name: "cdns-0", ip: "10.0.0.2", labels: { ...WORKER, ...INGRESS_NODE, purpose: "cdns" }, taints: CDNS_TAINTS },
      ],
      settings: { "ingress-controller": "rke2-ingress-nginx" },
      startSidecar: false,
    });
    await rig.cluster.apply(controllerRbac(ZONE));
    await rig.cluster.apply([controllerDaemonSet()]);
    await waitPods(rig.cluster, (ps) => ps.length === 4 && ps.every((p) => p.ready), "4 Ready pods");
    podOn = async (node) => {
      const p = (await controllerPods(rig.cluster)).find((x) => x.node === node);
      if (p === undefined) throw new Error(`no controller pod on ${node}`);
      return p.name;
    };
    await rig.startSidecar();
    await rig.sidecar.started;
  });
  after(async () => {
    await rig?.stop();
  });

  it("watches the controller's pods with the chart's namespaced Role", async () => {
    const metrics = (await rig.http("/metrics")).body;
    assert.match(metrics, /^cdns_sidecar_watch_up\{kind="Pod"\} 1$/m);
    assert.match(metrics, /^cdns_sidecar_list_pages_total\{kind="Pod"\} [1-9]/m);
    const roles = controllerRbac(ZONE);
    assert.deepEqual(roles.map((o) => [o.kind, (o.metadata as { namespace: string }).namespace]), [["Role", NS], ["RoleBinding", NS]]);
    assert.deepEqual((roles[0] as { rules: unknown }).rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
  });

  it("a controller pod NotReady: its node leaves the controller's names within 1 s, not other names; Ready again: back", async (t) => {
    const web = `web.${ZONE}`;
    const other = `other.${ZONE}`;
    // 10.99.0.1 is owned by no node (an external load balancer): kept whatever the pods do.
    await rig.createIngress("team-a", "web", [web], ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14", "10.99.0.1"], { className: "nginx" });
    await rig.createIngress("team-a", "other", [other], ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"], { className: "traefik" });
    await rig.waitAddresses(web, ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.99.0.1"]);
    await rig.waitAddresses(other, ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"]);
    assert.deepEqual(await rig.addresses(`nodes.${ZONE}`), ["10.0.0.11", "10.0.0.12", "10.0.0.13"], "nodes.<zone>: nodes with a Ready controller pod");

    const pod = await podOn("w2");
    const t0 = performance.now();
    await setPodReady(rig.cluster, pod, false);
    await rig.waitAddresses(web, ["10.0.0.11", "10.0.0.13", "10.99.0.1"], 3000);
    const outMs = performance.now() - t0;
    assert.ok(outMs < 1000, `NotReady controller pod left the answers after ${outMs.toFixed(0)} ms`);
    assert.deepEqual(await rig.addresses(other), ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"], "another class's Ingress follows node health only");
    assert.deepEqual(await rig.addresses(`nodes.${ZONE}`), ["10.0.0.11", "10.0.0.13"]);
    // Still NotReady a while later: nothing (kwok included) reverts the patched condition.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await rig.addresses(web), ["10.0.0.11", "10.0.0.13", "10.99.0.1"]);

    const t1 = performance.now();
    await setPodReady(rig.cluster, pod, true);
    await rig.waitAddresses(web, ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.99.0.1"], 3000);
    const backMs = performance.now() - t1;
    assert.ok(backMs < 1000, `Ready again after ${backMs.toFixed(0)} ms`);
    t.diagnostic(`pod NotReady patch -> out of the answers ${outMs.toFixed(0)} ms; Ready -> back ${backMs.toFixed(0)} ms`);
    assert.match((await rig.http("/metrics")).body, /^cdns_sidecar_controller_ready_nodes 4$/m);
  });

  it("an empty status: the nodes with a Ready controller pod, never the cDNS node (which runs one too)", async () => {
    const name = `empty.${ZONE}`;
    await rig.createIngress("team-b", "empty", [name], [], { className: "nginx" });
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12", "10.0.0.13"]);
    const cdnsPod = (await controllerPods(rig.cluster)).find((p) => p.node === "cdns-0");
    assert.equal(cdnsPod?.ready, true, "the controller runs, Ready, on the cDNS node");

    const pod = await podOn("w3");
    await setPodReady(rig.cluster, pod, false);
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12"], 3000);
    // The pod deleted (a rollout): the DaemonSet makes a new one, kwok makes it Ready, the node returns.
    await rig.cluster.call("DELETE", `/api/v1/namespaces/${NS}/pods/${pod}`);
    await waitPods(rig.cluster, (ps) => ps.some((p) => p.node === "w3" && p.name !== pod && p.ready), "a new Ready pod on w3");
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12", "10.0.0.13"], 3000);
    // A class the controller does not serve keeps the fallback nodes (workers, minus the cDNS node).
    await rig.createIngress("team-b", "fallback", [`fallback.${ZONE}`], [], { className: "traefik" });
    await rig.waitAddresses(`fallback.${ZONE}`, ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"]);
  });
});
