/**
 * The plan: entries + node health -> the complete HostsData. Pure.
 *
 * Rules:
 * - Same hostname from several objects: target sets are merged (see store.ts).
 * - Health: a target IP that belongs to a known node is dropped while every
 *   node owning it is unhealthy (NotReady, cordoned or being deleted) or fails
 *   the active data-path check on that IP; it comes back as soon as one is
 *   healthy again. An IP no known node owns is kept: it can be an external load
 *   balancer the sidecar cannot judge.
 * - Ingress controller: for entries `viaController` (the configured controller's
 *   Ingresses) a node IP also needs a Ready controller pod on an owning node.
 *   A name with entries of both kinds serves the union of each entry's kept IPs.
 * - All targets of a name dropped: `allDroppedRule` decides.
 *   - `keep-last` (default): serve the last non-empty set this plan served for
 *     the name; with no history (e.g. just after a restart) serve the unfiltered
 *     targets. Answers that may be dead beat NXDOMAIN, which resolvers cache.
 *   - `keep-all`: serve the unfiltered targets.
 *   - `drop`: serve nothing for the name until a target is healthy.
 * - Cap: after merging and filtering, at most `maxTargets` IPs per name (8 by
 *   default), chosen by rendezvous hashing within the pool of the name's hosts
 *   file (subset.ts has the rule and why): a hostPort DaemonSet listing every
 *   node in every status still spreads the load over all nodes, and a node
 *   leaving changes only names of the few files whose pools hold it. Why cap at
 *   all: dnsmasq's work on a change grows with the records it re-reads
 *   (measured ~5 us of its CPU per record), and 10,000 names x 64 shared
 *   addresses is 640,000 records; at 8 it is 80,000. The served subset is
 *   sorted like any other set.
 * - nodeIps: IPs of healthy known nodes that are served for at least one name
 *   (healthy as a controller's entry needs it: with a controller configured, a
 *   node without a Ready controller pod is not in it). That is exactly the set
 *   of nodes taking ingress traffic, which is what HAProxy (following
 *   nodes.<zone>) should balance over; with no names the list is empty.
 * - Wildcards: an entry named `*.sub.zone` is planned by every rule above, like
 *   any name (its subset is one for the whole wildcard), and counts as served for
 *   nodeIps; the result lists it in `data.wildcards`, not in `data.records`.
 * - controlPlaneIps: IPs of healthy known nodes labelled control-plane, served
 *   or not (HAProxy's kube API backend follows control-plane.nodes.<zone>;
 *   API traffic does not depend on ingress names, nor on the ingress
 *   controller or the data-path check). An IP is left out while every
 *   control-plane node owning it is unhealthy.
 *
 * Speed: a plan fed the previous result's `lastServed` starts from that
 * result and plans again only the names whose entries changed (and the
 * all-dropped ones), while node health and the settings are the same; an
 * unchanged name keeps its array, so the sink can skip it by identity.
 */
import { shardOf, DEFAULT_HOSTS_SHARDS } from "./sink/shards";
import { cappedSubset } from "./subset";
import type { HostsData, NodeState, SourceEntry } from "./model";
import { isWildcardName } from "../../lib/dns/syntax";
import { compareIPv4, ipv4Key, isSortedUniqueIPv4 } from "./source/hostnames";

export type AllDroppedRule = "keep-last" | "keep-all" | "drop";
export const ALL_DROPPED_RULES: readonly AllDroppedRule[] = ["keep-last", "keep-all", "drop"];

export interface PlanInput {
  readonly zones: readonly string[];
  readonly entries: readonly SourceEntry[];
  readonly nodes: readonly NodeState[];
  readonly allDroppedRule: AllDroppedRule;
  readonly maxTargets: number;
  /**
   * Pools of the cap (subset.ts): the sink's hosts file count, so that the names of one file
   * draw from one pool. Any value gives a correct plan; only the sink's keeps a node flip's
   * changes inside a few files. @default DEFAULT_HOSTS_SHARDS
   */
  readonly pools?: number;
  /** `lastServed` of the previous plan; empty at start. */
  readonly lastServed: ReadonlyMap<string, readonly string[]>;
}

