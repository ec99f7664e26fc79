import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { RecordingMocks, promiseOf } from "../helpers/pulumi";
import type { StaticNetworkConfig, VsphereConfig } from "../../lib/config/types";

const mocks = new RecordingMocks((args) =>
  args.type === "rancher2:index/machineConfigV2:MachineConfigV2"
    ? { kind: "VmwarevsphereConfig", name: `${String(args.inputs.generateName)}-x7k2p` }
    : {});
pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);

const MACHINE_CONFIG = "rancher2:index/machineConfigV2:MachineConfigV2";

const network: StaticNetworkConfig = {
  prefixLength: 24, gateway: "192.0.2.1", nameservers: ["198.51.100.53"], searchDomains: [], interfaceName: "ens192",
};
const vsphere: VsphereConfig = {
  server: "vcenter.example.com", username: "svc", port: 443, datacenter: "dc1", datastore: "ds1",
  resourcePool: "/dc1/host/c1/Resources", folder: "rancher", networks: ["pg-a", "pg-b"], template: "ubuntu-2204", insecure: false,
};

async function makePool(index: number, labels?: Record<string, string>) {
  const { CdnsMachinePool } = await import("../../components/cdnsMachinePool.js");
  const pool = new CdnsMachinePool(`qa-cdns-${index}`, {
    node: { index, ip: `192.0.2.${10 + index}` },
    network, vsphere, clusterName: "qa", ...(labels !== undefined ? { labels } : {}),
  });
  // Resolving the machine config's name means the MachineConfigV2 has been registered.
  const machineConfigName = await promiseOf(pool.machineConfigName);
  const recorded = mocks.ofType(MACHINE_CONFIG).find((r) => r.inputs.generateName === `qa-cdns-${index}`);
  assert.ok(recorded, "a MachineConfigV2 was registered for the pool");
  return { pool, machineConfigName, recorded };
}

test("the pool entry: cdns-<index>, quantity exactly 1, worker role only", async () => {
  const { pool } = await makePool(0);
  const mp = pool.machinePool;
  assert.equal(mp.name, "cdns-0");
  assert.equal(mp.quantity, 1);
  assert.equal(mp.workerRole, true);
  assert.equal(mp.controlPlaneRole, false);
  assert.equal(mp.etcdRole, false);
  assert.ok(typeof mp.unhealthyNodeTimeoutSeconds === "number" && mp.unhealthyNodeTimeoutSeconds > 0,
    "machine health check on, so Rancher replaces a dead node");
});

test("node labels via machineLabels: purpose=cdns, the index, and user labels that cannot override them", async () => {
  const { pool } = await makePool(1, { environment: "qa", purpose: "hijack" });
  assert.deepEqual(pool.machinePool.machineLabels, {
    environment: "qa",
    purpose: "cdns",
    "cdns.rancher-cdns.io/index": "1",
  });
  assert.equal(pool.machinePool.labels, undefined, "labels on the pool do not reach the nodes; machineLabels do");
});

test("taints NoSchedule and NoExecute, and rollingUpdate maxSurge 0", async () => {
  const { pool } = await makePool(2);
  assert.deepEqual(pool.machinePool.taints, [
    { key: "purpose", value: "cdns", effect: "NoSchedule" },
    { key: "purpose", value: "cdns", effect: "NoExecute" },
  ]);
  assert.deepEqual(pool.machinePool.rollingUpdate, { maxSurge: "0", maxUnavailable: "1" });
});

test("the MachineConfigV2 clones the template with the static IP in its cloudConfig", async () => {
  const { pool, machineConfigName, recorded } = await makePool(3);
  const vc = recorded.inputs.vsphereConfig as Record<string, unknown>;
  assert.equal(vc.creationType, "template");
  assert.equal(vc.cloneFrom, "ubuntu-2204");
  assert.equal(vc.cpuCount, "2");
  assert.equal(vc.memorySize, "4096");
  assert.equal(vc.diskSize, String(40 * 1024), "disk size in MB");
  assert.equal(vc.datacenter, "dc1");
  assert.equal(vc.datastore, "ds1");
  assert.equal(vc.pool, "/dc1/host/c1/Resources");
  assert.equal(vc.folder, "rancher", "relative to the datacenter's VM folder, as the node driver reads it");
  assert.deepEqual(vc.networks, ["pg-a", "pg-b"]);
  assert.equal(vc.vcenter, "vcenter.example.com");
  assert.equal(vc.vcenterPort, "443");
  assert.equal(vc.password, undefined, "no credentials in the machine config: the cloud credential carries them");

  const cloudConfig = String(vc.cloudConfig);
  assert.ok(cloudConfig.startsWith("#cloud-config\n"));
  assert.equal(cloudConfig, pool.cloudConfig);
  const doc = parse(cloudConfig) as { hostname?: string; write_files: { path: string; content: string }[] };
  assert.equal(doc.hostname, undefined, "Rancher names the host after the machine; overriding it breaks node naming");
  const netplan = doc.write_files.find((f) => f.path.startsWith("/etc/netplan/"));
  assert.match(netplan?.content ?? "", /- 192\.0\.2\.13\/24/);

  // The pool points at this machine config.
  const ref = pool.machinePool.machineConfig as { kind: pulumi.Output<string>; name: pulumi.Output<string> };
  assert.equal(await promiseOf(ref.kind), "VmwarevsphereConfig");
  assert.equal(await promiseOf(ref.name), machineConfigName);
  assert.equal(machineConfigName, "qa-cdns-3-x7k2p");
});

test("the component is registered with its type token, and names its machine config after itself", async () => {
  await makePool(4);
  const component = mocks.resources.find((r) => r.type === "rancher-cdns:rancher:CdnsMachinePool" && r.name === "qa-cdns-4");
  assert.ok(component, "component registered");
  assert.equal(component.custom, false);
  assert.ok(mocks.resources.some((r) => r.type === MACHINE_CONFIG && r.name === "qa-cdns-4-machine-config"));
});

test("the fingerprint is of exactly what Rancher receives, so the replacement guard sees every change", async () => {
  const { pool, recorded } = await makePool(5);
  const { machineConfigFingerprint } = await import("../../lib/stack/machineConfig.js");
  assert.equal(pool.fingerprint, machineConfigFingerprint(recorded.inputs.vsphereConfig as never));
  assert.deepEqual(recorded.inputs.vsphereConfig, pool.vsphereConfig);
});

test("usable without RancherCluster: a per-pool cloud credential goes into the entry", async () => {
  const { CdnsMachinePool } = await import("../../components/cdnsMachinePool.js");
  const pool = new CdnsMachinePool("own-cdns-0", {
    node: { index: 0, ip: "192.0.2.10" }, network, vsphere, clusterName: "own", cloudCredentialSecretName: "cattle-global-data:cc-abc",
  });
  assert.equal(pool.machinePool.cloudCredentialSecretName, "cattle-global-data:cc-abc");
  assert.ok(pool.machineConfig instanceof pulumi.CustomResource, "the MachineConfigV2 itself is exposed");
});
