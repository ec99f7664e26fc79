/**
 * examples/own-cluster: a program of the user's own that puts the cDNS pools into its own
 * ClusterV2 and adds the workload, importing "rancher-cdns" (the package entry point) as a
 * user would. Run under Pulumi mocks (no Rancher, vCenter or rancher2 plugin here); asserted on
 * what reaches Rancher and the cluster.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, isSecretValue, promiseOf, reveal } from "../helpers/pulumi";

const SIDECAR = `registry.example.com/platform/cdns-sidecar:0.1.0@sha256:${"1".repeat(64)}`;
const DNSMASQ = `registry.example.com/platform/cdns-dnsmasq:0.1.0@sha256:${"2".repeat(64)}`;
const PASSWORD = "vc-pw-example-test";

const mocks = new RecordingMocks((args) => {
  switch (args.type) {
    case "rancher2:index/machineConfigV2:MachineConfigV2":
      return { kind: "VmwarevsphereConfig", name: `${String(args.inputs.generateName)}-z9x8w` };
    case "rancher2:index/clusterV2:ClusterV2":
      return { clusterV1Id: "c-m-prod" };
    case "rancher2:index/clusterSync:ClusterSync":
      return { kubeConfig: "apiVersion: v1\nkind: Config\n# prod" };
    default:
      return {};
  }
});
pulumi.runtime.setMocks(mocks, "own-cluster", "dev", false);
pulumi.runtime.setAllConfig({
  "own-cluster:vsphereUsername": "svc-rancher@vsphere.local",
  "own-cluster:vspherePassword": PASSWORD,
  "own-cluster:sidecarImage": SIDECAR,
  "own-cluster:dnsmasqImage": DNSMASQ,
}, ["own-cluster:vspherePassword"]);

type Pool = Record<string, unknown>;
type K8sObject = { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

const ran = (async () => {
  const outputs = (await import("../../examples/own-cluster/index.js")) as { cdnsAddresses: string[]; kubeconfig: pulumi.Output<string> };
  await promiseOf(outputs.kubeconfig);
  await new Promise((r) => setTimeout(r, 300));
  return outputs;
})();

test("the example imports the package entry point, which exports the components and their helpers", async () => {
  const lib = await import("rancher-cdns");
  for (const name of ["CdnsMachinePool", "CdnsWorkload", "SidecarImage", "DnsmasqImage", "HaproxyVm", "RancherCluster", "synthCdnsChart", "validateStackConfig", "program"]) {
    assert.equal(typeof (lib as Record<string, unknown>)[name], "function", name);
  }
  assert.equal(lib.CDNS_PURPOSE_KEY, "purpose");
  assert.equal(lib.CDNS_INDEX_LABEL, "cdns.rancher-cdns.io/index");
});

test("the user's ClusterV2 carries the cDNS pool entries after its own pools", async () => {
  await ran;
  const cluster = mocks.one("rancher2:index/clusterV2:ClusterV2");
  const pools = (reveal(cluster.inputs.rkeConfig) as { machinePools: Pool[] }).machinePools;
  assert.deepEqual(pools.map((p) => p.name), ["control-plane", "workers", "cdns-0", "cdns-1"]);
  pools.slice(2).forEach((p, index) => {
    assert.equal(p.quantity, 1, "one machine per static IP");
    assert.deepEqual(p.machineLabels, { purpose: "cdns", "cdns.rancher-cdns.io/index": String(index) });
    assert.deepEqual(p.taints, [
      { key: "purpose", value: "cdns", effect: "NoSchedule" },
      { key: "purpose", value: "cdns", effect: "NoExecute" },
    ]);
    assert.deepEqual(p.rollingUpdate, { maxSurge: "0", maxUnavailable: "1" });
    assert.deepEqual([p.workerRole, p.controlPlaneRole, p.etcdRole], [true, false, false]);
    assert.deepEqual(p.machineConfig, { kind: "VmwarevsphereConfig", name: `prod-cdns-${index}-z9x8w` });
  });
  assert.equal(cluster.inputs.kubernetesVersion, "v1.33.5+rke2r1");
});

test("each cDNS pool's machine config clones the template with the node's static address", async () => {
  await ran;
  for (const index of [0, 1]) {
    const mc = mocks.ofType("rancher2:index/machineConfigV2:MachineConfigV2").find((r) => r.inputs.generateName === `prod-cdns-${index}`);
    const vc = mc?.inputs.vsphereConfig as Record<string, string> | undefined;
    assert.equal(vc?.cloneFrom, "ubuntu-2204-cloudinit");
    assert.equal(vc?.folder, "rancher/prod");
    assert.match(vc?.cloudConfig ?? "", new RegExp(`192\\.0\\.2\\.1${index}/24`));
  }
  const cred = mocks.one("rancher2:index/cloudCredential:CloudCredential");
  assert.ok(isSecretValue(cred.inputs.vsphereCredentialConfig), "the vCenter password stays secret");
});

test("the workload's ConfigGroups hold the cDNS objects, through the user's cluster provider", async () => {
  const outputs = await ran;
  assert.deepEqual(outputs.cdnsAddresses, ["192.0.2.10", "192.0.2.11"]);
  assert.equal(await pulumi.isSecret(outputs.kubeconfig), true);
  const groups = mocks.ofType("kubernetes:yaml/v2:ConfigGroup");
  assert.ok(groups.length > 0);
  for (const g of groups) assert.ok(g.provider?.includes("pulumi:providers:kubernetes::prod"), `ConfigGroup through ${g.provider}`);
  const objs = groups.flatMap((g) => g.inputs.objs as K8sObject[]);
  const kinds = new Set(objs.map((o) => o.kind));
  for (const kind of ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "PriorityClass", "Deployment"]) {
    assert.ok(kinds.has(kind), `${kind} in the workload`);
  }
  const deployments = objs.filter((o) => o.kind === "Deployment");
  assert.deepEqual(deployments.map((d) => d.metadata.name), ["cdns-0", "cdns-1"]);
  deployments.forEach((d, index) => {
    const pod = (d.spec as { template: { spec: { nodeSelector: Record<string, string>; containers: { image: string }[]; initContainers: { image: string }[] } } }).template.spec;
    assert.deepEqual(pod.nodeSelector, { purpose: "cdns", "cdns.rancher-cdns.io/index": String(index) });
    assert.deepEqual([...pod.containers, ...pod.initContainers].map((c) => c.image).sort(), [DNSMASQ, SIDECAR]);
  });
});
