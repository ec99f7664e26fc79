/**
 * Which stack outputs are secret, as the engine sent them.
 *
 * The engine sends secrets to a policy pack marked (`KeepSecrets: true` in the analyzer
 * plugin), but @pulumi/policy 1.21 unwraps the markers before `validateStack` sees the
 * properties (`deserializeProperties(..., false)` in server.js): a secret kubeconfig and a
 * plain one look the same. `keepSecretMarkers()` wraps that deserializer so it also records,
 * per deserialized object, the paths that were marked secret. The values every policy sees
 * are unchanged; only `recordedSecretPaths()` reads the record.
 *
 * Internal API, so it is checked: if the module no longer has the function, installing
 * throws and the pack fails to start instead of passing plain secrets silently.
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** A path inside a value, e.g. ["kubeconfig"] or ["cdns", "credentials", 0]. */
export type ValuePath = readonly (string | number)[];

/** Paths are compared as their JSON text, so keys containing dots stay distinct. */
export function pathKey(path: ValuePath): string {
  return JSON.stringify(path);
}

/** The engine's wire form of a secret: `{ [specialSigKey]: specialSecretSig, value }`. */
export function isSecretMarker(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** Paths of every secret marker in a value in wire form (outermost secret only). */
export function secretPathsOf(value: unknown, path: ValuePath = []): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown, p: ValuePath): void => {
    if (isSecretMarker(v)) {
      found.add(pathKey(p));
      return;
    }
    if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...p, i]));
    else if (typeof v === "object" && v !== null) for (const [k, e] of Object.entries(v)) walk(e, [...p, k]);
  };
  walk(value, path);
  return found;
}

interface StructLike {
  toJavaScript(): Record<string, unknown>;
}

interface DeserializeModule {
  deserializeProperties: (struct: StructLike, proxySecrets: boolean) => Record<string, unknown>;
}

const recorded = new WeakMap<object, ReadonlySet<string>>();
let installed = false;

/** Idempotent. Called by policy/index.ts before the PolicyPack starts serving. */
export function keepSecretMarkers(): void {
  if (installed) return;
  // Not in the package's type declarations (internal), hence require and a local interface.
  const mod = require("@pulumi/policy/deserialize") as Partial<DeserializeModule>;
  const original = mod.deserializeProperties;
  if (typeof original !== "function") {
    throw new Error("@pulumi/policy no longer exposes deserializeProperties: the secret-output policy cannot see secretness");
  }
  mod.deserializeProperties = (struct: StructLike, proxySecrets: boolean) => {
    const props = original(struct, proxySecrets);
    if (!proxySecrets) recorded.set(props, secretPathsOf(struct.toJavaScript()));
    return props;
  };
  installed = true;
}

/** Secret paths recorded for a deserialized props object, or undefined when nothing was recorded. */
export function recordedSecretPaths(props: object): ReadonlySet<string> | undefined {
  return recorded.get(props);
}
