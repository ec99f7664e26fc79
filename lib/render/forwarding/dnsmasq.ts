/**
 * dnsmasq `server=/zone/ip#port` lines for an iDNS that is itself dnsmasq.
 *
 * `rebind-domain-ok=/zone/`: with `stop-dns-rebind` (common on dnsmasq
 * resolvers) dnsmasq drops upstream answers carrying private addresses, which
 * is every ingress answer; the line exempts the cDNS zones and is harmless
 * without it. dnsmasq asks every server of a domain and keeps the fastest
 * unless `strict-order` is set, so the order is primary first but advisory.
 */
import { checkForwardingInput, GENERATED_BY, type ForwardingInput } from "./input";

export function renderDnsmasqServers(input: ForwardingInput): string {
  const { zones, cdnsAddresses, port } = checkForwardingInput("renderDnsmasqServers", input);
  const lines = [`# ${GENERATED_BY}`];
  for (const z of zones) {
    for (const ip of cdnsAddresses) lines.push(`server=/${z}/${ip}#${port}`);
    lines.push(`rebind-domain-ok=/${z}/`);
  }
  return lines.join("\n") + "\n";
}
