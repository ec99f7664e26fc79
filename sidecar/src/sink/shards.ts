/**
 * How the hosts data is split over files in dnsmasq's hosts directory.
 *
 * Why split at all (measured by `npm run bench`, dnsmasq 2.90): dnsmasq
 * re-reads a changed hosts file on inotify without resizing its hash table
 * (only the start-up and SIGHUP reads do), and each record it adds walks a
 * hash chain and scans the table for the address's reverse owner. The cost of
 * one re-read grows with (records in the file) x (records in the cache): one
 * file of 10,000 Ingresses took ~1.6 s to become visible. With K shards a
 * change re-reads one K-th of the records.
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
import type { HostsData } from "../model";

/**
 * Default shard count: the balance between two costs dnsmasq 2.90 has.
 * - Re-read: each record of a changed file scans the whole cache hash table
 *   for the address's reverse owner, so a change costs (records per file) x
 *   (table size). Fewer, bigger files make changes slower to show.
 * - Every answer: dnsmasq looks up the file each record came from in a
 *   linked list of all hosts files (record_source(), called for its query log
 *   even with logging off), so more files make every query slower.
 * Measured at 10,000 Ingresses (npm run bench and one-off runs of its
 * propagation and qps parts, 2 vCPUs, data written after dnsmasq started,
 * cache-size 100,000): write -> visible p50 ~45 ms with 32
 * shards, ~22 ms with 64, ~26 ms with 128, one file ~1.1 s; dnsperf qps
 * against one hand-written file of the same records: 0.987 with 32 shards,
 * 0.955 with 64; 0.75-0.92 with 128 and 0.66 with 256 (those two while the
 * box was busy with other work, so only roughly). With cache-size 50,000
 * (the default, DEFAULT_DNSMASQ_CACHE_SIZE) 32 shards took ~23 ms at the same
 * qps ratio.
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

/** FNV-1a, 32 bit: stable across processes and versions (unlike any built-in hash). */
export function hostnameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(hostname: string, shards: number): number {
  return hostnameHash(hostname) % shards;
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
