/**
 * How the hosts data is split over files in dnsmasq's hosts directory.
 *
 * Why split at all (measured by `npm run bench`, dnsmasq 2.90): dnsmasq
 * re-reads a changed hosts file on inotify without resizing its hash table
 * (only the start-up and SIGHUP reads do), and each record it adds walks a
 * hash chain and scans the table for the address's reverse owner. The cost of
 * one re-read grows with (records in the file) x (hash buckets): one file of
 * 10,000 Ingresses took ~1.6 s to become visible. With K shards a change
 * re-reads one K-th of the records, and a change that touches every shard is
 * applied one shard at a time (the writer's barrier).
 *
 * Layout for K > 1:
 * - `<fileName>.nodes`: node IPs with their canonical name, `nodes.<zone>` and
 *   (control-plane nodes) `control-plane.nodes.<zone>`;
 * - `<fileName>.<i>` (i zero-padded, 0 <= i < K): the hostnames whose stable
 *   hash falls in shard i, in the renderHostsFile layout (canonical lines for
 *   the addresses the shard uses, then one `IP hostname` line per record), so
 *   no ingress hostname ever owns an IP's PTR flag, whatever file dnsmasq
 *   reads first;
 * - a shard with no hostnames has no file.
 * A hostname always lives in the same file (the hash only depends on the name
 * and K), so a change never moves a name between files. That matters: dnsmasq
 * drops a record read from one file when another file already holds the same
 * name and address, so a name moving into a file before leaving its old one
 * would vanish when the old file is rewritten.
 *
 * K = 1 is the single file `<fileName>` holding everything (renderHostsFile).
 */
import { fnv1a32 } from "../hash";
import type { HostsData } from "../model";

/**
 * Default shard count: the balance between three costs dnsmasq 2.90 has
 * (read in its source, src/cache.c and src/inotify.c, and measured).
 * - Per changed file: cache_remove_uid() walks every record in the cache to
 *   drop the file's old ones (~3 ms CPU at 50,000 records), then
 *   read_hostsfile() adds each record of the file, and each added record
 *   scans every hash bucket for the address's reverse owner
 *   (cache_find_by_addr() in add_hosts_entry(), once per name, also for many
 *   names on one line: a line shares nothing). dnsmasq answers nothing
 *   meanwhile; the writer's barrier (dnsBarrier.ts) makes that one file's
 *   re-read, not every changed file's.
 * - A node flip touches every file that holds a name serving the node: all of
 *   them when each name lists its own few nodes (a name must stay in one file,
 *   see above), so it costs dnsmasq about one re-read of everything plus one
 *   cache walk per file; only the few whose pools hold the node when the names
 *   are capped from one shared list (a DaemonSet controller; subset.ts, which
 *   uses shardOf() for its pools). Tested measures of alternatives, dnsmasq
 *   2.90, 80,000 records: files by address instead of by name keep a flip in
 *   one file but scatter a name's records in memory, +30% CPU per query
 *   (15.5 -> 20.3 us), and a one-name change then rewrites several files;
 *   many names per line cost the same as one per line (add_hosts_entry() scans
 *   per name); SIGHUP re-reads everything at ~1.7 us per record, but answers
 *   nothing for the 110-140 ms it takes.
 * - Every answer: dnsmasq looks up the file of each record it answers in a
 *   linked list of all hosts files (record_source(), called for its query
 *   log even with logging off), so more files make every query slower.
 * Measured at 12,500 names over 100 nodes, 2..8 addresses each (~62,000
 * records), cache-size 20,000, dnsmasq CPU time from /proc/<pid>/schedstat
 * (2 vCPUs, shared with other work): rewriting every file costs dnsmasq about
 * the same with 16, 32 or 64 files (320-360 ms) and so does a query (12.7-13.4
 * us with 16 and 32 files, 13.7-15.5 with 64). What the count changes is the
 * longest pause and the cost of one file: on the real path (npm run bench,
 * 10,000 Ingresses), going from 16 to 32 files took the longest silence
 * during a node flip from 40-65 ms to 23-38 ms and one Ingress change from p99
 * 121-149 ms to 65-103 ms; a capped flip (DaemonSet) rewrites 8 of 32 files.
 */
