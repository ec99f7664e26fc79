/**
 * CdnsMachinePool: the Rancher machine config of one cDNS node and the
 * machine-pool entry that RancherCluster puts into `ClusterV2.rkeConfig`.
 *
 * A pool is an entry of ClusterV2, not a resource of its own (rancher2 13.x), so this
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
import type { StaticNetworkConfig, VmSize } from "../lib/config/types";
import {
  DEFAULT_CDNS_LABELS,
  DEFAULT_CDNS_UNHEALTHY_NODE_TIMEOUT_SECONDS,
  DEFAULT_CDNS_VM,
} from "../lib/config/defaults";
import { CDNS_NODE_TAINTS, cdnsNodeLabels } from "../lib/stack/derive";
import {
  cdnsVsphereMachineConfig,
  machineConfigFingerprint,
  type MachinePlacement,
  type VsphereMachineConfig,
} from "../lib/stack/machineConfig";

// Moved to lib/stack/machineConfig.ts (pure, shared with the replacement guard); re-exported for importers.
export { vsphereMachineConfig, type VsphereMachineConfig } from "../lib/stack/machineConfig";

/** A cDNS pool always has exactly one machine: it owns one static IP. Not configurable. */
export const CDNS_POOL_QUANTITY = 1;
/** Old machine first, then the new one: never two machines with one address. */
export const CDNS_ROLLING_UPDATE = { maxSurge: "0", maxUnavailable: "1" } as const;

export type MachinePool = rancher2.types.input.ClusterV2RkeConfigMachinePool;

/** Name of the cDNS pool at `index` inside the cluster. */
export function cdnsPoolName(index: number): string {
  return `cdns-${index}`;
}

export interface CdnsMachinePoolArgs {
  /** The node: its index (position among the cDNS pools, 0 = primary) and static IPv4 address. */
  readonly node: { readonly index: number; readonly ip: string };
  /** Prefix, gateway, resolvers and NIC of the static address (`config.cdns.network`). */
  readonly network: StaticNetworkConfig;
  /**
   * vCenter, placement and template to clone (`config.vsphere`, or a node's overrides).
   * `folder` is relative to the datacenter's VM folder (lib/vsphere/paths.ts).
   */
  readonly vsphere: MachinePlacement;
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
  /**
   * Cloud credential of this pool, for a ClusterV2 without a cluster-level
   * `cloudCredentialSecretName`. @default undefined (the cluster's)
   */
  readonly cloudCredentialSecretName?: pulumi.Input<string>;
  /** Rancher provider for the MachineConfigV2. @default undefined (inherited from opts / the default provider) */
  readonly rancherProvider?: rancher2.Provider;
}

/**
 * Usable on its own: put `machinePool` into your own `rancher2.ClusterV2`'s
 * `rkeConfig.machinePools` (after your other pools, in index order) — see
 * examples/own-cluster. RancherCluster does exactly that.
 */
export class CdnsMachinePool extends pulumi.ComponentResource {
  /** Position among the cDNS pools: 0 is the primary. */
  readonly index: number;
  /** The node's static IPv4 address. */
  readonly ip: string;
  /** The cloud-init user data given to the VM (no secrets in it). */
  readonly cloudConfig: string;
  /** The `vsphereConfig` sent to Rancher. */
  readonly vsphereConfig: VsphereMachineConfig;
  /** sha256 of `vsphereConfig`: a new value means Rancher replaces this node (lib/stack/replacement.ts). */
  readonly fingerprint: string;
  /** The machine config (the VM template Rancher's node driver uses for this pool). */
  readonly machineConfig: rancher2.MachineConfigV2;
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
    this.vsphereConfig = cdnsVsphereMachineConfig({ ip: node.ip, network: args.network, vsphere: args.vsphere, vm });
    this.cloudConfig = String(this.vsphereConfig.cloudConfig);
    this.fingerprint = machineConfigFingerprint(this.vsphereConfig);

    this.machineConfig = new rancher2.MachineConfigV2(
      `${name}-machine-config`,
      {
        generateName: `${args.clusterName}-${cdnsPoolName(node.index)}`,
        vsphereConfig: this.vsphereConfig,
      },
      { parent: this, ...(args.rancherProvider !== undefined ? { provider: args.rancherProvider } : {}) },
    );
    this.machineConfigName = this.machineConfig.name;

    this.machinePool = {
      name: cdnsPoolName(node.index),
      quantity: CDNS_POOL_QUANTITY,
      workerRole: true,
      controlPlaneRole: false,
      etcdRole: false,
      machineLabels: cdnsNodeLabels(userLabels, node.index),
      taints: CDNS_NODE_TAINTS.map((t) => ({ ...t })),
      rollingUpdate: { ...CDNS_ROLLING_UPDATE },
      // A dead node cannot be drained; waiting for it would only delay the replacement.
      drainBeforeDelete: false,
      unhealthyNodeTimeoutSeconds,
      machineConfig: { kind: this.machineConfig.kind, name: this.machineConfig.name },
      ...(args.cloudCredentialSecretName !== undefined ? { cloudCredentialSecretName: args.cloudCredentialSecretName } : {}),
    };

    this.registerOutputs({ index: this.index, ip: this.ip, fingerprint: this.fingerprint, machineConfigName: this.machineConfigName });
  }
}
