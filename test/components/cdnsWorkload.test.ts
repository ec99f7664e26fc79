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

test("CdnsWorkload: one ConfigGroup whose objs are the chart, with the digest-pinned sidecar image", async () => {
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
  const urn = await promiseOf(workload.configGroup.urn);
  const group: RecordedResource = mocks.one("kubernetes:yaml/v2:ConfigGroup");
  assert.equal(group.name, "cdns-manifests");
  assert.equal(group.inputs["skipAwait"], false);
  assert.match(group.provider ?? "", /::pulumi:providers:kubernetes::k8s::/, "the provider from opts reaches the ConfigGroup");
  assert.match(urn, /rancher-cdns:k8s:CdnsWorkload\$kubernetes:yaml\/v2:ConfigGroup::cdns-manifests$/, "child of the component");

  const sent = group.inputs["objs"] as Obj[];
  assert.deepEqual(sent, objs, "the engine receives exactly the synthesized objects");
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
  await promiseOf(workload.configGroup.urn);
  const group = mocks.ofType("kubernetes:yaml/v2:ConfigGroup").find((r) => r.name === "other-manifests");
  assert.ok(group !== undefined);
  assert.equal(group.inputs["skipAwait"], true);
  assert.match(group.provider ?? "", /::pulumi:providers:kubernetes::k8s-single::/);
  assert.equal(workload.namespace, "dns");
  const sent = group.inputs["objs"] as Obj[];
  assert.ok(sent.filter((o) => o.kind === "Deployment").every((d) => d.metadata.namespace === "dns"));
  assert.deepEqual(sent.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name), ["dns"]);
});
