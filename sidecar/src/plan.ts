/**
 * The plan: entries + node health -> the complete HostsData. Pure.
 *
 * Rules:
 * - Same hostname from several objects: target sets are merged (see store.ts).
 * - Health: a target IP that belongs to a known node is dropped while every
 *   node owning it is unhealthy (NotReady, cordoned or being deleted); it comes
 *   back as soon as one is healthy again. An IP no known node owns is kept: it
 *   can be an external load balancer the sidecar cannot judge.
 * - All targets of a name dropped: `allDroppedRule` decides.
 *   - `keep-last` (default): serve the last non-empty set this plan served for
 *     the name; with no history (e.g. just after a restart) serve the unfiltered
 *     targets. Answers that may be dead beat NXDOMAIN, which resolvers cache.
 *   - `keep-all`: serve the unfiltered targets.
 *   - `drop`: serve nothing for the name until a target is healthy.
 * - Cap: after merging and filtering, at most `maxTargets` IPs per name, the
 *   numerically lowest (deterministic; FACTS.md: ~74 A records fit one answer).
 * - nodeIps: IPs of healthy known nodes that are served for at least one name.
 *   That is exactly the set of nodes taking ingress traffic, which is what
 *   HAProxy (following nodes.<zone>) should balance over; with no names there is
 *   no traffic to balance and the list is empty.
 * - controlPlaneIps: IPs of healthy known nodes labelled control-plane, served
 *   or not (HAProxy's kube API backend follows control-plane.nodes.<zone>;
 *   API traffic does not depend on ingress names). An IP is left out while
 *   every control-plane node owning it is unhealthy.
 */
import type { HostsData, NodeState, SourceEntry } from "./model";
import { compareIPv4, ipv4Key, isSortedUniqueIPv4 } from "./source/hostnames";

export type AllDroppedRule = "keep-last" | "keep-all" | "drop";
export const ALL_DROPPED_RULES: readonly AllDroppedRule[] = ["keep-last", "keep-all", "drop"];

export interface PlanInput {
  readonly zones: readonly string[];
  readonly entries: readonly SourceEntry[];
  readonly nodes: readonly NodeState[];
  readonly allDroppedRule: AllDroppedRule;
  readonly maxTargets: number;
  /** `lastServed` of the previous plan; empty at start. */
  readonly lastServed: ReadonlyMap<string, readonly string[]>;
}

export interface PlanResult {
  readonly data: HostsData;
  /** Feed back as the next `PlanInput.lastServed`. */
  readonly lastServed: ReadonlyMap<string, readonly string[]>;
  /** Names whose merged targets were cut to maxTargets. */
  readonly capped: readonly string[];
  /** Names whose targets were all unhealthy and that the all-dropped rule served anyway. */
  readonly held: readonly string[];
  /** Names not served because all targets were unhealthy (rule `drop`). */
  readonly dropped: readonly string[];
}

/** Sorted, deduplicated; numeric keys computed once per IP, not once per comparison. */
function sortIps(ips: Iterable<string>): string[] {
  const unique = [...new Set(ips)];
  if (isSortedUniqueIPv4(unique)) return unique;
  const keyed = unique.map((ip) => ({ ip, key: ipv4Key(ip) }));
  if (keyed.every((k) => k.key >= 0)) return keyed.sort((a, b) => a.key - b.key).map((k) => k.ip);
  return unique.sort(compareIPv4);
}

/**
 * Target lists already checked sorted and unique. Entries are read-only and the
 * SourceStore keeps an unchanged object's entries (same arrays) across
 * reconciles, so each list is checked once, not once per plan.
 */
const knownSorted = new WeakSet<readonly string[]>();

/**
 * The merged targets of one name, sorted and unique. The common case (one
 * entry, whose targets the source already sorted) reuses that list as is.
 */
function mergedTargets(lists: readonly (readonly string[])[]): readonly string[] {
  if (lists.length === 1) {
    const only = lists[0] as readonly string[];
    if (knownSorted.has(only)) return only;
    if (isSortedUniqueIPv4(only)) {
      knownSorted.add(only);
      return only;
    }
    return sortIps(only);
  }
  const all: string[] = [];
  for (const l of lists) for (const ip of l) all.push(ip);
  return sortIps(all);
}

