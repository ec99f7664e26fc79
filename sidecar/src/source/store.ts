/**
 * The source's memory: the current objects of every watched kind, fed by the
 * informer handlers (or directly, in tests and benchmarks: `upsert`/`remove`
 * are the whole in-process API). `snapshot()` turns them into entries with the
 * pure entriesFrom*() functions.
 *
 * Same hostname from several objects (two namespaces, an Ingress and a
 * Service): the entries are all kept here and the plan MERGES their target
 * sets. The ingress controller routes a host by merging rules across
 * Ingresses too, so any of the owners' targets reaches a working backend;
 * picking one owner would silently hide the others' addresses.
 */
import type { NodeState, SourceEntry } from "../model";
import type { Ignored, SourceContext } from "./context";
import { entriesFromHttpRoute, gatewayAddresses } from "./httproute";
import { entriesFromIngress } from "./ingress";
import { nodeStateFromNode } from "./node";
import { readMeta, type LabelMatch } from "./objects";
import { entriesFromService } from "./service";

export type WatchedKind = "Ingress" | "Node" | "Service" | "HTTPRoute" | "Gateway";

export interface SourceStoreOptions extends Omit<SourceContext, "nodes"> {
  /** Terms of the fallback node selector, all of which must match. */
  readonly fallbackSelector: readonly LabelMatch[];
}

export interface SourceSnapshot {
  readonly entries: SourceEntry[];
  readonly ignored: Ignored[];
  readonly nodes: NodeState[];
}

function keyOf(obj: unknown): string {
  const m = readMeta(obj);
  // Objects without a name cannot be updated or deleted later; they share one
  // slot so a stream of them cannot grow memory, and still show up as malformed.
  return m === undefined ? "?" : `${m.namespace}/${m.name}`;
}

function sameNode(a: NodeState | undefined, b: NodeState | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.healthy === b.healthy && a.fallback === b.fallback && a.addresses.join(",") === b.addresses.join(",");
}

export class SourceStore {
  private readonly objects = new Map<WatchedKind, Map<string, unknown>>();
  private readonly nodeStates = new Map<string, NodeState>();
  private readonly malformedNodes = new Set<string>();

  constructor(
    private readonly opts: SourceStoreOptions,
    /** Called after every change that can alter the hosts data. */
    private readonly onChange: (kind: WatchedKind) => void = () => {},
  ) {}

  upsert(kind: WatchedKind, obj: unknown): void {
    const key = keyOf(obj);
    if (kind === "Node") {
      const state = nodeStateFromNode(obj, this.opts.fallbackSelector);
      if (state === undefined) {
        this.malformedNodes.add(key);
        return;
      }
      const before = this.nodeStates.get(key);
      this.nodeStates.set(key, state);
      // Heartbeat-only updates change nothing the plan reads: no reconcile.
      if (!sameNode(before, state)) this.onChange(kind);
      return;
    }
    this.map(kind).set(key, obj);
    this.onChange(kind);
  }

  remove(kind: WatchedKind, obj: unknown): void {
    const key = keyOf(obj);
    if (kind === "Node") {
      this.malformedNodes.delete(key);
      if (this.nodeStates.delete(key)) this.onChange(kind);
      return;
    }
    if (this.map(kind).delete(key)) this.onChange(kind);
  }

  nodes(): NodeState[] {
    return [...this.nodeStates.values()];
  }

  /** Number of stored objects of `kind`. */
  count(kind: WatchedKind): number {
    return kind === "Node" ? this.nodeStates.size : this.map(kind).size;
  }

  snapshot(): SourceSnapshot {
    const nodes = this.nodes();
    const ctx: SourceContext = { ...this.opts, nodes };
    const entries: SourceEntry[] = [];
    const ignored: Ignored[] = [...this.malformedNodes].map((k) => ({
      owner: `Node/${k.slice(1)}`,
      host: "",
      reason: "malformed_object" as const,
      detail: "node without a name",
    }));
    const add = (r: { entries: SourceEntry[]; ignored: Ignored[] }) => {
      entries.push(...r.entries);
      ignored.push(...r.ignored);
    };
    for (const ing of this.map("Ingress").values()) add(entriesFromIngress(ing, ctx));
    for (const svc of this.map("Service").values()) add(entriesFromService(svc, ctx));
    const routes = this.map("HTTPRoute");
    if (routes.size > 0) {
      const gateways = this.map("Gateway");
      const lookup = (ns: string, name: string) => gatewayAddresses(gateways.get(`${ns}/${name}`));
      for (const route of routes.values()) add(entriesFromHttpRoute(route, ctx, lookup));
    }
    return { entries, ignored, nodes };
  }

  private map(kind: WatchedKind): Map<string, unknown> {
    let m = this.objects.get(kind);
    if (m === undefined) this.objects.set(kind, (m = new Map()));
    return m;
  }
}
