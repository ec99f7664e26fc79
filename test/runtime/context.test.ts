/**
 * Build contexts hold only what each image needs: the context file set computed by
 * rig/images/context.ts (which also feeds the rig's build cache) is checked against what podman's
 * build really copies, a README or test change leaves the sidecar's context (so docker-build's
 * rebuild decision and the digest) unchanged, and every file the sidecar bundle is made from is
 * in it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { build } from "esbuild";
import { contextFiles, contextHash, isIgnored, parseIgnoreFile } from "../../rig/images/context";
import { REPO_ROOT } from "../../rig/images";
import { sidecarBuildOptions } from "../../scripts/build-sidecar";
import { filesPodmanCopies, runtimeImages } from "./harness";

const DNSMASQ_CONTEXT = join(REPO_ROOT, "images", "dnsmasq");

test("ignore patterns follow moby's rules: last match wins, parents exclude children, ** spans directories", () => {
  const p = parseIgnoreFile("# comment\n\n*.md\n!KEEP.md\n/build/\ndocs\n**/*.tmp\nsrc/*/gen\n!src/a/gen/keep.ts\nx?.txt\n");
  const cases: [string, boolean][] = [
    ["README.md", true],
    ["KEEP.md", false],
    ["sub/README.md", false], // `*.md` is anchored at the root
    ["build/out.js", true],
    ["docs/a/b.txt", true],
    ["deep/er/f.tmp", true],
    ["f.tmp", true],
    ["src/a/gen/x.ts", true],
    ["src/a/gen/keep.ts", false],
    ["src/a/b/gen/x.ts", false], // `*` does not cross a slash
    ["x1.txt", true],
    ["x12.txt", false],
    ["main.ts", false],
  ];
  for (const [file, ignored] of cases) assert.equal(isIgnored(p, file), ignored, file);
});

test("a synthetic context with tricky patterns: podman's build copies exactly the files contextFiles() lists", async () => {
  const { podman } = await runtimeImages();
  const dir = mkdtempSync(join(tmpdir(), "cdns-ignore-"));
  try {
    const files = ["README.md", "KEEP.md", "sub/README.md", "build/out.js", "docs/a/b.txt", "deep/er/f.tmp", "src/a/gen/x.ts",
      "src/a/gen/keep.ts", "src/a/b/gen/x.ts", "x1.txt", "x12.txt", "main.ts", "lib/z/y.ts"];
    for (const f of files) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), f);
    }
    symlinkSync("main.ts", join(dir, "link.ts"));
    writeFileSync(join(dir, ".dockerignore"), "*.md\n!KEEP.md\n/build/\ndocs\n**/*.tmp\nsrc/*/gen\n!src/a/gen/keep.ts\nx?.txt\nlib\n!lib/z/\n");
    const mine = contextFiles(dir);
    assert.deepEqual(mine, [".dockerignore", "KEEP.md", "lib/z/y.ts", "link.ts", "main.ts", "src/a/b/gen/x.ts", "src/a/gen/keep.ts", "sub/README.md", "x12.txt"]);
    assert.deepEqual(await filesPodmanCopies(podman, dir), mine);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the real contexts: podman copies exactly contextFiles() of the repository root (sidecar) and images/dnsmasq", async () => {
  const { podman } = await runtimeImages();
  const sidecar = contextFiles(REPO_ROOT);
  assert.deepEqual(await filesPodmanCopies(podman, REPO_ROOT), sidecar);
  assert.ok(sidecar.length < 100, `the sidecar context holds ${sidecar.length} files; it should be the bundle's sources only`);
  for (const f of sidecar) assert.ok(!/(^|\/)(test|docs?|bench|infra|policy|node_modules)\//.test(f) && !f.endsWith(".md"), `${f} does not belong in the sidecar's context`);

  const dnsmasq = contextFiles(DNSMASQ_CONTEXT);
  assert.deepEqual(dnsmasq, ["check-version.sh", "probe.sh"]);
  assert.deepEqual(await filesPodmanCopies(podman, DNSMASQ_CONTEXT), dnsmasq);
});

test("every file the sidecar bundle is made from, and every COPY source of its Dockerfile, is in its context", async () => {
  const result = await build({ ...sidecarBuildOptions(join(tmpdir(), "unused.cjs")), write: false, metafile: true, logLevel: "silent" });
  const inputs = Object.keys(result.metafile?.inputs ?? {}).filter((f) => !f.startsWith("node_modules/"));
  assert.ok(inputs.includes("sidecar/src/main.ts") && inputs.length > 10, `esbuild inputs: ${inputs.join(" ")}`);
  const ctx = new Set(contextFiles(REPO_ROOT));
  const missing = inputs.filter((f) => !ctx.has(f));
  assert.deepEqual(missing, [], "add these to .dockerignore's allowlist");
  const dockerfile = readFileSync(join(REPO_ROOT, "sidecar", "Dockerfile"), "utf8");
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] as string).split(/\s+/).filter((s) => !s.startsWith("--")));
  assert.ok(sources.length >= 5, `COPY sources: ${sources.join(" ")}`);
  for (const src of sources) {
    const s = src.replace(/\/$/, "");
    assert.ok([...ctx].some((f) => f === s || f.startsWith(`${s}/`)), `COPY ${src}: nothing of it is in the context`);
  }
});

test("a README, docs, tests or stack change keeps the sidecar's context hash; a sidecar source change does not", () => {
  const copy = mkdtempSync(join(tmpdir(), "cdns-repo-"));
  try {
    cpSync(REPO_ROOT, copy, {
      recursive: true,
      filter: (src) => !/^(node_modules|\.git|dist|\.cache)(\/|$)/.test(relative(REPO_ROOT, src)),
    });
    const before = contextHash(copy);
    assert.equal(before, contextHash(REPO_ROOT), "the copy has the same context as the repository");
    const edit = (f: string) => writeFileSync(join(copy, f), `${readFileSync(join(copy, f), "utf8")}\n// edited\n`);
    for (const f of ["README.md", "DEVELOPERS.md", "sidecar/src/README.md", "test/chart/cdnsChart.test.ts", "infra/index.ts", "lib/render/dnsmasqConf.ts", "images/dnsmasq/probe.sh"]) {
      edit(f);
      assert.equal(contextHash(copy), before, `editing ${f} changed the sidecar's context`);
    }
    writeFileSync(join(copy, "NOTES.md"), "new doc\n");
    assert.equal(contextHash(copy), before, "a new top-level doc changed the context");
    edit("sidecar/src/main.ts");
    const afterSource = contextHash(copy);
    assert.notEqual(afterSource, before, "a sidecar source change must change the context");
    edit("package-lock.json");
    assert.notEqual(contextHash(copy), afterSource, "a lock file change must change the context");
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test("the dnsmasq context: only the two scripts; a README beside the Dockerfile changes nothing", () => {
  const copy = mkdtempSync(join(tmpdir(), "cdns-dq-"));
  try {
    cpSync(DNSMASQ_CONTEXT, copy, { recursive: true });
    const before = contextHash(copy);
    writeFileSync(join(copy, "README.md"), "notes\n");
    assert.equal(contextHash(copy), before);
    writeFileSync(join(copy, "probe.sh"), `${readFileSync(join(copy, "probe.sh"), "utf8")}# changed\n`);
    assert.notEqual(contextHash(copy), before);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
