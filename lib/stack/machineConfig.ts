/**
 * What a Rancher vSphere machine config holds, as plain data: shared by the components
 * (CdnsMachinePool, RancherCluster), the replacement guard (replacement.ts) and
 * `npm run synth`, so the fingerprint the guard compares is taken from exactly what the
 * MachineConfigV2 receives.
 */
import { createHash } from "node:crypto";
import type * as rancher2 from "@pulumi/rancher2";
import type { StaticNetworkConfig, VmSize, VsphereConfig } from "../config/types";
import { DEFAULT_VSPHERE_CFGPARAMS } from "../config/defaults";
import { renderCdnsCloudConfig } from "../render/cloudConfig";

export type VsphereMachineConfig = rancher2.types.input.MachineConfigV2VsphereConfig;

/** The placement and template part of the vSphere config a machine config reads. */
export type MachinePlacement = Pick<
  VsphereConfig,
  "server" | "port" | "datacenter" | "datastore" | "resourcePool" | "folder" | "networks" | "template"
>;

/**
 * The `vsphereConfig` of a machine config: a full clone of the template, sized and placed
 * per the stack config. The cDNS pools add their `cloudConfig` (static address); the
 * control-plane and worker pools use DHCP and get none.
 */
export function vsphereMachineConfig(vsphere: MachinePlacement, vm: VmSize, cloudConfig?: string): VsphereMachineConfig {
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
    // Relative to the datacenter's VM folder: the node driver joins it to "/<dc>/vm" (lib/vsphere/paths.ts).
    folder: vsphere.folder,
    networks: [...vsphere.networks],
    vcenter: vsphere.server,
    vcenterPort: String(vsphere.port),
    cfgparams: [...DEFAULT_VSPHERE_CFGPARAMS],
    ...(cloudConfig !== undefined ? { cloudConfig } : {}),
  };
}

/** Everything one cDNS node's machine config is made from. */
export interface CdnsMachineSettings {
  readonly ip: string;
  readonly network: StaticNetworkConfig;
  readonly vsphere: MachinePlacement;
  readonly vm: VmSize;
}

/** The cDNS node's machine config: its placement, size and the cloud-init with its static address. */
export function cdnsVsphereMachineConfig(s: CdnsMachineSettings): VsphereMachineConfig {
  // No host name: Rancher names the host after the machine and the node after the host (see renderCdnsCloudConfig).
  return vsphereMachineConfig(s.vsphere, s.vm, renderCdnsCloudConfig({ ip: s.ip, network: s.network }));
}

/** JSON with sorted keys, so the fingerprint does not depend on property order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * sha256 of a machine config's content. Rancher replaces a pool's machines when its machine
 * config changes, so two equal fingerprints mean the node is kept.
 */
export function machineConfigFingerprint(config: VsphereMachineConfig): string {
  return createHash("sha256").update(stableJson(config)).digest("hex");
}
