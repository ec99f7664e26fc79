/**
 * What the sidecar keeps of each object: the fields the entriesFrom*() functions and node health
 * read, nothing else. Real objects carry managedFields and the `kubectl apply` copy of the whole
 * object (5-10 KB per Ingress); at 10,000 Ingresses keeping them costs tens of MiB.
 *
 * Trimming never hides a malformed object: a field of an unexpected type is kept as it is, so
 * the source still reports it (`malformed_object`).
 */
import { internListOf, internString } from "./intern";
import { isObj, type Obj } from "./objects";
import type { WatchedKind } from "./store";

/** `kubectl apply` stores the last applied object here: as large as the object itself. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

function trimMeta(meta: unknown, keepAnnotations: boolean): unknown {
  if (!isObj(meta)) return meta;
  const out: Record<string, unknown> = {};
  for (const k of ["name", "namespace", "labels", "deletionTimestamp", "resourceVersion"]) if (meta[k] !== undefined) out[k] = meta[k];
  if (keepAnnotations && isObj(meta.annotations)) {
    const ann: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(meta.annotations)) if (k !== LAST_APPLIED_ANNOTATION) ann[k] = v;
    out.annotations = ann;
  } else if (keepAnnotations && meta.annotations !== undefined) out.annotations = meta.annotations;
  return out;
}

function pick(obj: Obj, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function trimIngress(o: Obj): unknown {
  const spec = o.spec;
  let trimmedSpec: unknown = spec;
  if (isObj(spec)) {
    const s = pick(spec, ["ingressClassName"]);
    // Paths and backends are not read: a rule keeps its host.
    if (spec.rules !== undefined) s.rules = Array.isArray(spec.rules) ? spec.rules.map((r) => (isObj(r) ? pick(r, ["host"]) : r)) : spec.rules;
    trimmedSpec = s;
  }
  return { metadata: trimMeta(o.metadata, true), spec: trimmedSpec, status: trimLoadBalancerStatus(o.status) };
}

/**
 * status.loadBalancer.ingress as an interned list of `{ ip }` / `{ hostname }` entries (intern.ts):
 * with a DaemonSet controller every Ingress lists the same nodes, and they then share one list.
 * Anything of another shape is kept as it is, for the source to report.
 */
export function trimLoadBalancerStatus(status: unknown): unknown {
  if (!isObj(status) || !isObj(status.loadBalancer) || !Array.isArray(status.loadBalancer.ingress)) return status;
  const entries = status.loadBalancer.ingress;
  if (!entries.every((e) => isObj(e) && (typeof e.ip === "string" || typeof e.hostname === "string"))) return status;
  const key = (entries as Obj[]).map((e) => (typeof e.ip === "string" ? e.ip : `h:${e.hostname as string}`)).join(",");
  // Built only for a status not seen before: a DaemonSet's 10,000 equal statuses of 100 entries
  // would otherwise allocate a million objects at start, only to drop them.
  const kept = () => (entries as Obj[]).map((e) => (typeof e.ip === "string" ? { ip: internString(e.ip) } : { hostname: e.hostname as string }));
  return { loadBalancer: { ingress: internListOf("status", key, kept) } };
}

function trimNode(o: Obj): unknown {
  const spec = isObj(o.spec) ? pick(o.spec, ["unschedulable", "taints"]) : o.spec;
  let status: unknown = o.status;
  if (isObj(o.status)) {
    // Images, nodeInfo, capacity, volumes: large and unread. Conditions keep type and status.
    const conditions = Array.isArray(o.status.conditions)
      ? o.status.conditions.map((c) => (isObj(c) ? pick(c, ["type", "status"]) : c))
      : o.status.conditions;
    status = { addresses: o.status.addresses, conditions };
  }
  return { metadata: trimMeta(o.metadata, false), spec, status };
}

/** Ingress controller pods (pods.ts): where they run and whether they are Ready; no containers, volumes or managedFields. */
function trimPod(o: Obj): unknown {
  const spec = isObj(o.spec) ? pick(o.spec, ["nodeName"]) : o.spec;
  let status: unknown = o.status;
  if (isObj(o.status)) {
    const conditions = Array.isArray(o.status.conditions)
      ? o.status.conditions.map((c) => (isObj(c) ? pick(c, ["type", "status"]) : c))
      : o.status.conditions;
    status = { ...pick(o.status, ["phase"]), conditions };
  }
  return { metadata: trimMeta(o.metadata, false), spec, status };
}

function trimGeneric(o: Obj): unknown {
  const out: Record<string, unknown> = { ...o, metadata: trimMeta(o.metadata, true) };
  return out;
}

/** The part of `obj` the sidecar keeps, by kind. Never throws. */
export function trimObject(kind: WatchedKind, obj: unknown): unknown {
  if (!isObj(obj)) return obj;
  switch (kind) {
    case "Ingress":
      return trimIngress(obj);
    case "Node":
      return trimNode(obj);
    case "Pod":
      return trimPod(obj);
    default:
      return trimGeneric(obj);
  }
}
