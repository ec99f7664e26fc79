/**
 * Ingress -> entries. Pure; never throws, whatever the object looks like.
 *
 * Hostnames come from spec.rules[].host (rules without a host, the default
 * backend, serve no name). Each is lowercased, stripped of one trailing dot,
 * validated, and served only inside the configured zones and outside the names
 * the cDNS reserves. Targets: see targets.ts.
 *
 * Filters, checked first, each skipping the whole object:
 * - `filtered_namespace`: namespaces configured and this one not in them;
 * - `opted_out`: carries the opt-out label;
 * - `filtered_class`: a class is configured and spec.ingressClassName (or the
 *   legacy `kubernetes.io/ingress.class` annotation) differs. An Ingress with no
 *   class at all is skipped too: which class is the cluster default is not
 *   something the sidecar watches.
 *
 * An Ingress of a class the configured ingress controller serves (ctx.controllerClasses)
 * gives `viaController` entries: the plan keeps its node IPs only while the controller's pod
 * on that node is Ready, and an empty status targets the nodes running a controller pod.
 */
import type { SourceEntry } from "../model";
import type { Ignored, SourceContext, SourceResult } from "./context";
import { checkHostname } from "./hostnames";
import { servesClass } from "../../../lib/k8s/ingressControllers";
import { formatLabelSelector, selectorMatches } from "../../../lib/k8s/labelSelector";
import { isObj, ownerOf, readMeta, str } from "./objects";
import { targetsFromStatus } from "./targets";

export const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

function malformed(owner: string, detail: string): SourceResult {
  return { entries: [], ignored: [{ owner, host: "", reason: "malformed_object", detail }] };
}

/** Namespace and opt-out filters shared by every namespaced source. */
export function objectFilter(
  owner: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  ctx: SourceContext,
): Ignored | undefined {
  if (ctx.namespaces.length > 0 && !ctx.namespaces.includes(namespace)) {
    return { owner, host: "", reason: "filtered_namespace", detail: `namespace ${namespace} not watched` };
  }
  if (ctx.optOut !== undefined && ctx.optOut.length > 0 && selectorMatches(labels, ctx.optOut)) {
    return { owner, host: "", reason: "opted_out", detail: `labels match ${formatLabelSelector(ctx.optOut)}` };
  }
  return undefined;
}

/** Builds entries for `hosts` (raw strings) sharing one target list. */
export function entriesForHosts(
  owner: string,
  hosts: readonly string[],
  targets: readonly string[],
  ctx: SourceContext,
  ignored: Ignored[],
  viaController = false,
): SourceEntry[] {
  const entries: SourceEntry[] = [];
  const seen = new Set<string>();
  for (const raw of hosts) {
    const v = checkHostname(raw, ctx.zones, { wildcards: ctx.wildcards === true });
    if (!v.ok) {
      ignored.push({ owner, host: v.hostname, reason: v.reason, detail: v.detail });
      continue;
    }
    if (seen.has(v.hostname)) continue;
    seen.add(v.hostname);
    if (targets.length === 0) {
      const none = viaController ? "no node running an ingress controller pod" : "no fallback node";
      ignored.push({ owner, host: v.hostname, reason: "no_targets", detail: `no IPv4 status address and ${none}` });
      continue;
    }
    entries.push(viaController ? { hostname: v.hostname, targets, owner, viaController } : { hostname: v.hostname, targets, owner });
  }
  return entries;
}

export function entriesFromIngress(ingress: unknown, ctx: SourceContext): SourceResult {
  const meta = readMeta(ingress);
  if (meta === undefined || !isObj(ingress)) return malformed("Ingress/?", "missing metadata or name");
  const owner = ownerOf("Ingress", meta);
  const filtered = objectFilter(owner, meta.namespace, meta.labels, ctx);
  if (filtered !== undefined) return { entries: [], ignored: [filtered] };
  const cls = str(isObj(ingress.spec) ? ingress.spec.ingressClassName : undefined) ?? meta.annotations[LEGACY_CLASS_ANNOTATION];
  if (ctx.ingressClass !== undefined) {
    if (cls !== ctx.ingressClass) {
      return { entries: [], ignored: [{ owner, host: "", reason: "filtered_class", detail: `class ${cls ?? "(none)"}` }] };
    }
  }
  if (!isObj(ingress.spec)) return malformed(owner, "missing spec");
  const rules = ingress.spec.rules;
  if (rules !== undefined && rules !== null && !Array.isArray(rules)) return malformed(owner, "spec.rules is not a list");
  const hosts: string[] = [];
  for (const rule of Array.isArray(rules) ? rules : []) {
    if (!isObj(rule)) return malformed(owner, "spec.rules has a non-object entry");
    if (rule.host === undefined || rule.host === null || rule.host === "") continue;
    const host = str(rule.host);
    if (host === undefined) return malformed(owner, "spec.rules[].host is not a string");
    hosts.push(host);
  }
  if (hosts.length === 0) return { entries: [], ignored: [] };
  const viaController = ctx.controllerClasses !== undefined && servesClass(ctx.controllerClasses, cls);
  const t = targetsFromStatus(ingress.status, owner, ctx, viaController);
  if (t.malformed) return malformed(owner, "status.loadBalancer.ingress is not a list of objects");
  const ignored: Ignored[] = [];
  const entries = entriesForHosts(owner, hosts, t.targets, ctx, ignored, viaController);
  // Target problems matter only when the object serves something.
  return { entries, ignored: entries.length > 0 ? [...t.ignored, ...ignored] : ignored };
}
