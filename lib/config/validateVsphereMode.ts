/**
 * The blocks of a stack that creates its cluster (Rancher on vSphere): `cluster`, the cDNS
 * machines in `cdns`, `vsphere`, `rancher` and the shape of `haproxy`. Called by
 * validateStackConfig() (validate.ts); each reader records every problem with its key.
 */
import type {
  CdnsMachineOverrides,
  CdnsNodeConfig,
  ClusterConfig,
  ClusterRegistriesConfig,
  HaproxyConfig,
  NodePoolConfig,
  RancherConfig,
  RegistryHostConfig,
  RegistryMirrorConfig,
  StaticNetworkConfig,
  VmSize,
  VsphereConfig,
} from "./types";
import {
  DEFAULT_CNI,
  DEFAULT_CONTROL_PLANE_POOL,
  DEFAULT_HAPROXY_KUBE_API,
  DEFAULT_HAPROXY_MAX_SERVERS,
  DEFAULT_HAPROXY_VM,
  DEFAULT_INTERFACE_NAME,
  DEFAULT_RANCHER_INSECURE,
  DEFAULT_REGISTRY_INSECURE,
  DEFAULT_SEARCH_DOMAINS,
  DEFAULT_TLS_SAN,
  DEFAULT_VSPHERE_INSECURE,
  DEFAULT_VSPHERE_PORT,
  DEFAULT_WORKER_POOL,
  SUPPORTED_CNIS,
} from "./defaults";
import {
  type Findings,
  isObject,
  readBool,
  readInt,
  readList,
  readObject,
  readOptionalString,
  readString,
  readStringList,
  readStringMap,
  readVmSize,
} from "./findings";
import { registryServerProblem } from "./imageRef";
import { rke2VersionProblem } from "./rke2Versions";
import { dnsLabelProblem, dnsNameProblem, isDnsName } from "../dns/syntax";
import { ipv4Problem, isIpv4 } from "../net/ipv4";
import { datacenterProblem, inventoryPathProblem, normalizeVmFolder, type InventoryRoot } from "../vsphere/paths";

/** RKE2 needs an odd etcd member count; 1 is for test clusters. */
export const CONTROL_PLANE_SIZES: readonly number[] = [1, 3, 5];
/** RKE2 server requirements (2 vCPU, 4 GiB). */
export const MIN_CONTROL_PLANE_VM: VmSize = { cpus: 2, memoryMb: 4096, diskGb: 20 };
/** RKE2 agent plus the system pods every node runs (CNI, rancher-system-agent, kube-proxy). */
export const MIN_NODE_VM: VmSize = { cpus: 1, memoryMb: 2048, diskGb: 20 };

/** Linux interface names: at most 15 characters (IFNAMSIZ - 1), no slash or whitespace. */
const INTERFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;
/** A registry host in containerd's registries.yaml: a host[:port] (the image reference grammar), or "*" for every registry. */
function mirrorHostProblem(hostname: string): string | undefined {
  return hostname === "*" || registryServerProblem(hostname) === undefined ? undefined : `must be a registry host[:port] or "*"; got ${JSON.stringify(hostname)}`;
}

const NODE_KEYS = ["ip", "machine", "hostname"] as const;
const MACHINE_KEYS = ["vm", "template", "datastore", "resourcePool", "folder", "networks"] as const;

function readPool(f: Findings, key: string, v: unknown, defaults: NodePoolConfig, min: VmSize): NodePoolConfig {
  const o = readObject(f, key, v, ["quantity", "cpus", "memoryMb", "diskGb"], false);
  const size = readVmSize(f, key, { cpus: o.cpus, memoryMb: o.memoryMb, diskGb: o.diskGb }, defaults, min, ` for an RKE2 node`);
  return { quantity: readInt(f, `${key}.quantity`, o.quantity ?? defaults.quantity), ...size };
}

/** A tls-san entry: an IPv4 address or a DNS name (a leading "*." allowed). */
function tlsSanProblem(san: string): string | undefined {
  if (isIpv4(san)) return undefined;
  const name = san.startsWith("*.") ? san.slice(2) : san;
  const problem = dnsNameProblem(name);
  return problem === undefined ? undefined : `must be an IPv4 address or a DNS name for the API server certificate: ${problem}`;
}

