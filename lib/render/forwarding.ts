/**
 * Ready-to-use iDNS configuration: the stack output `forwarding`. One snippet
 * per DNS server kind the iDNS admins may run, each forwarding every cDNS zone
 * to the cDNS addresses (primary first); in authoritative mode also the NS and
 * glue records the parent zone needs. Each renderer lives in ./forwarding/ and
 * is proven against the real server where one exists (test/forwarding/).
 */
import { renderBindForwardZones } from "./forwarding/bind";
import { renderCorednsForward } from "./forwarding/coredns";
import { cdnsNameServers, renderDelegationRecords } from "./forwarding/delegation";
import { renderDnsmasqServers } from "./forwarding/dnsmasq";
import { checkForwardingInput, GENERATED_BY, type ForwardingInput } from "./forwarding/input";
import { renderUnboundForwardZones } from "./forwarding/unbound";
import { renderWindowsConditionalForwarders } from "./forwarding/windows";

export { renderBindForwardZones, renderBindValidateExcept } from "./forwarding/bind";
export { COREDNS_CACHE_SECONDS, renderCorednsForward } from "./forwarding/coredns";
export { cdnsNameServers, renderDelegationRecords, type DelegationInput, type NameServer } from "./forwarding/delegation";
export { renderDnsmasqServers } from "./forwarding/dnsmasq";
export type { ForwardingInput } from "./forwarding/input";
export { renderUnboundForwardZones } from "./forwarding/unbound";
export { renderWindowsConditionalForwarders } from "./forwarding/windows";

export interface RenderForwardingInput extends ForwardingInput {
  /**
   * Authoritative mode (the iDNS delegates instead of forwarding): add the
   * delegation records, name servers `nsName(i, zones[0])` at the cDNS addresses.
   * @default undefined (forwarding mode: no delegation records)
   */
  readonly authoritative?: {
    /** Zone the delegation goes into; see DelegationInput.parentZone. @default undefined */
    readonly parentZone?: string;
  };
}

/** The `forwarding` stack output. */
export interface ForwardingOutput {
  /** named.conf zone statements. */
  readonly bind: string;
  /** unbound.conf.d file: server: lines plus forward-zone: clauses. */
  readonly unbound: string;
  /** dnsmasq.conf lines. */
  readonly dnsmasq: string;
  /** Corefile server blocks. */
  readonly coredns: string;
  /** PowerShell script (dnscmd alternative in comments). */
  readonly windows: string;
  /** Parent-zone NS and glue records; only in authoritative mode. */
  readonly delegation?: string;
}

export function renderForwarding(input: RenderForwardingInput): ForwardingOutput {
  const checked = checkForwardingInput("renderForwarding", input);
  const base = {
    bind: renderBindForwardZones(checked),
    unbound: renderUnboundForwardZones(checked),
    dnsmasq: renderDnsmasqServers(checked),
    coredns: renderCorednsForward(checked),
    // Windows cannot forward to another port; say so instead of failing the
    // whole output (only tests and labs run the cDNS off port 53).
    windows:
      checked.port === 53
        ? renderWindowsConditionalForwarders(checked)
        : `# ${GENERATED_BY}\n# Not available: Windows DNS conditional forwarders only use port 53, the cDNS listens on ${checked.port}.\n`,
  };
  if (input.authoritative === undefined) return base;
  const delegation = renderDelegationRecords({
    ...(input.authoritative.parentZone === undefined ? {} : { parentZone: input.authoritative.parentZone }),
    zones: checked.zones,
    nameServers: cdnsNameServers(checked.zones, checked.cdnsAddresses),
  });
  return { ...base, delegation };
}
