/**
 * CdnsMachinePool: the Rancher machine config of one cDNS node and the
 * machine-pool entry that RancherCluster puts into `ClusterV2.rkeConfig`.
 *
 * A pool is an entry of ClusterV2, not a resource of its own (FACTS.md), so this
 * component creates the `MachineConfigV2` (the VM: template clone, size,
 * placement, cloud-init with the static address) and exposes the pool entry as
 * a plain input object. The pool is what makes the node a cDNS node:
 * - quantity exactly 1: the node owns one static IP, so two machines would
 *   fight over it. Rancher's machine health check recreates it when it dies;
 * - `machineLabels` (these become node labels; `labels` does not):
 *   `purpose=cdns` and the node's index, so cdns-<i> lands on node <i>;
 * - taints `purpose=cdns:NoSchedule` and `:NoExecute`: only the cDNS pod runs there;
 * - rollingUpdate maxSurge 0: a replacement never boots beside the old machine
 *   with the same address; the old one goes first (maxUnavailable 1).
 */
import * as pulumi from "@pulumi/pulumi";
import * as rancher2 from "@pulumi/rancher2";
import type { CdnsNodeConfig, StaticNetworkConfig, VmSize, VsphereConfig } from "../lib/config/types";
import {
  CDNS_INDEX_LABEL,
  CDNS_PURPOSE_KEY,
  CDNS_PURPOSE_VALUE,
  DEFAULT_CDNS_LABELS,
  DEFAULT_CDNS_UNHEALTHY_NODE_TIMEOUT_SECONDS,
  DEFAULT_CDNS_VM,
  DEFAULT_VSPHERE_CFGPARAMS,
} from "../lib/config/defaults";
import { renderCdnsCloudConfig } from "../lib/render/cloudConfig";

/** A cDNS pool always has exactly one machine: it owns one static IP. Not configurable. */
export const CDNS_POOL_QUANTITY = 1;
/** Old machine first, then the new one: never two machines with one address. */
export const CDNS_ROLLING_UPDATE = { maxSurge: "0", maxUnavailable: "1" } as const;

export type MachinePool = rancher2.types.input.ClusterV2RkeConfigMachinePool;
export type VsphereMachineConfig = rancher2.types.input.MachineConfigV2VsphereConfig;

/** Name of the cDNS pool at `index` inside the cluster. */
export function cdnsPoolName(index: number): string {
  return `cdns-${index}`;
}

/**
 * The `vsphereConfig` of a machine config: a full clone of the template,
 * sized and placed per the stack config. Shared with RancherCluster's
 * control-plane and worker pools, which get no `cloudConfig` (they use DHCP).
 */
export function vsphereMachineConfig(vsphere: VsphereConfig, vm: VmSize, cloudConfig?: string): VsphereMachineConfig {
  return {
    creationType: "template",
    cloneFrom: vsphere.template,
    // The driver takes every number as a string; memory and disk in MB.
    cpuCount: String(vm.cpus),
    memorySize: String(vm.memoryMb),
    diskSize: String(vm.diskGb * 1024),
    datacenter: vsphere.datacenter,
    datastore: vsphere.datastore,
    pool: vsphere.resourcePool,
    folder: vsphere.folder,
    networks: [...vsphere.networks],
    vcenter: vsphere.server,
    vcenterPort: String(vsphere.port),
    cfgparams: [...DEFAULT_VSPHERE_CFGPARAMS],
    ...(cloudConfig !== undefined ? { cloudConfig } : {}),
  };
}

