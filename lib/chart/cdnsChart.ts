/**
 * The cDNS workload as a cdk8s Chart: props in, Kubernetes objects out, no I/O.
 *
 * One Deployment per cDNS node (`cdns-0`, `cdns-1`, ...), each pinned to its node by
 * the `purpose=cdns` and index labels the machine pool sets. Built from the L1
 * `k8s` imports on purpose: the cdk8s-plus L2 defaults (2 replicas, rolling update,
 * node affinity instead of a nodeSelector, `imagePullPolicy: Always`) are wrong for a
 * single-node, hostPort-53 pod, so every field here is spelled out.
 */
import { createHash } from "node:crypto";
import { App, Chart, type ChartProps } from "cdk8s";
import { k8s } from "cdk8s-plus-31";
import type { Construct } from "constructs";
import { stringify } from "yaml";
import {
  CDNS_APP_NAME,
  CDNS_INDEX_LABEL,
  CDNS_PURPOSE_KEY,
  CDNS_PURPOSE_VALUE,
  DEFAULT_DNS_PORT,
  DEFAULT_FALLBACK_NODE_SELECTOR,
  DEFAULT_HOSTS_DIR,
  DEFAULT_HOSTS_FILE,
  DEFAULT_NAMESPACE,
  DEFAULT_SIDECAR_HTTP_PORT,
  DEFAULT_TTL_SECONDS,
} from "../config/defaults";
import { healthName } from "../dns/names";
import type { IngressControllerSpec } from "../k8s/ingressControllers";
import { renderDnsmasqConf } from "../render/dnsmasqConf";
import { DEFAULT_RESPONDER_PORT, RESPONDER_HOST } from "../dns/responder";

/** Our own PriorityClass: `system-cluster-critical` is only admitted in kube-system on many clusters. */
export const DEFAULT_PRIORITY_CLASS_NAME = "cdns-critical";
/** The highest value a user-defined PriorityClass may have; the system classes sit above it. */
export const DEFAULT_PRIORITY_VALUE = 1_000_000_000;
/** Pod-template annotation holding the sha256 of the rendered config: a change rolls the pod. */
export const CONFIG_HASH_ANNOTATION = "cdns.rancher-cdns.io/config-hash";
/** Where dnsmasq.conf is mounted from the ConfigMap (read once at start, so no inotify concerns). */
export const DNSMASQ_CONF_DIR = "/etc/cdns";
export const DNSMASQ_CONF_KEY = "dnsmasq.conf";
/**
 * dnsmasq writes a pid file even in the foreground and exits when it cannot (measured), so with a
 * read-only root filesystem it goes to a small emptyDir.
 */
export const DNSMASQ_RUN_DIR = "/run/dnsmasq";
export const DNSMASQ_BIN = "/usr/sbin/dnsmasq";
/** Probe script in the dnsmasq image (images/dnsmasq/probe.sh): `cdns-probe NAME SERVER PORT`, fails unless NAME answers 127.0.0.1. */
export const DNSMASQ_PROBE = "/usr/local/bin/cdns-probe";
/** Distroless `nonroot` user the sidecar runs as. */
export const SIDECAR_UID = 65532;
/**
 * The sidecar's startup probe (on /startupz: the first sync is written) is what holds
 * dnsmasq back, so it may take long on a big cluster: up to 5 minutes, polled every second so
 * dnsmasq starts within about a second of the first write.
 */
export const SIDECAR_STARTUP_PROBE = { periodSeconds: 1, failureThreshold: 300, timeoutSeconds: 3 } as const;
/**
 * Pod Security admission of the namespace. The cDNS pod needs `privileged`: `baseline` already
 * forbids hostPort (53 on the node is the point of the pod), and `restricted` also forbids
 * dnsmasq's root user. The namespace holds nothing but the cDNS pods, so the exemption covers
 * exactly them. The version is pinned so that a cluster upgrade never changes what is admitted
 * without a change here; v1.29 is the oldest release the chart supports (native sidecars).
 */
