/**
 * IPv4 addresses: the one parser of the dotted-quad syntax, used by the stack
 * config validation, the HAProxy renderer and the sidecar alike.
 *
 * Addresses are unsigned 32-bit numbers, so "inside the subnet" is a mask
 * compare and sorting is numeric. The syntax is four decimal octets of at most
 * 255 without leading zeros: inet_pton (what dnsmasq and HAProxy use) rejects
 * "010.0.0.1", and so does Kubernetes' strict IP validation, so a leading zero is
 * never silently read as octal or decimal anywhere.
 */

/**
 * The address as an unsigned 32-bit number, or -1 when `ip` is not a dotted
 * quad. Parsed without allocating: the sidecar's plan compares IPs on every
 * sort step.
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
      // A second digit after a leading "0" is a leading zero.
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return key * 256 + octet;
}

/** The address as an unsigned 32-bit number, or undefined when `s` is not a dotted quad. */
export function parseIpv4(s: string): number | undefined {
  const key = ipv4Key(s);
  return key < 0 ? undefined : key;
}

export function isIpv4(s: string): boolean {
  return ipv4Key(s) >= 0;
}

/** Why `s` is not an IPv4 address, or undefined when it is one. */
export function ipv4Problem(s: string): string | undefined {
  return isIpv4(s) ? undefined : `must be an IPv4 address; got ${JSON.stringify(s)}`;
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

/** Netmask of a prefix length 0..32 as an unsigned number. */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export interface Ipv4Subnet {
  readonly network: number;
  readonly broadcast: number;
  readonly mask: number;
  readonly prefixLength: number;
}

/** The subnet that `address` lives in with the given prefix length. */
export function subnetOf(address: number, prefixLength: number): Ipv4Subnet {
  const mask = prefixMask(prefixLength);
  const network = (address & mask) >>> 0;
  return { network, broadcast: (network | ~mask) >>> 0, mask, prefixLength };
}

export function inSubnet(address: number, subnet: Ipv4Subnet): boolean {
  return ((address & subnet.mask) >>> 0) === subnet.network;
}

export function formatSubnet(subnet: Ipv4Subnet): string {
  return `${formatIpv4(subnet.network)}/${subnet.prefixLength}`;
}

function compareIpv4Slow(a: string, b: string): number {
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
  return ka >= 0 && kb >= 0 ? ka - kb : compareIpv4Slow(a, b);
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

/** The IPv4 addresses among `ips`, without duplicates, in numeric order. */
export function sortedUniqueIPv4(ips: Iterable<string>): string[] {
  return [...new Set(ips)].filter(isIpv4).sort(compareIPv4);
}
