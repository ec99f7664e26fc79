/**
 * Hostname rules shared by every source: normalise, validate, and decide
 * whether a name may be served.
 *
 * Wildcards (`*.sub.zone`, the only form the Ingress API allows) are served
 * only when the sidecar's DNS responder is on (`wildcards`): a dnsmasq hosts
 * file maps exact names only, so the responder answers them (see
 * responder/). Otherwise they are `wildcard_unsupported`. A wildcard's base
 * (`sub.zone`) must be a valid name inside a zone (the apex counts) and not
 * one the cDNS reserves (`*.nodes.<zone>` would shadow node names).
 */
import { isReservedName } from "../../../lib/dns/names";
import { hasNumericTopLabel, isDnsName, wildcardBase } from "../../../lib/dns/syntax";
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

export interface HostnameOptions {
  /** Serve wildcard hosts (the DNS responder is on). @default false: `wildcard_unsupported` */
  readonly wildcards?: boolean;
}

/**
 * Full check of one raw hostname against the configured zones. A wildcard comes back as
 * `*.<base>`, normalised like any name; its base is checked as a name would be.
 */
export function checkHostname(raw: string, zones: readonly string[], opts: HostnameOptions = {}): HostnameVerdict {
  const hostname = normalizeHostname(raw);
  const base = wildcardBase(hostname);
  const name = base ?? hostname;
  if (!isValidDnsName(name)) {
    return { ok: false, hostname, reason: "invalid_hostname", detail: base === undefined ? "not a valid DNS name" : "malformed wildcard" };
  }
  const zone = zoneOf(name, zones);
  if (zone === undefined) return { ok: false, hostname, reason: "outside_zones", detail: `not in ${zones.join(", ")}` };
  // Any zone reserving the name wins: nested zones must not let an Ingress take nodes.<outer zone>.
  if (zones.some((z) => isReservedName(name, z))) {
    return { ok: false, hostname, reason: "reserved_name", detail: "owned by the cDNS itself" };
  }
  if (base !== undefined && opts.wildcards !== true) {
    return { ok: false, hostname, reason: "wildcard_unsupported", detail: "the DNS responder is off (--responder-address=none): dnsmasq hosts files cannot express wildcards" };
  }
  return { ok: true, hostname };
}

// IPv4 parsing and ordering live in lib/net/ipv4.ts (one parser for the stack and the sidecar).
export { compareIPv4, ipv4Key, isSortedUniqueIPv4, sortedUniqueIPv4 } from "../../../lib/net/ipv4";
