/** Defaults of the stack configuration, applied once, with `??`, by validateStackConfig(). */
import type { VmSize } from "./types";

/** TTL of ingress answers. Short, because targets change when nodes come and go. */
export const DEFAULT_TTL_SECONDS = 5;
export const DEFAULT_DNS_PORT = 53;
/** Directory dnsmasq watches (`--hostsdir`) and the sidecar writes; an emptyDir in the pod. */
export const DEFAULT_HOSTS_DIR = "/var/run/cdns/hosts.d";
/** File the sidecar writes inside the hosts directory. */
export const DEFAULT_HOSTS_FILE = "ingress.hosts";
export const DEFAULT_INTERFACE_NAME = "ens192";
export const DEFAULT_VSPHERE_PORT = 443;
export const DEFAULT_CDNS_VM: VmSize = { cpus: 2, memoryMb: 4096, diskGb: 40 };
export const DEFAULT_HAPROXY_VM: VmSize = { cpus: 2, memoryMb: 2048, diskGb: 20 };
export const DEFAULT_HAPROXY_MAX_SERVERS = 32;
/** Fallback targets when an Ingress has no status: Ready worker nodes. */
export const DEFAULT_FALLBACK_NODE_SELECTOR = "node-role.kubernetes.io/worker=true";
/** dnsmasq image: Debian 12 ships dnsmasq 2.90 (the duplicate-records bug was fixed in 2.88). */
export const DEFAULT_DNSMASQ_IMAGE = "ghcr.io/example/cdns-dnsmasq:2.90";
/** Namespace of the cDNS workload. */
export const DEFAULT_NAMESPACE = "cdns-system";
/** Sidecar HTTP port for /healthz, /readyz and /metrics. */
export const DEFAULT_SIDECAR_HTTP_PORT = 8080;
