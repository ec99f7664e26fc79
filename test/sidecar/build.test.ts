import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSidecar } from "../../scripts/build-sidecar";

describe("sidecar bundle", () => {
  const dir = mkdtempSync(join(tmpdir(), "cdns-sidecar-build-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("bundles into one file that runs --help and rejects bad settings with plain node", async () => {
    const out = await buildSidecar(join(dir, "main.cjs"));
    // Everything in one file, and small: no Kubernetes client library (kubeconfig.ts, transport.ts).
    const size = statSync(out).size;
    assert.ok(size > 100_000 && size < 1_000_000, `bundle size ${size}`);
    assert.doesNotMatch(readFileSync(out, "utf8"), /@kubernetes\/client-node/);
    // Run from an empty directory, so nothing can come from node_modules.
    const help = spawnSync(process.execPath, [out, "--help"], { cwd: dir, encoding: "utf8", timeout: 20_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: cdns-sidecar/);
    assert.match(help.stdout, /--zones VALUE/);
    const bad = spawnSync(process.execPath, [out, "--zones", "bad_zone", "--max-targets", "0"], { cwd: dir, encoding: "utf8", timeout: 20_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /2 problems/);
    const noCreds = spawnSync(process.execPath, [out, "--zones", "apps.example.com", "--kubeconfig", join(dir, "missing")], {
      cwd: dir, encoding: "utf8", timeout: 20_000,
    });
    assert.equal(noCreds.status, 1);
    const line = JSON.parse(noCreds.stdout.trim().split("\n")[0] as string) as Record<string, unknown>;
    assert.equal(line.level, "error");
    assert.equal(line.msg, "cannot load Kubernetes credentials");
  });
});

describe("sidecar Dockerfile", () => {
  const text = readFileSync(join(__dirname, "..", "..", "sidecar", "Dockerfile"), "utf8");
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const froms = lines.map((l, i) => [l, i] as const).filter(([l]) => /^FROM\s/i.test(l));
  const lastFrom = froms.at(-1)?.[1] ?? -1;
  const runtime = lines.slice(lastFrom);
  const buildStage = lines.slice(0, lastFrom);

  it("is multi-stage: a node:20 build stage with npm ci and the esbuild bundle", () => {
    assert.ok(froms.length >= 2);
    assert.match(froms[0]?.[0] ?? "", /^FROM node:20\S* AS build$/i);
    assert.ok(buildStage.some((l) => /^RUN npm ci\b/.test(l)));
    assert.ok(buildStage.some((l) => /scripts\/build-sidecar\.ts/.test(l) && /^RUN /.test(l)));
  });

  it("runs a minimal image as a numeric non-root user with only the bundle copied", () => {
    assert.match(runtime[0] ?? "", /^FROM gcr\.io\/distroless\/nodejs20-debian12:nonroot$/);
    const user = runtime.find((l) => /^USER\s/.test(l));
    assert.match(user ?? "", /^USER [1-9][0-9]*(:[1-9][0-9]*)?$/);
    const copies = runtime.filter((l) => /^(COPY|ADD)\s/.test(l));
    assert.deepEqual(copies, ["COPY --from=build /out/main.cjs /app/main.cjs"]);
    assert.ok(!runtime.some((l) => /^RUN\s/.test(l)), "no RUN in the runtime stage (distroless has no shell)");
    const entrypoint = runtime.find((l) => /^ENTRYPOINT\s/.test(l)) ?? "";
    const argv = JSON.parse(entrypoint.replace(/^ENTRYPOINT\s+/, "")) as string[];
    assert.equal(argv[0], "/nodejs/bin/node");
    assert.equal(argv[argv.length - 1], "/app/main.cjs", "runs the bundle");
    // The bench measures RSS with these flags (bench/rss.ts reads them from here).
    assert.ok(argv.includes("--max-semi-space-size=2"), "small young generation keeps RSS under 96 MiB at 10k Ingresses");
  });
});
