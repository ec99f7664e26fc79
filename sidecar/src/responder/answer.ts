/**
 * What the responder answers, from the plan's data. Pure: the server (server.ts) only moves bytes.
 *
 * dnsmasq holds the exact names (hosts files) and answers their A queries itself; everything else
 * in the zones it forwards here (`server=/zone/127.0.0.1#PORT` in dnsmasq.conf): names it does not
 * hold, and other types (AAAA, HTTPS, ...) of names it does. Rules, in order, for a name N:
 *
 * - N outside the zones: REFUSED (dnsmasq never forwards those; the check is a second fence).
 * - N an exact name of the plan: its A records with TTL 0. dnsmasq asks for these only while its
 *   hosts files do not hold N yet (a write in flight, or a name held back by staging.ts), and TTL 0
 *   keeps its cache out of the way (measured on 2.90: dnsmasq does not cache a TTL-0 answer, while a
 *   cached answer for a name later added to the hosts files is served beside the hosts records).
 * - N a name the cDNS reserves (lib/dns/names.ts: the health name, `nodes.<zone>` and below, NS
 *   names): never a wildcard's.
 * - Wildcards match one label, as the Ingress API defines a wildcard host: `*.sub.zone` answers
 *   `x.sub.zone`, not `y.x.sub.zone` (no ingress controller routes that to the Ingress) nor
 *   `sub.zone`. So only the wildcard of N's parent can match, and when `*.a.zone` and
 *   `*.b.a.zone` both exist, `x.b.a.zone` takes the second and `b.a.zone` the first. Names that
 *   exist only because of names below them (`y.sub.zone` when `x.y.sub.zone` is exact) do not stop
 *   a match (unlike RFC 4592's closest encloser): the ingress controller routes `y.sub.zone` by the
 *   wildcard. The answer carries the configured TTL, so dnsmasq caches it (staging.ts deals with
 *   that).
 * - Otherwise, a name that exists (exact, reserved and present, the apex, or a name with names below
 *   it): NODATA; else NXDOMAIN.
 * - Other types: the apex's SOA for an SOA query of the apex; else NODATA when an A query would
 *   have an answer or N exists, NXDOMAIN otherwise.
 *
 * Negative answers carry the zone's SOA (RFC 2308: what makes them cacheable) only for types other
 * than A of names that exist: dnsmasq (negative caching on) and the resolvers in front then cache
 * "no AAAA here" for the TTL, so the AAAA half of every dual-stack lookup costs the responder once
 * per name and TTL. An A negative (NXDOMAIN, or NODATA of a name with names below it) never carries
 * one: measured on 2.90, a cached NXDOMAIN is served for the name's other types after the name
 * appears in the hosts files, and an A answer would change the moment a wildcard or name appears.
 */
import { controlPlaneName, healthName, isReservedName, nodeCanonicalName, nodesName, nsName } from "../../../lib/dns/names";
import { parentName, wildcardBase } from "../../../lib/dns/syntax";
import type { HostsData } from "../model";
import { zoneOf } from "../source/hostnames";
import { RCODE, TYPE_A, TYPE_ANY, TYPE_SOA, type Reply, type Soa } from "./wire";

/** SOA timers (the same as dnsmasq's auth-soa in lib/render/dnsmasqConf.ts); minimum = the TTL. */
const SOA_REFRESH = 1200;
const SOA_RETRY = 180;
const SOA_EXPIRE = 1_209_600;

/** The responder's view of the plan: built per plan, cheap (what costs is computed on first need). */
export interface ResponderData {
  readonly zones: readonly string[];
  readonly ttlSeconds: number;
  /** Exact names and their targets (all of the plan's, held ones included). */
  readonly records: ReadonlyMap<string, readonly string[]>;
  /** Wildcard base (`sub.zone` for `*.sub.zone`) -> targets. */
  readonly wildcards: ReadonlyMap<string, readonly string[]>;
  readonly soa: ReadonlyMap<string, Soa>;
  /** The plan's data, for the names computed on first need. */
  readonly hosts: HostsData;
}

export function responderData(hosts: HostsData, ttlSeconds: number): ResponderData {
  const wildcards = new Map<string, readonly string[]>();
  for (const [name, ips] of hosts.wildcards ?? []) {
    const base = wildcardBase(name);
    if (base !== undefined) wildcards.set(base, ips);
  }
  const zone0 = hosts.zones[0] ?? "";
  const soa = new Map<string, Soa>();
  for (const zone of hosts.zones) {
    soa.set(zone, {
      zone, mname: nsName(0, zone0), rname: `hostmaster.${zone}`, serial: 1,
      refresh: SOA_REFRESH, retry: SOA_RETRY, expire: SOA_EXPIRE, minimum: ttlSeconds, ttl: ttlSeconds,
    });
  }
  return { zones: hosts.zones, ttlSeconds, records: hosts.records, wildcards, soa, hosts };
}

