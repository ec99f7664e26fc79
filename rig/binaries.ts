/**
 * Finds or builds the rig's binaries.
 *
 * For each component (rig/components.ts), in order:
 * 1. a binary already on PATH or in $KUBEBUILDER_ASSETS whose version fits (all of the
 *    component's binaries in one directory);
 * 2. the rig cache, `$RANCHER_CDNS_CACHE/rig/<name>-<version>-<key>` (default ~/.cache/rancher-cdns),
 *    where key hashes the wrapper module and build flags, so a changed recipe builds anew;
 * 3. a `go build` of the wrapper module through the Go module proxy, progress and time printed.
 * After a build the Go build cache is deleted: Kubernetes alone leaves ~12 GB there.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { components, GO_DIR, type ComponentName, type GoComponent } from "./components";

export type Log = (line: string) => void;
const defaultLog: Log = (line) => process.stderr.write(`rig: ${line}\n`);

export function cacheRoot(): string {
  return process.env.RANCHER_CDNS_CACHE ?? join(homedir(), ".cache", "rancher-cdns");
}

/** Binary name -> absolute path. */
export type BinaryPaths = Readonly<Record<string, string>>;

export interface ComponentLocation {
  readonly component: GoComponent;
  readonly dir: string;
  readonly from: "path" | "cache" | "built";
}

function sha256(parts: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
}

function goVersion(): string {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`rig: the go command is needed to build the rig's binaries: ${r.error?.message ?? r.stderr}`);
  return r.stdout.trim();
}

/**
 * Cache key of a component: wrapper files, packages, flags and Go version. go.sum is left out:
 * it follows from go.mod, and a first build writes it back into the wrapper.
 */
export function recipeKey(c: GoComponent, go: string): string {
  const dir = join(GO_DIR, c.dir);
  const files = readdirSync(dir).filter((f) => f !== "go.sum").sort().map((f) => `${f}:${readFileSync(join(dir, f), "utf8")}`);
  return sha256([c.name, c.version, go, ...c.packages, ...c.ldflags, ...files, JSON.stringify(c.copyFromModule ?? null)]).slice(0, 12);
}

function cacheDirOf(c: GoComponent, key: string): string {
  return join(cacheRoot(), "rig", `${c.name}-${c.version}-${key}`);
}

const STAMP = ".complete";

function searchDirs(): string[] {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  const assets = process.env.KUBEBUILDER_ASSETS;
  return assets !== undefined && assets !== "" ? [assets, ...dirs] : dirs;
}

/** The directory holding every binary of `c` at the right version, from PATH/KUBEBUILDER_ASSETS. */
function findOnPath(c: GoComponent): string | undefined {
  const check = c.versionCheck;
  if (check === undefined) return undefined;
  for (const dir of searchDirs()) {
    if (!c.binaries.every((b) => existsSync(join(dir, b)))) continue;
    const r = spawnSync(join(dir, check.binary), [...check.args], { encoding: "utf8", timeout: 10_000 });
    if (r.status === 0 && check.pattern.test(`${r.stdout}${r.stderr}`)) return dir;
  }
  return undefined;
}

function fmtSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

