/**
 * BIND (named.conf) forward zones for the cDNS zones.
 *
 * `forward only`: when every cDNS node is down BIND must fail (SERVFAIL) rather
 * than ask the public DNS, which would leak internal names and answer NXDOMAIN.
 * Forwarders are listed primary first; BIND picks among them by RTT, so the
 * order is a preference, not a guarantee.
 *
 * Measured gotcha: when the same BIND is authoritative for a parent zone (say
 * example.com), a forward zone below it is used only if the parent delegates
 * it (NS records for the zone in the parent); otherwise BIND answers NXDOMAIN
 * from the parent itself. The snippet says so; renderDelegationRecords() gives
 * the NS lines.
 */
import { checkForwardingInput, checkNames, GENERATED_BY, throwIfProblems, type ForwardingInput } from "./input";

function bindAddress(ip: string, port: number): string {
  return port === 53 ? `${ip};` : `${ip} port ${port};`;
}

/**
 * `validate-except { "zone"; ... };` — goes inside `options { }`. Without it a
 * validating BIND whose trust anchor covers a parent of the zone (the root
 * anchor and a signed public example.com) rejects the unsigned internal answers
 * as bogus: SERVFAIL. Measured in test/forwarding/bind.test.ts.
 */
export function renderBindValidateExcept(input: Pick<ForwardingInput, "zones">): string {
  const problems: string[] = [];
  const zones = checkNames("zones", input.zones, problems);
  throwIfProblems("renderBindValidateExcept", problems);
  return `validate-except { ${zones.map((z) => `"${z}";`).join(" ")} };`;
}

/** One `zone "Z" { type forward; ... };` statement per zone, to include in named.conf. */
export function renderBindForwardZones(input: ForwardingInput): string {
  const { zones, cdnsAddresses, port } = checkForwardingInput("renderBindForwardZones", input);
  const forwarders = cdnsAddresses.map((ip) => bindAddress(ip, port)).join(" ");
  const lines = [
    `// ${GENERATED_BY}`,
    "// Forward the cDNS zones to the cDNS nodes (primary first). If this server",
    "// validates DNSSEC, also add inside options { }:",
    `//   ${renderBindValidateExcept({ zones })}`,
    "// If this server is authoritative for a parent zone of these zones, that zone",
    "// must also delegate each of them (NS records) or BIND never forwards them.",
    ...zones.map((z) => `zone "${z}" { type forward; forward only; forwarders { ${forwarders} }; };`),
  ];
  return lines.join("\n") + "\n";
}
