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
 * an object's status is empty) is also dropped when what it reads of the nodes
 * changes: a node's addresses, its fallback label, whether it runs an ingress
 * controller pod (the controller's fallback), a node added or deleted. Health
 * (Ready, cordon, the controller pod's readiness, the data-path check) is read
 * by the plan only, so a health flip keeps every cached result. HTTPRoute
 * results are dropped when any Gateway changes, since their addresses come
 * from there.
 *
 * Ingress controller pods (when a controller is configured) are kept as
 * node -> how many pods, how many Ready (pods.ts), and show in nodes() as
 * NodeState.controllerPod / controllerReady; a pod change that alters neither
 * count's zero-ness schedules nothing. The data-path check's verdicts (IPs down)
 * are handed in with setCheckDown() and show as NodeState.checkFailed.
 *
 * Deleted nodes: Rancher deletes a dead node's Node object before the ingress
 * controller rewrites the Ingress statuses that still list its IP. An IP no
 * known node owns would be served (it could be an external load balancer), so
 * a deleted node's IPs are remembered as unhealthy until no entry lists them
 * any more or a node with that IP appears.
 *
 * The snapshot's arrays are also kept: while objects only change in place
 * (no object added or removed) and keep their number of entries, the next
 * snapshot copies them and overwrites the changed objects' slots instead of
 * walking every object. Unchanged objects keep their entry objects and
 * positions either way, which lets the plan find what changed cheaply.
 */
import type { NodeState, SourceEntry } from "../model";
import type { Ignored, SourceContext, SourceResult } from "./context";
import { entriesFromHttpRoute, gatewayAddresses } from "./httproute";
import { entriesFromIngress } from "./ingress";
import { isCdnsNode, nodeStateFromNode } from "./node";
import { controllerPodState, type ControllerPodState } from "./pods";
import type { SelectorRequirement } from "../../../lib/k8s/labelSelector";
import { isObj, readMeta } from "./objects";
import { entriesFromService } from "./service";

export type WatchedKind = "Ingress" | "Node" | "Service" | "HTTPRoute" | "Gateway" | "Pod";

export interface SourceStoreOptions extends Omit<SourceContext, "nodes"> {
  /** The fallback node selector (an empty one selects no node). */
  readonly fallbackSelector: readonly SelectorRequirement[];
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

/** What the entriesFrom*() functions read of a node (targets.ts) changed: cached results that read nodes are stale. */
function sourceVisibleChange(a: NodeState | undefined, b: NodeState | undefined): boolean {
  if (a === undefined || b === undefined) return a !== b;
  return a.fallback !== b.fallback || a.addresses.join(",") !== b.addresses.join(",");
}

function samePod(a: ControllerPodState | undefined, b: ControllerPodState | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.node === b.node && a.ready === b.ready;
}

/** Controller pods on one node. */
interface PodCount {
  pods: number;
  ready: number;
}

interface CachedResult {
  readonly result: SourceResult;
  /** The computation read ctx.nodes, so a node change can alter it. */
  readonly usedNodes: boolean;
  /** Where this result starts in the assembled entries and ignored arrays. */
  entryAt: number;
  ignoredAt: number;
}

/** The object part of the last snapshot (malformed nodes are added per snapshot). */
interface Assembled {
  readonly entries: readonly SourceEntry[];
  readonly ignored: readonly Ignored[];
}

type CachedKind = "Ingress" | "Service" | "HTTPRoute";

export class SourceStore {
  private readonly objects = new Map<WatchedKind, Map<string, unknown>>();
  private readonly nodeStates = new Map<string, NodeState>();
  private readonly malformedNodes = new Set<string>();
  /** Names of nodes carrying the cDNS taint: never a controller fallback target. */
  private readonly cdnsNodes = new Set<string>();
  /** Ingress controller pods by object key, and their counts by node name. */
  private readonly pods = new Map<string, ControllerPodState>();
  private readonly podCounts = new Map<string, PodCount>();
  private readonly malformedPods = new Set<string>();
  /** Node IPs the data-path check reports down. */
  private checkDown: ReadonlySet<string> = new Set();
  /** IPs of deleted nodes that entries may still list: IP -> the node's name. */
  private readonly goneIps = new Map<string, string>();
  /** Per kind, object key -> its last computed result; absent = recompute on the next snapshot. */
  private readonly results = new Map<CachedKind, Map<string, CachedResult>>();
  private nodeList: NodeState[] | undefined;
  private assembled: Assembled | undefined;
  /** Per kind, the results dropped since `assembled` was built, by key: their slots are to be refilled. */
  private readonly stale = new Map<CachedKind, Map<string, CachedResult>>();

  constructor(
    private readonly opts: SourceStoreOptions,
    /** Called after every change that can alter the hosts data. */
    private readonly onChange: (kind: WatchedKind) => void = () => {},
  ) {}

  upsert(kind: WatchedKind, obj: unknown): void {
    const key = keyOf(obj);
    if (kind === "Pod") return this.setPod(key, obj);
    if (kind === "Node") {
      const state = nodeStateFromNode(obj, this.opts.fallbackSelector);
      if (state === undefined) {
        this.malformedNodes.add(key);
        return;
      }
      const before = this.nodeStates.get(key);
      this.nodeStates.set(key, state);
      for (const ip of state.addresses) this.goneIps.delete(ip);
      const cdns = isObj(obj) && isObj(obj.spec) && isCdnsNode(obj.spec);
      const cdnsChanged = cdns !== this.cdnsNodes.has(state.name);
      if (cdns) this.cdnsNodes.add(state.name);
      else this.cdnsNodes.delete(state.name);
      // Heartbeat-only updates change nothing the plan reads: no reconcile.
      if (!sameNode(before, state) || cdnsChanged) {
        this.nodesChanged(sourceVisibleChange(before, state) || cdnsChanged);
        this.onChange(kind);
      }
      return;
    }
    const objects = this.map(kind);
    // A new key goes last in its kind's order and shifts the slots after it.
    if (!objects.has(key)) this.assembled = undefined;
    objects.set(key, obj);
    this.invalidate(kind, key);
    this.onChange(kind);
  }

  remove(kind: WatchedKind, obj: unknown): void {
    const key = keyOf(obj);
    if (kind === "Pod") {
      this.malformedPods.delete(key);
      return this.setPod(key, undefined);
    }
    if (kind === "Node") {
      this.malformedNodes.delete(key);
      const before = this.nodeStates.get(key);
      if (before !== undefined && this.nodeStates.delete(key)) {
        this.cdnsNodes.delete(before.name);
        const owned = new Set([...this.nodeStates.values()].flatMap((n) => n.addresses));
        for (const ip of before.addresses) if (!owned.has(ip)) this.goneIps.set(ip, before.name);
        this.nodesChanged(true);
        this.onChange(kind);
      }
      return;
    }
    if (this.map(kind).delete(key)) {
      this.assembled = undefined;
      this.invalidate(kind, key);
      this.onChange(kind);
    }
  }

  /**
   * The data-path check's verdict: these node IPs are down (every other one is up). Schedules a
   * reconcile when it differs from the last one.
   */
  setCheckDown(ips: ReadonlySet<string>): void {
    if (ips.size === this.checkDown.size && [...ips].every((ip) => this.checkDown.has(ip))) return;
    this.checkDown = new Set(ips);
    this.nodesChanged(false);
    this.onChange("Node");
  }

  /** Current nodes (with their controller pods and check verdicts), then one unhealthy stand-in per remembered IP of a deleted node. */
  nodes(): NodeState[] {
    const controller = this.opts.controllerClasses !== undefined;
    const out: NodeState[] = [];
    for (const state of this.nodeStates.values()) {
      if (!controller && this.checkDown.size === 0) {
        out.push(state);
        continue;
      }
      const extra: { controllerPod?: boolean; controllerReady?: boolean; checkFailed?: readonly string[] } = {};
      if (controller) {
        const count = this.podCounts.get(state.name);
        extra.controllerPod = count !== undefined && count.pods > 0 && !this.cdnsNodes.has(state.name);
        extra.controllerReady = count !== undefined && count.ready > 0;
      }
      const failed = this.checkDown.size === 0 ? [] : state.addresses.filter((ip) => this.checkDown.has(ip));
      if (failed.length > 0) extra.checkFailed = failed;
      out.push({ ...state, ...extra });
    }
    for (const [ip, name] of this.goneIps) out.push({ name: `${name} (deleted)`, addresses: [ip], healthy: false, fallback: false, controlPlane: false });
    return out;
  }

  /** IPs of deleted nodes still remembered as unhealthy. */
  deletedNodeIps(): string[] {
    return [...this.goneIps.keys()];
  }

  /** Number of stored objects of `kind`. */
  count(kind: WatchedKind): number {
    if (kind === "Pod") return this.pods.size;
    return kind === "Node" ? this.nodeStates.size : this.map(kind).size;
  }

  snapshot(): SourceSnapshot {
    const nodes = this.nodes();
    this.nodeList = nodes;
    const ignored: Ignored[] = [...this.malformedNodes].map((k) => ({
      owner: `Node/${k.slice(1)}`,
      host: "",
      reason: "malformed_object" as const,
      detail: "node without a name",
    }));
    for (const k of this.malformedPods) ignored.push({ owner: `Pod/${k}`, host: "", reason: "malformed_object", detail: "ingress controller pod without a name" });
    const assembled = this.refill() ?? this.assemble();
    for (const i of assembled.ignored) ignored.push(i);
    this.forgetUnlistedGoneIps(assembled.entries);
    return { entries: [...assembled.entries], ignored, nodes };
  }

  /**
   * Drops deleted nodes' IPs that no entry lists any more; from the next snapshot on they are
   * unknown again. Fallback targets never include them, so no cached result depends on them.
   */
  private forgetUnlistedGoneIps(entries: readonly SourceEntry[]): void {
    if (this.goneIps.size === 0) return;
    const listed = new Set<string>();
    for (const e of entries) for (const ip of e.targets) if (this.goneIps.has(ip)) listed.add(ip);
    for (const ip of [...this.goneIps.keys()]) if (!listed.has(ip)) this.goneIps.delete(ip);
  }

  /** Each watched kind's entriesFrom*(), in snapshot order. */
  private computers(): [CachedKind, (obj: unknown, ctx: SourceContext) => SourceResult][] {
    const out: [CachedKind, (obj: unknown, ctx: SourceContext) => SourceResult][] = [
      ["Ingress", (obj, ctx) => entriesFromIngress(obj, ctx)],
      ["Service", (obj, ctx) => entriesFromService(obj, ctx)],
    ];
    if (this.map("HTTPRoute").size > 0) {
      const gateways = this.map("Gateway");
      const lookup = (ns: string, name: string) => gatewayAddresses(gateways.get(`${ns}/${name}`));
      out.push(["HTTPRoute", (obj, ctx) => entriesFromHttpRoute(obj, ctx, lookup)]);
    }
    return out;
  }

  /** Every object's result in order, computing only the ones not cached; records each result's slots. */
  private assemble(): Assembled {
    const entries: SourceEntry[] = [];
    const ignored: Ignored[] = [];
    for (const [kind, compute] of this.computers()) {
      const objects = this.map(kind);
      if (objects.size === 0) continue;
      const cache = this.cache(kind);
      for (const [key, obj] of objects) {
        const c = cache.get(key) ?? this.compute(kind, key, obj, compute);
        c.entryAt = entries.length;
        c.ignoredAt = ignored.length;
        for (const e of c.result.entries) entries.push(e);
        for (const i of c.result.ignored) ignored.push(i);
      }
    }
    this.stale.clear();
    return (this.assembled = { entries, ignored });
  }

  /**
   * The last assembled arrays with the stale objects' slots refilled, or
   * undefined when that cannot be done (nothing assembled yet, or a result's
   * size changed): then everything is assembled again.
   */
  private refill(): Assembled | undefined {
    const before = this.assembled;
    if (before === undefined) return undefined;
    let entries: SourceEntry[] | undefined;
    let ignored: Ignored[] | undefined;
    for (const [kind, compute] of this.computers()) {
      const stale = this.stale.get(kind);
      if (stale === undefined || stale.size === 0) continue;
      const objects = this.map(kind);
      for (const [key, old] of stale) {
        const obj = objects.get(key);
        if (obj === undefined) return undefined;
        const c = this.cache(kind).get(key) ?? this.compute(kind, key, obj, compute);
        const r = c.result;
        if (r.entries.length !== old.result.entries.length || r.ignored.length !== old.result.ignored.length) return undefined;
        c.entryAt = old.entryAt;
        c.ignoredAt = old.ignoredAt;
        if (r.entries.length > 0) {
          entries ??= [...before.entries];
          for (let i = 0; i < r.entries.length; i++) entries[c.entryAt + i] = r.entries[i] as SourceEntry;
        }
        if (r.ignored.length > 0) {
          ignored ??= [...before.ignored];
          for (let i = 0; i < r.ignored.length; i++) ignored[c.ignoredAt + i] = r.ignored[i] as Ignored;
        }
      }
    }
    this.stale.clear();
    return (this.assembled = { entries: entries ?? before.entries, ignored: ignored ?? before.ignored });
  }

  private compute(kind: CachedKind, key: string, obj: unknown, compute: (obj: unknown, ctx: SourceContext) => SourceResult): CachedResult {
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
    const c: CachedResult = { result: compute(obj, ctx), usedNodes, entryAt: -1, ignoredAt: -1 };
    this.cache(kind).set(key, c);
    return c;
  }

  private cache(kind: CachedKind): Map<string, CachedResult> {
    let m = this.results.get(kind);
    if (m === undefined) this.results.set(kind, (m = new Map()));
    return m;
  }

  private invalidate(kind: WatchedKind, key: string): void {
    if (kind === "Gateway") {
      this.results.delete("HTTPRoute");
      this.assembled = undefined;
    } else if (kind !== "Node" && kind !== "Pod") this.drop(kind, key);
  }

  /** Forgets one cached result, remembering its slots for refill(). */
  private drop(kind: CachedKind, key: string): void {
    const cache = this.results.get(kind);
    const c = cache?.get(key);
    if (cache === undefined || c === undefined) return;
    cache.delete(key);
    if (this.assembled === undefined) return;
    let stale = this.stale.get(kind);
    if (stale === undefined) this.stale.set(kind, (stale = new Map()));
    // A second change before the next snapshot finds no cached result: the first one's slots stand.
    stale.set(key, c);
  }

  /** A node changed; `sourceVisible`: in what the entriesFrom*() functions read of it (not only health). */
  private nodesChanged(sourceVisible: boolean): void {
    this.nodeList = undefined;
    if (!sourceVisible) return;
    for (const [kind, cache] of this.results) {
      for (const [key, c] of cache) if (c.usedNodes) this.drop(kind, key);
    }
  }

  /** Records (or, with undefined, forgets) one controller pod; reconciles when a node's pods or Ready pods go from none to some or back. */
  private setPod(key: string, obj: unknown): void {
    let after: ControllerPodState | undefined;
    if (obj !== undefined) {
      const read = controllerPodState(obj);
      if (read.kind === "malformed") {
        this.malformedPods.add(key);
        return;
      }
      if (read.kind === "scheduled") after = read.state;
    }
    const before = this.pods.get(key);
    if (samePod(before, after)) return;
    const nodes = new Set([before?.node, after?.node].filter((n): n is string => n !== undefined));
    const was = new Map([...nodes].map((n) => [n, { ...(this.podCounts.get(n) ?? { pods: 0, ready: 0 }) }]));
    if (before !== undefined) this.countPod(before, -1);
    if (after !== undefined) {
      this.pods.set(key, after);
      this.countPod(after, 1);
    } else this.pods.delete(key);
    let placed = false;
    let readiness = false;
    for (const [n, w] of was) {
      const now = this.podCounts.get(n) ?? { pods: 0, ready: 0 };
      if (w.pods > 0 !== now.pods > 0) placed = true;
      if (w.ready > 0 !== now.ready > 0) readiness = true;
    }
    if (!placed && !readiness) return;
    this.nodesChanged(placed);
    this.onChange("Pod");
  }

  private countPod(pod: ControllerPodState, by: 1 | -1): void {
    const c = this.podCounts.get(pod.node) ?? { pods: 0, ready: 0 };
    c.pods += by;
    if (pod.ready) c.ready += by;
    if (c.pods === 0) this.podCounts.delete(pod.node);
    else this.podCounts.set(pod.node, c);
  }

  private map(kind: WatchedKind): Map<string, unknown> {
    let m = this.objects.get(kind);
    if (m === undefined) this.objects.set(kind, (m = new Map()));
    return m;
  }
}