function run(cmd: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; log: Log; label: string; expectedMinutes: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    let downloads = 0;
    const onData = (d: Buffer) => {
      const text = d.toString();
      tail = (tail + text).slice(-8000);
      for (const line of text.split("\n")) if (line.startsWith("go: downloading")) downloads++;
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const ticker = setInterval(() => {
      opts.log(`${opts.label}: ${fmtSeconds(Date.now() - started)} so far (about ${opts.expectedMinutes} min on 2 cores; ${downloads} modules downloaded)`);
    }, 30_000);
    child.on("error", (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`${opts.label}: ${cmd} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

function goEnv(gocache: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOCACHE: gocache,
    // The wrappers carry go.sum files, so every module's hash is pinned in the repository;
    // the checksum database itself is not reachable for some of these modules.
    GOSUMDB: "off",
    GOFLAGS: "-mod=mod -buildvcs=false",
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
  };
}

async function moduleDir(module: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = spawnSync("go", ["mod", "download", "-json", module], { cwd, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`go mod download ${module} failed: ${r.stdout}${r.stderr}`);
  const dir = (JSON.parse(r.stdout) as { Dir?: string }).Dir;
  if (dir === undefined) throw new Error(`go mod download ${module}: no Dir in ${r.stdout}`);
  return dir;
}

/**
 * The provider's main package embeds schema-embed.json and terraform-mapping-embed.json, which its
 * Makefile generates and the published module lacks: the schema with `.version` set, and the mapping.
 */
async function generateProviderEmbeds(c: GoComponent, buildDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const gomod = readFileSync(join(buildDir, "go.mod"), "utf8");
  const m = /github\.com\/pulumi\/pulumi-kubernetes\/provider\/v4 (\S+)/.exec(gomod);
  if (m === null) throw new Error("rig/go/pulumi-kubernetes/go.mod does not require the provider module");
  const src = join(await moduleDir(`github.com/pulumi/pulumi-kubernetes/provider/v4@${m[1]}`, buildDir, env), "cmd", "pulumi-resource-kubernetes");
  const schema = JSON.parse(readFileSync(join(src, "schema.json"), "utf8")) as Record<string, unknown>;
  schema.version = c.version.replace(/^v/, "");
  writeFileSync(join(buildDir, "schema-embed.json"), JSON.stringify(schema));
  writeFileSync(join(buildDir, "terraform-mapping-embed.json"), JSON.stringify(JSON.parse(readFileSync(join(src, "terraform-mapping.json"), "utf8"))));
}

async function build(c: GoComponent, dest: string, gocache: string, log: Log): Promise<void> {
  const buildDir = mkdtempSync(join(tmpdir(), `rig-build-${c.name}-`));
  const out = `${dest}.partial`;
  try {
    cpSync(join(GO_DIR, c.dir), buildDir, { recursive: true });
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const env = goEnv(gocache);
    if (c.generate === "pulumi-kubernetes-embeds") await generateProviderEmbeds(c, buildDir, env);
    const ldflags = ["-s", "-w", ...c.ldflags].join(" ");
    const target = c.binaries.length === 1 ? join(out, c.binaries[0] as string) : `${out}/`;
    log(`building ${c.name} ${c.version} (${c.binaries.join(", ")}): about ${c.expectedMinutes} min on 2 cores`);
    const started = Date.now();
    await run("go", ["build", "-trimpath", "-ldflags", ldflags, "-o", target, ...c.packages], {
      cwd: buildDir, env, log, label: `building ${c.name}`, expectedMinutes: c.expectedMinutes,
    });
    for (const b of c.binaries) if (!existsSync(join(out, b))) throw new Error(`building ${c.name}: ${b} missing after go build`);
    if (c.copyFromModule !== undefined) {
      const mod = await moduleDir(c.copyFromModule.module, buildDir, env);
      const text = c.copyFromModule.files.map((f) => readFileSync(join(mod, f), "utf8").trim()).join("\n---\n");
      writeFileSync(join(out, c.copyFromModule.to), `${text}\n`);
    }
    // Pin what the build resolved: the wrapper keeps the go.sum of its first build (commit it).
    const sum = join(GO_DIR, c.dir, "go.sum");
    if (!existsSync(sum) && existsSync(join(buildDir, "go.sum"))) {
      cpSync(join(buildDir, "go.sum"), sum);
      log(`wrote ${sum}: commit it so later builds verify the same module hashes`);
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    writeFileSync(join(out, STAMP), JSON.stringify({ component: c.name, version: c.version, buildSeconds: seconds, builtAt: new Date().toISOString() }));
    rmSync(dest, { recursive: true, force: true });
    renameSync(out, dest);
    log(`built ${c.name} ${c.version} in ${fmtSeconds(seconds * 1000)} -> ${dest}`);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

/** One builder at a time per cache (parallel test files, a second terminal). */
async function withLock<T>(name: string, log: Log, fn: () => Promise<T>): Promise<T> {
  const dir = join(cacheRoot(), "rig");
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, `.lock-${name}`);
  let waited = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch {
      const holder = Number(readFileSync(lock, "utf8"));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (!alive) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!waited) log(`waiting for process ${holder}, which is building ${name}`);
      waited = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

export interface EnsureOptions {
  readonly log?: Log;
  /** Never build: fail when a component is missing (tests use this after `npm test` built the rig). @default false */
  readonly noBuild?: boolean;
}

/** Finds (or builds) the named components; returns where each one's binaries are. */
export async function ensureComponents(names: readonly ComponentName[], opts: EnsureOptions = {}): Promise<ComponentLocation[]> {
  const log = opts.log ?? defaultLog;
  const wanted = components().filter((c) => names.includes(c.name));
  const go = wanted.length > 0 ? goVersion() : "";
  const gocache = join(cacheRoot(), "rig", "gocache");
  const out: ComponentLocation[] = [];
  let builtAny = false;
  for (const c of wanted) {
    const onPath = findOnPath(c);
    if (onPath !== undefined) {
      out.push({ component: c, dir: onPath, from: "path" });
      continue;
    }
    const dest = cacheDirOf(c, recipeKey(c, go));
    if (existsSync(join(dest, STAMP))) {
      out.push({ component: c, dir: dest, from: "cache" });
      continue;
    }
    if (opts.noBuild === true) throw new Error(`rig: ${c.name} ${c.version} is not built (expected in ${dest}); run \`npx tsx rig/cli.ts build\``);
    await withLock(c.name, log, async () => {
      if (!existsSync(join(dest, STAMP))) {
        await build(c, dest, gocache, log);
        builtAny = true;
      }
    });
    out.push({ component: c, dir: dest, from: "built" });
  }
  if (builtAny && existsSync(gocache)) {
    const size = dirSizeMb(gocache);
    rmSync(gocache, { recursive: true, force: true });
    log(`freed the Go build cache (${size} MB)`);
  }
  return out;
}

function dirSizeMb(dir: string): number {
  const r = spawnSync("du", ["-sm", dir], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.split(/\s/)[0]) : -1;
}

/** Binary paths of the named components, building what is missing. */
export async function ensureBinaries(names: readonly ComponentName[], opts: EnsureOptions = {}): Promise<BinaryPaths> {
  const paths: Record<string, string> = {};
  for (const loc of await ensureComponents(names, opts)) {
    for (const b of loc.component.binaries) paths[b] = join(loc.dir, b);
    if (loc.component.copyFromModule !== undefined) paths[loc.component.copyFromModule.to] = join(loc.dir, loc.component.copyFromModule.to);
  }
  return paths;
}

/** True when `p` exists and is a file (for callers checking optional extras). */
export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
