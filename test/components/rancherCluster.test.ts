import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { RecordingMocks, isSecretValue, promiseOf, redact, reveal } from "../helpers/pulumi";
import type { ClusterConfig, StaticNetworkConfig, VsphereConfig } from "../../lib/config/types";

const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";
const PASSWORD = "vc-password-do-not-leak";

const mocks = new RecordingMocks((args) => {
  switch (args.type) {
    case "rancher2:index/machineConfigV2:MachineConfigV2":
      return { kind: "VmwarevsphereConfig", name: `${String(args.inputs.generateName)}-abcde` };
    case "rancher2:index/clusterV2:ClusterV2":
      return { clusterV1Id: "c-m-qa12345" };
    case "rancher2:index/clusterSync:ClusterSync":
      return { kubeConfig: KUBECONFIG };
    default:
      return {};
  }
});
pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);

const CLUSTER_V2 = "rancher2:index/clusterV2:ClusterV2";
const CREDENTIAL = "rancher2:index/cloudCredential:CloudCredential";
const SYNC = "rancher2:index/clusterSync:ClusterSync";

const cluster: ClusterConfig = {
  name: "qa",
  kubernetesVersion: "v1.33.5+rke2r1",
  controlPlane: { quantity: 3, cpus: 4, memoryMb: 8192, diskGb: 60 },
  workers: { quantity: 5, cpus: 8, memoryMb: 16384, diskGb: 100 },
  cni: "cilium",
  tlsSan: ["api.qa.example.com"],
  systemDefaultRegistry: "registry.example.com:5000",
  registries: {
    mirrors: [{ hostname: "docker.io", endpoints: ["https://registry.example.com:5000"], rewrites: { "^library/(.*)": "mirror/$1" } }],
    configs: [{ hostname: "registry.example.com:5000", insecure: false, authConfigSecretName: "registry-auth" }],
  },
};
const network: StaticNetworkConfig = {
  prefixLength: 24, gateway: "192.0.2.1", nameservers: ["198.51.100.53"], searchDomains: [], interfaceName: "ens192",
};
const vsphere: VsphereConfig = {
  server: "vcenter.example.com", username: "svc-rancher", port: 8443, datacenter: "dc1", datastore: "ds1",
  resourcePool: "/dc1/host/c1/Resources", folder: "rancher", networks: ["pg-a"], template: "ubuntu-2204", insecure: false,
};

type Pool = Record<string, unknown>;

/** One cluster for the whole file: the cDNS pools handed over out of order on purpose. */
const built = (async () => {
  const { CdnsMachinePool } = await import("../../components/cdnsMachinePool.js");
  const { RancherCluster } = await import("../../components/rancherCluster.js");
  const pools = [2, 0, 1].map((index) => new CdnsMachinePool(`qa-cdns-${index}`, {
    node: { index, ip: `192.0.2.${10 + index}` }, network, vsphere, clusterName: "qa",
  }));
  const rc = new RancherCluster("qa", { cluster, vsphere, vspherePassword: PASSWORD, cdnsPools: pools, additionalTlsSan: ["192.0.2.20", "api.qa.example.com"] });
  // The kubeconfig comes from ClusterSync, the last Rancher resource: once it resolves, all are registered.
  const kubeconfig = await promiseOf(rc.kubeconfig);
  await promiseOf(rc.provider.urn);
  const clusterV2 = mocks.one(CLUSTER_V2);
  const machinePools = ((clusterV2.inputs.rkeConfig as { machinePools: unknown[] }).machinePools).map((p) => reveal(p) as Pool);
  return { rc, kubeconfig, clusterV2, machinePools };
})();

test("machine pools: control plane, workers, then the cDNS pools in index order", async () => {
  const { rc, machinePools } = await built;
  assert.deepEqual(machinePools.map((p) => p.name), ["control-plane", "workers", "cdns-0", "cdns-1", "cdns-2"]);
  assert.deepEqual(rc.poolNames, ["control-plane", "workers", "cdns-0", "cdns-1", "cdns-2"]);
});

test("regular pools: roles and sizes from the config", async () => {
  const { machinePools } = await built;
  const [cp, workers] = machinePools;
  assert.deepEqual([cp?.quantity, cp?.controlPlaneRole, cp?.etcdRole, cp?.workerRole], [3, true, true, false]);
  assert.deepEqual([workers?.quantity, workers?.controlPlaneRole, workers?.etcdRole, workers?.workerRole], [5, false, false, true]);
  assert.deepEqual(cp?.machineConfig, { kind: "VmwarevsphereConfig", name: "qa-control-plane-abcde" });
  const workerConfig = mocks.ofType("rancher2:index/machineConfigV2:MachineConfigV2").find((r) => r.inputs.generateName === "qa-workers");
  const vc = workerConfig?.inputs.vsphereConfig as Record<string, unknown> | undefined;
  assert.equal(vc?.cpuCount, "8");
  assert.equal(vc?.memorySize, "16384");
  assert.equal(vc?.cloudConfig, undefined, "regular pools use DHCP: no static-address cloud-init");
});

