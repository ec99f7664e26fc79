/**
 * Node health as the plan needs it. A node is healthy when its Ready condition
 * is "True", it is not cordoned (spec.unschedulable) and not being deleted
 * (metadata.deletionTimestamp): each of those means the ingress controller on
 * it is gone or about to go.
 *
 * Fallback targets (used when an Ingress has an empty status) are the nodes the
 * fallback selector matches, except cDNS nodes: a node tainted `purpose=cdns`
 * runs nothing but the cDNS pod, yet Rancher gives its pool the worker role, so
 * the default selector (`node-role.kubernetes.io/worker=true`) matches it too.
 */
import { isIpv4 as isIPv4 } from "../../../lib/net/ipv4";
import { CDNS_PURPOSE_KEY, CDNS_PURPOSE_VALUE } from "../../../lib/config/defaults";
import { selectorMatches, type SelectorRequirement } from "../../../lib/k8s/labelSelector";
import type { NodeState } from "../model";
import { isObj, readMeta, str } from "./objects";

/** Rancher (RKE2/k3s) and kubeadm mark control-plane nodes with this label, value "true" or "". */
export const CONTROL_PLANE_NODE_LABEL = "node-role.kubernetes.io/control-plane";

/** True when the node carries the cDNS taint (`purpose=cdns`, NoSchedule or NoExecute). */
export function isCdnsNode(spec: Readonly<Record<string, unknown>>): boolean {
  const taints = Array.isArray(spec.taints) ? spec.taints : [];
  return taints.some((t) => isObj(t) && t.key === CDNS_PURPOSE_KEY && t.value === CDNS_PURPOSE_VALUE && (t.effect === "NoSchedule" || t.effect === "NoExecute"));
}

/**
 * NodeState from a Node object, or undefined when it is malformed (no name).
 * An empty fallback selector selects no node (rather than every node, as it would in a List call).
 */
export function nodeStateFromNode(node: unknown, fallbackSelector: readonly SelectorRequirement[]): NodeState | undefined {
  const meta = readMeta(node);
  if (meta === undefined || !isObj(node)) return undefined;
  const spec = isObj(node.spec) ? node.spec : {};
  const status = isObj(node.status) ? node.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const ready = conditions.some((c) => isObj(c) && c.type === "Ready" && c.status === "True");
  const addresses: string[] = [];
  for (const a of Array.isArray(status.addresses) ? status.addresses : []) {
    if (!isObj(a) || (a.type !== "InternalIP" && a.type !== "ExternalIP")) continue;
    const ip = str(a.address);
    if (ip !== undefined && isIPv4(ip) && !addresses.includes(ip)) addresses.push(ip);
  }
  return {
    name: meta.name,
    addresses,
    healthy: ready && spec.unschedulable !== true && !meta.deleting,
    fallback: fallbackSelector.length > 0 && selectorMatches(meta.labels, fallbackSelector) && !isCdnsNode(spec),
    controlPlane: meta.labels[CONTROL_PLANE_NODE_LABEL] === "true" || meta.labels[CONTROL_PLANE_NODE_LABEL] === "",
  };
}
