/**
 * Authoritative mode: the records the parent zone needs to delegate the cDNS
 * zones to the cDNS nodes (NS records plus glue), in zone-file syntax with
 * absolute names so they paste into any parent zone file whatever its $ORIGIN.
 * Records inherit the parent file's $TTL.
 *
 * The name servers are `ns1.<zones[0]>`, `ns2.<zones[0]>`, ... (nsName()), the
 * names dnsmasq's `auth-server=` and `host-record=` lines announce. Every zone
 * is delegated to all of them.
 */
import { isIP } from "node:net";
import { nsName } from "../../dns/names";
import { checkAddresses, checkNames, GENERATED_BY, throwIfProblems } from "./input";

export interface NameServer {
  /** Host name of the name server, e.g. "ns1.apps.example.com". */
  readonly name: string;
  readonly ip: string;
}

export interface DelegationInput {
  /**
   * Zone whose file the records go into, e.g. "example.com". Every zone must be
   * below it. Glue is written only for name servers inside it: a name server
   * elsewhere gets its address from its own zone.
   * @default undefined (no check, every glue record written)
   */
  readonly parentZone?: string;
  readonly zones: readonly string[];
  /** Primary first. */
  readonly nameServers: readonly NameServer[];
}

/** The cDNS name servers: `nsName(i, zones[0])` for each cDNS address, primary first. */
export function cdnsNameServers(zones: readonly string[], cdnsAddresses: readonly string[]): NameServer[] {
  const zone0 = zones[0];
  if (zone0 === undefined) throw new Error("cdnsNameServers: at least one zone is required");
  return cdnsAddresses.map((ip, i) => ({ name: nsName(i, zone0.replace(/\.$/, "").toLowerCase()), ip }));
}

function isBelow(name: string, zone: string): boolean {
  return name.endsWith(`.${zone}`);
}

export function renderDelegationRecords(input: DelegationInput): string {
  const problems: string[] = [];
  const zones = checkNames("zones", input.zones, problems);
  const names = checkNames("nameServers.name", input.nameServers.map((ns) => ns.name), problems);
  checkAddresses("nameServers.ip", input.nameServers.map((ns) => ns.ip), problems);
  const parent = input.parentZone === undefined ? undefined : checkNames("parentZone", [input.parentZone], problems)[0];
  if (parent !== undefined) {
    zones.forEach((z, i) => {
      if (!isBelow(z, parent)) problems.push(`zones[${i}] "${z}" is not below the parent zone "${parent}"`);
    });
  }
  throwIfProblems("renderDelegationRecords", problems);

  const lines = [
    `; ${GENERATED_BY}`,
    parent === undefined
      ? "; Delegation of the cDNS zones: add to the zone file of each zone's parent."
      : `; Delegation of the cDNS zones: add to the zone file of ${parent}.`,
  ];
  for (const z of zones) for (const n of names) lines.push(`${z}. IN NS ${n}.`);
  input.nameServers.forEach((ns, i) => {
    const name = names[i] as string;
    const type = isIP(ns.ip) === 6 ? "AAAA" : "A";
    if (parent === undefined || isBelow(name, parent)) {
      lines.push(`${name}. IN ${type} ${ns.ip}`);
    } else {
      lines.push(`; ${name}. is outside ${parent}: its ${type} record (${ns.ip}) belongs in its own zone.`);
    }
  });
  return lines.join("\n") + "\n";
}
