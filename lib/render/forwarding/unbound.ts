/**
 * Unbound forward zones for the cDNS zones, as a self-contained file for
 * /etc/unbound/unbound.conf.d/ (Unbound merges repeated `server:` clauses).
 *
 * The `server:` lines an internal zone needs:
 * - `private-domain:` — with `private-address:` set (DNS-rebinding protection,
 *   common in hardened configs) Unbound strips private addresses from answers
 *   unless the name is in a private domain: the ingress names would resolve to
 *   nothing (NOERROR, no data).
 * - `domain-insecure:` — when a trust anchor covers a parent of the zone, the
 *   unsigned internal answers are bogus: SERVFAIL.
 * Both measured in test/forwarding/unbound.test.ts.
 */
import { checkForwardingInput, GENERATED_BY, type ForwardingInput } from "./input";

export function renderUnboundForwardZones(input: ForwardingInput): string {
  const { zones, cdnsAddresses, port } = checkForwardingInput("renderUnboundForwardZones", input);
  const lines = [`# ${GENERATED_BY}`, "server:"];
  for (const z of zones) lines.push(`    private-domain: "${z}"`, `    domain-insecure: "${z}"`);
  for (const z of zones) {
    lines.push("forward-zone:", `    name: "${z}"`);
    // Unbound tries forward-addrs by RTT; the order states the preference.
    for (const ip of cdnsAddresses) lines.push(`    forward-addr: ${ip}@${port}`);
    // Never fall back to the public DNS for an internal zone.
    lines.push("    forward-first: no");
  }
  return lines.join("\n") + "\n";
}