export const POD_SECURITY_LABELS: Readonly<Record<string, string>> = {
  "pod-security.kubernetes.io/enforce": "privileged",
  "pod-security.kubernetes.io/enforce-version": "v1.29",
};
/** Where client libraries look for the API token; mounted into the sidecar only. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** CPU and memory as Kubernetes quantities, e.g. `{ cpu: "100m", memory: "64Mi" }`. */
export interface ResourceAmounts {
  readonly cpu: string;
  readonly memory: string;
}

export interface ContainerResources {
  readonly requests: ResourceAmounts;
  readonly limits: ResourceAmounts;
}

/** dnsmasq is single-threaded: one CPU is its ceiling anyway (measured: ~150k qps on 2 vCPUs with dnsperf). */
export const DEFAULT_DNSMASQ_RESOURCES: ContainerResources = {
  requests: { cpu: "100m", memory: "32Mi" },
  limits: { cpu: "1", memory: "128Mi" },
};
/**
 * The sidecar keeps trimmed copies of the Ingresses and Nodes. Measured with the bundle and the
 * image's node flags against a real API server: 54 MiB with no Ingress, peak 96 MiB at 10,000
 * realistic Ingresses (test/rig/scale.test.ts checks the peak stays under the limit). The limit
 * leaves room for about twice that many; raise it (CdnsChartProps.sidecarResources) beyond.
 */
export const DEFAULT_SIDECAR_RESOURCES: ContainerResources = {
  requests: { cpu: "50m", memory: "96Mi" },
  limits: { cpu: "500m", memory: "192Mi" },
};
/** Size cap of the hosts-dir emptyDir: 40 names × 74 IPs is a few hundred KiB. */
export const DEFAULT_HOSTS_DIR_SIZE_LIMIT = "16Mi";

/** Which objects the sidecar reads besides Ingresses and Nodes; each adds RBAC and a flag. */
export interface CdnsSources {
  /** LoadBalancer Services. @default false */
  readonly services?: boolean;
  /** gateway.networking.k8s.io HTTPRoutes (and the Gateways they attach to). @default false */
  readonly gatewayHttpRoutes?: boolean;
}

/** The sidecar's active data-path check (`--node-check-*`); each field unset takes the sidecar's default. */
export interface CdnsNodeCheck {
  /** Ports every target node must accept. @default the sidecar's (80, 443) */
  readonly ports?: readonly number[];
  /** @default the sidecar's (2000) */
  readonly intervalMs?: number;
  /** @default the sidecar's (1000) */
  readonly timeoutMs?: number;
  /** @default the sidecar's (2) */
  readonly rise?: number;
  /** @default the sidecar's (3) */
  readonly fall?: number;
  /** @default the sidecar's (32) */
  readonly concurrency?: number;
}

