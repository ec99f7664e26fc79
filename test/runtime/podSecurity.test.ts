/**
 * The namespace's Pod Security labels against a real API server's PodSecurity admission
 * (rig/cluster.ts): the chart's pod is admitted under the chart's labels and refused under
 * `baseline` and `restricted`, so `privileged` is the loosest level that is needed, and the
 * API server keeps the native sidecar's restartPolicy.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { POD_SECURITY_LABELS, synthCdnsChart } from "../../lib/chart/cdnsChart";
import { DEFAULT_NAMESPACE } from "../../lib/config/defaults";
import { startCluster, type RigCluster } from "../../rig/cluster";

/** Synthesized manifests are untyped JSON. */
type Obj = any;

const NS = DEFAULT_NAMESPACE;
const objs: Obj[] = synthCdnsChart({
  zones: ["apps.example.com"],
  nodes: [{ index: 0, ip: "192.0.2.10" }],
  sidecarImage: `registry.example.com/cdns-sidecar:1@sha256:${"ab".repeat(32)}`,
  dnsmasqImage: `registry.example.com/cdns-dnsmasq:1@sha256:${"cd".repeat(32)}`,
}).objs;
const deployment = objs.find((o) => o.kind === "Deployment");
/** The pod the ReplicaSet controller would create from the template. */
const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "cdns-0-test", namespace: NS, labels: deployment.spec.template.metadata.labels }, spec: deployment.spec.template.spec };

let cluster: RigCluster;

before(async () => {
  cluster = await startCluster({ workloads: false });
  await cluster.apply(objs.filter((o) => o.kind !== "Deployment"));
});

after(async () => {
  await cluster?.stop();
});

const createPod = () => cluster.request("POST", `/api/v1/namespaces/${NS}/pods?dryRun=All`, pod);
const setLevel = (level: string) =>
  cluster.call("PATCH", `/api/v1/namespaces/${NS}`, { metadata: { labels: { "pod-security.kubernetes.io/enforce": level } } }, "application/merge-patch+json");

test("the chart's namespace labels admit the chart's pod", async () => {
  const ns = (await cluster.call("GET", `/api/v1/namespaces/${NS}`)).json<Obj>();
  for (const [k, v] of Object.entries(POD_SECURITY_LABELS)) assert.equal(ns.metadata.labels[k], v);
  const r = await createPod();
  assert.equal(r.status, 201, r.body);
});

test("baseline refuses it for hostPort, restricted also for dnsmasq's root: privileged is needed", async () => {
  try {
    await setLevel("baseline");
    const base = await createPod();
    assert.equal(base.status, 403, base.body);
    // hostPort is the only thing baseline has against it.
    assert.equal(
      base.json<{ message: string }>().message.replace(/^.*violates PodSecurity /, ""),
      '"baseline:v1.29": hostPort (container "dnsmasq" uses hostPort 53)',
    );
    await setLevel("restricted");
    const restricted = await createPod();
    assert.equal(restricted.status, 403);
    assert.equal(
      restricted.json<{ message: string }>().message.replace(/^.*violates PodSecurity /, ""),
      '"restricted:v1.29": hostPort (container "dnsmasq" uses hostPort 53), runAsNonRoot != true (pod or container "dnsmasq" must set securityContext.runAsNonRoot=true)',
    );
    assert.doesNotMatch(restricted.body, /container \\"sidecar\\" must/, "the sidecar itself meets restricted");
  } finally {
    await setLevel(POD_SECURITY_LABELS["pod-security.kubernetes.io/enforce"] as string);
  }
  assert.equal((await createPod()).status, 201);
});

test("the API server accepts the Deployment and keeps the native sidecar (initContainers[0].restartPolicy Always)", async () => {
  const r = await cluster.request("POST", `/apis/apps/v1/namespaces/${NS}/deployments?dryRun=All`, deployment);
  assert.equal(r.status, 201, r.body);
  const spec = r.json<Obj>().spec.template.spec;
  assert.equal(spec.initContainers[0].name, "sidecar");
  assert.equal(spec.initContainers[0].restartPolicy, "Always");
  assert.deepEqual(spec.initContainers[0].startupProbe.httpGet.path, "/startupz");
  assert.deepEqual(spec.containers.map((c: Obj) => c.name), ["dnsmasq"]);
});
