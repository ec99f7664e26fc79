/**
 * The stack configuration after validation: the one shape every part of the
 * package reads. `infra/config.ts` reads the raw Pulumi config, hands it to
 * `validateStackConfig()` (lib/config/validate.ts), which collects every
 * problem at once and, when there are none, returns this shape with every
 * default applied from the constants in lib/config/defaults.ts.
 *
 * Secrets are not in here: they are read separately as `pulumi.Output<string>`
 * secrets (see `StackSecrets`) so they can never leak into a plain value.
 */
import type { Input } from "@pulumi/pulumi";

/** A cDNS node: one single-node Rancher machine pool with a static IP. */
export interface CdnsNodeConfig {
  /** Position in `cdns.nodes`: 0 is the primary, 1.. are secondaries. Derived, not configured. */
  readonly index: number;
  /** Static IPv4 address of the node, e.g. "192.0.2.10". */
  readonly ip: string;
  /** VM hostname. @default `${cluster.name}-cdns-${index}` */
  readonly hostname: string;
}

/** Network settings shared by the static-IP VMs (cDNS nodes and the HAProxy VM). */
export interface StaticNetworkConfig {
  /** Prefix length of the subnet the static IPs live in, e.g. 24. */
  readonly prefixLength: number;
  /** Default gateway, inside the subnet. */
  readonly gateway: string;
  /** Resolvers the node itself uses (the iDNS), not the cDNS. */
  readonly nameservers: readonly string[];
  /** Search domains for the node's resolver. @default [] */
  readonly searchDomains: readonly string[];
  /** Guest NIC name inside the template. @default "ens192" */
  readonly interfaceName: string;
}

/** Authoritative mode: the iDNS delegates the zones (NS + glue) instead of forwarding. */
export interface AuthoritativeConfig {
  readonly enabled: boolean;
  /** SOA hostmaster mailbox as a domain name. @default `hostmaster.${zones[0]}` */
  readonly hostmaster: string;
  /** Name server names are derived, one per cDNS node: see `nsName()` in lib/dns/names.ts. */
}

/** VM size. */
export interface VmSize {
  readonly cpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
}

/** A node pool of the cluster other than the cDNS pools. */
export interface NodePoolConfig extends VmSize {
  readonly quantity: number;
}

export interface CdnsConfig {
  /** The cDNS nodes, primary first. At least one. */
  readonly nodes: readonly CdnsNodeConfig[];
  readonly network: StaticNetworkConfig;
  /** VM size of each cDNS node. @default DEFAULT_CDNS_VM */
  readonly vm: VmSize;
  /** Extra node labels on the cDNS nodes (purpose=cdns and the index are always set). @default {} */
  readonly labels: Readonly<Record<string, string>>;
  /** TTL in seconds of the answers dnsmasq gives for ingress names. @default DEFAULT_TTL_SECONDS */
  readonly ttlSeconds: number;
  readonly authoritative: AuthoritativeConfig;
}

export interface VsphereConfig {
  /** vCenter host name or address. */
  readonly server: string;
  /** vCenter user. The password is the secret `vspherePassword`. */
  readonly username: string;
  /** @default 443 */
  readonly port: number;
  readonly datacenter: string;
  readonly datastore: string;
  /** Resource pool path, e.g. "/dc1/host/cluster1/Resources". */
  readonly resourcePool: string;
  /** VM folder, e.g. "/dc1/vm/rancher". */
  readonly folder: string;
  /** Port group names for the VMs' NICs; the first carries the static IP. */
  readonly networks: readonly string[];
  /** VM template (or content-library item) to clone, with cloud-init installed. */
  readonly template: string;
  /** Skip TLS verification of vCenter. @default false */
  readonly insecure: boolean;
}

export interface RancherConfig {
  /** Rancher server URL, e.g. "https://rancher.example.com". The token is the secret `rancherToken`. */
  readonly apiUrl: string;
  /** Skip TLS verification of Rancher. @default false */
  readonly insecure: boolean;
}

export interface ClusterConfig {
  /** Cluster name in Rancher: lowercase DNS label. */
  readonly name: string;
  /** RKE2 version, e.g. "v1.30.4+rke2r1". */
  readonly kubernetesVersion: string;
  readonly controlPlane: NodePoolConfig;
  readonly workers: NodePoolConfig;
}

export interface RegistryConfig {
  /** Registry host, e.g. "registry.example.com". The password is the secret `registryPassword`. */
  readonly server: string;
  readonly username: string;
  /** Repository inside the registry, e.g. "platform/cdns-sidecar". */
  readonly repository: string;
}

export interface SidecarConfig {
  /** A prebuilt sidecar image (preferably digest-pinned). When set, nothing is built. */
  readonly image?: string;
  /** Where to push the built image; required when `image` is not set. */
  readonly registry?: RegistryConfig;
  /** dnsmasq image for the pod. @default DEFAULT_DNSMASQ_IMAGE */
  readonly dnsmasqImage: string;
  /** Only Ingresses of this class. @default undefined (all classes) */
  readonly ingressClass?: string;
  /** Only Ingresses in these namespaces. @default [] (all namespaces) */
  readonly namespaces: readonly string[];
  /** Node label selecting fallback targets when an Ingress has no status. @default DEFAULT_FALLBACK_NODE_SELECTOR */
  readonly fallbackNodeSelector: string;
}

export interface HaproxyConfig {
  readonly enabled: boolean;
  /** Static IPv4 of the HAProxy VM (same subnet as `cdns.network`). */
  readonly ip: string;
  /** @default `${cluster.name}-haproxy` */
  readonly hostname: string;
  /** @default DEFAULT_HAPROXY_VM */
  readonly vm: VmSize;
  /** Size of the server template: the most worker IPs HAProxy follows. @default DEFAULT_HAPROXY_MAX_SERVERS */
  readonly maxServers: number;
  /** Also balance the Kubernetes API (6443) over the control-plane nodes. @default false */
  readonly kubeApi: boolean;
  /** Send PROXY protocol v2 to the backends. @default false */
  readonly proxyProtocol: boolean;
  /** HTTP health check instead of TCP connect. @default undefined (TCP connect) */
  readonly httpCheck?: { readonly port: number; readonly path: string };
}

/** The whole validated stack configuration. */
export interface StackConfig {
  /** DNS zones the cDNS serves, e.g. ["apps.qa.example.com"]. Names outside them are never served. */
  readonly zones: readonly string[];
  readonly cluster: ClusterConfig;
  readonly cdns: CdnsConfig;
  readonly vsphere: VsphereConfig;
  readonly rancher: RancherConfig;
  readonly sidecar: SidecarConfig;
  readonly haproxy?: HaproxyConfig;
}

/** Secrets, read from Pulumi config as secrets; never part of `StackConfig`. */
export interface StackSecrets {
  readonly vspherePassword: Input<string>;
  readonly rancherToken: Input<string>;
  /** Required when the sidecar image is built. */
  readonly registryPassword?: Input<string>;
  /** HAProxy stats credentials; when absent the stats page binds to localhost only. */
  readonly haproxyStatsPassword?: Input<string>;
}

/** One problem found by a validate*() function, with the config key it concerns. */
export interface ConfigProblem {
  /** Dotted config key, e.g. "cdns.nodes[1].ip" or "haproxy.maxServers". */
  readonly key: string;
  readonly message: string;
}
