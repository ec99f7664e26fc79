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
import type { IngressControllerSpec } from "../k8s/ingressControllers";
import type { NodeCheckOptions } from "../../sidecar/src/source/nodeCheck";

/**
 * A cDNS node: one single-node Rancher machine pool with a static IP.
 *
 * There is no host name: Rancher names the machine `<cluster>-<pool>-<suffix>` and
 * the rancher2 provider (13.x) offers no host name setting for a machine pool.
 */
export interface CdnsNodeConfig {
  /** Position in `cdns.nodes`: 0 is the primary, 1.. are secondaries. Derived, not configured. */
  readonly index: number;
  /** Static IPv4 address of the node, e.g. "192.0.2.10". */
  readonly ip: string;
  /**
   * This node's machine settings where they differ from the shared ones (`cdns.vm`,
   * `vsphere.*`): how a change is rolled out one node at a time. @default {} (none)
   */
  readonly machine: CdnsMachineOverrides;
}

/** Per-node overrides of the machine settings every cDNS node otherwise shares. */
export interface CdnsMachineOverrides {
  readonly vm?: VmSize;
  readonly template?: string;
  readonly datastore?: string;
  readonly resourcePool?: string;
  /** Relative to the datacenter's VM folder, like `vsphere.folder`. */
  readonly folder?: string;
  readonly networks?: readonly string[];
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

/** What the cDNS serves, in both modes. */
export interface CdnsServingConfig {
  /** Extra node labels on the cDNS nodes (purpose=cdns and the index are always set). @default {} */
  readonly labels: Readonly<Record<string, string>>;
  /** TTL in seconds of the answers dnsmasq gives for ingress names. @default DEFAULT_TTL_SECONDS */
  readonly ttlSeconds: number;
  readonly authoritative: AuthoritativeConfig;
}

/** The cDNS nodes of a cluster this stack creates. */
export interface CdnsConfig extends CdnsServingConfig {
  /** The cDNS nodes, primary first. At least one. */
  readonly nodes: readonly CdnsNodeConfig[];
  readonly network: StaticNetworkConfig;
  /** VM size of each cDNS node. @default DEFAULT_CDNS_VM */
  readonly vm: VmSize;
  /**
   * Let one update replace every cDNS node at once (all name servers down until they are
   * back). Set it for that one update only. @default DEFAULT_ALLOW_REPLACING_ALL_NODES (false)
   */
  readonly allowReplacingAllNodes: boolean;
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
  /**
   * Resource pool: a name, or an inventory path under the datacenter's host folder,
   * e.g. "/dc1/host/cluster1/Resources/qa".
   */
  readonly resourcePool: string;
  /**
   * VM folder relative to the datacenter's VM folder, e.g. "rancher/qa" (the folder
   * "/dc1/vm/rancher/qa"); "" is the VM folder itself. Both Rancher's node driver and the
   * vSphere provider read it this way. The config also accepts the absolute form, which
   * validation turns into this one.
   */
  readonly folder: string;
  /** Port group names (or paths under "/<datacenter>/network/") for the VMs' NICs; the first carries the static IP. */
  readonly networks: readonly string[];
  /** VM template to clone, with cloud-init installed: a name or a path under "/<datacenter>/vm/". */
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

/** A registry mirror for the cluster's nodes (containerd `registries.yaml`). */
export interface RegistryMirrorConfig {
  /** Registry the images are named after, e.g. "docker.io". */
  readonly hostname: string;
  /** Mirror endpoints, e.g. ["https://mirror.example.com:5000"]. */
  readonly endpoints: readonly string[];
  /** Repository rewrites, regular expression to replacement. @default {} */
  readonly rewrites: Readonly<Record<string, string>>;
}

/** TLS and authentication of one registry host for the cluster's nodes. */
export interface RegistryHostConfig {
  readonly hostname: string;
  /** Secret (in Rancher's fleet-default namespace) with `username` and `password`. @default none */
  readonly authConfigSecretName?: string;
  /** PEM CA bundle of the registry. @default none (system CAs) */
  readonly caBundle?: string;
  /** Skip TLS verification. @default false */
  readonly insecure: boolean;
  /** Secret with a client certificate and key. @default none */
  readonly tlsSecretName?: string;
}

export interface ClusterRegistriesConfig {
  /** @default [] */
  readonly mirrors: readonly RegistryMirrorConfig[];
  /** @default [] */
  readonly configs: readonly RegistryHostConfig[];
}

export interface ClusterConfig {
  /** Cluster name in Rancher: lowercase DNS label. */
  readonly name: string;
  /** RKE2 version inside RANCHER_RKE2_RANGE (lib/config/rke2Versions.ts), e.g. "v1.33.5+rke2r1". */
  readonly kubernetesVersion: string;
  readonly controlPlane: NodePoolConfig;
  readonly workers: NodePoolConfig;
  /** The CNI. @default DEFAULT_CNI ("calico") */
  readonly cni: string;
  /**
   * Extra subject alternative names of the API server certificate. The HAProxy address is
   * added by the stack when HAProxy balances the Kubernetes API. @default []
   */
  readonly tlsSan: readonly string[];
  /** Registry the system images are pulled from (air-gapped sites), host[:port]. @default none */
  readonly systemDefaultRegistry?: string;
  /** Registry mirrors and per-registry TLS/auth. @default no mirrors, no configs */
  readonly registries: ClusterRegistriesConfig;
}

export interface RegistryConfig {
  /** Registry host, e.g. "registry.example.com". The password is the secret `registryPassword`. */
  readonly server: string;
  readonly username: string;
  /** Repository inside the registry, e.g. "platform/cdns-sidecar". */
  readonly repository: string;
}

/** `sidecar.registry`: where the stack pushes the images it builds. */
export interface SidecarRegistryConfig extends RegistryConfig {
  /** Repository of the built dnsmasq image. @default the sibling "cdns-dnsmasq" of `repository` (dnsmasqRepositoryFor()) */
  readonly dnsmasqRepository: string;
}

export interface SidecarConfig {
  /** A prebuilt sidecar image (preferably digest-pinned). When set, nothing is built. */
  readonly image?: string;
  /** Where to push the built images; required when `image` or `dnsmasqImage` is not set. */
  readonly registry?: SidecarRegistryConfig;
  /** A prebuilt dnsmasq image (images/dnsmasq, preferably digest-pinned). When unset it is built. */
  readonly dnsmasqImage?: string;
  /** Only Ingresses of this class. @default undefined (all classes) */
  readonly ingressClass?: string;
  /** Only Ingresses in these namespaces. @default [] (all namespaces) */
  readonly namespaces: readonly string[];
  /** Node label selecting fallback targets when an Ingress has no status. @default DEFAULT_FALLBACK_NODE_SELECTOR */
  readonly fallbackNodeSelector: string;
  /** Sources the sidecar reads besides Ingresses (each adds its RBAC). @default none */
  readonly sources: SidecarSourcesConfig;
  /**
   * `sidecar.ingressController`, resolved (a preset with any overrides, or a controller named in
   * full): a node is a target of that controller's Ingresses only while its controller pod there
   * is Ready; the chart adds a Role to watch those pods. @default undefined (node health only)
   */
  readonly ingressController?: IngressControllerSpec;
  /** `sidecar.nodeCheck` when enabled, with the sidecar's defaults applied. @default undefined (off) */
  readonly nodeCheck?: SidecarNodeCheckConfig;
}

/**
 * The sidecar's TCP check of every target node's ingress ports (`--node-check-*`): the
 * sidecar's own options, defaults in sidecar/src/source/nodeCheck.ts (ports 80 and 443, every
 * 2000 ms, 1000 ms timeout, rise 2, fall 3, 32 nodes at once).
 */
export type SidecarNodeCheckConfig = NodeCheckOptions;

export interface SidecarSourcesConfig {
  /** Services of type LoadBalancer (their hostname annotation and status IPs). @default false */
  readonly services: boolean;
  /** Gateway API HTTPRoutes (and the Gateways they attach to). @default false */
  readonly gatewayHttpRoutes: boolean;
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
  /** Also balance the Kubernetes API (6443) over the control-plane nodes; adds its IP to the API certificate. @default false */
  readonly kubeApi: boolean;
  /** HTTP health check instead of TCP connect. @default undefined (TCP connect) */
  readonly httpCheck?: { readonly port: number; readonly path: string };
}

/** A node of an existing cluster that runs a cDNS pod. */
export interface ExistingCdnsNodeConfig {
  /** Position in `existingCluster.nodes`: 0 is the primary. Derived. */
  readonly index: number;
  /** The Kubernetes node name. */
  readonly name: string;
  /** The address the iDNS forwards to: the node's IPv4 address, where port 53 is published. */
  readonly ip: string;
}

/** A cluster the stack does not create: the workload goes onto nodes the user already has. */
export interface ExistingClusterConfig {
  /** The cDNS nodes, primary first. At least one. */
  readonly nodes: readonly ExistingCdnsNodeConfig[];
  /**
   * Label the nodes (purpose=cdns, the index label, cdns.labels) from the program, by
   * server-side apply. Taints are never applied by the program (`cdnsNodeCommands` has the
   * kubectl lines). @default DEFAULT_LABEL_EXISTING_NODES (false)
   */
  readonly labelNodes: boolean;
  /** kubeconfig context to use. @default the kubeconfig's current context */
  readonly context?: string;
}

interface CommonStackConfig {
  /** DNS zones the cDNS serves, e.g. ["apps.qa.example.com"]. Names outside them are never served. */
  readonly zones: readonly string[];
  readonly sidecar: SidecarConfig;
}

/** A stack that creates the cluster: Rancher on vSphere, with cDNS machine pools. */
export interface VsphereStackConfig extends CommonStackConfig {
  readonly mode: "vsphere";
  readonly cluster: ClusterConfig;
  readonly cdns: CdnsConfig;
  readonly vsphere: VsphereConfig;
  readonly rancher: RancherConfig;
  readonly haproxy?: HaproxyConfig;
}

/** A workload-only stack: an existing cluster (kubeconfig secret) and its cDNS nodes. */
export interface ExistingClusterStackConfig extends CommonStackConfig {
  readonly mode: "existingCluster";
  readonly existingCluster: ExistingClusterConfig;
  readonly cdns: CdnsServingConfig;
}

/** The whole validated stack configuration, one of the two modes. */
export type StackConfig = VsphereStackConfig | ExistingClusterStackConfig;

/** Secrets, read from Pulumi config as secrets; never part of `StackConfig`. */
export interface StackSecrets {
  /** vSphere mode. */
  readonly vspherePassword?: Input<string>;
  /** vSphere mode. */
  readonly rancherToken?: Input<string>;
  /** Existing-cluster mode: the cluster's kubeconfig. */
  readonly kubeconfig?: Input<string>;
  /** Required when an image is built. */
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
