/**
 * validateStackConfig(): the raw Pulumi config values in, either the typed StackConfig
 * (every default applied, once, from lib/config/defaults.ts) or every problem found, each
 * with its config key. Pure: no Pulumi, no I/O, so infra/config.ts can reject a bad stack
 * before any resource is registered and the tests can feed it plain objects (or the parsed
 * Pulumi.<stack>.yaml).
 *
 * Two modes, chosen by `existingCluster`:
 * - absent: the stack creates the cluster (Rancher on vSphere) with cDNS machine pools;
 * - present: a workload-only stack on an existing cluster (its kubeconfig is the secret
 *   `kubeconfig`) and the cDNS nodes the user already has.
 * A key of the other mode is a problem, so a stack never silently ignores what it was given.
 *
 * Readers never throw (lib/config/findings.ts): a value that cannot be read records a
 * problem and yields a placeholder of the right type, so one pass collects everything.
 */
import type {
  AuthoritativeConfig,
  CdnsConfig,
  CdnsServingConfig,
  ConfigProblem,
  ExistingCdnsNodeConfig,
  ExistingClusterConfig,
  HaproxyConfig,
  SidecarRegistryConfig,
  SidecarConfig,
  SidecarSourcesConfig,
  StackConfig,
} from "./types";
import {
  CDNS_INDEX_LABEL,
  CDNS_PURPOSE_KEY,
  DEFAULT_ALLOW_REPLACING_ALL_NODES,
  DEFAULT_AUTHORITATIVE,
  DEFAULT_CDNS_LABELS,
  DEFAULT_CDNS_VM,
  DEFAULT_FALLBACK_NODE_SELECTOR,
  DEFAULT_LABEL_EXISTING_NODES,
  DEFAULT_SIDECAR_SOURCES,
  DEFAULT_TTL_SECONDS,
  DEFAULT_WATCH_NAMESPACES,
} from "./defaults";
import {
  describe,
  Findings,
  isAbsent,
  isObject,
  type Obj,
  readBool,
  readInt,
  readList,
  readObject,
  readOptionalString,
  readString,
  readStringList,
  readVmSize,
} from "./findings";
import { dnsmasqRepositoryFor, imageRefProblem, isDigestPinned, registryServerProblem, repositoryProblem } from "./imageRef";
import { SECRET_KEYS, SECRET_PURPOSE, setSecretCommand, type SecretKey, type SecretPresence } from "./secrets";
import { validateHaproxySettings } from "./validateHaproxy";
import { readIngressController, readNodeCheck } from "./validateIngressPath";
import {
  isHaproxyOff,
  MIN_NODE_VM,
  readCdnsNodes,
  readCluster,
  readHaproxy,
  readNetwork,
  readRancher,
  readVsphere,
} from "./validateVsphereMode";
import { dnsLabelProblem, dnsNameProblem } from "../dns/syntax";
import { labelKeyProblem, labelValueProblem, parseLabelSelector } from "../k8s/labelSelector";
import { formatSubnet, inSubnet, ipv4Problem, parseIpv4, subnetOf } from "../net/ipv4";

// Re-exported for importers of the old single module.
export { CONTROL_PLANE_SIZES, MIN_CONTROL_PLANE_VM, MIN_NODE_VM } from "./validateVsphereMode";
export { imageRefProblem, isDigestPinned } from "./imageRef";
export { dnsNameProblem } from "../dns/syntax";

/**
 * The Pulumi config of the project, one field per top-level key (`rancher-cdns:<key>`), as
 * parsed objects. Nothing is trusted: every field is checked for shape and type before use.
 */
export interface RawStackConfig {
  readonly zones?: unknown;
  readonly cluster?: unknown;
  readonly cdns?: unknown;
  readonly vsphere?: unknown;
  readonly rancher?: unknown;
  readonly sidecar?: unknown;
  readonly haproxy?: unknown;
  readonly existingCluster?: unknown;
}

/** The top-level (object or list) config keys, in the order of RawStackConfig. */
export const RAW_CONFIG_KEYS = ["zones", "cluster", "cdns", "vsphere", "rancher", "sidecar", "haproxy", "existingCluster"] as const;

