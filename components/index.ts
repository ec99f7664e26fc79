/** The package's components, one per file. */
export { CdnsMachinePool, type CdnsMachinePoolArgs } from "./cdnsMachinePool";
export { RancherCluster, type RancherClusterArgs } from "./rancherCluster";
export { CdnsWorkload, type CdnsWorkloadArgs } from "./cdnsWorkload";
export { SidecarImage, type SidecarImageArgs } from "./sidecarImage";
export { DnsmasqImage, type DnsmasqImageArgs } from "./dnsmasqImage";
export { HaproxyVm, type HaproxyVmArgs } from "./haproxyVm";