export function planHostsData(input: PlanInput): PlanResult {
  // IP -> healthy? true if any node owning it is healthy.
  const ipHealth = new Map<string, boolean>();
  for (const n of input.nodes) for (const ip of n.addresses) ipHealth.set(ip, (ipHealth.get(ip) ?? false) || n.healthy);
  let anyUnhealthy = false;
  // Healthy node IPs not yet seen served: once all are found, names stop being scanned for them.
  const pendingHealthy = new Set<string>();
  for (const [ip, healthy] of ipHealth) {
    if (healthy) pendingHealthy.add(ip);
    else anyUnhealthy = true;
  }

  // Target lists by name, not copied: entries are read-only and most names have one.
  const merged = new Map<string, (readonly string[])[]>();
  for (const e of input.entries) {
    const lists = merged.get(e.hostname);
    if (lists === undefined) merged.set(e.hostname, [e.targets]);
    else lists.push(e.targets);
  }

  const records = new Map<string, readonly string[]>();
  const lastServed = new Map<string, readonly string[]>();
  const capped: string[] = [];
  const held: string[] = [];
  const dropped: string[] = [];
  const healthyServed: string[] = [];
  for (const name of [...merged.keys()].sort()) {
    const all = mergedTargets(merged.get(name) as (readonly string[])[]);
    const previous = input.lastServed.get(name);
    let served: readonly string[] = all;
    // Filter only when something is known unhealthy: the usual case allocates nothing.
    if (anyUnhealthy && all.some((ip) => ipHealth.get(ip) === false)) served = all.filter((ip) => ipHealth.get(ip) !== false);
    const allDropped = served.length === 0;
    if (allDropped) {
      if (input.allDroppedRule === "keep-last" && previous !== undefined && previous.length > 0) served = [...previous];
      else if (input.allDroppedRule !== "drop") served = all;
      (served.length === 0 ? dropped : held).push(name);
    }
    if (served.length > input.maxTargets) {
      capped.push(name);
      served = served.slice(0, input.maxTargets);
    }
    if (served.length === 0) continue;
    records.set(name, served);
    if (pendingHealthy.size > 0) for (const ip of served) if (pendingHealthy.delete(ip)) healthyServed.push(ip);
    // Only a healthy set becomes history: holding must not overwrite the last known good set.
    lastServed.set(name, allDropped ? (previous ?? served) : served);
  }

  const controlPlane = new Set<string>();
  for (const n of input.nodes) if (n.controlPlane && n.healthy) for (const ip of n.addresses) controlPlane.add(ip);
  return {
    data: { zones: [...input.zones], records, nodeIps: sortIps(healthyServed), controlPlaneIps: sortIps(controlPlane) },
    lastServed,
    capped,
    held,
    dropped,
  };
}

export interface HostsDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly nodeIpsChanged: boolean;
  readonly controlPlaneIpsChanged: boolean;
  readonly zonesChanged: boolean;
  /** Nothing at all differs: the write can be skipped. */
  readonly unchanged: boolean;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  // The plan emits sorted lists, so equal sets are almost always in the same order: no copies then.
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (i === a.length) return true;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((v, i) => v === sb[i]);
}

/** What differs between two HostsData (target order is ignored). `prev` undefined = nothing written yet. */
export function diffHostsData(prev: HostsData | undefined, next: HostsData): HostsDiff {
  const before = prev?.records ?? new Map<string, readonly string[]>();
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [name, ips] of next.records) {
    const old = before.get(name);
    if (old === undefined) added.push(name);
    else if (!sameList(old, ips)) changed.push(name);
  }
  for (const name of before.keys()) if (!next.records.has(name)) removed.push(name);
  const nodeIpsChanged = !sameList(prev?.nodeIps ?? [], next.nodeIps);
  const controlPlaneIpsChanged = !sameList(prev?.controlPlaneIps ?? [], next.controlPlaneIps ?? []);
  const zonesChanged = prev === undefined || prev.zones.join(",") !== next.zones.join(",");
  return {
    added: added.sort(),
    removed: removed.sort(),
    changed: changed.sort(),
    nodeIpsChanged,
    controlPlaneIpsChanged,
    zonesChanged,
    unchanged:
      added.length === 0 && removed.length === 0 && changed.length === 0 && !nodeIpsChanged && !controlPlaneIpsChanged && !zonesChanged,
  };
}