/** Names that exist besides the exact ones: reserved names present, and every name with names below it. */
interface Existing {
  readonly reserved: ReadonlySet<string>;
  /** Proper ancestors (inside a zone) of every exact, reserved and wildcard name. */
  readonly parents: ReadonlySet<string>;
}

const existing = new WeakMap<ResponderData, Existing>();

/** The reserved names the hosts files and dnsmasq.conf hold for this data (sink/renderHosts.ts writes them). */
function reservedPresent(hosts: HostsData): Set<string> {
  const zone0 = hosts.zones[0] as string;
  const out = new Set<string>([healthName(zone0)]);
  const used = new Set<string>([...hosts.nodeIps, ...(hosts.controlPlaneIps ?? [])]);
  for (const ips of hosts.records.values()) for (const ip of ips) used.add(ip);
  for (const ip of used) out.add(nodeCanonicalName(ip, zone0));
  for (const zone of hosts.zones) {
    if (hosts.nodeIps.length > 0) out.add(nodesName(zone));
    if ((hosts.controlPlaneIps ?? []).length > 0) out.add(controlPlaneName(zone));
  }
  return out;
}

function existingOf(data: ResponderData): Existing {
  let e = existing.get(data);
  if (e !== undefined) return e;
  const reserved = reservedPresent(data.hosts);
  const parents = new Set<string>();
  const addParents = (name: string): void => {
    const zone = zoneOf(name, data.zones);
    if (zone === undefined) return;
    for (let p = parentName(name); p !== undefined && p.length > zone.length && !parents.has(p); p = parentName(p)) parents.add(p);
  };
  for (const name of data.records.keys()) addParents(name);
  for (const name of reserved) addParents(name);
  for (const base of data.wildcards.keys()) addParents(`*.${base}`);
  e = { reserved, parents };
  existing.set(data, e);
  return e;
}

/** How a question was answered, for the metrics. */
export type AnswerSource = "exact" | "wildcard" | "soa" | "negative" | "refused";

export interface Answer {
  readonly reply: Reply;
  readonly source: AnswerSource;
}

/** Rotates `ips` by `turn` (every answer starts one further on, as dnsmasq's own answers do). */
function rotated(ips: readonly string[], turn: number): readonly string[] {
  if (ips.length < 2) return ips;
  const k = turn % ips.length;
  return k === 0 ? ips : [...ips.slice(k), ...ips.slice(0, k)];
}

/**
 * The answer to one question (`name` lowercase without the trailing dot; undefined for a name no
 * data can hold). `turn` picks the rotation of a multi-address answer.
 */
export function answerQuestion(data: ResponderData, name: string | undefined, qtype: number, turn = 0): Answer {
  const zone = name === undefined ? undefined : zoneOf(name, data.zones);
  if (name === undefined || zone === undefined) {
    // A name no zone holds, or one with bytes no name here has: inside a zone that is NXDOMAIN.
    if (name === undefined) return { reply: { rcode: RCODE.NXDOMAIN }, source: "negative" };
    return { reply: { rcode: RCODE.REFUSED }, source: "refused" };
  }
  const soa = data.soa.get(zone) as Soa;
  const exact = data.records.get(name);
  const reserved = exact === undefined && data.zones.some((z) => isReservedName(name, z));
  const parent = parentName(name);
  const wildcard = exact !== undefined || reserved || parent === undefined ? undefined : data.wildcards.get(parent);
  const addressQuery = qtype === TYPE_A || qtype === TYPE_ANY;
  if (addressQuery && exact !== undefined) return { reply: { rcode: RCODE.NOERROR, addresses: rotated(exact, turn), ttl: 0 }, source: "exact" };
  if (addressQuery && wildcard !== undefined) return { reply: { rcode: RCODE.NOERROR, addresses: rotated(wildcard, turn), ttl: data.ttlSeconds }, source: "wildcard" };
  if (qtype === TYPE_SOA && name === zone) return { reply: { rcode: RCODE.NOERROR, soa, soaInAnswer: true }, source: "soa" };
  const ex = existingOf(data);
  const exists = exact !== undefined || wildcard !== undefined || name === zone || ex.reserved.has(name) || ex.parents.has(name);
  if (!exists) return { reply: { rcode: RCODE.NXDOMAIN }, source: "negative" };
  return { reply: addressQuery ? { rcode: RCODE.NOERROR } : { rcode: RCODE.NOERROR, soa }, source: "negative" };
}
