/**
 * validateStackConfig(): the raw Pulumi config values in, either the typed
 * StackConfig (every default applied, once, from lib/config/defaults.ts) or
 * every problem found, each with its config key. Pure: no Pulumi, no I/O, so
 * infra/config.ts can reject a bad stack before any resource is registered and
 * the tests can feed it plain objects (or the parsed Pulumi.qa.yaml).
 *
 * Readers never throw. A value that cannot be read records a problem and yields
 * a placeholder of the right type, so one pass collects everything; the
 * placeholders never escape, because any problem means `ok: false`.
 */
import type {
  AuthoritativeConfig,
  CdnsConfig,
  CdnsNodeConfig,
  ClusterConfig,
  ConfigProblem,
  HaproxyConfig,
  NodePoolConfig,
  RancherConfig,
  RegistryConfig,
  SidecarConfig,
  StackConfig,
  StaticNetworkConfig,
  VmSize,
  VsphereConfig,
} from "./types";
import {
  CDNS_INDEX_LABEL,
  CDNS_PURPOSE_KEY,
  DEFAULT_AUTHORITATIVE,
  DEFAULT_CDNS_LABELS,
  DEFAULT_CDNS_VM,
  DEFAULT_CONTROL_PLANE_POOL,
  DEFAULT_DNSMASQ_IMAGE,
  DEFAULT_FALLBACK_NODE_SELECTOR,
  DEFAULT_HAPROXY_KUBE_API,
  DEFAULT_HAPROXY_MAX_SERVERS,
  DEFAULT_HAPROXY_PROXY_PROTOCOL,
  DEFAULT_HAPROXY_VM,
  DEFAULT_INTERFACE_NAME,
  DEFAULT_RANCHER_INSECURE,
  DEFAULT_SEARCH_DOMAINS,
  DEFAULT_TTL_SECONDS,
  DEFAULT_VSPHERE_INSECURE,
  DEFAULT_VSPHERE_PORT,
  DEFAULT_WATCH_NAMESPACES,
  DEFAULT_WORKER_POOL,
} from "./defaults";
import { formatSubnet, inSubnet, parseIpv4, subnetOf } from "../net/ipv4";
import { dnsLabelProblem, dnsNameProblem } from "../dns/syntax";
import { validateHaproxySettings } from "./validateHaproxy";
import { labelKeyProblem, labelValueProblem, parseLabelSelector } from "../k8s/labelSelector";

/**
 * The Pulumi config of the project, one field per top-level key
 * (`rancher-cdns:<key>`), as parsed objects. Nothing is trusted: every field is
 * checked for shape and type before it is used.
 */
export interface RawStackConfig {
  readonly zones?: unknown;
  readonly cluster?: unknown;
  readonly cdns?: unknown;
  readonly vsphere?: unknown;
  readonly rancher?: unknown;
  readonly sidecar?: unknown;
  readonly haproxy?: unknown;
}

/** The top-level (object or list) config keys, in the order of RawStackConfig. */
export const RAW_CONFIG_KEYS = ["zones", "cluster", "cdns", "vsphere", "rancher", "sidecar", "haproxy"] as const;