export const DEFAULT_HOSTS_SHARDS = 32;
export const MAX_HOSTS_SHARDS = 4096;

/** First line of every shard file when K > 1; tells a restarted writer which K wrote the directory. */
export function shardHeader(label: string, shards: number): string {
  return `# rancher-cdns hosts shard ${label} of ${shards}`;
}
const SHARD_HEADER = /^# rancher-cdns hosts shard \S+ of (\d+)\n/;

/** The K a file was written with: its shard header, or 1 for a file without one (the single-file layout). */
export function shardsOfContent(content: string): number {
  const m = SHARD_HEADER.exec(content);
  return m === null ? 1 : Number(m[1]);
}

/** The stable hash a name's shard comes from (FNV-1a; sidecar/src/hash.ts). */
export const hostnameHash = fnv1a32;

/**
 * Hashes by name, kept: every write partitions every name (12,500 at 10,000 Ingresses), and a
 * map lookup of a name the plan hands over again is cheaper than hashing it again (V8 keeps a
 * string's own hash with the string). Bounded: cleared when full, nothing depends on a hit.
 */
const hashes = new Map<string, number>();
const MAX_HASHES = 1_000_000;

export function shardOf(hostname: string, shards: number): number {
  let h = hashes.get(hostname);
  if (h === undefined) {
    h = hostnameHash(hostname);
    if (hashes.size >= MAX_HASHES) hashes.clear();
    hashes.set(hostname, h);
  }
  return h % shards;
}

function pad(shards: number): number {
  return String(shards - 1).length;
}

export function shardFileName(fileName: string, index: number, shards: number): string {
  return `${fileName}.${String(index).padStart(pad(shards), "0")}`;
}

export function nodesFileName(fileName: string): string {
  return `${fileName}.nodes`;
}

/** True for every file name any K could have written for `fileName` (the single file, `.nodes`, `.<digits>`). */
export function isHostsFileName(fileName: string, name: string): boolean {
  if (name === fileName) return true;
  if (!name.startsWith(`${fileName}.`)) return false;
  const rest = name.slice(fileName.length + 1);
  return rest === "nodes" || /^[0-9]+$/.test(rest);
}

/** One file's share of the data, with the label used in its header. */
export interface HostsPart {
  readonly label: string;
  readonly data: HostsData;
}

/**
 * Splits `data` into files, nodes file first (so on a fresh start dnsmasq
 * reads the node IPs' canonical names before any shard). Iteration order of
 * the returned map is the write order.
 */
export function partitionHostsData(data: HostsData, fileName: string, shards: number): Map<string, HostsPart> {
  const out = new Map<string, HostsPart>();
  if (shards === 1) {
    out.set(fileName, { label: "all", data });
    return out;
  }
  out.set(nodesFileName(fileName), {
    label: "nodes",
    data: { zones: data.zones, records: new Map(), nodeIps: data.nodeIps, controlPlaneIps: data.controlPlaneIps ?? [] },
  });
  const buckets: Array<Map<string, readonly string[]> | undefined> = new Array(shards);
  for (const [name, ips] of data.records) {
    const i = shardOf(name, shards);
    (buckets[i] ??= new Map()).set(name, ips);
  }
  for (let i = 0; i < shards; i++) {
    const records = buckets[i];
    if (records !== undefined) out.set(shardFileName(fileName, i, shards), { label: String(i), data: { zones: data.zones, records, nodeIps: [], controlPlaneIps: [] } });
  }
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  // The plan hands over the same arrays for unchanged names: identity settles most comparisons.
  if (a === b) return true;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** True when two parts render to the same bytes for sure (order-sensitive; a false "different" only costs a render). */
export function samePart(a: HostsData | undefined, b: HostsData): boolean {
  if (a === undefined || !sameList(a.zones, b.zones) || !sameList(a.nodeIps, b.nodeIps) || !sameList(a.controlPlaneIps ?? [], b.controlPlaneIps ?? []) || a.records.size !== b.records.size) return false;
  for (const [name, ips] of b.records) {
    const old = a.records.get(name);
    if (old === undefined || !sameList(old, ips)) return false;
  }
  return true;
}
