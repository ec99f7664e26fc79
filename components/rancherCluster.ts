/**
 * RancherCluster: an RKE2 cluster on vSphere provisioned by Rancher, with the
 * cDNS pools, plus a Kubernetes provider for what runs inside it.
 *
 * Creates a vSphere cloud credential (the vCenter password stays a secret),
 * machine configs for the control-plane and worker pools, the ClusterV2, and a
 * ClusterSync that waits until Rancher reports the cluster active, so the
 * kubeconfig (and the provider built from it) is only used on a live cluster.
 *
 * It takes the CdnsMachinePool components rather than creating them: each
 * component creates what it is named after, the stack program keeps the pools
 * (their IPs feed the workload and the stack outputs), and the cluster only
 * decides where their entries go.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as rancher2 from "@pulumi/rancher2";
import type { ClusterConfig, VsphereConfig } from "../lib/config/types";
import { vsphereMachineConfig } from "../lib/stack/machineConfig";
import { rkeClusterSettings } from "../lib/stack/rkeConfig";
import type { CdnsMachinePool, MachinePool } from "./cdnsMachinePool";

export const CONTROL_PLANE_POOL_NAME = "control-plane";
export const WORKER_POOL_NAME = "workers";
/** ClusterSync: confirm the active state this many times (5 s apart) before handing out the kubeconfig. */
export const DEFAULT_CLUSTER_STATE_CONFIRM = 2;

/** What the pool order needs from a cDNS pool. */
export interface IndexedMachinePool {
  readonly index: number;
  readonly machinePool: MachinePool;
}

/**
 * Pool order: control plane, workers, then the cDNS pools by index.
 *
 * Why fixed: Rancher applies a pool's labels and taints by its position in the
 * list (a known issue of Rancher's machine pools). Were the cDNS pools first, adding one would
 * shift every later pool and move `purpose=cdns` taints onto workers. Appended
 * in index order, adding node N+1 only appends; the regular pools never move.
 * (Removing a node other than the last does shift the later cDNS pools:
 * remove from the end.)
 */
export function orderMachinePools(
  controlPlane: MachinePool,
  workers: MachinePool,
  cdnsPools: readonly IndexedMachinePool[],
): MachinePool[] {
  const sorted = [...cdnsPools].sort((a, b) => a.index - b.index);
  sorted.forEach((p, i) => {
    if (p.index !== i) {
      throw new Error(`RancherCluster: cDNS pool indices must be 0..${sorted.length - 1} without gaps or repeats; got ${sorted.map((x) => x.index).join(", ")}`);
    }
  });
  return [controlPlane, workers, ...sorted.map((p) => p.machinePool)];
}

export interface RancherClusterArgs {
  /** Name, RKE2 version, pool sizes, CNI, certificate names and registries (`config.cluster`). */
  readonly cluster: ClusterConfig;
  /**
   * Certificate names beyond `cluster.tlsSan`, e.g. the HAProxy address when it balances the
   * API (clusterTlsSans() in lib/stack/derive.ts). @default []
   */
  readonly additionalTlsSan?: readonly string[];
  /** vCenter, placement and template (`config.vsphere`). */
  readonly vsphere: VsphereConfig;
  /** vCenter password (`secrets.vspherePassword`); stored in the cloud credential as a secret. */
  readonly vspherePassword: pulumi.Input<string>;
  /** The cDNS pools, indices 0..n-1; their entries go after the regular pools in index order. */
  readonly cdnsPools: readonly CdnsMachinePool[];
  /** Rancher provider for every Rancher resource. @default undefined (inherited from opts / the default provider) */
  readonly rancherProvider?: rancher2.Provider;
  /** Times ClusterSync confirms the active state. @default DEFAULT_CLUSTER_STATE_CONFIRM */
  readonly stateConfirm?: number;
}

export class RancherCluster extends pulumi.ComponentResource {
  /** Rancher's v1 cluster id (`c-m-...`). */
  readonly clusterId: pulumi.Output<string>;
  /** The cluster's kubeconfig once it is active. Secret. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for the cluster, built from `kubeconfig`. */
  readonly provider: k8s.Provider;
  /** Names of the machine pools in ClusterV2 order. */
  readonly poolNames: readonly string[];

  constructor(name: string, args: RancherClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rancher-cdns:rancher:RancherCluster", name, {}, opts);
    const { cluster, vsphere } = args;
    const stateConfirm = args.stateConfirm ?? DEFAULT_CLUSTER_STATE_CONFIRM;
    const rancherOpts: pulumi.CustomResourceOptions = {
      parent: this,
      ...(args.rancherProvider !== undefined ? { provider: args.rancherProvider } : {}),
    };

    const credential = new rancher2.CloudCredential(`${name}-vsphere`, {
      name: `${cluster.name}-vsphere`,
      description: `vCenter ${vsphere.server} for cluster ${cluster.name} (rancher-cdns)`,
      vsphereCredentialConfig: {
        vcenter: vsphere.server,
        vcenterPort: String(vsphere.port),
        username: vsphere.username,
        password: pulumi.secret(args.vspherePassword),
      },
    }, rancherOpts);

    const controlPlaneConfig = new rancher2.MachineConfigV2(`${name}-control-plane`, {
      generateName: `${cluster.name}-${CONTROL_PLANE_POOL_NAME}`,
      vsphereConfig: vsphereMachineConfig(vsphere, cluster.controlPlane),
    }, rancherOpts);
    const workerConfig = new rancher2.MachineConfigV2(`${name}-workers`, {
      generateName: `${cluster.name}-${WORKER_POOL_NAME}`,
      vsphereConfig: vsphereMachineConfig(vsphere, cluster.workers),
    }, rancherOpts);

    const controlPlane: MachinePool = {
      name: CONTROL_PLANE_POOL_NAME,
      quantity: cluster.controlPlane.quantity,
      controlPlaneRole: true,
      etcdRole: true,
      workerRole: false,
      drainBeforeDelete: true,
      machineConfig: { kind: controlPlaneConfig.kind, name: controlPlaneConfig.name },
    };
    const workers: MachinePool = {
      name: WORKER_POOL_NAME,
      quantity: cluster.workers.quantity,
      controlPlaneRole: false,
      etcdRole: false,
      workerRole: true,
      drainBeforeDelete: true,
      machineConfig: { kind: workerConfig.kind, name: workerConfig.name },
    };
    const machinePools = orderMachinePools(controlPlane, workers, args.cdnsPools);
    this.poolNames = machinePools.map((p) => String(p.name));

    const tlsSan = [...cluster.tlsSan, ...(args.additionalTlsSan ?? []).filter((s) => !cluster.tlsSan.includes(s))];
    const clusterV2 = new rancher2.ClusterV2(`${name}-cluster`, {
      name: cluster.name,
      kubernetesVersion: cluster.kubernetesVersion,
      cloudCredentialSecretName: credential.id,
      rkeConfig: { machinePools, ...rkeClusterSettings(cluster, tlsSan) },
    }, rancherOpts);
    this.clusterId = clusterV2.clusterV1Id;

    const sync = new rancher2.ClusterSync(`${name}-sync`, {
      clusterId: clusterV2.clusterV1Id,
      stateConfirm,
    }, rancherOpts);
    this.kubeconfig = pulumi.secret(sync.kubeConfig);

    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });

    this.registerOutputs({ clusterId: this.clusterId, kubeconfig: this.kubeconfig, poolNames: this.poolNames });
  }
}
