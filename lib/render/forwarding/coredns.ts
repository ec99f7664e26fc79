/**
 * CoreDNS server blocks for the cDNS zones, to add to a Corefile beside the
 * existing `.:53 { }` block (CoreDNS routes each query to the most specific
 * zone's block).
 *
 * - `policy sequential`: ask the primary first and move on only when it fails,
 *   matching "primary first"; the default (random) would spread queries.
 * - `cache 5`: caps positive and negative caching at 5 s. The cDNS answers with
 *   a short TTL (DEFAULT_TTL_SECONDS) because targets change; without the cap a
 *   fresh ingress name could stay NXDOMAIN for the negative-cache time.
 * - `errors`: a dead forwarder shows in the CoreDNS log.
 * The block listens on :53, the port clients ask CoreDNS on; the cDNS port is
 * the one in the forward targets.
 */
import { isIP } from "node:net";
import { checkForwardingInput, GENERATED_BY, type ForwardingInput } from "./input";

/** Seconds the iDNS CoreDNS may cache cDNS answers, positive or negative. */
export const COREDNS_CACHE_SECONDS = 5;

function target(ip: string, port: number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function renderCorednsForward(input: ForwardingInput): string {
  const { zones, cdnsAddresses, port } = checkForwardingInput("renderCorednsForward", input);
  const targets = cdnsAddresses.map((ip) => target(ip, port)).join(" ");
  const blocks = zones.map((z) =>
    [
      `${z}:53 {`,
      `    forward . ${targets} {`,
      "        policy sequential",
      "    }",
      `    cache ${COREDNS_CACHE_SECONDS}`,
      "    errors",
      "}",
    ].join("\n"),
  );
  return `# ${GENERATED_BY}\n${blocks.join("\n")}\n`;
}
