/**
 * The local stack (Pulumi.local.yaml: the cDNS workload on an existing cluster) through the real
 * Pulumi engine and the real kubernetes provider plugin, against the rig's API server with kwok
 * running the pods: up, a preview with no changes, config changes that update in place and roll
 * the pods one name server at a time, the policy pack blocking a broken stack, destroy.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { CONFIG_HASH_ANNOTATION } from "../../lib/chart/cdnsChart";
import { program } from "../../infra/program";
import { startCluster, type RigCluster } from "../../rig/cluster";
import { inlineStack, policyPackRunner, prepareEngine, type Engine } from "../../rig/engine";

const ROOT = join(__dirname, "..", "..");
const PROJECT = "rancher-cdns";
const NS = "cdns-system";
const CDNS_NODES = [
  { name: "cdns-0", ip: "192.0.2.10" },
  { name: "cdns-1", ip: "192.0.2.11" },
];
const CDNS_TAINTS = [{ key: "purpose", value: "cdns", effect: "NoSchedule" as const }, { key: "purpose", value: "cdns", effect: "NoExecute" as const }];

type Deployment = { metadata: { generation: number }; spec: { template: { metadata: { annotations: Record<string, string> } } }; status: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number } };
type Pod = { metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string }; status?: { conditions?: { type: string; status: string }[] } };

describe("the local stack through the real engine", () => {
  let cluster: RigCluster;
  let engine: Engine;
  let stack: Stack;
  let disposeStack: () => void;
  let workDir: string;

  before(async () => {
    cluster = await startCluster({ noBuild: true });
    for (const [i, w] of ["192.0.2.21", "192.0.2.22"].entries()) await cluster.createNode({ name: `worker-${i + 1}`, ip: w, labels: { "node-role.kubernetes.io/worker": "true" } });
    for (const n of CDNS_NODES) await cluster.createNode({ name: n.name, ip: n.ip, labels: { "node-role.kubernetes.io/worker": "true" }, taints: CDNS_TAINTS });
    engine = await prepareEngine({ noBuild: true, log: () => {} });
    const ws = await inlineStack({ engine, projectName: PROJECT, stackName: "local", program, projectFiles: [join(ROOT, "Pulumi.yaml"), join(ROOT, "Pulumi.local.yaml")] });
    stack = ws.stack;
    disposeStack = ws.dispose;
    workDir = ws.workDir;
    await stack.setConfig(`${PROJECT}:kubeconfig`, { value: readFileSync(cluster.kubeconfigPath, "utf8"), secret: true });
    // A second cDNS node, so a roll can be watched taking them down one at a time.
    await stack.setConfig(`${PROJECT}:existingCluster.nodes[1].name`, { value: CDNS_NODES[1]?.name as string }, true);
    await stack.setConfig(`${PROJECT}:existingCluster.nodes[1].ip`, { value: CDNS_NODES[1]?.ip as string }, true);
  });

  after(async () => {
    disposeStack?.();
    engine?.dispose();
    await cluster?.stop();
  });

  const deployment = async (name: string) => (await cluster.call("GET", `/apis/apps/v1/namespaces/${NS}/deployments/${name}`)).json<Deployment>();
  /** dnsmasq.conf as the pods of `name` read it: the ConfigMap their volume names. */
  const podDnsmasqConf = async (name: string) => {
    const d = (await cluster.call("GET", `/apis/apps/v1/namespaces/${NS}/deployments/${name}`)).json<{ spec: { template: { spec: { volumes: { name: string; configMap?: { name: string } }[] } } } }>();
    const cm = d.spec.template.spec.volumes.find((v) => v.name === "config")?.configMap?.name as string;
    return (await cluster.call("GET", `/api/v1/namespaces/${NS}/configmaps/${cm}`)).json<{ data: Record<string, string> }>().data["dnsmasq.conf"] as string;
  };
  const configMaps = async () => (await cluster.call("GET", `/api/v1/namespaces/${NS}/configmaps`)).json<{ items: { metadata: { name: string } }[] }>().items
    .map((c) => c.metadata.name).filter((n) => n.startsWith("cdns-dnsmasq"));

  it("up creates the workload; both Deployments are ready on their kwok cDNS nodes", async () => {
    const started = Date.now();
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    process.stdout.write(`# first up: ${((Date.now() - started) / 1000).toFixed(1)} s, ${JSON.stringify(up.summary.resourceChanges)}\n`);
    for (const name of ["cdns-0", "cdns-1"]) assert.equal((await deployment(name)).status.readyReplicas, 1, name);
    // Each pod runs on its own labelled cDNS node.
    const pods = (await cluster.call("GET", `/api/v1/namespaces/${NS}/pods`)).json<{ items: { spec: { nodeName: string }; metadata: { labels: Record<string, string> } }[] }>().items;
    assert.deepEqual(pods.map((p) => `${p.metadata.labels["app.kubernetes.io/instance"]}@${p.spec.nodeName}`).sort(), ["cdns-0@cdns-0", "cdns-1@cdns-1"]);
    const outputs = await stack.outputs();
    assert.deepEqual(outputs.cdnsAddresses?.value, ["192.0.2.10", "192.0.2.11"]);
    assert.match(String((outputs.forwarding?.value as { bind?: string }).bind), /forwarders \{ 192\.0\.2\.10; 192\.0\.2\.11; \}/);
  });

  it("a second preview reports no changes (no perpetual diff)", async () => {
    const preview = await stack.preview();
    const changes = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
    assert.deepEqual(changes, [], `preview wants changes: ${JSON.stringify(preview.changeSummary)}`);
  });

  it("a TTL change updates in place and rolls the pods, one name server at a time", async () => {
    const before0 = await deployment("cdns-0");
    // Watch the pods' readiness while the update runs: at no moment may both be down.
    let stop = false;
    let bothDown = 0;
    let samples = 0;
    const watcher = (async () => {
      while (!stop) {
        const pods = (await cluster.call("GET", `/api/v1/namespaces/${NS}/pods`)).json<{ items: Pod[] }>().items;
        const readyFor = (instance: string) => pods.some((p) => p.metadata.labels["app.kubernetes.io/instance"] === instance && p.metadata.deletionTimestamp === undefined
          && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true);
        samples++;
        if (!readyFor("cdns-0") && !readyFor("cdns-1")) bothDown++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await stack.setConfig(`${PROJECT}:cdns.ttlSeconds`, { value: "30" }, true);
    const up = await stack.up();
    stop = true;
    await watcher;
    assert.equal(up.summary.result, "succeeded");
    const changes = up.summary.resourceChanges ?? {};
    assert.equal(changes.replace ?? 0, 0, `nothing is replaced: ${JSON.stringify(changes)}`);
    // A new content-named ConfigMap, both Deployments switched to it (one after the other), the old ConfigMap removed.
    assert.deepEqual({ create: changes.create, update: changes.update, delete: changes.delete }, { create: 1, update: 2, delete: 1 }, JSON.stringify(changes));
    const after0 = await deployment("cdns-0");
    assert.notEqual(after0.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION], before0.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION], "the config hash rolls the pod");
    assert.ok(after0.metadata.generation > before0.metadata.generation);
    for (const d of ["cdns-0", "cdns-1"]) assert.ok((await podDnsmasqConf(d)).split("\n").includes("local-ttl=30"), d);
    assert.equal((await configMaps()).length, 1, "the old config's ConfigMap is removed after the update");
    assert.ok(samples > 10, `readiness sampled ${samples} times`);
    assert.equal(bothDown, 0, "both cDNS pods were down at the same moment during the roll");
  });

  it("a zones change updates in place", async () => {
    await stack.setConfig(`${PROJECT}:zones[1]`, { value: "apps2.local.example.com" }, true);
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.summary.resourceChanges?.replace ?? 0, 0);
    const outputs = await stack.outputs();
    assert.deepEqual(outputs.zones?.value, ["apps.local.example.com", "apps2.local.example.com"]);
    assert.ok((await podDnsmasqConf("cdns-0")).split("\n").some((l) => l.startsWith("server=/apps2.local.example.com/127.0.0.1#")), "the new zone is forwarded to the responder like the first");
  });

  it("the policy pack runs during preview and blocks a broken stack; nothing changes", async () => {
    const pack = policyPackRunner(join(ROOT, "policy"));
    // The policy pack passes the real program.
    const ok = await stack.preview({ policyPacks: [pack] });
    assert.equal(Object.entries(ok.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0).length, 0);
    // A deliberately broken program: the same stack with its Deployments at two replicas.
    const broken = await inlineStack({
      engine,
      projectName: PROJECT,
      stackName: "local",
      workDir,
      program: async () => {
        pulumi.runtime.registerResourceTransform((args) => {
          if (args.type !== "kubernetes:yaml/v2:ConfigGroup") return undefined;
          const objs = (args.props as { objs?: pulumi.Input<unknown[]> }).objs;
          if (objs === undefined) return undefined;
          const twice = pulumi.output(objs).apply((os) => (os as Record<string, unknown>[]).map((o) =>
            o.kind === "Deployment" ? { ...o, spec: { ...(o.spec as object), replicas: 2 } } : o));
          return { props: { ...args.props, objs: twice }, opts: args.opts };
        });
        return program();
      },
    });
    try {
      await assert.rejects(broken.stack.preview({ policyPacks: [pack] }), /cdns-deployment-single-replica-recreate|replicas/);
      await assert.rejects(broken.stack.up({ policyPacks: [pack] }), /cdns-deployment-single-replica-recreate|replicas/);
    } finally {
      broken.dispose();
    }
    assert.equal((await deployment("cdns-0")).status.readyReplicas, 1);
    const again = await stack.preview();
    assert.equal(Object.entries(again.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0).length, 0, "the blocked update changed nothing");
  });

  it("destroy removes everything, the namespace included", async () => {
    const res = await stack.destroy();
    assert.equal(res.summary.result, "succeeded");
    const deadline = Date.now() + 60_000;
    let status = 200;
    while (Date.now() < deadline) {
      status = (await cluster.request("GET", `/api/v1/namespaces/${NS}`)).status;
      if (status === 404) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 404, "the namespace is gone (finalized by the controller-manager)");
    assert.equal((await cluster.request("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/cdns-sidecar")).status, 404);
    // The labels the program put on the nodes go with the stack.
    const node = (await cluster.call("GET", "/api/v1/nodes/cdns-0")).json<{ metadata: { labels: Record<string, string> } }>();
    assert.equal(node.metadata.labels.purpose, undefined);
  });
});
