/**
 * Your own Rancher cluster, with rancher-cdns as a library: this program creates its own
 * `rancher2.ClusterV2` (your pools, your settings) and puts the cDNS machine pools into it,
 * then runs the cDNS workload on the cluster. Nothing here is the rancher-cdns stack; only its
 * components are used:
 * - `CdnsMachinePool`: per cDNS node, the vSphere machine config (template clone, static IP by
 *   cloud-init) and the `machinePools[]` entry (quantity 1, labels, taints, maxSurge 0);
 * - `CdnsWorkload`: the cDNS pods on those nodes, through your cluster's Kubernetes provider;
 * - `SidecarImage` / `DnsmasqImage`: here prebuilt images passed through (give them a registry
 *   instead to build and push them).
 *
 * Placement values below are examples: replace them with yours.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as rancher2 from "@pulumi/rancher2";
import {
  CdnsMachinePool,
  CdnsWorkload,
  DnsmasqImage,
  SidecarImage,
  vsphereMachineConfig,
  type MachinePlacement,
  type StaticNetworkConfig,
} from "rancher-cdns";

const config = new pulumi.Config();

const clusterName = "prod";
const zones = ["apps.prod.example.com"];
/** The cDNS nodes: primary first; the iDNS forwards the zones to these addresses. */
const cdnsNodes = [
  { index: 0, ip: "192.0.2.10" },
  { index: 1, ip: "192.0.2.11" },
];
const network: StaticNetworkConfig = {
  prefixLength: 24,
  gateway: "192.0.2.1",
  nameservers: ["198.51.100.53"],
  searchDomains: [],
  interfaceName: "ens192",
};
const vsphere: MachinePlacement = {
  server: "vcenter.example.com",
  port: 443,
  datacenter: "dc1",
  datastore: "ds-prod-01",
  resourcePool: "/dc1/host/cluster1/Resources/prod",
  // Relative to the datacenter's VM folder: /dc1/vm/rancher/prod.
  folder: "rancher/prod",
  networks: ["pg-prod"],
  template: "ubuntu-2204-cloudinit",
};

// Your cluster's own pieces: a cloud credential and the machine configs of your pools.
const credential = new rancher2.CloudCredential("vsphere", {
  name: `${clusterName}-vsphere`,
  vsphereCredentialConfig: {
    vcenter: vsphere.server,
    vcenterPort: String(vsphere.port),
    username: config.require("vsphereUsername"),
    password: config.requireSecret("vspherePassword"),
  },
});
const controlPlaneConfig = new rancher2.MachineConfigV2("control-plane", {
  generateName: `${clusterName}-control-plane`,
  vsphereConfig: vsphereMachineConfig(vsphere, { cpus: 4, memoryMb: 8192, diskGb: 60 }),
});
const workerConfig = new rancher2.MachineConfigV2("workers", {
  generateName: `${clusterName}-workers`,
  vsphereConfig: vsphereMachineConfig(vsphere, { cpus: 8, memoryMb: 16384, diskGb: 100 }),
});

// The cDNS pools: each creates its machine config and hands you its pool entry.
const cdnsPools = cdnsNodes.map((node) => new CdnsMachinePool(`cdns-${node.index}`, { node, network, vsphere, clusterName }));

const cluster = new rancher2.ClusterV2(clusterName, {
  name: clusterName,
  kubernetesVersion: "v1.33.5+rke2r1",
  cloudCredentialSecretName: credential.id,
  rkeConfig: {
    machinePools: [
      {
        name: "control-plane", quantity: 3, controlPlaneRole: true, etcdRole: true, workerRole: false,
        machineConfig: { kind: controlPlaneConfig.kind, name: controlPlaneConfig.name },
      },
      {
        name: "workers", quantity: 3, workerRole: true,
        machineConfig: { kind: workerConfig.kind, name: workerConfig.name },
      },
      // After your own pools, in index order: Rancher applies labels and taints by position.
      ...cdnsPools.map((p) => p.machinePool),
    ],
  },
});
const sync = new rancher2.ClusterSync(clusterName, { clusterId: cluster.clusterV1Id });
const kubeconfigOfCluster = pulumi.secret(sync.kubeConfig);
const provider = new k8s.Provider(clusterName, { kubeconfig: kubeconfigOfCluster });

const sidecar = new SidecarImage("cdns-sidecar", { image: config.require("sidecarImage") });
const dnsmasq = new DnsmasqImage("cdns-dnsmasq", { image: config.require("dnsmasqImage") });
new CdnsWorkload(
  "cdns",
  { chart: { zones, nodes: cdnsNodes, ttlSeconds: 5 }, sidecarImage: sidecar.ref, dnsmasqImage: dnsmasq.ref },
  { provider, dependsOn: [sync] },
);

/** Where the iDNS forwards the zones. */
export const cdnsAddresses = cdnsNodes.map((n) => n.ip);
export const kubeconfig = kubeconfigOfCluster;
