/**
 * Names the cDNS owns inside its zones. One place, because the sidecar writes
 * them, dnsmasq.conf reserves them, the probe asks for them, HAProxy follows
 * them and the iDNS snippets delegate to them.
 */

/** Label of the record dnsmasq itself owns, asked by the liveness/readiness probe. */
export const HEALTH_LABEL = "cdns-health";
/** Address the health record answers with. */
export const HEALTH_ADDRESS = "127.0.0.1";
/** Label under which every serving node is listed (`nodes.<zone>`). */
export const NODES_LABEL = "nodes";

/** The name the probe asks: `cdns-health.<zone>`. */
export function healthName(zone: string): string {
  return `${HEALTH_LABEL}.${zone}`;
}

/** All-nodes name, one A record per healthy target node: `nodes.<zone>`. HAProxy follows it. */
export function nodesName(zone: string): string {
  return `${NODES_LABEL}.${zone}`;
}

/** Label of the name listing the control-plane nodes: `control-plane.nodes.<zone>`. */
export const CONTROL_PLANE_LABEL = "control-plane";

/**
 * Name listing the healthy control-plane nodes, under the reserved
 * `nodes.<zone>` (an Ingress cannot take it). HAProxy's kube API backend follows it.
 */
export function controlPlaneName(zone: string): string {
  return `${CONTROL_PLANE_LABEL}.${nodesName(zone)}`;
}

/** Canonical per-node name, first on each hosts line so it owns the PTR flag: `node-10-0-0-11.nodes.<zone>`. */
export function nodeCanonicalName(ip: string, zone: string): string {
  return `node-${ip.replace(/\./g, "-")}.${nodesName(zone)}`;
}

/** Name server name of the cDNS node at `index` in authoritative mode: `ns1.<zone>`, `ns2.<zone>`, ... */
export function nsName(index: number, zone: string): string {
  return `ns${index + 1}.${zone}`;
}

/**
 * True when `name` is one the cDNS reserves in `zone` (so an Ingress cannot
 * take it): the health name, the nodes name and anything under it, the NS names.
 */
export function isReservedName(name: string, zone: string): boolean {
  const n = name.toLowerCase();
  const nodes = nodesName(zone);
  return n === healthName(zone) || n === nodes || n.endsWith(`.${nodes}`) || /^ns[0-9]+\./.test(n) && n.slice(n.indexOf(".") + 1) === zone;
}