export interface CdnsMachinePoolArgs {
  /** The node: its index (pool position among the cDNS pools), static IP and hostname (`config.cdns.nodes[i]`). */
  readonly node: CdnsNodeConfig;
  /** Prefix, gateway, resolvers and NIC of the static address (`config.cdns.network`). */
  readonly network: StaticNetworkConfig;
  /** vCenter, placement and template to clone (`config.vsphere`). */
  readonly vsphere: VsphereConfig;
  /** Cluster name; prefixes the machine config's generated name. */
  readonly clusterName: string;
  /** VM size. @default DEFAULT_CDNS_VM */
  readonly vm?: VmSize;
  /**
   * Extra node labels. `purpose` and the index label are always set by the pool
   * and win over these. @default DEFAULT_CDNS_LABELS (none)
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Seconds a NotReady node waits before Rancher replaces it.
   * @default DEFAULT_CDNS_UNHEALTHY_NODE_TIMEOUT_SECONDS
   */
  readonly unhealthyNodeTimeoutSeconds?: number;
  /** Rancher provider for the MachineConfigV2. @default undefined (inherited from opts / the default provider) */
  readonly rancherProvider?: rancher2.Provider;
}

export class CdnsMachinePool extends pulumi.ComponentResource {
  /** Position among the cDNS pools: 0 is the primary. */
  readonly index: number;
  /** The node's static IPv4 address. */
  readonly ip: string;
  /** `node.hostname` from the config. Not applied to the VM: Rancher names the machine (`<cluster>-cdns-<i>-...`). */
  readonly hostname: string;
  /** The cloud-init user data given to the VM (no secrets in it). */
  readonly cloudConfig: string;
  /** Name Rancher gave the machine config. */
  readonly machineConfigName: pulumi.Output<string>;
  /** The `ClusterV2.rkeConfig.machinePools[]` entry for this node. */
  readonly machinePool: MachinePool;

  constructor(name: string, args: CdnsMachinePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rancher-cdns:rancher:CdnsMachinePool", name, {}, opts);
    const { node } = args;
    const vm = args.vm ?? DEFAULT_CDNS_VM;
    const userLabels = args.labels ?? DEFAULT_CDNS_LABELS;
    const unhealthyNodeTimeoutSeconds = args.unhealthyNodeTimeoutSeconds ?? DEFAULT_CDNS_UNHEALTHY_NODE_TIMEOUT_SECONDS;

    this.index = node.index;
    this.ip = node.ip;
    this.hostname = node.hostname;
    // No hostname: Rancher names the host after the machine and the node after the host (see renderCdnsCloudConfig).
    this.cloudConfig = renderCdnsCloudConfig({ ip: node.ip, network: args.network });

    const machineConfig = new rancher2.MachineConfigV2(
      `${name}-machine-config`,
      {
        generateName: `${args.clusterName}-${cdnsPoolName(node.index)}`,
        vsphereConfig: vsphereMachineConfig(args.vsphere, vm, this.cloudConfig),
      },
      { parent: this, ...(args.rancherProvider !== undefined ? { provider: args.rancherProvider } : {}) },
    );
    this.machineConfigName = machineConfig.name;

    this.machinePool = {
      name: cdnsPoolName(node.index),
      quantity: CDNS_POOL_QUANTITY,
      workerRole: true,
      controlPlaneRole: false,
      etcdRole: false,
      machineLabels: {
        ...userLabels,
        [CDNS_PURPOSE_KEY]: CDNS_PURPOSE_VALUE,
        [CDNS_INDEX_LABEL]: String(node.index),
      },
      taints: [
        { key: CDNS_PURPOSE_KEY, value: CDNS_PURPOSE_VALUE, effect: "NoSchedule" },
        { key: CDNS_PURPOSE_KEY, value: CDNS_PURPOSE_VALUE, effect: "NoExecute" },
      ],
      rollingUpdate: { ...CDNS_ROLLING_UPDATE },
      // A dead node cannot be drained; waiting for it would only delay the replacement.
      drainBeforeDelete: false,
      unhealthyNodeTimeoutSeconds,
      machineConfig: { kind: machineConfig.kind, name: machineConfig.name },
    };

    this.registerOutputs({ index: this.index, ip: this.ip, hostname: this.hostname, machineConfigName: this.machineConfigName });
  }
}
