/**
 * dnsmasq.conf for the cDNS pod (and for the tests, which run the same file
 * against a real dnsmasq on loopback).
 *
 * Why each line is there (each measured on dnsmasq 2.90; the tests run this
 * file against a real dnsmasq, test/helpers/dnsmasq.ts):
 * - `no-resolv` with no `server=`: every out-of-zone query is REFUSED, so the
 *   cDNS is never an open resolver;
 * - `local=/zone/` (authoritative mode, or no responder): unknown names inside a
 *   zone get NXDOMAIN, not a forward;
 * - `server=/zone/127.0.0.1#PORT` (forwarding mode with the sidecar's DNS
 *   responder, the default): dnsmasq still answers the A queries of the names
 *   it holds, and forwards the rest of the zone to the responder: unknown names
 *   (wildcard hosts, NXDOMAIN) and other types of its own names (NODATA). In
 *   authoritative mode dnsmasq answers every query of an auth-zone itself and
 *   forwards nothing (measured), so there is no responder there;
 * - `no-negcache` only without the responder. With it, dnsmasq may cache
 *   negative answers, and the responder decides which: only NODATA of types
 *   other than A carries the SOA that makes it cacheable (responder/answer.ts
 *   in the sidecar), so the AAAA half of dual-stack lookups of exact names is
 *   answered from dnsmasq's cache, while NXDOMAIN (no SOA) never is;
 * - `hostsdir=`: watched with inotify, so the sidecar's atomic renames are seen
 *   without a signal;
 * - `local-ttl=`: hosts answers default to TTL 0;
 * - `cache-size=`: dnsmasq keeps hosts-file records in its cache and sizes the
 *   cache's hash table from `cache-size` once, at start (inotify re-reads of
 *   the hosts directory never resize it). The default (150) gives 64 buckets,
 *   so 10,000+ names hash into long chains: measured 16k qps versus 70k with
 *   cache-size=100000 (npm run bench). See DEFAULT_DNSMASQ_CACHE_SIZE for
 *   why not more, and why not less.
 */
import { DEFAULT_DNS_PORT, DEFAULT_HOSTS_DIR } from "../config/defaults";
import { HEALTH_ADDRESS, healthName, nsName } from "../dns/names";
import { RESPONDER_HOST } from "../dns/responder";

/**
 * Cache entries dnsmasq sizes its hash table for at start: cache-size / 10
 * rounded up to a power of two buckets, 2,048 here (dnsmasq 2.90 src/cache.c
 * rehash(); only a start or SIGHUP with hosts files present grows it). Two
 * costs pull apart:
 * - each answer walks its name's whole bucket chain (cache_find_by_name()),
 *   so fewer buckets slow every query;
 * - each record of a re-read hosts file scans every bucket for the address's
 *   reverse owner (cache_find_by_addr()), so more buckets slow every change.
 * Measured at 10,000 names over 100 nodes (~50,000 records, 16 shards,
 * dnsmasq CPU time from /proc/<pid>/schedstat, 2 busy vCPUs): a node flip
 * costs dnsmasq ~265 ms with 20,000, ~345 ms with 40,000 and ~580 ms with
 * 50,000 (the earlier default); CPU per query of the same records as one
 * plain file is ~12% higher with 20,000 than with 50,000 (~7% with 40,000).
 * 20,000 is what keeps a flip inside the 500 ms budget; `npm run bench`
 * prints the qps cost against a plain file at 50,000 in the same run.
 * Smaller does not help: at ~62,000 records a flip cost 319-325 ms with
 * 20,000 (2,048 buckets), 327-329 with 10,240 and 384 with 5,120 (longer
 * chains to walk), and queries got slower. All of this holds only when
 * dnsmasq starts on few names: a start on every name sizes the table for
 * them (names / 10 buckets) and a flip then cost 1,511 ms at 80,000 records,
 * hence the sidecar's fresh-start hold (sink/atomicWriter.ts).
 * Memory (VmRSS, dnsmasq 2.90): 11.6 MiB with the bench's 50,000 records
 * loaded (14.8 MiB with 50,000), far under the container's 128Mi limit
 * (lib/chart/cdnsChart.ts DEFAULT_DNSMASQ_RESOURCES).
 */
export const DEFAULT_DNSMASQ_CACHE_SIZE = 20_000;