export interface CdnsChartProps {
  /** Zones served, validated and lowercase; the first holds the health and NS names. */
  readonly zones: readonly string[];
  /** The cDNS nodes, primary first: one Deployment per node, selected by its index label. */
  readonly nodes: readonly { readonly index: number; readonly ip: string }[];
  /** Sidecar image, digest-pinned (`repo:tag@sha256:...`), from SidecarImage or the config. */
  readonly sidecarImage: string;
  /** dnsmasq image (images/dnsmasq), digest-pinned, from DnsmasqImage or the config. No default: there is no public image. */
  readonly dnsmasqImage: string;
  /** Namespace created for the workload. @default DEFAULT_NAMESPACE */
  readonly namespace?: string;
  /** TTL of ingress answers. @default DEFAULT_TTL_SECONDS */
  readonly ttlSeconds?: number;
  /** A records for each zone apex (e.g. the HAProxy address). @default [] */
  readonly apexAddresses?: readonly string[];
  /**
   * Authoritative mode: SOA/NS for every zone, name servers = the cDNS nodes' IPs.
   * @default undefined (forwarding mode)
   */
  readonly authoritative?: { readonly hostmaster: string };
  /** Only Ingresses of this class. @default undefined (all classes) */
  readonly ingressClass?: string;
  /** Only Ingresses in these namespaces. @default [] (all namespaces) */
  readonly namespaces?: readonly string[];
  /** Node label selector of fallback targets. @default DEFAULT_FALLBACK_NODE_SELECTOR */
  readonly fallbackNodeSelector?: string;
  /** Extra sources the sidecar watches. @default {} (Ingresses and Nodes only) */
  readonly sources?: CdnsSources;
  /**
   * The ingress controller whose Ready pods decide the targets of its Ingresses (resolved with
   * lib/k8s/ingressControllers.ts): passed to the sidecar, plus a Role and RoleBinding in its
   * namespace to watch its pods. @default undefined (targets follow node health only)
   */
  readonly ingressController?: IngressControllerSpec;
  /** The sidecar's TCP check of every target node's ingress ports. @default undefined (off) */
  readonly nodeCheck?: CdnsNodeCheck;
  /** Directory dnsmasq watches and the sidecar writes. @default DEFAULT_HOSTS_DIR */
  readonly hostsDir?: string;
  /** File the sidecar writes in `hostsDir`. @default DEFAULT_HOSTS_FILE */
  readonly hostsFile?: string;
  /** Sidecar HTTP port (/healthz, /readyz, /metrics). @default DEFAULT_SIDECAR_HTTP_PORT */
  readonly sidecarHttpPort?: number;
  /**
   * Port of the sidecar's DNS responder on the pod's loopback, where dnsmasq forwards the zones'
   * names it does not hold (wildcard hosts, negative answers). Forwarding mode only: in
   * authoritative mode dnsmasq answers the zones itself and wildcard hosts are not served.
   * @default DEFAULT_RESPONDER_PORT
   */
  readonly responderPort?: number;
  /** PriorityClass created and used by the pods. @default DEFAULT_PRIORITY_CLASS_NAME */
  readonly priorityClassName?: string;
  /** @default DEFAULT_DNSMASQ_RESOURCES */
  readonly dnsmasqResources?: ContainerResources;
  /** @default DEFAULT_SIDECAR_RESOURCES */
  readonly sidecarResources?: ContainerResources;
}

/** Every default applied, once. */
interface Resolved {
  readonly zones: readonly string[];
  readonly nodes: readonly { readonly index: number; readonly ip: string }[];
  readonly sidecarImage: string;
  readonly dnsmasqImage: string;
  readonly namespace: string;
  readonly priorityClassName: string;
  readonly hostsDir: string;
  readonly sidecarHttpPort: number;
  readonly sources: Required<CdnsSources>;
  readonly ingressController: IngressControllerSpec | undefined;
  readonly dnsmasqResources: ContainerResources;
  readonly sidecarResources: ContainerResources;
  readonly dnsmasqConf: string;
  readonly sidecarArgs: readonly string[];
}

