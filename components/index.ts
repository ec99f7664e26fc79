/** The package's components, one per file. */
export {
  CDNS_POOL_QUANTITY,
  CDNS_ROLLING_UPDATE,
  CdnsMachinePool,
  cdnsPoolName,
  type CdnsMachinePoolArgs,
  type MachinePool,
} from "./cdnsMachinePool";
export {
  CONTROL_PLANE_POOL_NAME,
  orderMachinePools,
  RancherCluster,
  WORKER_POOL_NAME,
  type IndexedMachinePool,
  type RancherClusterArgs,
} from "./rancherCluster";
export { CdnsWorkload, type CdnsWorkloadArgs } from "./cdnsWorkload";
export { SidecarImage, type SidecarImageArgs } from "./sidecarImage";
export { DnsmasqImage, type DnsmasqImageArgs } from "./dnsmasqImage";
export { HaproxyVm, type HaproxyVmArgs } from "./haproxyVm";
