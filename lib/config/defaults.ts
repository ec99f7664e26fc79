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
/** Namespace of the cDNS workload. */
export const DEFAULT_NAMESPACE = "cdns-system";
/** Sidecar HTTP port for /healthz, /readyz and /metrics. */
export const DEFAULT_SIDECAR_HTTP_PORT = 8080;
/**
 * Node label and taint marking a cDNS node (`purpose=cdns`, taints `purpose=cdns:NoSchedule` and
 * `purpose=cdns:NoExecute`): the machine pool sets them, the chart selects and tolerates them,
 * the policy pack checks them.
 */
export const CDNS_PURPOSE_KEY = "purpose";
export const CDNS_PURPOSE_VALUE = "cdns";
/** Node label with the cDNS node's index, so Deployment cdns-<i> lands on node <i> and nowhere else. */
export const CDNS_INDEX_LABEL = "cdns.rancher-cdns.io/index";

/* Defaults applied by validateStackConfig() (lib/config/validate.ts) and the Rancher components. */

/** Control-plane pool (etcd + control plane): three nodes keep etcd quorum through one loss. */
export const DEFAULT_CONTROL_PLANE_POOL = { quantity: 3, cpus: 4, memoryMb: 8192, diskGb: 60 } as const;
/** Worker pool: the ingress targets. */
export const DEFAULT_WORKER_POOL = { quantity: 3, cpus: 4, memoryMb: 8192, diskGb: 80 } as const;
export const DEFAULT_SEARCH_DOMAINS: readonly string[] = [];
export const DEFAULT_CDNS_LABELS: Readonly<Record<string, string>> = {};
/** Watch every namespace. */
export const DEFAULT_WATCH_NAMESPACES: readonly string[] = [];
export const DEFAULT_VSPHERE_INSECURE = false;
export const DEFAULT_RANCHER_INSECURE = false;
/** Forwarding mode: the iDNS forwards the zones to the cDNS nodes. */
export const DEFAULT_AUTHORITATIVE = false;
export const DEFAULT_HAPROXY_KUBE_API = false;
/**
 * CNI of a created cluster: what Rancher's KDM marks as the default of RKE2's `cni` server
 * argument (RKE2 alone would pick canal). The stack always sends it, so the choice is explicit.
 */
export const DEFAULT_CNI = "calico";
/** The `cni` values RKE2 accepts (KDM `serverArgs.cni.options`, plus flannel and none). */
export const SUPPORTED_CNIS: readonly string[] = [
  "calico", "canal", "cilium", "flannel", "none", "multus,calico", "multus,canal", "multus,cilium", "multus,flannel",
];
/** Extra API server certificate names: none beyond what RKE2 and the stack add. */
export const DEFAULT_TLS_SAN: readonly string[] = [];
export const DEFAULT_REGISTRY_INSECURE = false;
/** An update that would replace every cDNS node at once is refused unless the stack opts in. */
export const DEFAULT_ALLOW_REPLACING_ALL_NODES = false;
/** Existing-cluster stacks print the node label commands rather than labelling nodes themselves. */
export const DEFAULT_LABEL_EXISTING_NODES = false;
/** The sidecar reads Ingresses (and Nodes) only, unless a source is turned on. */
export const DEFAULT_SIDECAR_SOURCES = { services: false, gatewayHttpRoutes: false } as const;
/** Name of the built dnsmasq image's repository, beside the sidecar's (see dnsmasqRepositoryFor()). */
export const DEFAULT_DNSMASQ_REPOSITORY_NAME = "cdns-dnsmasq";
/**
 * Seconds a cDNS node may stay NotReady before Rancher's machine health check
 * replaces it. 0 would disable replacement, and "Rancher recreates the node if
 * it dies" is the point of the single-node pool.
 */
export const DEFAULT_CDNS_UNHEALTHY_NODE_TIMEOUT_SECONDS = 300;
/** VM ExtraConfig for every Rancher-created VM: the vSphere CSI driver needs disk UUIDs. */
export const DEFAULT_VSPHERE_CFGPARAMS: readonly string[] = ["disk.enableUUID=TRUE"];
/** Platform of the sidecar image (the vSphere VMs are amd64). */
export const DEFAULT_SIDECAR_PLATFORM = "linux/amd64";
/** `app.kubernetes.io/name` of the cDNS objects; the policy pack recognises cDNS Deployments by it. */
export const CDNS_APP_NAME = "cdns";
