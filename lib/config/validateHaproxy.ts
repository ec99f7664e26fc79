/**
 * Validation of the `haproxy` block of the stack config. Called by
 * validateStackConfig() with the already-derived context; collects every
 * problem, never throws. Keys are `haproxy.<field>`.
 *
 * Decisions: a template smaller than the worker pool is rejected (HAProxy would
 * silently skip workers); a template larger than one UDP answer can carry for
 * `nodes.<zone>` is rejected, not warned: the resolvers are UDP only, because
 * dnsmasq's TCP answers come from forked children with a stale cache copy
 * (measured on dnsmasq 2.90), so a `tcp@` nameserver is no way out.
 */
import type { ConfigProblem, HaproxyConfig } from "./types";
import { dnsLabelProblem } from "../dns/syntax";
import { ipv4Problem } from "../net/ipv4";
import { HAPROXY_HTTPS_PORT, httpCheckProblems, maxServersProblem } from "../render/haproxyRules";

/** The smallest HAProxy VM: HAProxy itself needs little, the guest OS sets the floor. */
export const MIN_HAPROXY_VM = { cpus: 1, memoryMb: 512, diskGb: 1 } as const;

export function validateHaproxySettings(
  h: HaproxyConfig,
  ctx: { zones: readonly string[]; cdnsAddresses: readonly string[]; workerCount: number },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: string, message: string): void => {
    problems.push({ key: `haproxy.${key}`, message });
  };

  const ipProblem = ipv4Problem(h.ip);
  if (ipProblem !== undefined) add("ip", ipProblem);
  else if (ctx.cdnsAddresses.includes(h.ip)) add("ip", `${h.ip} is already a cDNS node address`);
  const hostnameProblem = dnsLabelProblem(h.hostname);
  if (hostnameProblem !== undefined) add("hostname", hostnameProblem);

  if (!Number.isInteger(h.vm.cpus) || h.vm.cpus < MIN_HAPROXY_VM.cpus) add("vm.cpus", `must be a positive integer, got ${h.vm.cpus}`);
  if (!Number.isInteger(h.vm.memoryMb) || h.vm.memoryMb < MIN_HAPROXY_VM.memoryMb) {
    add("vm.memoryMb", `must be an integer of at least ${MIN_HAPROXY_VM.memoryMb}, got ${h.vm.memoryMb}`);
  }
  if (!Number.isInteger(h.vm.diskGb) || h.vm.diskGb < MIN_HAPROXY_VM.diskGb) add("vm.diskGb", `must be a positive integer, got ${h.vm.diskGb}`);

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
    const limit = zone0 === undefined ? undefined : maxServersProblem(h.maxServers, zone0);
    if (limit !== undefined) add("maxServers", limit);
  }

  if (h.httpCheck !== undefined) {
    // The stack's backends use the standard ports, so the TLS backend is HAPROXY_HTTPS_PORT.
    const check = httpCheckProblems(h.httpCheck, HAPROXY_HTTPS_PORT);
    if (check.port !== undefined) add("httpCheck.port", check.port);
    if (check.path !== undefined) add("httpCheck.path", check.path);
  }
  return problems;
}
