/**
 * Hosts data for the dnsmasq change measurements: N names over M node IPs,
 * planned by the real planHostsData() from source entries and node health,
 * so a node flip does to the data exactly what the sidecar would do
 * (health filter, the max-targets cap, nodes.<zone>).
 *
 * Two shapes (issue 14):
 * - "shared": every name lists every node (an ingress controller run as a
 *   DaemonSet, RKE2's default); the plan serves each name its capped subset
 *   of `maxTargets` healthy nodes from its hosts file's pool (subset.ts), so
 *   one node flip changes the names whose subset had it (about
 *   maxTargets/nodes of them), all in the few files whose pools hold it;
 * - "subset": each name lists 2..8 of the nodes, drawn at random (several
 *   ingress classes or node pools); a flip changes the names that list it.
 */
import type { HostsData, NodeState, SourceEntry } from "../sidecar/src/model";
import { planHostsData } from "../sidecar/src/plan";
import { DEFAULT_MAX_TARGETS } from "../sidecar/src/settings";
import { rng } from "../test/helpers/rng";
import { BENCH_ZONE } from "./workload";

export type ChangeShape = "shared" | "subset";

export interface ChangeWorkloadOptions {
  readonly shape: ChangeShape;
  /** @default 10_000 */
  readonly names?: number;
  /** @default 100 */
  readonly nodes?: number;
  /** The plan's cap. @default DEFAULT_MAX_TARGETS (the sidecar's --max-targets default) */
  readonly maxTargets?: number;
  /** @default 7 */
  readonly seed?: number;
}

/** Node i's IP; 10.41.0.0/16, numerically in index order. */
export function changeNodeIp(i: number): string {
  return `10.41.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/** A node that joins later (in the shared shape it enters the subsets of about 8 in 101 names). */
export const NEW_NODE_IP = "10.40.255.250";

export class ChangeWorkload {
  readonly shape: ChangeShape;
  readonly names: readonly string[];
  readonly nodeIps: readonly string[];
  private readonly maxTargets: number;
  private readonly targets: Map<string, readonly string[]>;

  constructor(opts: ChangeWorkloadOptions) {
    this.shape = opts.shape;
    const n = opts.names ?? 10_000;
    const m = opts.nodes ?? 100;
    this.maxTargets = opts.maxTargets ?? DEFAULT_MAX_TARGETS;
    this.nodeIps = Array.from({ length: m }, (_, i) => changeNodeIp(i));
    this.names = Array.from({ length: n }, (_, i) => `app-${i}.${BENCH_ZONE}`);
    const r = rng(opts.seed ?? 7);
    this.targets = new Map();
    for (const name of this.names) {
      if (this.shape === "shared") {
        this.targets.set(name, this.nodeIps);
        continue;
      }
      const k = 2 + Math.floor(r() * 7);
      const idx = Array.from({ length: m }, (_, i) => i);
      for (let i = idx.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
      }
      this.targets.set(name, idx.slice(0, k).sort((a, b) => a - b).map(changeNodeIp));
    }
  }

  /**
   * The plan's HostsData when `unhealthy` nodes are NotReady, `extraNode`
   * (if any) has joined, and `override` replaces some names' status targets.
   * A joined node appears in every status of the shared shape and, in the
   * subset shape, in the status of every 20th name (a flip's share).
   */
  data(state: { unhealthy?: readonly string[]; extraNode?: string; override?: ReadonlyMap<string, readonly string[]> } = {}): HostsData {
    const down = new Set(state.unhealthy ?? []);
    const all = state.extraNode === undefined ? this.nodeIps : [state.extraNode, ...this.nodeIps];
    const nodes: NodeState[] = all.map((ip, i) => ({ name: `node-${i}`, addresses: [ip], healthy: !down.has(ip), fallback: false, controlPlane: false }));
    const entries: SourceEntry[] = this.names.map((hostname, i) => {
      let targets = state.override?.get(hostname) ?? (this.targets.get(hostname) as readonly string[]);
      if (state.extraNode !== undefined && (this.shape === "shared" || i % 20 === 0)) targets = [state.extraNode, ...targets];
      return { hostname, targets, owner: `Ingress/bench/${i}` };
    });
    return planHostsData({ zones: [BENCH_ZONE], entries, nodes, allDroppedRule: "keep-last", maxTargets: this.maxTargets, lastServed: new Map() }).data;
  }

  /** A served node whose flip changes the most names (the lowest IP: in every capped shared set). */
  flipNode(): string {
    return this.nodeIps[0] as string;
  }
}

/** Names whose answer differs between two HostsData (as sets), plus nodes.<zone> when it differs. */
export function changedNames(a: HostsData, b: HostsData): string[] {
  const key = (ips: readonly string[] | undefined): string => (ips === undefined ? "" : [...ips].sort().join(","));
  const out: string[] = [];
  for (const name of new Set([...a.records.keys(), ...b.records.keys()])) {
    if (key(a.records.get(name)) !== key(b.records.get(name))) out.push(name);
  }
  return out;
}

export function recordCount(d: HostsData): number {
  let n = 0;
  for (const ips of d.records.values()) n += ips.length;
  return n;
}
