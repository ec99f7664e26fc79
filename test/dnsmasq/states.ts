/** A sequence of hosts-data states for rewrite tests, each differing from the last. */
import type { HostsData } from "../../sidecar/src/model";
import { hasDuplicates, hostsData, sameSet, ZONES } from "./harness";
import type { DnsAnswer } from "../helpers/dns";

const [Z0, Z1] = ZONES;
export const STABLE = ["10.7.0.1", "10.7.0.2", "10.7.0.3"];

/** The generation marker: its single address encodes the state number. */
export function genIp(k: number): string {
  return `10.250.${(k >> 8) & 255}.${k & 255}`;
}

/** State k: a stable name, names whose sets move, a name that comes and goes, varying nodes. */
export function stateAt(k: number): HostsData {
  const pool = (i: number): string => `10.7.1.${(i % 12) + 1}`;
  const records: Record<string, string[]> = {
    [`stable.${Z0}`]: STABLE,
    [`gen.${Z0}`]: [genIp(k)],
    [`flip.${Z0}`]: [pool(k), pool(k + 1)],
    [`grow.${Z1}`]: Array.from({ length: (k % 6) + 1 }, (_, i) => pool(k + i)),
    [`overlap.${Z1}`]: [pool(k + 1), ...STABLE.slice(k % 3)],
  };
  if (k % 2 === 0) records[`churn.${Z0}`] = [pool(k + 3)];
  records[`only${k % 7}.${Z1}`] = [pool(k * 5)];
  return hostsData(records, [pool(k), pool(k + 2), pool(k + 4)].slice(0, (k % 3) + 1));
}

/** Every name that any state can hold, so the final check also proves the absent ones are gone. */
export function allNames(): string[] {
  const names = [`stable.${Z0}`, `gen.${Z0}`, `flip.${Z0}`, `grow.${Z1}`, `overlap.${Z1}`, `churn.${Z0}`, `nodes.${Z0}`, `nodes.${Z1}`];
  for (let i = 0; i < 7; i++) names.push(`only${i}.${Z1}`);
  return names;
}

/** Expected answer of `name` in `data`: its set, or [] for NXDOMAIN. */
export function expected(data: HostsData, name: string): readonly string[] {
  if (name.startsWith("nodes.")) return data.nodeIps;
  return data.records.get(name) ?? [];
}

/** True when `a` is exactly what `data` says for `name` (set, no duplicates; NXDOMAIN when absent). */
export function answerMatches(data: HostsData, name: string, a: DnsAnswer): boolean {
  const want = expected(data, name);
  if (want.length === 0) return a.rcode === "NXDOMAIN";
  return a.rcode === "NOERROR" && !hasDuplicates(a.addresses) && sameSet(a.addresses, want);
}