function resolve(props: CdnsChartProps): Resolved {
  const zone0 = props.zones[0];
  if (zone0 === undefined) throw new Error("CdnsChart: at least one zone is required");
  if (props.nodes.length === 0) throw new Error("CdnsChart: at least one cDNS node is required");
  if (props.dnsmasqImage === "") throw new Error("CdnsChart: dnsmasqImage is required");
  const hostsDir = props.hostsDir ?? DEFAULT_HOSTS_DIR;
  const hostsFile = props.hostsFile ?? DEFAULT_HOSTS_FILE;
  const sidecarHttpPort = props.sidecarHttpPort ?? DEFAULT_SIDECAR_HTTP_PORT;
  const sources = { services: props.sources?.services ?? false, gatewayHttpRoutes: props.sources?.gatewayHttpRoutes ?? false };
  const namespaces = props.namespaces ?? [];
  const ttlSeconds = props.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  // Authoritative mode: dnsmasq answers its auth-zones itself, so no responder (and no wildcards).
  const responderPort = props.authoritative === undefined ? props.responderPort ?? DEFAULT_RESPONDER_PORT : undefined;
  const dnsmasqConf = renderDnsmasqConf({
    zones: props.zones,
    ttlSeconds,
    ...(responderPort === undefined ? {} : { responderPort }),
    hostsDir,
    port: DEFAULT_DNS_PORT,
    apexAddresses: props.apexAddresses ?? [],
    pidFile: `${DNSMASQ_RUN_DIR}/dnsmasq.pid`,
    ...(props.authoritative === undefined
      ? {}
      : { authoritative: { hostmaster: props.authoritative.hostmaster, nameServerAddresses: props.nodes.map((n) => n.ip) } }),
  });
  const sidecarArgs = [
    `--zones=${props.zones.join(",")}`,
    `--hosts-dir=${hostsDir}`,
    `--hosts-file=${hostsFile}`,
    `--http-port=${sidecarHttpPort}`,
    `--fallback-node-selector=${props.fallbackNodeSelector ?? DEFAULT_FALLBACK_NODE_SELECTOR}`,
    ...(props.ingressClass === undefined ? [] : [`--ingress-class=${props.ingressClass}`]),
    ...(namespaces.length === 0 ? [] : [`--namespaces=${namespaces.join(",")}`]),
    ...(sources.services ? ["--enable-services"] : []),
    ...(sources.gatewayHttpRoutes ? ["--enable-httproutes"] : []),
    ...ingressControllerArgs(props.ingressController),
    ...nodeCheckArgs(props.nodeCheck),
    `--responder-address=${responderPort === undefined ? "none" : `${RESPONDER_HOST}:${responderPort}`}`,
    `--ttl-seconds=${ttlSeconds}`,
  ];
  return {
    zones: props.zones,
    nodes: props.nodes,
    sidecarImage: props.sidecarImage,
    dnsmasqImage: props.dnsmasqImage,
    namespace: props.namespace ?? DEFAULT_NAMESPACE,
    priorityClassName: props.priorityClassName ?? DEFAULT_PRIORITY_CLASS_NAME,
    hostsDir,
    sidecarHttpPort,
    sources,
    ingressController: props.ingressController,
    dnsmasqResources: props.dnsmasqResources ?? DEFAULT_DNSMASQ_RESOURCES,
    sidecarResources: props.sidecarResources ?? DEFAULT_SIDECAR_RESOURCES,
    dnsmasqConf,
    sidecarArgs,
  };
}

function ingressControllerArgs(c: IngressControllerSpec | undefined): string[] {
  if (c === undefined) return [];
  return [`--ingress-controller-namespace=${c.namespace}`, `--ingress-controller-selector=${c.podSelector}`, `--ingress-controller-classes=${c.classes.join(",")}`];
}

/** The sidecar flags of the `nodeCheck` prop; exported so the stack validates its keys with the sidecar's own validator. */
export function nodeCheckArgs(c: CdnsNodeCheck | undefined): string[] {
  if (c === undefined) return [];
  const opt = (flag: string, v: number | undefined) => (v === undefined ? [] : [`--node-check-${flag}=${v}`]);
  return [
    "--node-check",
    ...(c.ports === undefined ? [] : [`--node-check-ports=${c.ports.join(",")}`]),
    ...opt("interval-ms", c.intervalMs), ...opt("timeout-ms", c.timeoutMs), ...opt("rise", c.rise), ...opt("fall", c.fall), ...opt("concurrency", c.concurrency),
  ];
}

/**
 * The ConfigMap holding dnsmasq.conf is named after its content (`cdns-dnsmasq-<hash>`), like a
 * Kustomize configMapGenerator: a config change creates a new ConfigMap and points each
 * Deployment at it as that Deployment rolls, while the pods not rolled yet keep reading the old
 * one (removed after the update). An in-place edit would reach pods before their turn, and the
 * kubernetes provider replaces (deletes, then recreates) an edited ConfigMap.
 */
