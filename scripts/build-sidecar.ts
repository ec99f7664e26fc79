/**
 * Bundles the sidecar (sidecar/src/main.ts and everything it imports, npm
 * packages included) into one CommonJS file, dist/sidecar/main.cjs, so the
 * runtime image needs node and that file only: no node_modules, no dev
 * dependencies. `npm run build:sidecar`; the sidecar Dockerfile runs the same.
 */
import { build, type BuildOptions } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const root = resolve(__dirname, "..");

export const SIDECAR_BUNDLE = join(root, "dist", "sidecar", "main.cjs");

export function sidecarBuildOptions(outfile = SIDECAR_BUNDLE): BuildOptions {
  return {
    entryPoints: [join(root, "sidecar", "src", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: false,
    minify: false, // readable stack traces in the logs matter more than a few hundred kB
    legalComments: "eof",
    logLevel: "warning",
  };
}

export async function buildSidecar(outfile = SIDECAR_BUNDLE): Promise<string> {
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build(sidecarBuildOptions(outfile));
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join("; ")}`);
  return outfile;
}

if (require.main === module) {
  const out = process.argv[2] !== undefined ? resolve(process.argv[2]) : SIDECAR_BUNDLE;
  buildSidecar(out).then(
    (file) => process.stdout.write(`built ${file}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
