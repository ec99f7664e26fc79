/**
 * IPv4 arithmetic for config validation: addresses as unsigned 32-bit numbers,
 * so "inside the subnet" is a mask compare rather than string matching.
 */

/** Dotted quad, decimal, no leading zeros (so "010.0.0.1" is not silently octal anywhere). */
const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The address as an unsigned 32-bit number, or undefined when `s` is not a dotted quad. */
export function parseIpv4(s: string): number | undefined {
  if (!DOTTED_QUAD.test(s)) return undefined;
  return s.split(".").reduce((acc, octet) => (acc * 256 + Number(octet)) >>> 0, 0);
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