test("cDNS pools as the engine receives them: quantity 1, labels, taints, maxSurge 0, worker only", async () => {
  const { machinePools } = await built;
  machinePools.slice(2).forEach((p, index) => {
    assert.equal(p.quantity, 1);
    assert.deepEqual(p.machineLabels, { purpose: "cdns", "cdns.rancher-cdns.io/index": String(index) });
    assert.deepEqual(p.taints, [
      { key: "purpose", value: "cdns", effect: "NoSchedule" },
      { key: "purpose", value: "cdns", effect: "NoExecute" },
    ]);
    assert.deepEqual(p.rollingUpdate, { maxSurge: "0", maxUnavailable: "1" });
    assert.deepEqual([p.workerRole, p.controlPlaneRole, p.etcdRole], [true, false, false]);
    assert.deepEqual(p.machineConfig, { kind: "VmwarevsphereConfig", name: `qa-cdns-${index}-abcde` });
  });
});

test("cloud credential: vCenter password is a secret and appears nowhere in plain", async () => {
  await built;
  const cred = mocks.one(CREDENTIAL);
  assert.ok(isSecretValue(cred.inputs.vsphereCredentialConfig), "the credential config travels as a secret");
  assert.deepEqual(reveal(cred.inputs.vsphereCredentialConfig), {
    vcenter: "vcenter.example.com", vcenterPort: "8443", username: "svc-rancher", password: PASSWORD,
  });
  for (const r of mocks.resources) {
    assert.ok(!JSON.stringify(redact(r.inputs)).includes(PASSWORD), `${r.type} ${r.name} carries the password in plain`);
  }
});

test("ClusterV2: name, RKE2 version, the cloud credential", async () => {
  const { clusterV2 } = await built;
  assert.equal(clusterV2.inputs.name, "qa");
  assert.equal(clusterV2.inputs.kubernetesVersion, "v1.33.5+rke2r1");
  assert.equal(clusterV2.inputs.cloudCredentialSecretName, "qa-vsphere-id");
});

test("ClusterV2: CNI and tls-san (extra names once each) as server args, system registry for every machine, mirrors", async () => {
  const { clusterV2 } = await built;
  const rke = reveal(clusterV2.inputs.rkeConfig) as Record<string, unknown>;
  assert.deepEqual(parse(String(rke.machineGlobalConfig)), { cni: "cilium", "tls-san": ["api.qa.example.com", "192.0.2.20"] });
  const selectors = rke.machineSelectorConfigs as { config: string; machineLabelSelector?: unknown }[];
  assert.equal(selectors.length, 1);
  assert.equal(selectors[0]?.machineLabelSelector, undefined, "no selector: every machine pulls system images from it");
  assert.deepEqual(parse(String(selectors[0]?.config)), { "system-default-registry": "registry.example.com:5000" });
  assert.deepEqual(rke.registries, {
    mirrors: [{ hostname: "docker.io", endpoints: ["https://registry.example.com:5000"], rewrites: { "^library/(.*)": "mirror/$1" } }],
    configs: [{ hostname: "registry.example.com:5000", insecure: false, authConfigSecretName: "registry-auth" }],
  });
});

test("ClusterSync waits on the cluster; kubeconfig is a secret; the provider uses it", async () => {
  const { rc, kubeconfig } = await built;
  const sync = mocks.one(SYNC);
  assert.equal(sync.inputs.clusterId, "c-m-qa12345");
  assert.ok(Number(sync.inputs.stateConfirm) >= 1);
  assert.equal(kubeconfig, KUBECONFIG);
  assert.equal(await pulumi.isSecret(rc.kubeconfig), true);
  assert.equal(await promiseOf(rc.clusterId), "c-m-qa12345");
  const provider = mocks.one("pulumi:providers:kubernetes");
  assert.ok(isSecretValue(provider.inputs.kubeconfig), "the provider's kubeconfig input is secret");
  assert.equal(reveal(provider.inputs.kubeconfig), KUBECONFIG);
  assert.ok(mocks.resources.some((r) => r.type === "rancher-cdns:rancher:RancherCluster" && r.name === "qa"));
});

test("orderMachinePools rejects gaps and repeats in the cDNS indices", async () => {
  const { orderMachinePools } = await import("../../components/rancherCluster.js");
  const pool = (name: string) => ({ name, machineConfig: { kind: "k", name } });
  const order = orderMachinePools(pool("cp"), pool("w"), [{ index: 1, machinePool: pool("b") }, { index: 0, machinePool: pool("a") }]);
  assert.deepEqual(order.map((p) => p.name), ["cp", "w", "a", "b"]);
  assert.throws(() => orderMachinePools(pool("cp"), pool("w"), [{ index: 0, machinePool: pool("a") }, { index: 2, machinePool: pool("c") }]), /without gaps/);
  assert.throws(() => orderMachinePools(pool("cp"), pool("w"), [{ index: 0, machinePool: pool("a") }, { index: 0, machinePool: pool("a2") }]), /without gaps or repeats/);
});
