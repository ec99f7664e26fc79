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

/** What a status list gives, without the owner (the same for every Ingress sharing the list). */
interface ListResult {
  readonly maxTargets: number;
  readonly targets: readonly string[];
  readonly problems: readonly Omit<Ignored, "owner">[];
  readonly malformed: boolean;
}

/**
 * Status lists are interned (trim.ts), so Ingresses with equal statuses share one array: with a
 * DaemonSet controller 10,000 Ingresses list the same 100 nodes, and their targets are worked
 * out once instead of 10,000 times (~150 ms of a start at that size, measured with --cpu-prof).
 */
const byList = new WeakMap<readonly unknown[], ListResult>();

function fromList(list: readonly unknown[], maxTargets: number, nodeTargets: () => string[]): ListResult {
  const known = list.length > 0 ? byList.get(list) : undefined;
  if (known !== undefined && known.maxTargets === maxTargets) return known;
  const problems: Omit<Ignored, "owner">[] = [];
  const ips = new Set<string>();
  for (const item of list) {
    if (!isObj(item)) return { maxTargets, targets: [], problems: [], malformed: true };
    const ip = str(item.ip);
    if (ip !== undefined && isIPv4(ip)) ips.add(ip);
    else {
      const what = ip !== undefined ? `ip ${ip}` : `hostname ${str(item.hostname) ?? "(none)"}`;
      problems.push({ host: "", reason: "non_ipv4_target", detail: `status entry ${what} is not IPv4` });
    }
  }
  // An empty status: the fallback nodes, which depend on the nodes, so nothing is remembered.
  let targets = list.length === 0 ? nodeTargets() : [...ips];
  targets.sort(compareIPv4);
  if (targets.length > maxTargets) {
    problems.push({ host: "", reason: "too_many_targets", detail: `${targets.length} targets, serving the lowest ${maxTargets}` });
    targets = targets.slice(0, maxTargets);
  }
  // Equal target lists are one list (intern.ts): the plan recognises them by identity.
  const result = { maxTargets, targets: internList("targets", targets.join(","), targets), problems, malformed: false };
  if (list.length > 0) byList.set(list, result);
  return result;
}

export function targetsFromStatus(status: unknown, owner: string, ctx: SourceContext, viaController = false): TargetsResult {
  const lb = isObj(status) && isObj(status.loadBalancer) ? status.loadBalancer : undefined;
  const raw = lb?.ingress;
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) {
    return { targets: [], ignored: [], malformed: true };
  }
  const list: readonly unknown[] = Array.isArray(raw) ? raw : [];
  const candidate = viaController ? (n: NodeState) => n.controllerPod === true : (n: NodeState) => n.fallback;
  const r = fromList(list, ctx.maxTargets, () => [...new Set(ctx.nodes.filter(candidate).flatMap((n) => n.addresses))]);
  return { targets: r.targets, ignored: r.problems.map((p) => ({ owner, ...p })), malformed: r.malformed };
}