export const DNSMASQ_CONFIG_MAP_PREFIX = "cdns-dnsmasq";

export function dnsmasqConfigMapName(dnsmasqConf: string): string {
  return `${DNSMASQ_CONFIG_MAP_PREFIX}-${createHash("sha256").update(dnsmasqConf).digest("hex").slice(0, 10)}`;
}

/**
 * sha256 over everything the pod reads at start (dnsmasq.conf and the sidecar's flags).
 * Images are left out: a new image already changes the pod template.
 */
export function configHash(dnsmasqConf: string, sidecarArgs: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify({ dnsmasqConf, sidecarArgs })).digest("hex");
}

/** Name of the Deployment for the cDNS node at `index`. */
export function deploymentName(index: number): string {
  return `cdns-${index}`;
}

const GET_LIST_WATCH = ["get", "list", "watch"];

function quantities(a: ResourceAmounts): Record<string, k8s.Quantity> {
  return { cpu: k8s.Quantity.fromString(a.cpu), memory: k8s.Quantity.fromString(a.memory) };
}

function resources(r: ContainerResources): k8s.ResourceRequirements {
  return { requests: quantities(r.requests), limits: quantities(r.limits) };
}

export class CdnsChart extends Chart {
  /** Deployment names, in node order. */
  readonly deploymentNames: readonly string[];
  readonly namespaceName: string;
  readonly configHash: string;
  readonly dnsmasqConf: string;
  /** Name of the ConfigMap holding dnsmasq.conf (content-addressed: dnsmasqConfigMapName()). */
  readonly configMapName: string;

