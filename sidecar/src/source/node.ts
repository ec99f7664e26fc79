/**
 * Node health as the plan needs it. A node is healthy when its Ready condition
 * is "True", it is not cordoned (spec.unschedulable) and not being deleted
 * (metadata.deletionTimestamp): each of those means the ingress controller on
 * it is gone or about to go.
 */
import { isIPv4 } from "node:net";
import type { NodeState } from "../model";
import { isObj, labelsMatch, readMeta, str, type LabelMatch, parseLabelMatch } from "./objects";

/** Rancher (RKE2/k3s) and kubeadm mark control-plane nodes with this label, value "true" or "". */
export const CONTROL_PLANE_NODE_LABEL = "node-role.kubernetes.io/control-plane";

/** Parses a fallback selector: comma-separated `key=value` or `key` terms, all of which must match. */
export function parseSelector(selector: string): LabelMatch[] | undefined {
  const terms = selector.split(",").filter((t) => t.trim() !== "");
  const parsed = terms.map(parseLabelMatch);
  return parsed.every((t): t is LabelMatch => t !== undefined) ? parsed : undefined;
}

/** NodeState from a Node object, or undefined when it is malformed (no name). */
export function nodeStateFromNode(node: unknown, fallbackSelector: readonly LabelMatch[]): NodeState | undefined {
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
    fallback: fallbackSelector.length > 0 && fallbackSelector.every((m) => labelsMatch(meta.labels, m)),
    controlPlane: meta.labels[CONTROL_PLANE_NODE_LABEL] === "true" || meta.labels[CONTROL_PLANE_NODE_LABEL] === "",
  };
}
