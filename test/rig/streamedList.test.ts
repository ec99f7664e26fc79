/**
 * How the sidecar lists, on a real API server both ways: streamed (a watch with
 * sendInitialEvents, the WatchList feature, on by default in kube-apiserver 1.37) and paged, on
 * an API server with the feature gate off, as clusters before 1.34 run. Same data, same answers;
 * the page counter tells which way it went. The RBAC difference: a streamed list is a watch, so
 * on such a server a role without "list" works, while a paged list needs it.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startCluster } from "../../rig/cluster";
import { SidecarRig, WORKER, ZONE, chartRbacObjects } from "./harness";

const COUNT = 120;

async function servesAll(rig: SidecarRig): Promise<number> {
  for (let i = 0; i < COUNT; i++) await rig.createIngress("apps", `app-${i}`, [`app-${i}.${ZONE}`], [i % 2 === 0 ? "10.0.0.11" : "10.0.0.12"]);
  await rig.startSidecar({ "list-page-size": "50" });
  await rig.waitHttp("/readyz", 200);
  for (const i of [0, 1, 59, COUNT - 1]) await rig.waitAddresses(`app-${i}.${ZONE}`, [i % 2 === 0 ? "10.0.0.11" : "10.0.0.12"]);
  const metrics = await rig.http("/metrics");
  return Number(/^cdns_sidecar_list_pages_total\{kind="Ingress"\} (\d+)$/m.exec(metrics.body)?.[1]);
}

const nodes = [
  { name: "w1", ip: "10.0.0.11", labels: WORKER },
  { name: "w2", ip: "10.0.0.12", labels: WORKER },
];

describe("lists on a real API server", () => {
  const rigs: SidecarRig[] = [];
  after(async () => {
    for (const r of rigs) await r.stop();
  });

  it("streams them where the API server can: one list, then the same response is the watch", async () => {
    const rig = await SidecarRig.start({ startSidecar: false, nodes });
    rigs.push(rig);
    assert.equal(await servesAll(rig), 1);
    // The stream goes on as the watch: a change after the list arrives through it.
    await rig.setIngressStatus("apps", "app-3", ["10.0.0.11"]);
    await rig.waitAddresses(`app-3.${ZONE}`, ["10.0.0.11"]);
  });

  it("pages them where the API server refuses streamed lists (WatchList off), and needs \"list\" there", async () => {
    const cluster = await startCluster({ noBuild: true, apiServerArgs: ["--feature-gates=WatchList=false"] });
    const rig = await SidecarRig.start({ cluster, startSidecar: false, nodes });
    rigs.push(rig);
    assert.ok((await servesAll(rig)) >= COUNT / 50, "paged, 50 per page");
    await rig.setIngressStatus("apps", "app-3", ["10.0.0.11"]);
    await rig.waitAddresses(`app-3.${ZONE}`, ["10.0.0.11"]);
    // Without "list" on ingresses a restarted sidecar names it (a streamed list would not need it).
    await rig.stopSidecar();
    const role = structuredClone(chartRbacObjects().find((o) => o.kind === "ClusterRole")) as { rules: { resources: string[]; verbs: string[] }[] };
    for (const r of role.rules) if (r.resources.includes("ingresses")) r.verbs = r.verbs.filter((v) => v !== "list");
    await rig.cluster.apply([role as unknown as Record<string, unknown>]);
    await rig.startSidecar();
    await rig.waitHttp("/readyz", 503, /cannot list resource "ingresses"/);
  });
});
