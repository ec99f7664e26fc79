/**
 * Defensive readers for Kubernetes objects. Informer objects arrive either as
 * client-node model instances (initial list) or as raw JSON (watch events),
 * and a buggy controller can write anything into status: so the source reads
 * everything as `unknown` and never throws.
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

/** Parses "key=value" (or "key" meaning any value) as used by --opt-out-label and --fallback-node-selector. */
export interface LabelMatch {
  readonly key: string;
  readonly value?: string;
}

export function parseLabelMatch(s: string): LabelMatch | undefined {
  const t = s.trim();
  if (t === "") return undefined;
  const i = t.indexOf("=");
  if (i < 0) return { key: t };
  const key = t.slice(0, i).trim();
  const value = t.slice(i + 1).trim();
  return key === "" ? undefined : { key, value };
}

export function labelsMatch(labels: Readonly<Record<string, string>>, m: LabelMatch): boolean {
  const v = labels[m.key];
  return v !== undefined && (m.value === undefined || v === m.value);
}