function readRegistries(f: Findings, v: unknown): ClusterRegistriesConfig {
  const key = "cluster.registries";
  const o = readObject(f, key, v, ["mirrors", "configs"], false);
  const mirrors: RegistryMirrorConfig[] = readList(f, `${key}.mirrors`, o.mirrors ?? [], false).map((raw, i) => {
    const k = `${key}.mirrors[${i}]`;
    const m = readObject(f, k, raw, ["hostname", "endpoints", "rewrites"], true);
    const hostname = readString(f, `${k}.hostname`, m.hostname, ' (the registry images are named after, e.g. "docker.io")');
    f.check(`${k}.hostname`, mirrorHostProblem(hostname));
    const endpoints = readStringList(f, `${k}.endpoints`, m.endpoints, true, ': mirror URLs, e.g. ["https://mirror.example.com:5000"]');
    endpoints.forEach((e, j) => {
      let url: URL | undefined;
      try {
        url = new URL(e);
      } catch {
        url = undefined;
      }
      if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
        f.check(`${k}.endpoints[${j}]`, `must be an http(s) URL such as "https://mirror.example.com:5000"; got ${JSON.stringify(e)}`);
      }
    });
    const rewrites = readStringMap(f, `${k}.rewrites`, m.rewrites, "regular expression to replacement");
    for (const pattern of Object.keys(rewrites)) {
      try {
        new RegExp(pattern);
      } catch {
        f.add(`${k}.rewrites["${pattern}"]`, "is not a valid regular expression");
      }
    }
    return { hostname, endpoints, rewrites };
  });
  const configs: RegistryHostConfig[] = readList(f, `${key}.configs`, o.configs ?? [], false).map((raw, i) => {
    const k = `${key}.configs[${i}]`;
    const c = readObject(f, k, raw, ["hostname", "authConfigSecretName", "caBundle", "insecure", "tlsSecretName"], true);
    const hostname = readString(f, `${k}.hostname`, c.hostname);
    f.check(`${k}.hostname`, mirrorHostProblem(hostname));
    const authConfigSecretName = readOptionalString(f, `${k}.authConfigSecretName`, c.authConfigSecretName);
    if (authConfigSecretName !== undefined) f.check(`${k}.authConfigSecretName`, dnsNameProblem(authConfigSecretName));
    const tlsSecretName = readOptionalString(f, `${k}.tlsSecretName`, c.tlsSecretName);
    if (tlsSecretName !== undefined) f.check(`${k}.tlsSecretName`, dnsNameProblem(tlsSecretName));
    const caBundle = readOptionalString(f, `${k}.caBundle`, c.caBundle);
    if (caBundle !== undefined && !caBundle.includes("-----BEGIN CERTIFICATE-----")) {
      f.check(`${k}.caBundle`, "must be PEM certificates (-----BEGIN CERTIFICATE-----)");
    }
    const insecure = readBool(f, `${k}.insecure`, c.insecure ?? DEFAULT_REGISTRY_INSECURE);
    if (insecure) f.warn(`${k}.insecure`, `TLS verification of ${hostname} is off on every node`);
    return {
      hostname,
      ...(authConfigSecretName !== undefined ? { authConfigSecretName } : {}),
      ...(caBundle !== undefined ? { caBundle } : {}),
      insecure,
      ...(tlsSecretName !== undefined ? { tlsSecretName } : {}),
    };
  });
  return { mirrors, configs };
}

export function readCluster(f: Findings, v: unknown): ClusterConfig {
  const o = readObject(f, "cluster", v,
    ["name", "kubernetesVersion", "controlPlane", "workers", "cni", "tlsSan", "systemDefaultRegistry", "registries"], true,
    " when the stack creates the cluster (or set existingCluster)");
  const name = readString(f, "cluster.name", o.name);
  f.check("cluster.name", dnsLabelProblem(name));
  const kubernetesVersion = readString(f, "cluster.kubernetesVersion", o.kubernetesVersion, ' (an RKE2 release such as "v1.33.5+rke2r1")');
  f.check("cluster.kubernetesVersion", rke2VersionProblem(kubernetesVersion));
  const controlPlane = readPool(f, "cluster.controlPlane", o.controlPlane, DEFAULT_CONTROL_PLANE_POOL, MIN_CONTROL_PLANE_VM);
  if (!CONTROL_PLANE_SIZES.includes(controlPlane.quantity)) {
    f.check("cluster.controlPlane.quantity", `must be one of ${CONTROL_PLANE_SIZES.join(", ")} (etcd needs an odd member count); got ${controlPlane.quantity}`);
  }
  const workers = readPool(f, "cluster.workers", o.workers, DEFAULT_WORKER_POOL, MIN_NODE_VM);
  if (workers.quantity < 1) f.check("cluster.workers.quantity", `must be at least 1 (the workers are the ingress targets); got ${workers.quantity}`);
  const cni = readString(f, "cluster.cni", o.cni ?? DEFAULT_CNI);
  if (!SUPPORTED_CNIS.includes(cni)) f.check("cluster.cni", `must be one of ${SUPPORTED_CNIS.join(", ")}; got ${JSON.stringify(cni)}`);
  const tlsSan = readStringList(f, "cluster.tlsSan", o.tlsSan ?? DEFAULT_TLS_SAN, false);
  tlsSan.forEach((san, i) => f.check(`cluster.tlsSan[${i}]`, tlsSanProblem(san)));
  const systemDefaultRegistry = readOptionalString(f, "cluster.systemDefaultRegistry", o.systemDefaultRegistry);
  if (systemDefaultRegistry !== undefined) f.check("cluster.systemDefaultRegistry", registryServerProblem(systemDefaultRegistry));
  const registries = readRegistries(f, o.registries);
  return {
    name, kubernetesVersion, controlPlane, workers, cni, tlsSan,
    ...(systemDefaultRegistry !== undefined ? { systemDefaultRegistry } : {}),
    registries,
  };
}

