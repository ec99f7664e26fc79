import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CdnsWorkload } from "../../components/cdnsWorkload";
import { CONFIG_HASH_ANNOTATION } from "../../lib/chart/cdnsChart";
import { promiseOf, RecordingMocks, type RecordedResource } from "../helpers/pulumi";

const mocks = new RecordingMocks();
pulumi.runtime.setMocks(mocks, "rancher-cdns", "test", false);

const IMAGE = `registry.example.com/platform/cdns-sidecar:1.0.0@sha256:${"0f".repeat(32)}`;
const DNSMASQ_IMAGE = `registry.example.com/platform/cdns-dnsmasq:1.0.0@sha256:${"1e".repeat(32)}`;

/** Synthesized objects are untyped JSON; `any` lets the test walk them. */
type Obj = any;

test("CdnsWorkload: a shared ConfigGroup plus one per Deployment, together exactly the chart, with the pinned images", async () => {
  const provider = new k8s.Provider("k8s", { kubeconfig: "not-used-under-mocks" });
  // The image arrives as an Output, as it does from SidecarImage.
  const sidecarImage = pulumi.output(new Promise<string>((r) => setTimeout(() => r(IMAGE), 5)));
  const workload = new CdnsWorkload(
    "cdns",
    {
      chart: { zones: ["apps.example.com"], nodes: [{ index: 0, ip: "192.0.2.10" }, { index: 1, ip: "192.0.2.11" }], ttlSeconds: 7, dnsmasqImage: DNSMASQ_IMAGE },
      sidecarImage,
    },
    { providers: [provider] },
  );
  const objs = (await promiseOf(workload.manifests)) as Obj[];
  const urn = await promiseOf(workload.shared.urn);
  for (const d of workload.deployments) await promiseOf(d.urn);
  const groups = mocks.ofType("kubernetes:yaml/v2:ConfigGroup").filter((g) => g.name.startsWith("cdns-"));
  assert.deepEqual(groups.map((g) => g.name).sort(), ["cdns-cdns-0", "cdns-cdns-1", "cdns-shared"]);
  for (const g of groups) {
    assert.equal(g.inputs["skipAwait"], false, "the engine awaits each Deployment before the next one");
    assert.match(g.provider ?? "", /::pulumi:providers:kubernetes::k8s::/, "the provider from opts reaches every ConfigGroup");
  }
  assert.match(urn, /rancher-cdns:k8s:CdnsWorkload\$kubernetes:yaml\/v2:ConfigGroup::cdns-shared$/, "child of the component");

  const byName = (n: string) => (groups.find((g) => g.name === n) as RecordedResource).inputs["objs"] as Obj[];
  const shared = byName("cdns-shared");
  assert.ok(shared.every((o) => o.kind !== "Deployment"));
  assert.deepEqual(byName("cdns-cdns-0").map((o) => `${o.kind}/${o.metadata.name}`), ["Deployment/cdns-0"]);
  assert.deepEqual(byName("cdns-cdns-1").map((o) => `${o.kind}/${o.metadata.name}`), ["Deployment/cdns-1"]);
  const sent = [...shared, ...byName("cdns-cdns-0"), ...byName("cdns-cdns-1")];
  const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  assert.deepEqual(sent.map(key).sort(), objs.map(key).sort(), "the engine receives exactly the synthesized objects, each once");
  const deployments = sent.filter((o) => o.kind === "Deployment");
  assert.deepEqual(deployments.map((d) => d.metadata.name), ["cdns-0", "cdns-1"]);
  for (const d of deployments) {
    const sidecar = d.spec.template.spec.initContainers.find((c: Obj) => c.name === "sidecar"); // a native sidecar
    assert.equal(sidecar.image, IMAGE);
    assert.equal(d.spec.replicas, 1);
    assert.equal(d.spec.strategy.type, "Recreate");
  }
  const conf: string = sent.find((o) => o.kind === "ConfigMap").data["dnsmasq.conf"];
  assert.ok(conf.split("\n").includes("local-ttl=7"));

  assert.equal(workload.namespace, "cdns-system");
  assert.deepEqual(workload.deploymentNames, ["cdns-0", "cdns-1"]);
  const hash = await promiseOf(workload.configHash);
  assert.equal(hash, deployments[0].spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]);
});

test("CdnsWorkload: namespace and skipAwait come from args; a single `provider` option works too", async () => {
  const provider = new k8s.Provider("k8s-single", { kubeconfig: "not-used-under-mocks" });
  const workload = new CdnsWorkload(
    "other",
    {
      chart: { zones: ["apps.example.com"], nodes: [{ index: 0, ip: "192.0.2.10" }], namespace: "dns", dnsmasqImage: DNSMASQ_IMAGE },
      sidecarImage: IMAGE,
      skipAwait: true,
    },
    { provider },
  );
  await promiseOf(workload.shared.urn);
  for (const d of workload.deployments) await promiseOf(d.urn);
  const groups = mocks.ofType("kubernetes:yaml/v2:ConfigGroup").filter((r) => r.name.startsWith("other-"));
  assert.deepEqual(groups.map((g) => g.name).sort(), ["other-cdns-0", "other-shared"]);
  for (const g of groups) {
    assert.equal(g.inputs["skipAwait"], true);
    assert.match(g.provider ?? "", /::pulumi:providers:kubernetes::k8s-single::/);
  }
  assert.equal(workload.namespace, "dns");
  const sent = groups.flatMap((g) => g.inputs["objs"] as Obj[]);
  assert.ok(sent.filter((o) => o.kind === "Deployment").every((d) => d.metadata.namespace === "dns"));
  assert.deepEqual(sent.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name), ["dns"]);
});
