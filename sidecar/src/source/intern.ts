/**
 * Sharing equal values between objects. With a hostPort DaemonSet ingress controller every
 * Ingress's status lists the same node IPs: 10,000 Ingresses x 100 nodes is a million IP strings
 * and a million small objects when each is kept as parsed, and the plan then checks the same
 * address list 10,000 times. Interned, they are one list, which the plan recognises by identity.
 *
 * The tables are bounded (cleared when they grow past their size): they only save memory and
 * work, nothing depends on a value being found.
 */
const MAX_ENTRIES = 100_000;

const strings = new Map<string, string>();
const lists = new Map<string, readonly unknown[]>();

/** The one instance of `s` (an IP address, a hostname). */
export function internString(s: string): string {
  const found = strings.get(s);
  if (found !== undefined) return found;
  if (strings.size >= MAX_ENTRIES) strings.clear();
  strings.set(s, s);
  return s;
}

/**
 * The one list equal to `list`, by `kind` (what the list holds) and `key` (a string that
 * determines its content within that kind). The list must never be changed afterwards: it is frozen.
 */
export function internList<T>(kind: "status" | "targets", key: string, list: readonly T[]): readonly T[] {
  return internListOf(kind, key, () => list);
}

/** internList, building the list only when its key is new (10,000 equal statuses build one). */
export function internListOf<T>(kind: "status" | "targets", key: string, build: () => readonly T[]): readonly T[] {
  key = `${kind}:${key}`;
  const found = lists.get(key);
  if (found !== undefined) return found as readonly T[];
  if (lists.size >= MAX_ENTRIES) lists.clear();
  const frozen = Object.freeze(build());
  lists.set(key, frozen);
  return frozen;
}
