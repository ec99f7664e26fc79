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
 *
 * Each object's result is cached until that object changes, so a reconcile
 * recomputes only what changed (10,000 Ingresses took ~65 ms to recompute
 * every time). A result that read the node list (fallback targets, used when
 * an object's status is empty) is also dropped when any Node changes in a way
 * the plan sees; HTTPRoute results are dropped when any Gateway changes,
 * since their addresses come from there.
 */
import type { NodeState, SourceEntry } from "../model";
import type { Ignored, SourceContext, SourceResult } from "./context";
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
  return a.healthy === b.healthy && a.fallback === b.fallback && a.controlPlane === b.controlPlane && a.addresses.join(",") === b.addresses.join(",");
}

interface CachedResult {
  readonly result: SourceResult;
  /** The computation read ctx.nodes, so a node change can alter it. */
  readonly usedNodes: boolean;
}

type CachedKind = "Ingress" | "Service" | "HTTPRoute";

export class SourceStore {
  private readonly objects = new Map<WatchedKind, Map<string, unknown>>();
  private readonly nodeStates = new Map<string, NodeState>();
  private readonly malformedNodes = new Set<string>();
  /** Per kind, object key -> its last computed result; absent = recompute on the next snapshot. */
  private readonly results = new Map<CachedKind, Map<string, CachedResult>>();
  private nodeList: NodeState[] | undefined;

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
      if (!sameNode(before, state)) {
        this.nodesChanged();
        this.onChange(kind);
      }
      return;
    }
    this.map(kind).set(key, obj);
    this.invalidate(kind, key);
    this.onChange(kind);
  }

  remove(kind: WatchedKind, obj: unknown): void {
    const key = keyOf(obj);
    if (kind === "Node") {
      this.malformedNodes.delete(key);
      if (this.nodeStates.delete(key)) {
        this.nodesChanged();
        this.onChange(kind);
      }
      return;
    }
    if (this.map(kind).delete(key)) {
      this.invalidate(kind, key);
      this.onChange(kind);
    }
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
    this.nodeList = nodes;
    const entries: SourceEntry[] = [];
    const ignored: Ignored[] = [...this.malformedNodes].map((k) => ({
      owner: `Node/${k.slice(1)}`,
      host: "",
      reason: "malformed_object" as const,
      detail: "node without a name",
    }));
    const add = (r: SourceResult) => {
      for (const e of r.entries) entries.push(e);
      for (const i of r.ignored) ignored.push(i);
    };
    this.collect("Ingress", (obj, ctx) => entriesFromIngress(obj, ctx), add);
    this.collect("Service", (obj, ctx) => entriesFromService(obj, ctx), add);
    if (this.map("HTTPRoute").size > 0) {
      const gateways = this.map("Gateway");
      const lookup = (ns: string, name: string) => gatewayAddresses(gateways.get(`${ns}/${name}`));
      this.collect("HTTPRoute", (obj, ctx) => entriesFromHttpRoute(obj, ctx, lookup), add);
    }
    return { entries, ignored, nodes };
  }

  /** Adds every object's result of `kind`, computing only the ones not cached. */
  private collect(kind: CachedKind, compute: (obj: unknown, ctx: SourceContext) => SourceResult, add: (r: SourceResult) => void): void {
    const objects = this.map(kind);
    if (objects.size === 0) return;
    const cache = this.cache(kind);
    for (const [key, obj] of objects) {
      let c = cache.get(key);
      if (c === undefined) {
        let usedNodes = false;
        const nodes = this.nodeList ?? this.nodes();
        // A getter records whether the result depends on the nodes (fallback targets).
        const ctx: SourceContext = {
          ...this.opts,
          get nodes() {
            usedNodes = true;
            return nodes;
          },
        };
        c = { result: compute(obj, ctx), usedNodes };
        cache.set(key, c);
      }
      add(c.result);
    }
  }

  private cache(kind: CachedKind): Map<string, CachedResult> {
    let m = this.results.get(kind);
    if (m === undefined) this.results.set(kind, (m = new Map()));
    return m;
  }

  private invalidate(kind: WatchedKind, key: string): void {
    if (kind === "Gateway") this.results.delete("HTTPRoute");
    else if (kind !== "Node") this.results.get(kind)?.delete(key);
  }

  private nodesChanged(): void {
    this.nodeList = undefined;
    for (const cache of this.results.values()) {
      for (const [key, c] of cache) if (c.usedNodes) cache.delete(key);
    }
  }

  private map(kind: WatchedKind): Map<string, unknown> {
    let m = this.objects.get(kind);
    if (m === undefined) this.objects.set(kind, (m = new Map()));
    return m;
  }
}