/** A name or absolute path, checked against the datacenter (when that read fine). */
function readInventoryName(f: Findings, key: string, v: unknown, root: InventoryRoot, datacenter: string | undefined, hint = ""): string {
  const value = readString(f, key, v, hint);
  if (datacenter !== undefined) f.check(key, inventoryPathProblem(value, root, datacenter));
  return value;
}

function readFolder(f: Findings, key: string, v: unknown, datacenter: string | undefined): string {
  const raw = readString(f, key, v, ' (the VM folder relative to the datacenter\'s VM folder, e.g. "rancher/qa")');
  if (datacenter === undefined || !f.ok(key)) return raw;
  const n = normalizeVmFolder(raw, datacenter);
  if ("problem" in n) {
    f.add(key, n.problem);
    return raw;
  }
  return n.folder;
}

export function readVsphere(f: Findings, v: unknown): VsphereConfig {
  const o = readObject(
    f, "vsphere", v,
    ["server", "username", "port", "datacenter", "datastore", "resourcePool", "folder", "networks", "template", "insecure"],
    true, " when the stack creates the cluster (or set existingCluster)",
  );
  const server = readString(f, "vsphere.server", o.server, " (vCenter host name or address)");
  // Host names are case-insensitive: the one DNS-name check on the lowercased name (an IPv4 address passes it too).
  if (!isDnsName(server.toLowerCase())) f.check("vsphere.server", `must be a host name or IPv4 address without scheme or path; got ${JSON.stringify(server)}`);
  const insecure = readBool(f, "vsphere.insecure", o.insecure ?? DEFAULT_VSPHERE_INSECURE);
  if (insecure) f.warn("vsphere.insecure", "TLS verification of vCenter is off");
  const datacenterValue = readString(f, "vsphere.datacenter", o.datacenter, ' (the datacenter\'s name, e.g. "dc1")');
  f.check("vsphere.datacenter", datacenterProblem(datacenterValue));
  const dc = f.ok("vsphere.datacenter") ? datacenterValue : undefined;
  const networks = readStringList(f, "vsphere.networks", o.networks, true, ": at least one port group; the first carries the static IPs");
  networks.forEach((n, i) => {
    if (dc !== undefined) f.check(`vsphere.networks[${i}]`, inventoryPathProblem(n, "network", dc));
  });
  return {
    server,
    username: readString(f, "vsphere.username", o.username),
    port: readInt(f, "vsphere.port", o.port ?? DEFAULT_VSPHERE_PORT, 1, 65535),
    datacenter: datacenterValue,
    datastore: readInventoryName(f, "vsphere.datastore", o.datastore, "datastore", dc),
    resourcePool: readInventoryName(f, "vsphere.resourcePool", o.resourcePool, "host", dc, ' (e.g. "/dc1/host/cluster1/Resources")'),
    folder: readFolder(f, "vsphere.folder", o.folder, dc),
    networks,
    template: readInventoryName(f, "vsphere.template", o.template, "vm", dc, " (a VM template with cloud-init)"),
    insecure,
  };
}

