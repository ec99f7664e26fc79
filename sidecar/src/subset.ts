/**
 * Which `k` of a name's targets it serves when it has more (the plan's cap). Pure.
 *
 * Why not simply each name's own best `k` of all its targets (rendezvous over the whole list):
 * with a DaemonSet ingress controller every Ingress's status lists every node, so every name's
 * best `k` is a different draw from the same list, and one node going NotReady changes about
 * k/n of all names, spread evenly over every hosts file (the sink puts a name in the file of its
 * hash, sink/shards.ts). dnsmasq then re-reads every file: at 10,000 names x 8 of 100 nodes,
 * 80,000 records, ~440 ms of its CPU at its best hash-table size (dnsmasq 2.90, measured; each
 * record re-read scans its whole hash table, src/cache.c add_hosts_entry()).
 *
 * Pools instead: the names of one hosts file draw from one pool of addresses.
 * - There are `pools` pools, one per hosts file: a name's pool is its file (shardOf()).
 * - Each listed address belongs to `c` pools, its own best `c` by rendezvous over the pool
 *   numbers, with `c` = ceil(POOL_SPREAD x pools x k / listed), at most `pools`. So a pool holds
 *   about POOL_SPREAD x k of the listed addresses, and every address is in some pool: none idles.
 *   `c` depends on the listed count (the status), not on health, so health never moves a pool.
 * - A name serves its best `k` of its pool's healthy addresses (rendezvous by name and address),
 *   topped up with its best healthy addresses outside the pool when the pool has fewer than `k`.
 * A node flip then changes names in the `c` files whose pools hold the node (8 of 32 at 100 listed
 * nodes); a new node in every status joins `c` pools, and the names that take it are in those files.
 * The price is balance: names per address vary more than with one draw per name (10,000 names x 8
 * of 100 addresses, 32 pools: 680..893 names per address, relative deviation 5.8%, against
 * 731..864 and 3.2% for one draw per name; test/sidecar/subset.test.ts bounds it).
 *
 * With `listed` <= `k` there is nothing to choose: every healthy address is served.
 */
import { fnv1a32, mix32 } from "./hash";
import { ipv4Key } from "./source/hostnames";

/** Pools per address are sized so a pool holds about this many times `k` listed addresses. */
export const POOL_SPREAD = 3;

/** Numeric keys of a target list, computed once per list (lists are shared, see source/intern.ts). */
const ipKeys = new WeakMap<readonly string[], Uint32Array>();

function ipKeysOf(ips: readonly string[]): Uint32Array {
  let keys = ipKeys.get(ips);
  if (keys === undefined) {
    keys = Uint32Array.from(ips, (ip) => ipv4Key(ip));
    ipKeys.set(ips, keys);
  }
  return keys;
}

/** The indexes of the `k` highest scores (ties: lower index first), in index order. */
function bestK(count: number, k: number, score: (i: number) => number, skip?: (i: number) => boolean): number[] {
  const bestScore = new Float64Array(k).fill(-1);
  const bestIndex = new Int32Array(k).fill(-1);
  for (let i = 0; i < count; i++) {
    if (skip?.(i) === true) continue;
    const s = score(i);
    if (s <= (bestScore[k - 1] as number)) continue;
    let j = k - 1;
    while (j > 0 && s > (bestScore[j - 1] as number)) {
      bestScore[j] = bestScore[j - 1] as number;
      bestIndex[j] = bestIndex[j - 1] as number;
      j--;
    }
    bestScore[j] = s;
    bestIndex[j] = i;
  }
  return Array.from(bestIndex).filter((i) => i >= 0).sort((a, b) => a - b);
}

/**
 * The `k` addresses of `ips` (sorted, unique) with the highest rendezvous score for `name`,
 * in numeric order. Deterministic; removing one address from `ips` changes the subset by at
 * most that address and its replacement.
 */
export function rendezvousSubset(name: string, ips: readonly string[], k: number): string[] {
  if (ips.length <= k) return [...ips];
  const keys = ipKeysOf(ips);
  const h = fnv1a32(name);
  return bestK(ips.length, k, (i) => mix32(h, keys[i] as number)).map((i) => ips[i] as string);
}

/** How many pools each listed address joins. */
export function poolsPerAddress(listed: number, k: number, pools: number): number {
  return Math.min(pools, Math.max(1, Math.ceil((POOL_SPREAD * pools * k) / Math.max(1, listed))));
}

/** Salt of the address-to-pool draw, so it is not the same draw as name-to-address. */
const POOL_SALT = fnv1a32("rancher-cdns pool");

/** An address's pools, by address, pools per address and pool count (a plan sees few distinct addresses). */
const poolCache = new Map<string, Map<string, ReadonlySet<number>>>();

/** The `c` pools (of `pools`) that `ip` belongs to. */
export function poolsOf(ip: string, c: number, pools: number): ReadonlySet<number> {
  const cacheKey = `${c}/${pools}`;
  let byIp = poolCache.get(cacheKey);
  if (byIp === undefined) poolCache.set(cacheKey, (byIp = new Map()));
  let set = byIp.get(ip);
  if (set === undefined) {
    const key = (fnv1a32(ip) ^ POOL_SALT) >>> 0;
    set = new Set(c >= pools ? Array.from({ length: pools }, (_, p) => p) : bestK(pools, c, (p) => mix32(key, p)));
    byIp.set(ip, set);
  }
  return set;
}

/** Per target list: for each pool, the indexes of the list's addresses in it (lists are shared by many names). */
const members = new WeakMap<readonly string[], { readonly c: number; readonly pools: number; readonly byPool: Map<number, Int32Array> }>();

function poolMembers(ips: readonly string[], c: number, pools: number, pool: number): Int32Array {
  let m = members.get(ips);
  if (m === undefined || m.c !== c || m.pools !== pools) members.set(ips, (m = { c, pools, byPool: new Map() }));
  let idx = m.byPool.get(pool);
  if (idx === undefined) {
    const inPool: number[] = [];
    ips.forEach((ip, i) => {
      if (poolsOf(ip, c, pools).has(pool)) inPool.push(i);
    });
    idx = Int32Array.from(inPool);
    m.byPool.set(pool, idx);
  }
  return idx;
}

/**
 * What a name serves of `served` (its usable targets, sorted, unique; a subset of `listed`, its
 * merged targets before health) at most `k`, the name being in pool `pool` of `pools`.
 */
export function cappedSubset(name: string, pool: number, listed: readonly string[], served: readonly string[], k: number, pools: number): readonly string[] {
  if (served.length <= k) return served;
  const c = poolsPerAddress(listed.length, k, pools);
  if (c >= pools) return rendezvousSubset(name, served, k);
  const keys = ipKeysOf(served);
  const h = fnv1a32(name);
  const score = (i: number) => mix32(h, keys[i] as number);
  // The best k of the pool's members (about a third of the list), as indexes into `served`.
  const inPool = poolMembers(served, c, pools, pool);
  const picked = bestK(inPool.length, k, (j) => score(inPool[j] as number)).map((j) => inPool[j] as number);
  if (picked.length < k) {
    const taken = new Set(picked);
    picked.push(...bestK(served.length, k - picked.length, score, (i) => taken.has(i)));
    picked.sort((a, b) => a - b);
  }
  return picked.map((i) => served[i] as string);
}