export interface DnsmasqConfInput {
  /** Zones served, already validated and lowercase. The first holds the health and NS names. */
  readonly zones: readonly string[];
  /** TTL of answers from the hosts directory. */
  readonly ttlSeconds: number;
  /** Directory dnsmasq watches. @default DEFAULT_HOSTS_DIR */
  readonly hostsDir?: string;
  /** UDP and TCP port. @default DEFAULT_DNS_PORT */
  readonly port?: number;
  /** Bind only this address (tests on 127.0.0.x). @default undefined: all addresses of the pod. */
  readonly listenAddress?: string;
  /** A records for each zone apex (e.g. the HAProxy address). @default [] */
  readonly apexAddresses?: readonly string[];
  /** Write a pid file so the sidecar can SIGHUP dnsmasq. @default undefined (none) */
  readonly pidFile?: string;
  /** dnsmasq `cache-size` (hash table sized from it at start only). @default DEFAULT_DNSMASQ_CACHE_SIZE */
  readonly cacheSize?: number;
  /**
   * Port of the sidecar's DNS responder on the pod's loopback (`server=/zone/127.0.0.1#PORT`
   * instead of `local=/zone/`): it answers wildcard hosts and the zones' negative answers.
   * Forwarding mode only. @default undefined (`local=/zone/`: NXDOMAIN from dnsmasq itself)
   */
  readonly responderPort?: number;
  /** Log every query. Costs about two thirds of the throughput (measured: ~150k qps without, ~50k with, on 2 vCPUs). @default false */
  readonly logQueries?: boolean;
  /**
   * Authoritative mode: SOA and NS for every zone, NS names `ns1.<zone0>`...
   * pointing at `nameServerAddresses` (the cDNS nodes, primary first).
   * @default undefined (forwarding mode)
   */
  readonly authoritative?: {
    readonly hostmaster: string;
    readonly nameServerAddresses: readonly string[];
    /** SOA serial. @default 1 (dnsmasq serves live data; the serial does not need to move) */
    readonly serial?: number;
  };
}

export function renderDnsmasqConf(input: DnsmasqConfInput): string {
  const port = input.port ?? DEFAULT_DNS_PORT;
  const hostsDir = input.hostsDir ?? DEFAULT_HOSTS_DIR;
  const zone0 = input.zones[0];
  if (zone0 === undefined) throw new Error("renderDnsmasqConf: at least one zone is required");
  // An auth-zone is answered by dnsmasq itself: a responder would never be asked.
  if (input.responderPort !== undefined && input.authoritative !== undefined) throw new Error("renderDnsmasqConf: the DNS responder works in forwarding mode only");
  const responder = input.responderPort;
  const lines: string[] = [
    "# Generated by rancher-cdns. Do not edit: change the stack config instead.",
    "keep-in-foreground",
    "log-facility=-",
    `port=${port}`,
    // dnsmasq runs as root with every capability dropped but NET_BIND_SERVICE:
    // user=root stops it from calling setuid (CAP_SETUID), and an empty group=
    // stops its switch to the default group "dip" (CAP_SETGID), which otherwise
    // fails and makes it exit 5 (measured with the image under the pod's
    // securityContext: "failed to change group-id to dip: Operation not permitted").
    "user=root",
    "group=",
    "no-hosts",
    "no-resolv",
    "no-poll",
    "domain-needed",
    "bogus-priv",
    ...(responder === undefined ? ["no-negcache"] : []),
    `local-ttl=${input.ttlSeconds}`,
    `cache-size=${input.cacheSize ?? DEFAULT_DNSMASQ_CACHE_SIZE}`,
    `hostsdir=${hostsDir}`,
  ];
  if (input.listenAddress !== undefined) {
    lines.push(`listen-address=${input.listenAddress}`, "bind-interfaces");
  }
  if (input.pidFile !== undefined) lines.push(`pid-file=${input.pidFile}`);
  if (input.logQueries === true) lines.push("log-queries");
  for (const zone of input.zones) lines.push(responder === undefined ? `local=/${zone}/` : `server=/${zone}/${RESPONDER_HOST}#${responder}`);
  lines.push(`host-record=${healthName(zone0)},${HEALTH_ADDRESS}`);
  for (const zone of input.zones) {
    for (const ip of input.apexAddresses ?? []) lines.push(`host-record=${zone},${ip}`);
  }
  const auth = input.authoritative;
  if (auth !== undefined) {
    const names = auth.nameServerAddresses.map((_, i) => nsName(i, zone0));
    const [primary, ...secondaries] = names;
    if (primary === undefined) throw new Error("renderDnsmasqConf: authoritative mode needs a name server address");
    lines.push(
      input.listenAddress === undefined ? `auth-server=${primary}` : `auth-server=${primary},${input.listenAddress}`,
    );
    for (const zone of input.zones) lines.push(`auth-zone=${zone}`);
    lines.push(`auth-soa=${auth.serial ?? 1},${auth.hostmaster},1200,180,1209600`);
    lines.push(`auth-ttl=${input.ttlSeconds}`);
    if (secondaries.length > 0) lines.push(`auth-sec-servers=${secondaries.join(",")}`);
    auth.nameServerAddresses.forEach((ip, i) => lines.push(`host-record=${names[i]},${ip}`));
  }
  return lines.join("\n") + "\n";
}
