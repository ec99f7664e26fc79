/**
 * Defensive readers for Kubernetes objects. Objects arrive as parsed JSON from
 * lists and watch events, and a buggy controller can write anything into
 * status: so the source reads everything as `unknown` and never throws.
 */
export type Obj = Readonly<Record<string, unknown>>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** metadata.namespace/name, or undefined when either is unusable. */
export interface ObjMeta {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly deleting: boolean;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

export function readMeta(obj: unknown): ObjMeta | undefined {
  if (!isObj(obj) || !isObj(obj.metadata)) return undefined;
  const m = obj.metadata;
  const name = str(m.name);
  if (name === undefined || name === "") return undefined;
  return {
    namespace: str(m.namespace) ?? "",
    name,
    labels: stringMap(m.labels),
    annotations: stringMap(m.annotations),
    // A Date from the typed list or a string from a watch event: presence is what counts.
    deleting: m.deletionTimestamp !== undefined && m.deletionTimestamp !== null,
  };
}

/** "Kind/namespace/name" (or "Kind/name" for cluster-scoped objects). */
export function ownerOf(kind: string, meta: Pick<ObjMeta, "namespace" | "name">): string {
  return meta.namespace === "" ? `${kind}/${meta.name}` : `${kind}/${meta.namespace}/${meta.name}`;
}