export function readRancher(f: Findings, v: unknown): RancherConfig {
  const o = readObject(f, "rancher", v, ["apiUrl", "insecure"], true, " when the stack creates the cluster (or set existingCluster)");
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

export function readNetwork(f: Findings, v: unknown): StaticNetworkConfig {
  const key = "cdns.network";
  const o = readObject(f, key, v, ["prefixLength", "gateway", "nameservers", "searchDomains", "interfaceName"], true,
    ": the static network of the cDNS nodes (and the HAProxy VM)");
  // /31 and /32 leave no room for a gateway beside the node.
  const prefixLength = readInt(f, `${key}.prefixLength`, o.prefixLength, 8, 30);
  const gateway = readString(f, `${key}.gateway`, o.gateway);
  f.check(`${key}.gateway`, ipv4Problem(gateway));
  const nameservers = readStringList(f, `${key}.nameservers`, o.nameservers, true, ": the resolvers the nodes themselves use (the iDNS)");
  nameservers.forEach((ns, i) => f.check(`${key}.nameservers[${i}]`, ipv4Problem(ns)));
  const searchDomains = readStringList(f, `${key}.searchDomains`, o.searchDomains ?? DEFAULT_SEARCH_DOMAINS, false);
  searchDomains.forEach((d, i) => f.check(`${key}.searchDomains[${i}]`, dnsNameProblem(d)));
  const interfaceName = readString(f, `${key}.interfaceName`, o.interfaceName ?? DEFAULT_INTERFACE_NAME);
  if (!INTERFACE_NAME.test(interfaceName)) {
    f.check(`${key}.interfaceName`, `must be a Linux interface name (at most 15 characters, no "/" or spaces); got ${JSON.stringify(interfaceName)}`);
  }
  return { prefixLength, gateway, nameservers, searchDomains, interfaceName };
}

function readMachineOverrides(f: Findings, key: string, v: unknown, vm: VmSize, datacenter: string | undefined): CdnsMachineOverrides {
  if (v === undefined || v === null) return {};
  const o = readObject(f, key, v, MACHINE_KEYS, false);
  const out: { -readonly [K in keyof CdnsMachineOverrides]: CdnsMachineOverrides[K] } = {};
  if (o.vm !== undefined) out.vm = readVmSize(f, `${key}.vm`, o.vm, vm, MIN_NODE_VM, " for an RKE2 node");
  if (o.template !== undefined) out.template = readInventoryName(f, `${key}.template`, o.template, "vm", datacenter);
  if (o.datastore !== undefined) out.datastore = readInventoryName(f, `${key}.datastore`, o.datastore, "datastore", datacenter);
  if (o.resourcePool !== undefined) out.resourcePool = readInventoryName(f, `${key}.resourcePool`, o.resourcePool, "host", datacenter);
  if (o.folder !== undefined) out.folder = readFolder(f, `${key}.folder`, o.folder, datacenter);
  if (o.networks !== undefined) {
    const networks = readStringList(f, `${key}.networks`, o.networks, true);
    networks.forEach((n, i) => {
      if (datacenter !== undefined) f.check(`${key}.networks[${i}]`, inventoryPathProblem(n, "network", datacenter));
    });
    out.networks = networks;
  }
  return out;
}

/** `cdns.nodes` of a created cluster. `datacenter` (when valid) checks the per-node inventory paths. */
export function readCdnsNodes(f: Findings, v: unknown, vm: VmSize, datacenter: string | undefined): CdnsNodeConfig[] {
  const rawNodes = readList(f, "cdns.nodes", v, true, ': at least one node, e.g. [{ip: "192.0.2.10"}]');
  return rawNodes.map((raw, index) => {
    const key = `cdns.nodes[${index}]`;
    const n = readObject(f, key, raw, NODE_KEYS, true);
    if (isObject(raw) && raw.hostname !== undefined) {
      f.add(`${key}.hostname`, "was removed: Rancher names each machine <cluster>-<pool>-<suffix> (here the pool is "
        + `cdns-${index}) and the rancher2 provider offers no host name for a machine pool (only hostnameLengthLimit); remove the key`);
    }
    const ip = readString(f, `${key}.ip`, n.ip);
    f.check(`${key}.ip`, ipv4Problem(ip));
    return { index, ip, machine: readMachineOverrides(f, `${key}.machine`, n.machine, vm, datacenter) };
  });
}

/**
 * The HAProxy block's shape. The HAProxy-specific rules belong to validateHaproxySettings()
 * (validateHaproxy.ts), which runs at the end with the derived context. Undefined when the
 * block is absent or `enabled: false`.
 */
export function readHaproxy(f: Findings, v: unknown, clusterName: string): HaproxyConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const key = "haproxy";
  const o = readObject(f, key, v, ["enabled", "ip", "hostname", "vm", "maxServers", "kubeApi", "httpCheck", "proxyProtocol"], true);
  if (o.proxyProtocol !== undefined) {
    const on = readBool(f, `${key}.proxyProtocol`, o.proxyProtocol);
    if (on) {
      f.add(`${key}.proxyProtocol`, "is not supported: with PROXY protocol the ingress controller must require the header on ports 80/443, "
        + "and then every client that reaches a worker directly through the round-robin DNS answers (the main path) sends none and fails; "
        + "HAProxy forwards TCP unchanged, so use the ingress controller's own client-address handling or leave it off");
    } else {
      f.warn(`${key}.proxyProtocol`, "is no longer a setting (HAProxy never sends PROXY protocol): remove the key");
    }
  }
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
    ...(httpCheck !== undefined ? { httpCheck } : {}),
  };
}

/** True when the haproxy value is what Pulumi.yaml defaults it to (or absent): no HAProxy asked for. */
export function isHaproxyOff(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (!isObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 0 || (keys.length === 1 && (v.enabled === false || v.enabled === "false"));
}