export type StackConfigValidation =
  | { readonly ok: true; readonly config: StackConfig; readonly warnings: readonly ConfigProblem[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly warnings: readonly ConfigProblem[] };

/** RKE2 needs an odd etcd member count; 1 is for test clusters. */
export const CONTROL_PLANE_SIZES: readonly number[] = [1, 3, 5];
/** RKE2 server requirements (2 vCPU, 4 GiB). */
export const MIN_CONTROL_PLANE_VM: VmSize = { cpus: 2, memoryMb: 4096, diskGb: 20 };
/** RKE2 agent plus the system pods every node runs (CNI, rancher-system-agent, kube-proxy). */
export const MIN_NODE_VM: VmSize = { cpus: 1, memoryMb: 2048, diskGb: 20 };
/** Upper bound of cdns.ttlSeconds: targets change when nodes come and go, so answers must not live long. */
export const MAX_TTL_SECONDS = 3600;

/** RKE2 release names: v<k8s version>+rke2r<build>. */
const RKE2_VERSION = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\+rke2r[1-9]\d*$/;
const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** Linux interface names: at most 15 characters (IFNAMSIZ - 1), no slash or whitespace. */
const INTERFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;

// Container image references, after the distribution/reference grammar.
const REF_DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)`;
const REF_COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const REF_PATH = `${REF_COMPONENT}(?:/${REF_COMPONENT})*`;
const REF_TAG = String.raw`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
const REF_DIGEST = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`;
const IMAGE_REF = new RegExp(`^(?:${REF_DOMAIN}/)?${REF_PATH}(?::${REF_TAG})?(?:@${REF_DIGEST})?$`);
const REGISTRY_SERVER = new RegExp(`^${REF_DOMAIN}$`);
const REPOSITORY = new RegExp(`^${REF_PATH}$`);
const DIGEST_PINNED = new RegExp(`@${REF_DIGEST}$`);


type Obj = Readonly<Record<string, unknown>>;

/** Collects problems and warnings; remembers which keys failed to read at all. */
class Findings {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];
  /** Keys whose value was missing or of the wrong type: checks that depend on them are skipped. */
  readonly unreadable = new Set<string>();

  add(key: string, message: string): void {
    // Inside a block that is missing or not an object, every field would be "required": one problem is enough.
    for (const u of this.unreadable) if (key.startsWith(`${u}.`) || key.startsWith(`${u}[`)) return;
    if (!this.problems.some((p) => p.key === key && p.message === message)) this.problems.push({ key, message });
  }

  unreadableValue(key: string, message: string): void {
    this.unreadable.add(key);
    this.add(key, message);
  }

  warn(key: string, message: string): void {
    this.warnings.push({ key, message });
  }

  ok(key: string): boolean {
    return !this.problems.some((p) => p.key === key);
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readObject(f: Findings, key: string, v: unknown, allowed: readonly string[], required: boolean, hint = ""): Obj {
  if (v === undefined || v === null) {
    if (required) f.unreadableValue(key, `is required${hint}`);
    return {};
  }
  if (!isObject(v)) {
    f.unreadableValue(key, `must be an object with the keys ${allowed.join(", ")}; got ${describe(v)}`);
    return {};
  }
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) f.add(`${key}.${k}`, `unknown key (known keys: ${allowed.join(", ")})`);
  }
  return v;
}

function readString(f: Findings, key: string, v: unknown, hint = ""): string {
  if (v === undefined || v === null) {
    f.unreadableValue(key, `is required${hint}`);
    return "";
  }
  if (typeof v !== "string") {
    f.unreadableValue(key, `must be a string; got ${describe(v)}`);
    return "";
  }
  if (v.trim() === "") {
    f.unreadableValue(key, `must not be empty${hint}`);
    return "";
  }
  return v;
}

function readOptionalString(f: Findings, key: string, v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : readString(f, key, v);
}

/** Integers, also as digit strings (`pulumi config set --path` stores what it is given). */
function readInt(f: Findings, key: string, v: unknown, min?: number, max?: number, why = ""): number {
  if (v === undefined || v === null) {
    f.unreadableValue(key, "is required");
    return 0;
  }
  let n: number | undefined;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^-?\d+$/.test(v.trim())) n = Number(v);
  if (n === undefined || !Number.isSafeInteger(n)) {
    f.unreadableValue(key, `must be an integer; got ${describe(v)}`);
    return 0;
  }
  if (min !== undefined && n < min) f.add(key, `must be at least ${min}${why}; got ${n}`);
  else if (max !== undefined && n > max) f.add(key, `must be at most ${max}${why}; got ${n}`);
  return n;
}

function readBool(f: Findings, key: string, v: unknown, hint = ""): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  if (v === undefined || v === null) f.unreadableValue(key, `is required${hint}`);
  else f.unreadableValue(key, `must be true or false; got ${describe(v)}`);
  return false;
}

function readList(f: Findings, key: string, v: unknown, nonEmpty: boolean, hint = ""): readonly unknown[] {
  if (v === undefined || v === null) {
    f.unreadableValue(key, `is required${hint}`);
    return [];
  }
  if (!Array.isArray(v)) {
    f.unreadableValue(key, `must be a list; got ${describe(v)}`);
    return [];
  }
  if (nonEmpty && v.length === 0) f.unreadableValue(key, `must not be empty${hint}`);
  return v;
}

function readStringList(f: Findings, key: string, v: unknown, nonEmpty: boolean, hint = ""): string[] {
  return readList(f, key, v, nonEmpty, hint).map((item, i) => readString(f, `${key}[${i}]`, item));
}

/** Why `ref` is not a container image reference, or undefined when it is one. */
export function imageRefProblem(ref: string): string | undefined {
  if (ref.length > 512 || !IMAGE_REF.test(ref)) {
    return `must be an image reference such as "registry.example.com/team/image:1.2.3@sha256:<64 hex>"; got ${JSON.stringify(ref)}`;
  }
  return undefined;
}

export function isDigestPinned(ref: string): boolean {
  return DIGEST_PINNED.test(ref);
}

function readVmSize(f: Findings, key: string, v: unknown, defaults: VmSize, min: VmSize | undefined, why: string): VmSize {
  const o = readObject(f, key, v, ["cpus", "memoryMb", "diskGb"], false);
  return {
    cpus: readInt(f, `${key}.cpus`, o.cpus ?? defaults.cpus, min?.cpus, 128, why),
    memoryMb: readInt(f, `${key}.memoryMb`, o.memoryMb ?? defaults.memoryMb, min?.memoryMb, 1024 * 1024, why),
    diskGb: readInt(f, `${key}.diskGb`, o.diskGb ?? defaults.diskGb, min?.diskGb, 16 * 1024, why),
  };
}

function readZones(f: Findings, v: unknown): string[] {
  const zones = readStringList(f, "zones", v, true, ': at least one DNS zone, e.g. ["apps.qa.example.com"]');
  const valid: boolean[] = zones.map((zone, i) => {
    const key = `zones[${i}]`;
    if (!f.ok(key)) return false;
    const problem = dnsNameProblem(zone, 2);
    if (problem !== undefined) f.add(key, problem);
    return problem === undefined;
  });
  for (let j = 0; j < zones.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = zones[i] ?? "";
      const b = zones[j] ?? "";
      if (!valid[i] || !valid[j]) continue;
      if (a === b) f.add(`zones[${j}]`, `duplicates zones[${i}] (${JSON.stringify(a)})`);
      else if (b.endsWith(`.${a}`)) f.add(`zones[${j}]`, `${JSON.stringify(b)} is inside zones[${i}] (${JSON.stringify(a)}): list only the outer zone`);
      else if (a.endsWith(`.${b}`)) f.add(`zones[${i}]`, `${JSON.stringify(a)} is inside zones[${j}] (${JSON.stringify(b)}): list only the outer zone`);
    }
  }
  return zones;
}

function readPool(f: Findings, key: string, v: unknown, defaults: NodePoolConfig, min: VmSize): NodePoolConfig {
  const o = readObject(f, key, v, ["quantity", "cpus", "memoryMb", "diskGb"], false);
  const size = readVmSize(f, key, { cpus: o.cpus, memoryMb: o.memoryMb, diskGb: o.diskGb }, defaults, min, ` for an RKE2 node`);
  return { quantity: readInt(f, `${key}.quantity`, o.quantity ?? defaults.quantity), ...size };
}

function readCluster(f: Findings, v: unknown): ClusterConfig {
  const o = readObject(f, "cluster", v, ["name", "kubernetesVersion", "controlPlane", "workers"], true);
  const name = readString(f, "cluster.name", o.name);
  if (f.ok("cluster.name")) {
    const problem = dnsLabelProblem(name);
    if (problem !== undefined) f.add("cluster.name", problem);
  }
  const kubernetesVersion = readString(f, "cluster.kubernetesVersion", o.kubernetesVersion, ' (an RKE2 release such as "v1.30.4+rke2r1")');
  if (f.ok("cluster.kubernetesVersion") && !RKE2_VERSION.test(kubernetesVersion)) {
    f.add("cluster.kubernetesVersion", `must be an RKE2 release such as "v1.30.4+rke2r1"; got ${JSON.stringify(kubernetesVersion)}`);
  }
  const controlPlane = readPool(f, "cluster.controlPlane", o.controlPlane, DEFAULT_CONTROL_PLANE_POOL, MIN_CONTROL_PLANE_VM);
  if (f.ok("cluster.controlPlane.quantity") && !CONTROL_PLANE_SIZES.includes(controlPlane.quantity)) {
    f.add("cluster.controlPlane.quantity", `must be one of ${CONTROL_PLANE_SIZES.join(", ")} (etcd needs an odd member count); got ${controlPlane.quantity}`);
  }
  const workers = readPool(f, "cluster.workers", o.workers, DEFAULT_WORKER_POOL, MIN_NODE_VM);
  if (f.ok("cluster.workers.quantity") && workers.quantity < 1) {
    f.add("cluster.workers.quantity", `must be at least 1 (the workers are the ingress targets); got ${workers.quantity}`);
  }
  return { name, kubernetesVersion, controlPlane, workers };
}

function readVsphere(f: Findings, v: unknown): VsphereConfig {
  const o = readObject(
    f, "vsphere", v,
    ["server", "username", "port", "datacenter", "datastore", "resourcePool", "folder", "networks", "template", "insecure"],
    true,
  );
  const server = readString(f, "vsphere.server", o.server, " (vCenter host name or address)");
  if (f.ok("vsphere.server") && !HOST.test(server)) {
    f.add("vsphere.server", `must be a host name or IPv4 address without scheme or path; got ${JSON.stringify(server)}`);
  }
  const insecure = readBool(f, "vsphere.insecure", o.insecure ?? DEFAULT_VSPHERE_INSECURE);
  if (insecure) f.warn("vsphere.insecure", "TLS verification of vCenter is off");
  return {
    server,
    username: readString(f, "vsphere.username", o.username),
    port: readInt(f, "vsphere.port", o.port ?? DEFAULT_VSPHERE_PORT, 1, 65535),
    datacenter: readString(f, "vsphere.datacenter", o.datacenter),
    datastore: readString(f, "vsphere.datastore", o.datastore),
    resourcePool: readString(f, "vsphere.resourcePool", o.resourcePool, ' (e.g. "/dc1/host/cluster1/Resources")'),
    folder: readString(f, "vsphere.folder", o.folder, ' (e.g. "/dc1/vm/rancher")'),
    networks: readStringList(f, "vsphere.networks", o.networks, true, ": at least one port group; the first carries the static IPs"),
    template: readString(f, "vsphere.template", o.template, " (a VM template with cloud-init)"),
    insecure,
  };
}

function readRancher(f: Findings, v: unknown): RancherConfig {
  const o = readObject(f, "rancher", v, ["apiUrl", "insecure"], true);
  const apiUrl = readString(f, "rancher.apiUrl", o.apiUrl, ' (e.g. "https://rancher.example.com")');
  if (f.ok("rancher.apiUrl")) {
    let url: URL | undefined;
    try {
      url = new URL(apiUrl);
    } catch {
      f.add("rancher.apiUrl", `must be an absolute URL such as "https://rancher.example.com"; got ${JSON.stringify(apiUrl)}`);
    }
    if (url !== undefined) {
      if (url.protocol !== "https:") f.add("rancher.apiUrl", `must use https (the API token goes with every request); got ${JSON.stringify(url.protocol)}`);
      else if (url.username !== "" || url.password !== "") f.add("rancher.apiUrl", "must not carry credentials: the token is the secret rancherToken");
      else if (url.search !== "" || url.hash !== "") f.add("rancher.apiUrl", "must not have a query or fragment");
    }
  }
  const insecure = readBool(f, "rancher.insecure", o.insecure ?? DEFAULT_RANCHER_INSECURE);
  if (insecure) f.warn("rancher.insecure", "TLS verification of Rancher is off");
  return { apiUrl, insecure };
}

function readNetwork(f: Findings, v: unknown): StaticNetworkConfig {
  const key = "cdns.network";
  const o = readObject(f, key, v, ["prefixLength", "gateway", "nameservers", "searchDomains", "interfaceName"], true,
    ": the static network of the cDNS nodes (and the HAProxy VM)");
  // /31 and /32 leave no room for a gateway beside the node.
  const prefixLength = readInt(f, `${key}.prefixLength`, o.prefixLength, 8, 30);
  const gateway = readString(f, `${key}.gateway`, o.gateway);
  if (f.ok(`${key}.gateway`) && parseIpv4(gateway) === undefined) f.add(`${key}.gateway`, `must be an IPv4 address; got ${JSON.stringify(gateway)}`);
  const nameservers = readStringList(f, `${key}.nameservers`, o.nameservers, true, ": the resolvers the nodes themselves use (the iDNS)");
  nameservers.forEach((ns, i) => {
    const k = `${key}.nameservers[${i}]`;
    if (f.ok(k) && parseIpv4(ns) === undefined) f.add(k, `must be an IPv4 address; got ${JSON.stringify(ns)}`);
  });
  const searchDomains = readStringList(f, `${key}.searchDomains`, o.searchDomains ?? DEFAULT_SEARCH_DOMAINS, false);
  searchDomains.forEach((d, i) => {
    const k = `${key}.searchDomains[${i}]`;
    const problem = f.ok(k) ? dnsNameProblem(d) : undefined;
    if (problem !== undefined) f.add(k, problem);
  });
  const interfaceName = readString(f, `${key}.interfaceName`, o.interfaceName ?? DEFAULT_INTERFACE_NAME);
  if (f.ok(`${key}.interfaceName`) && !INTERFACE_NAME.test(interfaceName)) {
    f.add(`${key}.interfaceName`, `must be a Linux interface name (at most 15 characters, no "/" or spaces); got ${JSON.stringify(interfaceName)}`);
  }
  return { prefixLength, gateway, nameservers, searchDomains, interfaceName };
}

function readLabels(f: Findings, v: unknown): Record<string, string> {
  const key = "cdns.labels";
  if (v === undefined || v === null) return { ...DEFAULT_CDNS_LABELS };
  if (!isObject(v)) {
    f.unreadableValue(key, `must be an object of label key to value; got ${describe(v)}`);
    return {};
  }
  const labels: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    const lk = `${key}["${k}"]`;
    if (k === CDNS_PURPOSE_KEY || k === CDNS_INDEX_LABEL) {
      f.add(lk, `is set by the machine pool itself and cannot be overridden`);
      continue;
    }
    const keyProblem = labelKeyProblem(k);
    if (keyProblem !== undefined) f.add(lk, keyProblem);
    if (typeof value !== "string") f.add(lk, `label values must be strings; got ${describe(value)}`);
    else {
      const valueProblem = labelValueProblem(value);
      if (valueProblem !== undefined) f.add(lk, valueProblem);
      else labels[k] = value;
    }
  }
  return labels;
}

function readCdns(f: Findings, v: unknown, zones: readonly string[], clusterName: string, clusterNameOk: boolean): CdnsConfig {
  const o = readObject(f, "cdns", v, ["nodes", "network", "vm", "labels", "ttlSeconds", "authoritative"], true);
  const rawNodes = readList(f, "cdns.nodes", o.nodes, true, ': at least one node, e.g. [{ip: "192.0.2.10"}]');
  const nodes: CdnsNodeConfig[] = rawNodes.map((raw, index) => {
    const key = `cdns.nodes[${index}]`;
    const n = readObject(f, key, raw, ["ip", "hostname"], true);
    const ip = readString(f, `${key}.ip`, n.ip);
    if (f.ok(`${key}.ip`) && parseIpv4(ip) === undefined) f.add(`${key}.ip`, `must be an IPv4 address; got ${JSON.stringify(ip)}`);
    const explicit = n.hostname !== undefined && n.hostname !== null;
    const hostname = readString(f, `${key}.hostname`, n.hostname ?? `${clusterName}-cdns-${index}`);
    if (f.ok(`${key}.hostname`) && (explicit || clusterNameOk)) {
      const problem = dnsLabelProblem(hostname);
      if (problem !== undefined) f.add(`${key}.hostname`, explicit ? problem : `${problem} (derived from cluster.name; set it explicitly)`);
    }
    return { index, ip, hostname };
  });
  const network = readNetwork(f, o.network);
  const vm = readVmSize(f, "cdns.vm", o.vm, DEFAULT_CDNS_VM, MIN_NODE_VM, " for an RKE2 node");
  const labels = readLabels(f, o.labels);
  const ttlSeconds = readInt(f, "cdns.ttlSeconds", o.ttlSeconds ?? DEFAULT_TTL_SECONDS, 0, MAX_TTL_SECONDS,
    " (ingress targets change when nodes come and go)");
  const a = readObject(f, "cdns.authoritative", o.authoritative, ["enabled", "hostmaster"], false);
  const enabled = readBool(f, "cdns.authoritative.enabled", a.enabled ?? DEFAULT_AUTHORITATIVE);
  const explicitHostmaster = a.hostmaster !== undefined && a.hostmaster !== null;
  const hostmaster = readString(f, "cdns.authoritative.hostmaster", a.hostmaster ?? `hostmaster.${zones[0] ?? ""}`);
  if (explicitHostmaster && f.ok("cdns.authoritative.hostmaster")) {
    const problem = dnsNameProblem(hostmaster, 2);
    if (problem !== undefined) f.add("cdns.authoritative.hostmaster", `${problem} (the SOA mailbox as a domain name, e.g. "hostmaster.example.com")`);
  }
  const authoritative: AuthoritativeConfig = { enabled, hostmaster };
  return { nodes, network, vm, labels, ttlSeconds, authoritative };
}

function readRegistry(f: Findings, v: unknown, required: boolean): RegistryConfig | undefined {
  const key = "sidecar.registry";
  if (v === undefined || v === null) {
    // One problem for the missing block, not one per field inside it.
    if (required) f.unreadableValue(key, "is required when sidecar.image is not set: the sidecar image is built and pushed there");
    return undefined;
  }
  const o = readObject(f, key, v, ["server", "username", "repository"], true);
  const server = readString(f, `${key}.server`, o.server, ' (e.g. "registry.example.com")');
  if (f.ok(`${key}.server`) && !REGISTRY_SERVER.test(server)) {
    f.add(`${key}.server`, `must be a registry host[:port] without scheme or path; got ${JSON.stringify(server)}`);
  }
  const username = readString(f, `${key}.username`, o.username);
  const repository = readString(f, `${key}.repository`, o.repository, ' (e.g. "platform/cdns-sidecar")');
  if (f.ok(`${key}.repository`) && !REPOSITORY.test(repository)) {
    f.add(`${key}.repository`, `must be a lowercase repository path such as "platform/cdns-sidecar" (no tag); got ${JSON.stringify(repository)}`);
  }
  return { server, username, repository };
}

function readSidecar(f: Findings, v: unknown): SidecarConfig {
  const o = readObject(f, "sidecar", v, ["image", "registry", "dnsmasqImage", "ingressClass", "namespaces", "fallbackNodeSelector"], false);
  const image = readOptionalString(f, "sidecar.image", o.image);
  if (image !== undefined && f.ok("sidecar.image")) {
    const problem = imageRefProblem(image);
    if (problem !== undefined) f.add("sidecar.image", problem);
    else if (!isDigestPinned(image)) f.warn("sidecar.image", `${JSON.stringify(image)} is not digest-pinned (@sha256:...): the pod may run a different image than the one tested`);
  }
  const registry = readRegistry(f, o.registry, image === undefined);
  if (image !== undefined && registry !== undefined) f.warn("sidecar.registry", "is ignored: sidecar.image is set, so nothing is built");
  const dnsmasqImage = readString(f, "sidecar.dnsmasqImage", o.dnsmasqImage ?? DEFAULT_DNSMASQ_IMAGE);
  if (f.ok("sidecar.dnsmasqImage")) {
    const problem = imageRefProblem(dnsmasqImage);
    if (problem !== undefined) f.add("sidecar.dnsmasqImage", problem);
  }
  const ingressClass = readOptionalString(f, "sidecar.ingressClass", o.ingressClass);
  if (ingressClass !== undefined && f.ok("sidecar.ingressClass")) {
    const problem = dnsNameProblem(ingressClass);
    if (problem !== undefined) f.add("sidecar.ingressClass", `${problem} (an IngressClass name)`);
  }
  const namespaces = readStringList(f, "sidecar.namespaces", o.namespaces ?? DEFAULT_WATCH_NAMESPACES, false);
  namespaces.forEach((ns, i) => {
    const k = `sidecar.namespaces[${i}]`;
    const problem = f.ok(k) ? dnsLabelProblem(ns) : undefined;
    if (problem !== undefined) f.add(k, problem);
  });
  const fallbackNodeSelector = readString(f, "sidecar.fallbackNodeSelector", o.fallbackNodeSelector ?? DEFAULT_FALLBACK_NODE_SELECTOR);
  if (f.ok("sidecar.fallbackNodeSelector")) {
    const parsed = parseLabelSelector(fallbackNodeSelector);
    if (!parsed.ok) f.add("sidecar.fallbackNodeSelector", `must be a label selector: ${parsed.error}`);
  }
  return {
    ...(image !== undefined ? { image } : {}),
    ...(registry !== undefined ? { registry } : {}),
    dnsmasqImage,
    ...(ingressClass !== undefined ? { ingressClass } : {}),
    namespaces,
    fallbackNodeSelector,
  };
}

/**
 * The HAProxy block. Only the parts shared with the rest of the stack are
 * checked here (shape and types, the static address in the next step); the
 * HAProxy-specific rules, including the ip and hostname formats, belong to
 * validateHaproxySettings(), which runs at the end with the derived context.
 * Undefined when the block is absent or `enabled: false`.
 */
function readHaproxy(f: Findings, v: unknown, clusterName: string): HaproxyConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const key = "haproxy";
  const o = readObject(f, key, v, ["enabled", "ip", "hostname", "vm", "maxServers", "kubeApi", "proxyProtocol", "httpCheck"], true);
  const enabled = readBool(f, `${key}.enabled`, o.enabled, " when the haproxy block is present (true or false)");
  if (!enabled) return undefined;
  const ip = readString(f, `${key}.ip`, o.ip, " (the static address of the HAProxy VM, in the cDNS subnet)");
  const check = readObject(f, `${key}.httpCheck`, o.httpCheck, ["port", "path"], false);
  const httpCheck = o.httpCheck === undefined || o.httpCheck === null ? undefined
    : { port: readInt(f, `${key}.httpCheck.port`, check.port), path: readString(f, `${key}.httpCheck.path`, check.path) };
  return {
    enabled,
    ip,
    hostname: readString(f, `${key}.hostname`, o.hostname ?? `${clusterName}-haproxy`),
    vm: readVmSize(f, `${key}.vm`, o.vm, DEFAULT_HAPROXY_VM, undefined, ""),
    maxServers: readInt(f, `${key}.maxServers`, o.maxServers ?? DEFAULT_HAPROXY_MAX_SERVERS),
    kubeApi: readBool(f, `${key}.kubeApi`, o.kubeApi ?? DEFAULT_HAPROXY_KUBE_API),
    proxyProtocol: readBool(f, `${key}.proxyProtocol`, o.proxyProtocol ?? DEFAULT_HAPROXY_PROXY_PROTOCOL),
    ...(httpCheck !== undefined ? { httpCheck } : {}),
  };
}

/**
 * Every static address (cDNS nodes, HAProxy) and the gateway must sit in the
 * subnet of the primary cDNS node, be distinct, and be neither the network nor
 * the broadcast address; no node may take the gateway's address.
 */
function checkStaticAddresses(f: Findings, cdns: CdnsConfig, haproxy: HaproxyConfig | undefined): void {
  const statics: { key: string; ip: string }[] = cdns.nodes.map((n) => ({ key: `cdns.nodes[${n.index}].ip`, ip: n.ip }));
  if (haproxy !== undefined) statics.push({ key: "haproxy.ip", ip: haproxy.ip });

  const seen = new Map<number, string>();
  for (const s of statics) {
    const n = parseIpv4(s.ip);
    if (n === undefined) continue;
    const first = seen.get(n);
    if (first !== undefined) f.add(s.key, `${s.ip} is already used by ${first}`);
    else seen.set(n, s.key);
  }

  const primary = statics[0];
  const anchor = primary === undefined ? undefined : parseIpv4(primary.ip);
  if (primary === undefined || anchor === undefined || !f.ok("cdns.network.prefixLength")) return;
  const subnet = subnetOf(anchor, cdns.network.prefixLength);
  const where = `${formatSubnet(subnet)} (${primary.key} with cdns.network.prefixLength)`;
  const gateway = parseIpv4(cdns.network.gateway);
  const gatewayKey = "cdns.network.gateway";
  if (gateway !== undefined && f.ok(gatewayKey)) {
    if (!inSubnet(gateway, subnet)) f.add(gatewayKey, `${cdns.network.gateway} is outside the subnet ${where}`);
    else if (gateway === subnet.network) f.add(gatewayKey, `${cdns.network.gateway} is the network address of ${where}`);
    else if (gateway === subnet.broadcast) f.add(gatewayKey, `${cdns.network.gateway} is the broadcast address of ${where}`);
  }
  for (const s of statics) {
    const n = parseIpv4(s.ip);
    if (n === undefined) continue;
    if (!inSubnet(n, subnet)) f.add(s.key, `${s.ip} is outside the subnet ${where}`);
    else if (n === subnet.network) f.add(s.key, `${s.ip} is the network address of ${where}`);
    else if (n === subnet.broadcast) f.add(s.key, `${s.ip} is the broadcast address of ${where}`);
    else if (n === gateway) f.add(s.key, `${s.ip} is the gateway address (${gatewayKey})`);
  }
}

export function validateStackConfig(raw: RawStackConfig): StackConfigValidation {
  const f = new Findings();
  const zones = readZones(f, raw.zones);
  const cluster = readCluster(f, raw.cluster);
  const clusterNameOk = f.ok("cluster.name");
  const cdns = readCdns(f, raw.cdns, zones, cluster.name, clusterNameOk);
  const vsphere = readVsphere(f, raw.vsphere);
  const rancher = readRancher(f, raw.rancher);
  const sidecar = readSidecar(f, raw.sidecar);
  const haproxy = readHaproxy(f, raw.haproxy, cluster.name);
  checkStaticAddresses(f, cdns, haproxy);
  if (haproxy !== undefined) {
    const delegated = validateHaproxySettings(haproxy, {
      zones,
      cdnsAddresses: cdns.nodes.map((n) => n.ip),
      workerCount: cluster.workers.quantity,
    });
    // A missing or mistyped value was already reported here; the placeholder
    // handed over would only produce a second, confusing message.
    for (const d of delegated) if (!f.unreadable.has(d.key)) f.add(d.key, d.message);
  }
  if (f.problems.length > 0) return { ok: false, problems: f.problems, warnings: f.warnings };
  const config: StackConfig = { zones, cluster, cdns, vsphere, rancher, sidecar, ...(haproxy !== undefined ? { haproxy } : {}) };
  return { ok: true, config, warnings: f.warnings };
}

/**
 * One message listing every problem, one line each, `prefix` before each key
 * (infra passes "rancher-cdns:" so the lines read like the keys of `pulumi config`).
 */
export function formatProblems(problems: readonly ConfigProblem[], prefix = ""): string {
  const head = problems.length === 1 ? "1 problem in the stack config:" : `${problems.length} problems in the stack config:`;
  return [head, ...problems.map((p) => `  - ${prefix}${p.key}: ${p.message}`)].join("\n");
}

