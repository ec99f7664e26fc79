/**
 * Render-and-write time: the reconcile's work after the debounce, timed by
 * stage on the real code (SourceStore.snapshot, planHostsData, the real
 * AtomicHostsWriter rendering and writing atomically into a temp directory no
 * dnsmasq watches, so only our code is timed). Each iteration changes one
 * Ingress, so every write has something to write.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storeOptions } from "../sidecar/src/app";
import { planHostsData } from "../sidecar/src/plan";
import { AtomicHostsWriter, type AtomicHostsWriterOptions } from "../sidecar/src/sink/atomicWriter";
import { SourceStore } from "../sidecar/src/source/store";
import { benchSettings } from "./pipeline";
import { summarize, type Summary } from "./stats";
import { ingressObject, makeIngresses, NODE_COUNT, nodeObject, pickTargets, rng } from "./workload";

export interface RenderWriteResult {
  readonly ingresses: number;
  /** plan + render + write: the target metric. */
  readonly total: Summary;
  readonly snapshot: Summary;
  readonly plan: Summary;
  readonly render: Summary;
  readonly write: Summary;
  readonly bytes: number;
}

export async function measureRenderWrite(n: number, iterations: number, writer: Partial<AtomicHostsWriterOptions> = {}): Promise<RenderWriteResult> {
  const dir = mkdtempSync(join(tmpdir(), "cdns-bench-rw-"));
  try {
    const settings = benchSettings(dir);
    const store = new SourceStore(storeOptions(settings));
    const w = new AtomicHostsWriter({ dir, fileName: settings.hostsFile, log: () => undefined, ...writer });
    for (let i = 0; i < NODE_COUNT; i++) store.upsert("Node", nodeObject(i));
    const specs = makeIngresses(n);
    for (const s of specs) store.upsert("Ingress", ingressObject(s));
    const r = rng(n + 5);
    const t = { total: [] as number[], snapshot: [] as number[], plan: [] as number[], render: [] as number[], write: [] as number[] };
    let lastServed: ReadonlyMap<string, readonly string[]> = new Map();
    let bytes = 0;
    // Iteration 0 is the first full write (and warms the JIT); it is not counted.
    for (let k = 0; k <= iterations; k++) {
      const i = Math.floor(r() * specs.length);
      const old = specs[i]!;
      store.upsert("Ingress", ingressObject({ ...old, targets: pickTargets(r), generation: old.generation + 1 + k }));
      const t0 = performance.now();
      const snap = store.snapshot();
      const t1 = performance.now();
      const plan = planHostsData({ zones: settings.zones, entries: snap.entries, nodes: snap.nodes, allDroppedRule: settings.allDroppedRule, maxTargets: settings.maxTargets, lastServed });
      lastServed = plan.lastServed;
      const t2 = performance.now();
      const res = await w.write(plan.data);
      bytes = res.bytes;
      if (k === 0) continue;
      t.snapshot.push(t1 - t0);
      t.plan.push(t2 - t1);
      t.render.push(res.renderMs);
      t.write.push(res.writeMs);
      t.total.push(t2 - t1 + res.renderMs + res.writeMs);
    }
    return {
      ingresses: n,
      total: summarize(t.total),
      snapshot: summarize(t.snapshot),
      plan: summarize(t.plan),
      render: summarize(t.render),
      write: summarize(t.write),
      bytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
