/**
 * Pure mappings from the validated stack config to each part's input. The stack program
 * (infra/program.ts) and `npm run synth` both use them, so what synth writes for GitOps
 * users is what `pulumi up` deploys.
 */
import type {
  CdnsNodeConfig,
  ExistingClusterStackConfig,
  StackConfig,
  VsphereStackConfig,
} from "../config/types";
import type { CdnsChartProps } from "../chart/cdnsChart";
import type { RenderForwardingInput } from "../render/forwarding";
import { CDNS_INDEX_LABEL, CDNS_PURPOSE_KEY, CDNS_PURPOSE_VALUE } from "../config/defaults";
import { cdnsVsphereMachineConfig, machineConfigFingerprint, type CdnsMachineSettings } from "./machineConfig";

/** The cDNS nodes of either mode, primary first: index and the address the iDNS forwards to. */
export function cdnsNodes(config: StackConfig): { readonly index: number; readonly ip: string }[] {
  const nodes = config.mode === "vsphere" ? config.cdns.nodes : config.existingCluster.nodes;
  return nodes.map((n) => ({ index: n.index, ip: n.ip }));
}

/** Addresses of the cDNS nodes, primary first: what the iDNS forwards to. */
export function cdnsAddresses(config: StackConfig): string[] {
  return cdnsNodes(config).map((n) => n.ip);
}

/** A records for each zone apex: the HAProxy address when the VM is enabled, else none. */
export function apexAddresses(config: StackConfig): string[] {
  return config.mode === "vsphere" && config.haproxy?.enabled === true ? [config.haproxy.ip] : [];
}

/** Everything that shapes the cDNS chart except the images (which a build may produce). */
export function workloadChartProps(config: StackConfig): Omit<CdnsChartProps, "sidecarImage" | "dnsmasqImage"> {
  const s = config.sidecar;
  return {
    zones: config.zones,
    nodes: cdnsNodes(config),
    ttlSeconds: config.cdns.ttlSeconds,
    apexAddresses: apexAddresses(config),
    ...(config.cdns.authoritative.enabled ? { authoritative: { hostmaster: config.cdns.authoritative.hostmaster } } : {}),
    ...(s.ingressClass !== undefined ? { ingressClass: s.ingressClass } : {}),
    namespaces: s.namespaces,
    fallbackNodeSelector: s.fallbackNodeSelector,
    sources: { services: s.sources.services, gatewayHttpRoutes: s.sources.gatewayHttpRoutes },
    ...(s.ingressController !== undefined ? { ingressController: s.ingressController } : {}),
    ...(s.nodeCheck !== undefined ? { nodeCheck: s.nodeCheck } : {}),
  };
}

/** Input of the iDNS snippets (`forwarding` output). */
export function forwardingInput(config: StackConfig): RenderForwardingInput {
  return {
    zones: config.zones,
    cdnsAddresses: cdnsAddresses(config),
    ...(config.cdns.authoritative.enabled ? { authoritative: {} } : {}),
  };
}

/** The labels a cDNS node carries: the user's, then `purpose=cdns` and its index (which win). */
export function cdnsNodeLabels(labels: Readonly<Record<string, string>>, index: number): Record<string, string> {
  return { ...labels, [CDNS_PURPOSE_KEY]: CDNS_PURPOSE_VALUE, [CDNS_INDEX_LABEL]: String(index) };
}

/** The taints that keep every other pod off a cDNS node (the cDNS pod tolerates them). */
export const CDNS_NODE_TAINTS: readonly { readonly key: string; readonly value: string; readonly effect: "NoSchedule" | "NoExecute" }[] = [
  { key: CDNS_PURPOSE_KEY, value: CDNS_PURPOSE_VALUE, effect: "NoSchedule" },
  { key: CDNS_PURPOSE_KEY, value: CDNS_PURPOSE_VALUE, effect: "NoExecute" },
];

/** A kubectl argument, quoted for a POSIX shell only when it needs it. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./=:,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * The kubectl lines that prepare an existing cluster's cDNS nodes: the labels (unless the
 * program applies them, `existingCluster.labelNodes`) and always the taints. Taints are
 * never applied by the program: `spec.taints` is an atomic list for server-side apply
 * (`+listType=atomic` in k8s.io/api core/v1), so applying ours would replace the whole list
 * and remove the taints others set (e.g. the controller-manager's
 * `node.kubernetes.io/not-ready`). `kubectl taint` adds to the list instead.
 */
export function cdnsNodeCommands(config: ExistingClusterStackConfig): string[] {
  const context = config.existingCluster.context === undefined ? [] : [`--context=${config.existingCluster.context}`];
  const lines: string[] = [];
  for (const node of config.existingCluster.nodes) {
    if (!config.existingCluster.labelNodes) {
      const labels = Object.entries(cdnsNodeLabels(config.cdns.labels, node.index)).map(([k, v]) => `${k}=${v}`);
      lines.push(["kubectl", ...context, "label", "node", node.name, ...labels, "--overwrite"].map(shellWord).join(" "));
    }
    const taints = CDNS_NODE_TAINTS.map((t) => `${t.key}=${t.value}:${t.effect}`);
    lines.push(["kubectl", ...context, "taint", "node", node.name, ...taints, "--overwrite"].map(shellWord).join(" "));
  }
  return lines;
}

/** One cDNS node's machine settings: the shared ones with the node's own overrides (`cdns.nodes[i].machine`). */
export function cdnsMachineSettings(config: VsphereStackConfig, node: CdnsNodeConfig): CdnsMachineSettings {
  const m = node.machine;
  const v = config.vsphere;
  return {
    ip: node.ip,
    network: config.cdns.network,
    vm: m.vm ?? config.cdns.vm,
    vsphere: {
      server: v.server,
      port: v.port,
      datacenter: v.datacenter,
      datastore: m.datastore ?? v.datastore,
      resourcePool: m.resourcePool ?? v.resourcePool,
      folder: m.folder ?? v.folder,
      networks: m.networks ?? v.networks,
      template: m.template ?? v.template,
    },
  };
}

/** Fingerprints of the cDNS machine configs, by node index (the `cdnsMachineFingerprints` output). */
export function cdnsMachineFingerprints(config: VsphereStackConfig): string[] {
  return config.cdns.nodes.map((n) => machineConfigFingerprint(cdnsVsphereMachineConfig(cdnsMachineSettings(config, n))));
}

/** Subject alternative names of the API certificate: the configured ones, and HAProxy's address when it balances the API. */
export function clusterTlsSans(config: VsphereStackConfig): string[] {
  const sans = [...config.cluster.tlsSan];
  const h = config.haproxy;
  if (h !== undefined && h.kubeApi && !sans.includes(h.ip)) sans.push(h.ip);
  return sans;
}
