/**
 * Hostname rules shared by every source: normalise, validate, and decide
 * whether a name may be served.
 *
 * Wildcards (`*.apps.example.com`) are recognised but never served: a dnsmasq
 * hosts file maps exact names only, and `--address=/zone/` would cover the whole
 * zone, not one subtree. They are reported as `wildcard_unsupported`.
 */
import { isIPv4 } from "node:net";
import { isReservedName } from "../../../lib/dns/names";
import type { IgnoreReason } from "../model";

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export type HostnameVerdict =
  | { readonly ok: true; readonly hostname: string }
  | { readonly ok: false; readonly hostname: string; readonly reason: IgnoreReason; readonly detail: string };

/** Lowercases and strips one trailing dot. */
export function normalizeHostname(raw: string): string {
  const t = raw.trim().toLowerCase();
  return t.endsWith(".") ? t.slice(0, -1) : t;
}

export function isValidDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  // A bare label is not a useful ingress host and dnsmasq answers bare names with NXDOMAIN (domain-needed).
  if (labels.length < 2) return false;
  return labels.every((l) => LABEL.test(l)) && !/^[0-9]+$/.test(labels[labels.length - 1] as string);
}

/** The zone `name` lies in (the longest match), or undefined. The apex counts as inside. */
export function zoneOf(name: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const z of zones) {
    if ((name === z || name.endsWith(`.${z}`)) && (best === undefined || z.length > best.length)) best = z;
  }
  return best;
}

/** Full check of one raw hostname against the configured zones. */
export function checkHostname(raw: string, zones: readonly string[]): HostnameVerdict {
  const hostname = normalizeHostname(raw);
  if (hostname.startsWith("*.")) {
    const rest = hostname.slice(2);
    if (isValidDnsName(rest)) {
      return { ok: false, hostname, reason: "wildcard_unsupported", detail: "dnsmasq hosts files cannot express wildcards" };
    }
    return { ok: false, hostname, reason: "invalid_hostname", detail: "malformed wildcard" };
  }
  if (!isValidDnsName(hostname)) return { ok: false, hostname, reason: "invalid_hostname", detail: "not a valid DNS name" };
  const zone = zoneOf(hostname, zones);
  if (zone === undefined) return { ok: false, hostname, reason: "outside_zones", detail: `not in ${zones.join(", ")}` };
  // Any zone reserving the name wins: nested zones must not let an Ingress take nodes.<outer zone>.
  if (zones.some((z) => isReservedName(hostname, z))) {
    return { ok: false, hostname, reason: "reserved_name", detail: "owned by the cDNS itself" };
  }
  return { ok: true, hostname };
}

/**
 * IPv4 dotted quad as an unsigned 32-bit number, parsed without allocating
 * (the plan compares IPs on every sort step). -1 for anything that is not four
 * decimal octets of at most 255.
 */
export function ipv4Key(ip: string): number {
  let key = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      key = key * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return key * 256 + octet;
}

function compareIPv4Slow(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Numeric IPv4 order, so capped subsets and file contents are deterministic. */
export function compareIPv4(a: string, b: string): number {
  const ka = ipv4Key(a);
  const kb = ipv4Key(b);
  // Non-IPv4 strings never reach a hosts file; keep their old (split) order for callers that sort them anyway.
  return ka >= 0 && kb >= 0 ? ka - kb : compareIPv4Slow(a, b);
}

/** True when `ips` is strictly increasing in numeric IPv4 order (sorted, no duplicates). */
export function isSortedUniqueIPv4(ips: readonly string[]): boolean {
  let prev = -1;
  for (const ip of ips) {
    const k = ipv4Key(ip);
    if (k < 0 || k <= prev) return false;
    prev = k;
  }
  return true;
}

export function sortedUniqueIPv4(ips: Iterable<string>): string[] {
  return [...new Set(ips)].filter((ip) => isIPv4(ip)).sort(compareIPv4);
}
