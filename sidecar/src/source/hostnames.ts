/**
 * Hostname rules shared by every source: normalise, validate, and decide
 * whether a name may be served.
 *
 * Wildcards (`*.apps.example.com`) are recognised but never served: a dnsmasq
 * hosts file maps exact names only, and `--address=/zone/` would cover the whole
 * zone, not one subtree. They are reported as `wildcard_unsupported`.
 */
import { isReservedName } from "../../../lib/dns/names";
import { hasNumericTopLabel, isDnsName } from "../../../lib/dns/syntax";
import type { IgnoreReason } from "../model";

export type HostnameVerdict =
  | { readonly ok: true; readonly hostname: string }
  | { readonly ok: false; readonly hostname: string; readonly reason: IgnoreReason; readonly detail: string };

/** Lowercases and strips one trailing dot. */
export function normalizeHostname(raw: string): string {
  const t = raw.trim().toLowerCase();
  return t.endsWith(".") ? t.slice(0, -1) : t;
}

export function isValidDnsName(name: string): boolean {
  // A bare label is not a useful ingress host and dnsmasq answers bare names with NXDOMAIN (domain-needed).
  return isDnsName(name, 2) && !hasNumericTopLabel(name);
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

// IPv4 parsing and ordering live in lib/net/ipv4.ts (one parser for the stack and the sidecar).
export { compareIPv4, ipv4Key, isSortedUniqueIPv4, sortedUniqueIPv4 } from "../../../lib/net/ipv4";
