/**
 * Validation of the `haproxy` block of the stack config. Called by
 * validateStackConfig() with the already-derived context; collects every
 * problem, never throws. Keys are `haproxy.<field>`.
 *
 * Decisions: a template smaller than the worker pool is rejected (HAProxy would
 * silently skip workers); a template larger than one UDP answer can carry for
 * `nodes.<zone>` is rejected, not warned: the resolvers are UDP only, because
 * dnsmasq's TCP answers come from forked children with a stale cache copy
 * (FACTS.md), so a `tcp@` nameserver is no way out.
 */
import type { ConfigProblem, HaproxyConfig } from "./types";
import { nodesName } from "../dns/names";
import { HAPROXY_HTTPS_PORT, isHttpCheckPath, isIpv4, udpMaxServers } from "../render/haproxyCfg";

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function validateHaproxySettings(
  h: HaproxyConfig,
  ctx: { zones: readonly string[]; cdnsAddresses: readonly string[]; workerCount: number },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: string, message: string): void => {
    problems.push({ key: `haproxy.${key}`, message });
  };

  if (!isIpv4(h.ip)) add("ip", `must be an IPv4 address, got ${JSON.stringify(h.ip)}`);
  else if (ctx.cdnsAddresses.includes(h.ip)) add("ip", `${h.ip} is already a cDNS node address`);
  if (!HOSTNAME.test(h.hostname)) add("hostname", `must be a lowercase DNS label (a-z, 0-9, "-", at most 63), got ${JSON.stringify(h.hostname)}`);

  if (!Number.isInteger(h.vm.cpus) || h.vm.cpus < 1) add("vm.cpus", `must be a positive integer, got ${h.vm.cpus}`);
  if (!Number.isInteger(h.vm.memoryMb) || h.vm.memoryMb < 512) add("vm.memoryMb", `must be an integer of at least 512, got ${h.vm.memoryMb}`);
  if (!Number.isInteger(h.vm.diskGb) || h.vm.diskGb < 1) add("vm.diskGb", `must be a positive integer, got ${h.vm.diskGb}`);

  if (ctx.zones.length === 0) add("enabled", "HAProxy follows nodes.<zone> of the first zone, but no zone is configured");
  if (ctx.cdnsAddresses.length === 0) {
    add("enabled", "HAProxy resolves the workers through the cDNS, but there is no cDNS node address");
  }

  const zone0 = ctx.zones[0];
  if (!Number.isInteger(h.maxServers) || h.maxServers < 1) {
    add("maxServers", `must be a positive integer, got ${h.maxServers}`);
  } else {
    if (h.maxServers < ctx.workerCount) {
      add("maxServers", `${h.maxServers} is smaller than the worker pool (${ctx.workerCount}): HAProxy would only follow ${h.maxServers} of the ${ctx.workerCount} workers`);
    }
    const limit = zone0 === undefined ? undefined : udpMaxServers(nodesName(zone0));
    if (limit !== undefined && h.maxServers > limit) {
      add("maxServers", `${h.maxServers} is above ${limit}, the most A records for ${nodesName(zone0 as string)} that one UDP answer from the cDNS carries; HAProxy does not retry a truncated answer over TCP and then follows no worker at all`);
    }
  }

  if (h.httpCheck !== undefined) {
    if (!Number.isInteger(h.httpCheck.port) || h.httpCheck.port < 1 || h.httpCheck.port > 65535) add("httpCheck.port", `must be an integer port 1-65535, got ${h.httpCheck.port}`);
    else if (h.httpCheck.port === HAPROXY_HTTPS_PORT) {
      add("httpCheck.port", `${HAPROXY_HTTPS_PORT} is the TLS listener: a plain HTTP check against it always fails; use the ingress controller's health port (e.g. 10254) or 80`);
    }
    if (!isHttpCheckPath(h.httpCheck.path)) {
      add("httpCheck.path", `must be an absolute URL path such as "/healthz" (no spaces, quotes, "#" or "\\"), got ${JSON.stringify(h.httpCheck.path)}`);
    }
  }
  return problems;
}