  constructor(scope: Construct, id: string, props: CdnsChartProps, chartProps: ChartProps = {}) {
    super(scope, id, chartProps);
    const r = resolve(props);
    const ns = r.namespace;
    const labels = { "app.kubernetes.io/name": CDNS_APP_NAME, "app.kubernetes.io/managed-by": "rancher-cdns" };
    this.namespaceName = ns;
    this.dnsmasqConf = r.dnsmasqConf;
    this.configHash = configHash(r.dnsmasqConf, r.sidecarArgs);

    new k8s.KubeNamespace(this, "namespace", { metadata: { name: ns, labels: { ...labels, ...POD_SECURITY_LABELS } } });

    new k8s.KubePriorityClass(this, "priority", {
      metadata: { name: r.priorityClassName, labels },
      value: DEFAULT_PRIORITY_VALUE,
      preemptionPolicy: "PreemptLowerPriority",
      globalDefault: false,
      description: "cDNS: the stable DNS address of every ingress hostname; evicting it breaks name resolution.",
    });

    // The token is mounted into the sidecar only (see the projected volume below).
    new k8s.KubeServiceAccount(this, "sa", {
      metadata: { name: "cdns", namespace: ns, labels },
      automountServiceAccountToken: false,
    });

    const rules: k8s.PolicyRule[] = [
      { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: GET_LIST_WATCH },
      { apiGroups: [""], resources: ["nodes", ...(r.sources.services ? ["services"] : [])], verbs: GET_LIST_WATCH },
      ...(r.sources.gatewayHttpRoutes
        ? [{ apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes", "gateways"], verbs: GET_LIST_WATCH }]
        : []),
    ];
    new k8s.KubeClusterRole(this, "role", { metadata: { name: "cdns-sidecar", labels }, rules });
    new k8s.KubeClusterRoleBinding(this, "binding", {
      metadata: { name: "cdns-sidecar", labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cdns-sidecar" },
      subjects: [{ kind: "ServiceAccount", name: "cdns", namespace: ns }],
    });
    if (r.ingressController !== undefined) {
      // The controller's pods only: a Role in its namespace (the sidecar's watch is limited to it and its selector).
      const podNs = r.ingressController.namespace;
      new k8s.KubeRole(this, "controller-pods-role", {
        metadata: { name: "cdns-sidecar-ingress-controller", namespace: podNs, labels },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: GET_LIST_WATCH }],
      });
      new k8s.KubeRoleBinding(this, "controller-pods-binding", {
        metadata: { name: "cdns-sidecar-ingress-controller", namespace: podNs, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cdns-sidecar-ingress-controller" },
        subjects: [{ kind: "ServiceAccount", name: "cdns", namespace: ns }],
      });
    }

    this.configMapName = dnsmasqConfigMapName(r.dnsmasqConf);
    new k8s.KubeConfigMap(this, "config", {
      metadata: { name: this.configMapName, namespace: ns, labels },
      data: { [DNSMASQ_CONF_KEY]: r.dnsmasqConf },
      // A new config is a new ConfigMap (its name carries the content hash), never an edit.
      immutable: true,
    });

    this.deploymentNames = r.nodes.map((node) => this.deployment(r, node.index, labels));
  }

  private deployment(r: Resolved, index: number, baseLabels: Record<string, string>): string {
    const name = deploymentName(index);
    const selector = { "app.kubernetes.io/name": CDNS_APP_NAME, "app.kubernetes.io/instance": name };
    const zone0 = r.zones[0] as string; // resolve() rejected an empty list
    const dnsProbe: k8s.Probe = {
      exec: { command: [DNSMASQ_PROBE, healthName(zone0), "127.0.0.1", String(DEFAULT_DNS_PORT)] },
      timeoutSeconds: 3,
      failureThreshold: 3,
    };
    const dropAll = { drop: ["ALL"] };

    const dnsmasq: k8s.Container = {
      name: "dnsmasq",
      image: r.dnsmasqImage,
      imagePullPolicy: "IfNotPresent",
      command: [DNSMASQ_BIN],
      args: [`--conf-file=${DNSMASQ_CONF_DIR}/${DNSMASQ_CONF_KEY}`],
      ports: [
        { name: "dns-udp", containerPort: DEFAULT_DNS_PORT, hostPort: DEFAULT_DNS_PORT, protocol: "UDP" },
        { name: "dns-tcp", containerPort: DEFAULT_DNS_PORT, hostPort: DEFAULT_DNS_PORT, protocol: "TCP" },
      ],
      livenessProbe: { ...dnsProbe, periodSeconds: 10 },
      readinessProbe: { ...dnsProbe, periodSeconds: 5 },
      resources: resources(r.dnsmasqResources),
      // Root inside the container (dnsmasq.conf says user=root and an empty group= so it never
      // calls setuid or setgid), with every capability gone but the one binding port 53 needs.
      securityContext: {
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
      },
      volumeMounts: [
        { name: "hosts", mountPath: r.hostsDir, readOnly: true },
        { name: "config", mountPath: DNSMASQ_CONF_DIR, readOnly: true },
        { name: "run", mountPath: DNSMASQ_RUN_DIR },
      ],
    };

    const httpPort = k8s.IntOrString.fromString("http");
    // A native sidecar (an init container with restartPolicy Always, Kubernetes >= 1.29): the
    // kubelet starts it first and starts dnsmasq only once its startup probe passes, i.e. once
    // /startupz says the first sync is written (every required watch synced; optional sources get
    // a short grace, so a missing Gateway API cannot hold every name back). dnsmasq therefore never
    // serves an empty hosts directory, which with `local=/zone/` would answer NXDOMAIN for every
    // name of the zone. Readiness stays /readyz: whether the answers are current right now.
    // It is still restarted whenever it exits, and stopped after dnsmasq.
    const sidecar: k8s.Container = {
      name: "sidecar",
      image: r.sidecarImage,
      imagePullPolicy: "IfNotPresent",
      restartPolicy: "Always",
      args: [...r.sidecarArgs],
      ports: [{ name: "http", containerPort: r.sidecarHttpPort, protocol: "TCP" }],
      startupProbe: { httpGet: { path: "/startupz", port: httpPort }, ...SIDECAR_STARTUP_PROBE },
      livenessProbe: { httpGet: { path: "/healthz", port: httpPort }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      readinessProbe: { httpGet: { path: "/readyz", port: httpPort }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
      resources: resources(r.sidecarResources),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: SIDECAR_UID,
        runAsGroup: SIDECAR_UID,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: dropAll,
      },
      volumeMounts: [
        { name: "hosts", mountPath: r.hostsDir },
        { name: "kube-api-access", mountPath: SERVICE_ACCOUNT_DIR, readOnly: true },
      ],
    };

    new k8s.KubeDeployment(this, name, {
      metadata: { name, namespace: r.namespace, labels: { ...baseLabels, ...selector } },
      spec: {
        replicas: 1,
        // A second pod can never start beside the first: both want hostPort 53 on the one node.
        strategy: { type: "Recreate" },
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: { ...baseLabels, ...selector },
            annotations: { [CONFIG_HASH_ANNOTATION]: this.configHash },
          },
          spec: {
            serviceAccountName: "cdns",
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            priorityClassName: r.priorityClassName,
            terminationGracePeriodSeconds: 10,
            nodeSelector: { [CDNS_PURPOSE_KEY]: CDNS_PURPOSE_VALUE, [CDNS_INDEX_LABEL]: String(index) },
            tolerations: [
              { key: CDNS_PURPOSE_KEY, operator: "Equal", value: CDNS_PURPOSE_VALUE, effect: "NoSchedule" },
              { key: CDNS_PURPOSE_KEY, operator: "Equal", value: CDNS_PURPOSE_VALUE, effect: "NoExecute" },
            ],
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            initContainers: [sidecar],
            containers: [dnsmasq],
            volumes: [
              // In memory: the files are derived (rewritten from the API at every start, before dnsmasq
              // starts), and on disk the writer's fsyncs wait behind other writers (seen: one Ingress
              // change's write took 120 ms, 86 of them outside rendering and dnsmasq's re-read, i.e. in
              // the file writes, fsyncs and renames, while etcd wrote to the same disk).
              { name: "hosts", emptyDir: { medium: "Memory", sizeLimit: k8s.Quantity.fromString(DEFAULT_HOSTS_DIR_SIZE_LIMIT) } },
              { name: "run", emptyDir: { medium: "Memory", sizeLimit: k8s.Quantity.fromString("1Mi") } },
              { name: "config", configMap: { name: this.configMapName } },
              {
                // What the kubelet would automount, but only for the container that talks to the API.
                name: "kube-api-access",
                projected: {
                  defaultMode: 0o444,
                  sources: [
                    { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
                    { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                    { downwardApi: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
                  ],
                },
              },
            ],
          },
        },
      },
    });
    return name;
  }
}

/** What one synthesis gives: the objects plus the facts callers export. */
export interface CdnsSynthResult {
  /** The chart's objects as plain JSON, in the order cdk8s emits them. */
  readonly objs: Record<string, unknown>[];
  readonly namespace: string;
  readonly deploymentNames: readonly string[];
  readonly configHash: string;
}

export function synthCdnsChart(props: CdnsChartProps): CdnsSynthResult {
  const chart = new CdnsChart(new App(), "cdns", props);
  return {
    // toJson() resolves every token and Quantity to plain JSON; cdk8s types it any[].
    objs: chart.toJson() as Record<string, unknown>[],
    namespace: chart.namespaceName,
    deploymentNames: chart.deploymentNames,
    configHash: chart.configHash,
  };
}

/** The chart's objects as plain JSON, in the order cdk8s emits them. */
export function synthCdnsManifests(props: CdnsChartProps): Record<string, unknown>[] {
  return synthCdnsChart(props).objs;
}

/** Multi-document YAML for `npm run synth` and `kubectl apply -f -`. */
export function toYaml(objs: readonly Record<string, unknown>[]): string {
  return objs.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}
