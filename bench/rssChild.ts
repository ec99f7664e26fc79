/**
 * Child process for the RSS measurement: runs the sidecar's in-process
 * pipeline (SourceStore + controller + plan + the real sharded writer) with N
 * synthetic Ingresses, waits for the full sync to be written, collects
 * garbage, and prints process.memoryUsage() as one JSON line. Run with
 * `node --expose-gc rssChild.cjs N` on the esbuild bundle rss.ts makes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPipeline } from "./pipeline";
import { ingressObject, makeIngresses, NODE_COUNT, nodeObject } from "./workload";

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`usage: rssChild.ts N (got ${process.argv[2]})`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  const dir = mkdtempSync(join(tmpdir(), "cdns-bench-rss-"));
  const p = await startPipeline(dir);
  try {
    const { store, controller } = p.sidecar;
    for (let i = 0; i < NODE_COUNT; i++) store.upsert("Node", nodeObject(i));
    // Objects are built one at a time, as they would arrive from the informer.
    for (const s of makeIngresses(n)) store.upsert("Ingress", ingressObject(s));
    while (!controller.synced) await new Promise((r) => setTimeout(r, 5));
    await controller.reconcileNow();
    await controller.idle();
    if (n > 0 && controller.lastWritten?.records.size === 0) throw new Error("nothing was written");
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const m = process.memoryUsage();
    process.stdout.write(JSON.stringify({ ingresses: n, names: controller.lastWritten?.records.size ?? 0, rss: m.rss, heapUsed: m.heapUsed }) + "\n");
  } finally {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`rssChild: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
