/**
 * Targets shared by Ingresses and LoadBalancer Services: status.loadBalancer
 * IPv4 addresses, else (status empty) the fallback nodes.
 *
 * Rules:
 * - `hostname`-only or IPv6 status entries are skipped (`non_ipv4_target`):
 *   a hosts file line needs an IPv4 address and we do not resolve names.
 * - The fallback applies only when the status has no entry at all. A status
 *   holding only unusable entries means something else owns the address, and
 *   guessing nodes would send traffic to the wrong place (`no_targets`).
 * - The fallback takes every node carrying the fallback label, healthy or not:
 *   the plan filters by health, so the all-dropped rule (keep-last) applies to
 *   fallback names too.
 * - An object served by the configured ingress controller (`viaController`)
 *   falls back instead to the nodes running a controller pod (Ready or not,
 *   never a cDNS node): the plan keeps those with a Ready one.
 * - More than `maxTargets` (MAX_OBJECT_TARGETS in the sidecar: a sanity bound on
 *   one object, not the serving cap): the numerically lowest are kept and
 *   `too_many_targets` is reported. How many addresses a name serves is the
 *   plan's choice (a per-name subset, plan.ts), made after health filtering.
 */
import { isIpv4 as isIPv4 } from "../../../lib/net/ipv4";
import type { NodeState } from "../model";
import type { SourceContext, Ignored } from "./context";
import { compareIPv4 } from "./hostnames";
import { internList } from "./intern";
import { isObj, str } from "./objects";

export interface TargetsResult {
  readonly targets: readonly string[];
  readonly ignored: Ignored[];
  /** True when status.loadBalancer.ingress was not an array (or not an object list). */
  readonly malformed: boolean;
}

export function targetsFromStatus(status: unknown, owner: string, ctx: SourceContext, viaController = false): TargetsResult {
  const ignored: Ignored[] = [];
  const lb = isObj(status) && isObj(status.loadBalancer) ? status.loadBalancer : undefined;
  const raw = lb?.ingress;
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) {
    return { targets: [], ignored, malformed: true };
  }
  const list: unknown[] = Array.isArray(raw) ? raw : [];
  const ips = new Set<string>();
  for (const item of list) {
    if (!isObj(item)) return { targets: [], ignored, malformed: true };
    const ip = str(item.ip);
    if (ip !== undefined && isIPv4(ip)) ips.add(ip);
    else {
      const what = ip !== undefined ? `ip ${ip}` : `hostname ${str(item.hostname) ?? "(none)"}`;
      ignored.push({ owner, host: "", reason: "non_ipv4_target", detail: `status entry ${what} is not IPv4` });
    }
  }
  let targets = [...ips];
  if (list.length === 0) {
    const candidate = viaController ? (n: NodeState) => n.controllerPod === true : (n: NodeState) => n.fallback;
    targets = [...new Set(ctx.nodes.filter(candidate).flatMap((n) => n.addresses))];
  }
  targets.sort(compareIPv4);
  if (targets.length > ctx.maxTargets) {
    ignored.push({
      owner,
      host: "",
      reason: "too_many_targets",
      detail: `${targets.length} targets, serving the lowest ${ctx.maxTargets}`,
    });
    targets = targets.slice(0, ctx.maxTargets);
  }
  // Equal target lists are one list (intern.ts): the plan recognises them by identity.
  return { targets: internList("targets", targets.join(","), targets), ignored, malformed: false };
}
