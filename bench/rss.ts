/**
 * Sidecar RSS per size, each in a fresh child process (see rssChild.ts). The
 * child runs as one esbuild bundle under plain node, as the sidecar image does
 * (scripts/build-sidecar.ts), so tsx's loader is not counted.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { track } from "./cleanup";
import { sidecarNodeFlags } from "../rig/sidecarProcess";

export interface RssResult {
  readonly ingresses: number;
  readonly names: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

const MiB = 1024 * 1024;

/** Bundles rssChild.ts; returns the bundle path and a cleanup. */
export async function bundleRssChild(): Promise<{ file: string; dispose: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "cdns-bench-bundle-"));
  const file = join(dir, "rssChild.cjs");
  const r = await build({ entryPoints: [join(__dirname, "rssChild.ts")], bundle: true, platform: "node", target: "node20", format: "cjs", outfile: file, logLevel: "silent" });
  if (r.errors.length > 0) throw new Error(`esbuild: ${r.errors.map((e) => e.text).join("; ")}`);
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function measureRss(bundle: string, n: number): Promise<RssResult> {
  return new Promise((resolve, reject) => {
    const p = execFile(process.execPath, [...sidecarNodeFlags(), "--expose-gc", bundle, String(n)], { timeout: 120_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) return reject(new Error(`rss child for ${n} failed: ${err.message}\n${stderr}`));
      try {
        const r = JSON.parse(stdout.trim().split("\n").pop() as string) as { ingresses: number; names: number; rss: number; heapUsed: number };
        resolve({ ingresses: r.ingresses, names: r.names, rssMiB: r.rss / MiB, heapUsedMiB: r.heapUsed / MiB });
      } catch (e) {
        reject(new Error(`rss child for ${n}: unreadable output ${JSON.stringify(stdout)}: ${String(e)}`));
      }
    });
    track(p);
  });
}
