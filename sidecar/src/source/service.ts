/**
 * LoadBalancer Service -> entries (optional source, off by default).
 * A Service has no hostname of its own, so it is served only when annotated:
 * `cdns.rancher-cdns.io/hostname: a.apps.example.com[,b.apps.example.com]`.
 * Services of another type or without the annotation are not ours: skipped
 * silently, not counted. Targets and filters follow the Ingress rules.
 */
import type { SourceContext, SourceResult } from "./context";
import { entriesForHosts, objectFilter } from "./ingress";
import { isObj, ownerOf, readMeta } from "./objects";
import { targetsFromStatus } from "./targets";

export const SERVICE_HOSTNAME_ANNOTATION = "cdns.rancher-cdns.io/hostname";

export function entriesFromService(service: unknown, ctx: SourceContext): SourceResult {
  const meta = readMeta(service);
  if (meta === undefined || !isObj(service)) {
    return { entries: [], ignored: [{ owner: "Service/?", host: "", reason: "malformed_object", detail: "missing metadata or name" }] };
  }
  const annotation = meta.annotations[SERVICE_HOSTNAME_ANNOTATION];
  if (annotation === undefined || !isObj(service.spec) || service.spec.type !== "LoadBalancer") {
    return { entries: [], ignored: [] };
  }
  const owner = ownerOf("Service", meta);
  const filtered = objectFilter(owner, meta.namespace, meta.labels, ctx);
  if (filtered !== undefined) return { entries: [], ignored: [filtered] };
  const hosts = annotation.split(",").map((h) => h.trim()).filter((h) => h !== "");
  const t = targetsFromStatus(service.status, owner, ctx);
  if (t.malformed) {
    return { entries: [], ignored: [{ owner, host: "", reason: "malformed_object", detail: "status.loadBalancer.ingress is not a list of objects" }] };
  }
  const ignored: SourceResult["ignored"] = [];
  const entries = entriesForHosts(owner, hosts, t.targets, ctx, ignored);
  return { entries, ignored: entries.length > 0 ? [...t.ignored, ...ignored] : ignored };
}
