/**
 * Gateway API HTTPRoute -> entries (optional source, off by default, and only
 * when the cluster serves gateway.networking.k8s.io/v1: see informers.ts).
 *
 * Hostnames: spec.hostnames[]. Targets: the IPv4 `IPAddress` entries of
 * status.addresses of every parent Gateway (spec.parentRefs of kind Gateway,
 * namespace defaulting to the route's). When no parent Gateway has an address
 * yet, the fallback nodes, as for an Ingress with an empty status.
 */
import { isIpv4 as isIPv4 } from "../../../lib/net/ipv4";
import type { SourceContext, SourceResult } from "./context";
import { compareIPv4 } from "./hostnames";
import { entriesForHosts, objectFilter } from "./ingress";
import { isObj, ownerOf, readMeta, str } from "./objects";

/** IPv4 addresses of a Gateway's status, or undefined when the Gateway is malformed. */
export function gatewayAddresses(gateway: unknown): string[] | undefined {
  if (readMeta(gateway) === undefined || !isObj(gateway)) return undefined;
  const status = isObj(gateway.status) ? gateway.status : {};
  const out: string[] = [];
  for (const a of Array.isArray(status.addresses) ? status.addresses : []) {
    if (!isObj(a)) continue;
    const type = str(a.type) ?? "IPAddress";
    const value = str(a.value);
    if (type === "IPAddress" && value !== undefined && isIPv4(value) && !out.includes(value)) out.push(value);
  }
  return out;
}

/** `lookup(namespace, name)` gives a Gateway's IPv4 addresses (undefined if unknown). */
export function entriesFromHttpRoute(
  route: unknown,
  ctx: SourceContext,
  lookup: (namespace: string, name: string) => readonly string[] | undefined,
): SourceResult {
  const meta = readMeta(route);
  if (meta === undefined || !isObj(route)) {
    return { entries: [], ignored: [{ owner: "HTTPRoute/?", host: "", reason: "malformed_object", detail: "missing metadata or name" }] };
  }
  const owner = ownerOf("HTTPRoute", meta);
  const bad = (detail: string): SourceResult => ({ entries: [], ignored: [{ owner, host: "", reason: "malformed_object", detail }] });
  const filtered = objectFilter(owner, meta.namespace, meta.labels, ctx);
  if (filtered !== undefined) return { entries: [], ignored: [filtered] };
  if (!isObj(route.spec)) return bad("missing spec");
  const { hostnames, parentRefs } = route.spec;
  if (hostnames !== undefined && !Array.isArray(hostnames)) return bad("spec.hostnames is not a list");
  if (parentRefs !== undefined && !Array.isArray(parentRefs)) return bad("spec.parentRefs is not a list");
  const hosts = (hostnames ?? []).filter((h): h is string => typeof h === "string");
  if (hosts.length !== (hostnames ?? []).length) return bad("spec.hostnames has a non-string entry");
  if (hosts.length === 0) return { entries: [], ignored: [] };
  const ips = new Set<string>();
  for (const ref of parentRefs ?? []) {
    if (!isObj(ref)) continue;
    if ((str(ref.kind) ?? "Gateway") !== "Gateway") continue;
    const name = str(ref.name);
    if (name === undefined) continue;
    for (const ip of lookup(str(ref.namespace) ?? meta.namespace, name) ?? []) ips.add(ip);
  }
  let targets = ips.size > 0 ? [...ips] : [...new Set(ctx.nodes.filter((n) => n.fallback).flatMap((n) => n.addresses))];
  targets.sort(compareIPv4);
  const ignored: SourceResult["ignored"] = [];
  if (targets.length > ctx.maxTargets) {
    ignored.push({ owner, host: "", reason: "too_many_targets", detail: `${targets.length} targets, serving the lowest ${ctx.maxTargets}` });
    targets = targets.slice(0, ctx.maxTargets);
  }
  const entries = entriesForHosts(owner, hosts, targets, ctx, ignored);
  return { entries, ignored };
}
