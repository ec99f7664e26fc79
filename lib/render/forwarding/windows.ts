/**
 * Windows DNS Server conditional forwarders for the cDNS zones, as a
 * PowerShell script (DnsServer module) with the dnscmd equivalent.
 *
 * `-ReplicationScope Forest` stores the forwarder in Active Directory
 * (ForestDnsZones), so every DC running DNS in the forest gets it. Windows
 * tries the master servers in the listed order: primary first. Windows DNS
 * does not validate DNSSEC for a conditional forwarder unless trust anchors
 * are configured, so nothing else is needed for the unsigned internal zone.
 */
import { checkForwardingInput, GENERATED_BY, type ForwardingInput } from "./input";

export function renderWindowsConditionalForwarders(input: ForwardingInput): string {
  const { zones, cdnsAddresses, port } = checkForwardingInput("renderWindowsConditionalForwarders", input);
  // Conditional forwarders have no port setting: Windows always asks port 53.
  if (port !== 53) {
    throw new Error(`renderWindowsConditionalForwarders: Windows DNS forwards only to port 53, not ${port}`);
  }
  const masters = cdnsAddresses.join(",");
  const lines = [
    `# ${GENERATED_BY}`,
    "# Run in an elevated PowerShell on a domain controller with the DNS Server role.",
    ...zones.map((z) => `Add-DnsServerConditionalForwarderZone -Name "${z}" -MasterServers ${masters} -ReplicationScope "Forest"`),
    "# Without the DnsServer module, the same with dnscmd:",
    ...zones.map((z) => `#   dnscmd /ZoneAdd ${z} /DsForwarder ${cdnsAddresses.join(" ")} /DP /forest`),
  ];
  return lines.join("\n") + "\n";
}