export interface PlanResult {
  readonly data: HostsData;
  /** Feed back as the next `PlanInput.lastServed`; the next plan then starts from this one. */
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
 * The merged targets of one name's entries, sorted and unique. The common case
 * (one entry, whose targets the source already sorted) reuses that list as is.
 */
function mergedTargets(entries: readonly SourceEntry[]): readonly string[] {
  if (entries.length === 1) {
    const only = (entries[0] as SourceEntry).targets;
    if (knownSorted.has(only)) return only;
    if (isSortedUniqueIPv4(only)) {
      knownSorted.add(only);
      return only;
    }
    return sortIps(only);
  }
  const all: string[] = [];
  for (const e of entries) for (const ip of e.targets) all.push(ip);
  return sortIps(all);
}

/** Node health as the plan reads it; cheap to compute (one entry per node IP per map). */
interface Health {
  /** IP -> usable by any entry? true if any node owning it is healthy and passes the data-path check on it. */
  readonly ipHealth: ReadonlyMap<string, boolean>;
  /** IP -> usable by a controller's entry? ipHealth, and that node runs a Ready controller pod. */
  readonly ipGated: ReadonlyMap<string, boolean>;
  readonly anyUnhealthy: boolean;
  /**
   * This plan's filtered lists, by input list (for entries of one kind): with a DaemonSet
   * controller every name has the same target list, which is then filtered once per plan.
   */
  readonly filtered: Map<readonly string[], readonly string[]>;
  readonly filteredGated: Map<readonly string[], readonly string[]>;
}

function healthOf(nodes: readonly NodeState[]): Health {
  const ipHealth = new Map<string, boolean>();
  const ipGated = new Map<string, boolean>();
  for (const n of nodes) {
    for (const ip of n.addresses) {
      const up = n.healthy && !(n.checkFailed?.includes(ip) ?? false);
      // No controller configured: controllerReady is undefined and gates nothing.
      const gated = up && n.controllerReady !== false;
      ipHealth.set(ip, (ipHealth.get(ip) ?? false) || up);
      ipGated.set(ip, (ipGated.get(ip) ?? false) || gated);
    }
  }
  let anyUnhealthy = false;
  // ipGated is false wherever ipHealth is.
  for (const usable of ipGated.values()) if (!usable) anyUnhealthy = true;
  return { ipHealth, ipGated, anyUnhealthy, filtered: new Map(), filteredGated: new Map() };
}

/** The IPs whose usability differs between two healths (known in one and not the other included). */
function healthChanges(a: Health, b: Health): ReadonlySet<string> {
  const changed = new Set<string>();
  for (const [x, y] of [[a, b], [b, a]] as const) {
    for (const [ip, v] of x.ipHealth) if (y.ipHealth.get(ip) !== v) changed.add(ip);
    for (const [ip, v] of x.ipGated) if (y.ipGated.get(ip) !== v) changed.add(ip);
  }
  return changed;
}

/** The merged targets without the unusable ones (`all` itself when nothing is dropped). */
function usableTargets(entries: readonly SourceEntry[], all: readonly string[], health: Health): readonly string[] {
  // Only when something is known unusable: the usual case allocates nothing.
  if (!health.anyUnhealthy) return all;
  let gated = 0;
  for (const e of entries) if (e.viaController === true) gated++;
  if (gated === 0 || gated === entries.length) {
    const usable = gated === 0 ? health.ipHealth : health.ipGated;
    const memo = gated === 0 ? health.filtered : health.filteredGated;
    const known = memo.get(all);
    if (known !== undefined) return known;
    const kept = all.some((ip) => usable.get(ip) === false) ? all.filter((ip) => usable.get(ip) !== false) : all;
    memo.set(all, kept);
    return kept;
  }
  // Entries of both kinds: each keeps what its own rule keeps.
  const keep = new Set<string>();
  for (const e of entries) {
    const usable = e.viaController === true ? health.ipGated : health.ipHealth;
    for (const ip of e.targets) if (usable.get(ip) !== false) keep.add(ip);
  }
  return keep.size === all.length ? all : all.filter((ip) => keep.has(ip));
}

/** Per-name results that are lists, filled in name order. */
interface NameLists {
  readonly capped: string[];
  readonly held: string[];
  readonly dropped: string[];
  /** Names whose history is not what they serve (held on an older set). */
  readonly history: [string, readonly string[]][];
}

/** The served targets of one name (undefined: not served), applying the rules in the header. */
function planName(name: string, entries: readonly SourceEntry[], previous: readonly string[] | undefined, input: PlanInput, health: Health, out: NameLists): readonly string[] | undefined {
  const all = mergedTargets(entries);
  let served: readonly string[] = usableTargets(entries, all, health);
  const allDropped = served.length === 0;
  if (allDropped) {
    // The history array itself, not a copy: an unchanged set keeps its identity, which the sink compares first.
    if (input.allDroppedRule === "keep-last" && previous !== undefined && previous.length > 0) served = previous;
    else if (input.allDroppedRule !== "drop") served = all;
    (served.length === 0 ? out.dropped : out.held).push(name);
  }
  if (served.length > input.maxTargets) {
    out.capped.push(name);
    const pools = input.pools ?? DEFAULT_HOSTS_SHARDS;
    served = cappedSubset(name, shardOf(name, pools), all, served, input.maxTargets, pools);
  }
  if (served.length === 0) return undefined;
  // Only a healthy set becomes history: holding must not overwrite the last known good set.
  if (allDropped && previous !== undefined && previous !== served) out.history.push([name, previous]);
  return served;
}

function controlPlaneIps(nodes: readonly NodeState[]): string[] {
  const controlPlane = new Set<string>();
  for (const n of nodes) if (n.controlPlane && n.healthy) for (const ip of n.addresses) controlPlane.add(ip);
  return sortIps(controlPlane);
}

/** History is the served set except for held names, so usually the records map itself serves as history. */
function historyOf(records: ReadonlyMap<string, readonly string[]>, history: readonly [string, readonly string[]][]): ReadonlyMap<string, readonly string[]> {
  if (history.length === 0) return records;
  const out = new Map(records);
  for (const [name, ips] of history) out.set(name, ips);
  return out;
}

/**
 * What one plan keeps to compute the next from it. Keyed by the result's
 * `lastServed`, which the caller feeds back, so planHostsData stays a pure
 * function of its arguments: a plan built from the memo equals one built from
 * scratch (test/sidecar/plan.test.ts compares both).
 */
interface PlanMemo {
  readonly entries: readonly SourceEntry[];
  /** Entries by name; handed from plan to plan and updated in place. */
  readonly byName: Map<string, SourceEntry[]>;
  /** The keys of byName, sorted. */
  readonly names: readonly string[];
  readonly health: Health;
  readonly allDroppedRule: AllDroppedRule;
  readonly maxTargets: number;
  readonly pools: number | undefined;
  readonly result: PlanResult;
}

const memos = new WeakMap<ReadonlyMap<string, readonly string[]>, PlanMemo>();

export function planHostsData(input: PlanInput): PlanResult {
  const health = healthOf(input.nodes);
  const memo = memos.get(input.lastServed);
  // A memo is used once: the next plan takes over its tables, and a second plan
  // from the same lastServed (a retry, a test) starts from scratch.
  if (memo !== undefined) memos.delete(input.lastServed);
  const usable = memo !== undefined && memo.allDroppedRule === input.allDroppedRule && memo.maxTargets === input.maxTargets && memo.pools === input.pools;
  const next = usable ? planChanges(input, health, memo, healthChanges(memo.health, health)) : planAll(input, health);
  memos.set(next.result.lastServed, next);
  return withWildcards(next.result);
}

/**
 * Wildcard names (`*.sub.zone`) are planned like any name (health, all-dropped rule, cap, history
 * all apply); the result carries them in `data.wildcards`, apart from the exact names the hosts
 * files hold. The memo keeps the unsplit result, so planning stays name by name.
 */
function withWildcards(result: PlanResult): PlanResult {
  let wildcards: Map<string, readonly string[]> | undefined;
  for (const [name, ips] of result.data.records) if (isWildcardName(name)) (wildcards ??= new Map()).set(name, ips);
  if (wildcards === undefined) return result;
  const records = new Map(result.data.records);
  for (const name of wildcards.keys()) records.delete(name);
  return { ...result, data: { ...result.data, records, wildcards } };
}

/** The whole plan from the entries alone. */
function planAll(input: PlanInput, health: Health): PlanMemo {
  // Entries by name, not copied: entries are read-only and most names have one.
  const byName = new Map<string, SourceEntry[]>();
  for (const e of input.entries) {
    const lists = byName.get(e.hostname);
    if (lists === undefined) byName.set(e.hostname, [e]);
    else lists.push(e);
  }
  const names = [...byName.keys()].sort();
  // Healthy node IPs not yet seen served: once all are found, names stop being scanned for them.
  const pendingHealthy = new Set<string>();
  for (const [ip, usable] of health.ipGated) if (usable) pendingHealthy.add(ip);
  const healthyServed: string[] = [];
  const records = new Map<string, readonly string[]>();
  const out: NameLists = { capped: [], held: [], dropped: [], history: [] };
  for (const name of names) {
    const served = planName(name, byName.get(name) as SourceEntry[], input.lastServed.get(name), input, health, out);
    if (served === undefined) continue;
    records.set(name, served);
    if (pendingHealthy.size > 0) for (const ip of served) if (pendingHealthy.delete(ip)) healthyServed.push(ip);
  }
  const result: PlanResult = {
    data: { zones: [...input.zones], records, nodeIps: sortIps(healthyServed), controlPlaneIps: controlPlaneIps(input.nodes) },
    lastServed: historyOf(records, out.history),
    capped: out.capped,
    held: out.held,
    dropped: out.dropped,
  };
  return { entries: [...input.entries], byName, names, health, allDroppedRule: input.allDroppedRule, maxTargets: input.maxTargets, pools: input.pools, result };
}

/**
 * The entries that differ between two snapshots, by identity. The store keeps
 * an unchanged object's entries and their order, so usually a few in the
 * middle differ.
 */
function entryChanges(before: readonly SourceEntry[], after: readonly SourceEntry[]): { removed: SourceEntry[]; added: SourceEntry[] } {
  const removed: SourceEntry[] = [];
  const added: SourceEntry[] = [];
  if (before === after) return { removed, added };
  let start = 0;
  const shorter = Math.min(before.length, after.length);
  while (start < shorter && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  if (endBefore - start === endAfter - start) {
    // Objects changed in place: compare slot by slot.
    for (let i = start; i < endBefore; i++) {
      const b = before[i] as SourceEntry;
      const a = after[i] as SourceEntry;
      if (a !== b) {
        removed.push(b);
        added.push(a);
      }
    }
    return { removed, added };
  }
  // Objects added or deleted shift the rest: match the middle as a multiset.
  const count = new Map<SourceEntry, number>();
  for (let i = start; i < endBefore; i++) {
    const b = before[i] as SourceEntry;
    count.set(b, (count.get(b) ?? 0) + 1);
  }
  for (let i = start; i < endAfter; i++) {
    const a = after[i] as SourceEntry;
    const c = count.get(a) ?? 0;
    if (c > 0) count.set(a, c - 1);
    else added.push(a);
  }
  for (const [b, c] of count) for (let k = 0; k < c; k++) removed.push(b);
  return { removed, added };
}

/** Merges two sorted, disjoint name lists. */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  if (b.length === 0) return [...a];
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push((a[i] as string) < (b[j] as string) ? (a[i++] as string) : (b[j++] as string));
  while (i < a.length) out.push(a[i++] as string);
  while (j < b.length) out.push(b[j++] as string);
  return out;
}

/**
 * The plan from the previous one: only names whose entries changed, names with
 * a target whose health changed, and names the all-dropped rule decided (they
 * read history) are planned again. Every other name's rules read the same
 * targets and health, so its result, array included, carries over. A node flip
 * then costs a scan of each distinct target list for the flipped IPs, not a
 * plan of every name.
 */
function planChanges(input: PlanInput, health: Health, memo: PlanMemo, healthChanged: ReadonlySet<string>): PlanMemo {
  const { byName } = memo;
  const prev = memo.result;
  const { removed, added } = entryChanges(memo.entries, input.entries);
  // Past this much change (every Ingress re-addressed at once), planning name by name costs more than planning all.
  if (removed.length + added.length > Math.max(64, input.entries.length / 8)) return planAll(input, health);
  const touched = new Set<string>();
  const gone = new Set<string>();
  const fresh = new Set<string>();
  for (const e of removed) {
    const lists = byName.get(e.hostname);
    const at = lists?.indexOf(e) ?? -1;
    // The tables no longer match the entries (an entry was changed in place): start over.
    if (lists === undefined || at < 0) return planAll(input, health);
    lists.splice(at, 1);
    touched.add(e.hostname);
    if (lists.length === 0) {
      byName.delete(e.hostname);
      gone.add(e.hostname);
    }
  }
  for (const e of added) {
    const lists = byName.get(e.hostname);
    touched.add(e.hostname);
    if (lists !== undefined) lists.push(e);
    else {
      byName.set(e.hostname, [e]);
      if (!gone.delete(e.hostname)) fresh.add(e.hostname);
    }
  }
  let names = memo.names;
  if (gone.size > 0) names = names.filter((n) => !gone.has(n));
  if (fresh.size > 0) names = mergeSorted(names, [...fresh].sort());

  for (const name of prev.held) touched.add(name);
  for (const name of prev.dropped) touched.add(name);
  if (healthChanged.size > 0) {
    // Target lists are shared (source/intern.ts): each distinct list is checked once.
    const hits = new Map<readonly string[], boolean>();
    for (const [name, lists] of byName) {
      for (const e of lists) {
        let hit = hits.get(e.targets);
        if (hit === undefined) hits.set(e.targets, (hit = e.targets.some((ip) => healthChanged.has(ip))));
        if (hit) {
          touched.add(name);
          break;
        }
      }
    }
  }
  const replan = [...touched].sort();
  const out: NameLists = { capped: [], held: [], dropped: [], history: [] };
  const planned = new Map<string, readonly string[] | undefined>();
  let newlyServed = false;
  for (const name of replan) {
    const lists = byName.get(name);
    const served = lists === undefined ? undefined : planName(name, lists, input.lastServed.get(name), input, health, out);
    planned.set(name, served);
    if (served !== undefined && !prev.data.records.has(name)) newlyServed = true;
  }

  let records: Map<string, readonly string[]>;
  if (newlyServed) {
    records = new Map();
    // A name joins the records: rebuild in name order.
    for (const name of names) {
      const served = planned.has(name) ? planned.get(name) : prev.data.records.get(name);
      if (served !== undefined) records.set(name, served);
    }
  } else {
    // Same names or fewer: a copy keeps the order, updates keep their place.
    records = new Map(prev.data.records);
    for (const [name, served] of planned) {
      if (served === undefined) records.delete(name);
      else records.set(name, served);
    }
  }
  const capped = mergeSorted(prev.capped.filter((n) => !planned.has(n)), out.capped);
  const result: PlanResult = {
    data: { zones: [...input.zones], records, nodeIps: nodeIpsAfter(prev, planned, records, health), controlPlaneIps: controlPlaneIps(input.nodes) },
    lastServed: historyOf(records, out.history),
    capped,
    held: out.held,
    dropped: out.dropped,
  };
  return { entries: [...input.entries], byName, names, health, allDroppedRule: input.allDroppedRule, maxTargets: input.maxTargets, pools: input.pools, result };
}

/** nodeIps after re-planning some names: an IP only they served is looked for in the other names before it goes. */
function nodeIpsAfter(prev: PlanResult, planned: ReadonlyMap<string, readonly string[] | undefined>, records: ReadonlyMap<string, readonly string[]>, health: Health): readonly string[] {
  const before = new Set(prev.data.nodeIps);
  const now = new Set(before);
  const maybeGone = new Set<string>();
  for (const name of planned.keys()) for (const ip of prev.data.records.get(name) ?? []) if (before.has(ip)) maybeGone.add(ip);
  for (const served of planned.values()) {
    for (const ip of served ?? []) {
      maybeGone.delete(ip);
      if (health.ipGated.get(ip) === true) now.add(ip);
    }
  }
  if (maybeGone.size > 0) {
    for (const ips of records.values()) {
      for (const ip of ips) maybeGone.delete(ip);
      if (maybeGone.size === 0) break;
    }
    for (const ip of maybeGone) now.delete(ip);
  }
  // An IP that turned unusable leaves, even while a held name still serves it.
  for (const ip of now) if (health.ipGated.get(ip) !== true) now.delete(ip);
  if (now.size === before.size && [...now].every((ip) => before.has(ip))) return prev.data.nodeIps;
  return sortIps(now);
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
