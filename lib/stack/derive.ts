/**
 * Pure mappings from the validated stack config to each part's input. The
 * stack program (infra/index.ts) and `npm run synth` both use them, so what
 * synth writes for GitOps users is what `pulumi up` deploys.
 */
import type { StackConfig } from "../config/types";
import type { CdnsChartProps } from "../chart/cdnsChart";
import type { RenderForwardingInput } from "../render/forwarding";

/** Static IPs of the cDNS nodes, primary first: what the iDNS forwards to. */
export function cdnsAddresses(config: StackConfig): string[] {
  return config.cdns.nodes.map((n) => n.ip);
}

/** A records for each zone apex: the HAProxy address when the VM is enabled, else none. */
export function apexAddresses(config: StackConfig): string[] {
  return config.haproxy?.enabled === true ? [config.haproxy.ip] : [];
}

/** Everything that shapes the cDNS chart except the sidecar image (which a build may produce). */
export function workloadChartProps(config: StackConfig): Omit<CdnsChartProps, "sidecarImage"> {
  const s = config.sidecar;
  return {
    zones: config.zones,
    nodes: config.cdns.nodes.map((n) => ({ index: n.index, ip: n.ip })),
    dnsmasqImage: s.dnsmasqImage,
    ttlSeconds: config.cdns.ttlSeconds,
    apexAddresses: apexAddresses(config),
    ...(config.cdns.authoritative.enabled ? { authoritative: { hostmaster: config.cdns.authoritative.hostmaster } } : {}),
    ...(s.ingressClass !== undefined ? { ingressClass: s.ingressClass } : {}),
    namespaces: s.namespaces,
    fallbackNodeSelector: s.fallbackNodeSelector,
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