export type StackConfigValidation =
  | { readonly ok: true; readonly config: StackConfig; readonly warnings: readonly ConfigProblem[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly warnings: readonly ConfigProblem[] };

/** Upper bound of cdns.ttlSeconds: targets change when nodes come and go, so answers must not live long. */
export const MAX_TTL_SECONDS = 3600;

/** Keys of `cdns` that only a created cluster has; in existing-cluster stacks they are problems. */
const CDNS_MACHINE_KEYS = ["nodes", "network", "vm", "allowReplacingAllNodes"] as const;
const CDNS_SERVING_KEYS = ["labels", "ttlSeconds", "authoritative"] as const;

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
      f.add(lk, "is set by the stack itself and cannot be overridden");
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

/** The parts of `cdns` both modes have. */
function readServing(f: Findings, o: Obj, zones: readonly string[]): CdnsServingConfig {
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
  return { labels, ttlSeconds, authoritative };
}

function readCreatedCdns(f: Findings, v: unknown, zones: readonly string[], datacenter: string | undefined): CdnsConfig {
  const o = readObject(f, "cdns", v, [...CDNS_MACHINE_KEYS, ...CDNS_SERVING_KEYS], true);
  const vm = readVmSize(f, "cdns.vm", o.vm, DEFAULT_CDNS_VM, MIN_NODE_VM, " for an RKE2 node");
  const nodes = readCdnsNodes(f, o.nodes, vm, datacenter);
  const network = readNetwork(f, o.network);
  const allowReplacingAllNodes = readBool(f, "cdns.allowReplacingAllNodes", o.allowReplacingAllNodes ?? DEFAULT_ALLOW_REPLACING_ALL_NODES);
  if (allowReplacingAllNodes) {
    f.warn("cdns.allowReplacingAllNodes", "an update may replace every cDNS node at once (no name server until they are back): remove the key after this update");
  }
  return { nodes, network, vm, allowReplacingAllNodes, ...readServing(f, o, zones) };
}

function readRegistry(f: Findings, v: unknown, required: boolean): SidecarRegistryConfig | undefined {
  const key = "sidecar.registry";
  if (v === undefined || v === null) {
    // One problem for the missing block, not one per field inside it.
    if (required) f.unreadableValue(key, "is required when sidecar.image or sidecar.dnsmasqImage is not set: the images are built and pushed there");
    return undefined;
  }
  const o = readObject(f, key, v, ["server", "username", "repository", "dnsmasqRepository"], true);
  const server = readString(f, `${key}.server`, o.server, ' (e.g. "registry.example.com")');
  f.check(`${key}.server`, registryServerProblem(server));
  const username = readString(f, `${key}.username`, o.username);
  const repository = readString(f, `${key}.repository`, o.repository, ' (e.g. "platform/cdns-sidecar")');
  f.check(`${key}.repository`, repositoryProblem(repository));
  const dnsmasqRepository = readString(f, `${key}.dnsmasqRepository`, o.dnsmasqRepository ?? dnsmasqRepositoryFor(repository));
  f.check(`${key}.dnsmasqRepository`, repositoryProblem(dnsmasqRepository));
  if (f.ok(`${key}.repository`) && dnsmasqRepository === repository) {
    f.check(`${key}.dnsmasqRepository`, "must differ from sidecar.registry.repository: the two images would overwrite each other's tag");
  }
  return { server, username, repository, dnsmasqRepository };
}

function readImage(f: Findings, key: string, v: unknown): string | undefined {
  const image = readOptionalString(f, key, v);
  if (image === undefined || !f.ok(key)) return image;
  const problem = imageRefProblem(image);
  if (problem !== undefined) f.add(key, problem);
  else if (!isDigestPinned(image)) f.warn(key, `${JSON.stringify(image)} is not digest-pinned (@sha256:...): the pod may run a different image than the one tested`);
  return image;
}

function readSources(f: Findings, v: unknown): SidecarSourcesConfig {
  const o = readObject(f, "sidecar.sources", v, ["services", "gatewayHttpRoutes"], false);
  return {
    services: readBool(f, "sidecar.sources.services", o.services ?? DEFAULT_SIDECAR_SOURCES.services),
    gatewayHttpRoutes: readBool(f, "sidecar.sources.gatewayHttpRoutes", o.gatewayHttpRoutes ?? DEFAULT_SIDECAR_SOURCES.gatewayHttpRoutes),
  };
}

function readSidecar(f: Findings, v: unknown, zones: readonly string[]): SidecarConfig {
  const o = readObject(f, "sidecar", v,
    ["image", "registry", "dnsmasqImage", "ingressClass", "namespaces", "fallbackNodeSelector", "sources", "ingressController", "nodeCheck"], false);
  const image = readImage(f, "sidecar.image", o.image);
  const dnsmasqImage = readImage(f, "sidecar.dnsmasqImage", o.dnsmasqImage);
  const builds = image === undefined || dnsmasqImage === undefined;
  const registry = readRegistry(f, o.registry, builds);
  if (!builds && registry !== undefined) f.warn("sidecar.registry", "is ignored: sidecar.image and sidecar.dnsmasqImage are set, so nothing is built");
  const ingressClass = readOptionalString(f, "sidecar.ingressClass", o.ingressClass);
  if (ingressClass !== undefined && f.ok("sidecar.ingressClass")) {
    const problem = dnsNameProblem(ingressClass);
    if (problem !== undefined) f.add("sidecar.ingressClass", `${problem} (an IngressClass name)`);
  }
  const namespaces = readStringList(f, "sidecar.namespaces", o.namespaces ?? DEFAULT_WATCH_NAMESPACES, false);
  namespaces.forEach((ns, i) => f.check(`sidecar.namespaces[${i}]`, dnsLabelProblem(ns)));
  const fallbackNodeSelector = readString(f, "sidecar.fallbackNodeSelector", o.fallbackNodeSelector ?? DEFAULT_FALLBACK_NODE_SELECTOR);
  if (f.ok("sidecar.fallbackNodeSelector")) {
    const parsed = parseLabelSelector(fallbackNodeSelector);
    if (!parsed.ok) f.add("sidecar.fallbackNodeSelector", `must be a label selector: ${parsed.error}`);
  }
  const ingressController = readIngressController(f, o.ingressController, f.ok("sidecar.ingressClass") ? ingressClass : undefined);
  const nodeCheck = readNodeCheck(f, o.nodeCheck, zones);
  return {
    ...(image !== undefined ? { image } : {}),
    ...(registry !== undefined ? { registry } : {}),
    ...(dnsmasqImage !== undefined ? { dnsmasqImage } : {}),
    ...(ingressClass !== undefined ? { ingressClass } : {}),
    namespaces,
    fallbackNodeSelector,
    sources: readSources(f, o.sources),
    ...(ingressController !== undefined ? { ingressController } : {}),
    ...(nodeCheck !== undefined ? { nodeCheck } : {}),
  };
}

function readExistingCluster(f: Findings, v: unknown): ExistingClusterConfig {
  const key = "existingCluster";
  const o = readObject(f, key, v, ["nodes", "labelNodes", "context"], true);
  const rawNodes = readList(f, `${key}.nodes`, o.nodes, true, ': the cDNS nodes, e.g. [{name: "cdns-0", ip: "192.0.2.10"}]');
  const nodes: ExistingCdnsNodeConfig[] = rawNodes.map((raw, index) => {
    const k = `${key}.nodes[${index}]`;
    const n = readObject(f, k, raw, ["name", "ip"], true);
    const name = readString(f, `${k}.name`, n.name, " (the Kubernetes node name)");
    const problem = dnsNameProblem(name);
    if (problem !== undefined) f.check(`${k}.name`, `${problem} (a Kubernetes node name)`);
    const ip = readString(f, `${k}.ip`, n.ip, " (the node's address the iDNS forwards to)");
    f.check(`${k}.ip`, ipv4Problem(ip));
    return { index, name, ip };
  });
  const seenName = new Map<string, number>();
  const seenIp = new Map<string, number>();
  for (const n of nodes) {
    const k = `${key}.nodes[${n.index}]`;
    const byName = seenName.get(n.name);
    if (byName !== undefined && f.ok(`${k}.name`)) f.add(`${k}.name`, `${n.name} is already ${key}.nodes[${byName}]`);
    else seenName.set(n.name, n.index);
    const byIp = seenIp.get(n.ip);
    if (byIp !== undefined && f.ok(`${k}.ip`)) f.add(`${k}.ip`, `${n.ip} is already used by ${key}.nodes[${byIp}].ip`);
    else seenIp.set(n.ip, n.index);
  }
  const labelNodes = readBool(f, `${key}.labelNodes`, o.labelNodes ?? DEFAULT_LABEL_EXISTING_NODES);
  const context = readOptionalString(f, `${key}.context`, o.context);
  return { nodes, labelNodes, ...(context !== undefined ? { context } : {}) };
}

/**
 * Every static address (cDNS nodes, HAProxy) and the gateway must sit in the subnet of the
 * primary cDNS node, be distinct, and be neither the network nor the broadcast address; no
 * node may take the gateway's address.
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

const FOR_CREATED_CLUSTER = "is for stacks that create the cluster; this stack names an existing one (existingCluster)";

/** In an existing-cluster stack, every key that only a created cluster reads is a problem. */
function rejectCreatedClusterKeys(f: Findings, raw: RawStackConfig): void {
  for (const key of ["cluster", "vsphere", "rancher"] as const) {
    if (!isAbsent(raw[key])) f.add(key, `${FOR_CREATED_CLUSTER}: remove it (pulumi config rm ${key})`);
  }
  if (!isHaproxyOff(raw.haproxy)) f.add("haproxy", `${FOR_CREATED_CLUSTER}: the HAProxy VM needs vSphere; remove the block`);
  if (isObject(raw.cdns)) {
    for (const key of CDNS_MACHINE_KEYS) {
      if (raw.cdns[key] !== undefined) {
        f.add(`cdns.${key}`, `${FOR_CREATED_CLUSTER}: its cDNS nodes are existingCluster.nodes; remove cdns.${key}`);
      }
    }
  }
}

function checkSecrets(f: Findings, config: StackConfig, secrets: SecretPresence): void {
  const keys = Object.keys(SECRET_KEYS) as SecretKey[];
  for (const key of keys) {
    if (secrets[key] === "plaintext") {
      f.add(key, `is stored in plain text in the stack's config: set it again with \`${setSecretCommand(key)}\` so Pulumi encrypts it`);
    }
  }
  const required = (key: SecretKey, why: string): void => {
    if (secrets[key] === undefined) f.add(key, `is required${why} (${SECRET_PURPOSE[key]}): set it with \`${setSecretCommand(key)}\``);
  };
  const misplaced = (key: SecretKey, why: string): void => {
    if (secrets[key] !== undefined) f.add(key, `${why}: remove it (pulumi config rm ${key})`);
  };
  if (config.mode === "vsphere") {
    required("vspherePassword", "");
    required("rancherToken", "");
    misplaced("kubeconfig", "is only read by stacks that name an existing cluster (existingCluster); this stack creates its cluster");
  } else {
    required("kubeconfig", " with existingCluster");
    for (const key of ["vspherePassword", "rancherToken", "haproxyStatsPassword"] as const) misplaced(key, FOR_CREATED_CLUSTER);
  }
  const builds = config.sidecar.image === undefined || config.sidecar.dnsmasqImage === undefined;
  if (builds) required("registryPassword", " when sidecar.image or sidecar.dnsmasqImage is not set (to push the built images)");
  else if (secrets.registryPassword !== undefined) f.warn("registryPassword", "is ignored: both images are prebuilt, so nothing is pushed");
}

/**
 * Validates the whole stack config. `secrets` says which secret keys are set and how; when
 * given, missing, misplaced and plain-text secrets are problems too (npm run synth, which
 * never reads secrets, leaves it out).
 */
export function validateStackConfig(raw: RawStackConfig, secrets?: SecretPresence): StackConfigValidation {
  const f = new Findings();
  const zones = readZones(f, raw.zones);
  const sidecar = readSidecar(f, raw.sidecar, zones);
  let config: StackConfig;
  if (!isAbsent(raw.existingCluster)) {
    const existingCluster = readExistingCluster(f, raw.existingCluster);
    rejectCreatedClusterKeys(f, raw);
    const o = readObject(f, "cdns", raw.cdns, [...CDNS_SERVING_KEYS, ...CDNS_MACHINE_KEYS], false);
    const cdns = readServing(f, o, zones);
    config = { mode: "existingCluster", zones, sidecar, existingCluster, cdns };
  } else {
    const cluster = readCluster(f, raw.cluster);
    const vsphere = readVsphere(f, raw.vsphere);
    const datacenter = f.ok("vsphere.datacenter") && !f.unreadable.has("vsphere") ? vsphere.datacenter : undefined;
    const cdns = readCreatedCdns(f, raw.cdns, zones, datacenter);
    const rancher = readRancher(f, raw.rancher);
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
    config = { mode: "vsphere", zones, sidecar, cluster, cdns, vsphere, rancher, ...(haproxy !== undefined ? { haproxy } : {}) };
  }
  if (secrets !== undefined) checkSecrets(f, config, secrets);
  if (f.problems.length > 0) return { ok: false, problems: f.problems, warnings: f.warnings };
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
