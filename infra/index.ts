/**
 * The rancher-cdns stack: a Rancher (RKE2) cluster on vSphere with static-IP
 * cDNS nodes, the cDNS workload on them, the sidecar image, an optional HAProxy
 * VM, and the outputs the iDNS consumes.
 *
 * Config is read and validated first (infra/config.ts): a bad stack fails with
 * every problem listed before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import * as rancher2 from "@pulumi/rancher2";
import { CdnsMachinePool, CdnsWorkload, HaproxyVm, RancherCluster, SidecarImage } from "../components";
import { loadStackConfig } from "./config";
import { VsphereProvider, vsphereServerAddress } from "../lib/vsphere";
import { renderForwarding, type ForwardingOutput } from "../lib/render/forwarding";
import { cdnsAddresses as cdnsAddressesOf, forwardingInput, workloadChartProps } from "../lib/stack/derive";
import { version as packageVersion } from "../package.json";

const { config, secrets } = loadStackConfig();

const rancherProvider = new rancher2.Provider("rancher", {
  apiUrl: config.rancher.apiUrl,
  tokenKey: secrets.rancherToken,
  insecure: config.rancher.insecure,
});

const cdnsPools = config.cdns.nodes.map(
  (node) =>
    new CdnsMachinePool(`cdns-${node.index}`, {
      node,
      network: config.cdns.network,
      vsphere: config.vsphere,
      clusterName: config.cluster.name,
      vm: config.cdns.vm,
      labels: config.cdns.labels,
      rancherProvider,
    }),
);

const cluster = new RancherCluster(config.cluster.name, {
  cluster: config.cluster,
  vsphere: config.vsphere,
  vspherePassword: secrets.vspherePassword,
  cdnsPools,
  rancherProvider,
});

const sidecar = new SidecarImage("cdns-sidecar", {
  image: config.sidecar.image,
  registry: config.sidecar.registry,
  registryPassword: secrets.registryPassword,
  version: packageVersion,
});

new CdnsWorkload(
  "cdns",
  { chart: workloadChartProps(config), sidecarImage: sidecar.ref },
  { provider: cluster.provider, dependsOn: [cluster] },
);

let haproxy: HaproxyVm | undefined;
if (config.haproxy !== undefined) {
  const vsphereProvider = new VsphereProvider("vsphere", {
    user: config.vsphere.username,
    password: secrets.vspherePassword,
    vsphereServer: vsphereServerAddress(config.vsphere.server, config.vsphere.port),
    allowUnverifiedSsl: config.vsphere.insecure,
  });
  haproxy = new HaproxyVm(
    "haproxy",
    {
      haproxy: config.haproxy,
      zones: config.zones,
      cdnsAddresses: cdnsAddressesOf(config),
      network: config.cdns.network,
      vsphere: config.vsphere,
      statsPassword: secrets.haproxyStatsPassword,
    },
    { providers: [vsphereProvider] },
  );
}

/** Static IPs of the cDNS nodes, primary first: the forwarders of every zone. */
export const cdnsAddresses: string[] = cdnsAddressesOf(config);
/** The zones the cDNS serves. */
export const zones: readonly string[] = config.zones;
/** Kubeconfig of the cluster (secret). */
export const kubeconfig: pulumi.Output<string> = cluster.kubeconfig; // RancherCluster already marks it secret
/** The sidecar image the pods run: digest-pinned when built here. */
export const sidecarImage: pulumi.Output<string> = sidecar.ref;
/** Ready-to-use iDNS configuration: BIND, Unbound, dnsmasq, CoreDNS, Windows DNS, and delegation records in authoritative mode. */
export const forwarding: ForwardingOutput = renderForwarding(forwardingInput(config));
/** The HAProxy VM's address, or undefined when the VM is not enabled. */
export const haproxyAddress: pulumi.Output<string> | undefined = haproxy?.address;
