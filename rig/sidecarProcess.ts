/**
 * The sidecar as it runs in its image: the esbuild bundle (scripts/build-sidecar.ts) under plain
 * node with the image's own node flags (read from sidecar/Dockerfile's ENTRYPOINT), as a child
 * process. For memory and latency figures that must not include tsx or the test process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSidecar } from "../scripts/build-sidecar";
import { freePort } from "./ports";

export interface SidecarProcess {
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
  output(): string;
  /** VmRSS and VmHWM (peak) in MiB, from /proc. */
  memory(): { rssMiB: number; peakMiB: number };
  get(path: string): Promise<{ status: number; body: string }>;
  /** Resolves once /readyz is 200; returns the ms since the process started. */
  waitReady(timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The node flags the sidecar image runs with, read from sidecar/Dockerfile's ENTRYPOINT
 * (`["/nodejs/bin/node", ...flags, "/app/main.cjs"]`), so what runs here is what the image runs.
 */
export function sidecarNodeFlags(dockerfile = join(__dirname, "..", "sidecar", "Dockerfile")): string[] {
  const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(dockerfile, "utf8"));
  if (m === null) throw new Error(`${dockerfile}: no exec-form ENTRYPOINT`);
  const argv = JSON.parse(m[1] as string) as string[];
  return argv.slice(1, -1).filter((a) => a.startsWith("--"));
}

/** Extra node flags for a developer's run, e.g. CDNS_SIDECAR_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
function extraNodeFlags(): string[] {
  return (process.env.CDNS_SIDECAR_NODE_FLAGS ?? "").split(/\s+/).filter((f) => f !== "");
}

/**
 * For a developer's run too: CDNS_SIDECAR_ARGS="--log-level=info" is appended to the sidecar's
 * arguments (the last of a flag wins), and with CDNS_SIDECAR_LOG_DIR each sidecar's output (its
 * last 200 KB) is written there when it stops.
 */
function extraArgs(): string[] {
  return (process.env.CDNS_SIDECAR_ARGS ?? "").split(/\s+/).filter((f) => f !== "");
}

let bundlePromise: Promise<string> | undefined;

/** Builds the bundle once per process, in a temp directory. */
export function sidecarBundle(): Promise<string> {
  bundlePromise ??= buildSidecar(join(mkdtempSync(join(tmpdir(), "cdns-sidecar-bundle-")), "main.cjs"));
  return bundlePromise;
}

export async function startSidecarProcess(opts: { kubeconfigYaml: string; args: readonly string[] }): Promise<SidecarProcess> {
  const bundle = await sidecarBundle();
  const dir = mkdtempSync(join(tmpdir(), "cdns-sidecar-proc-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, opts.kubeconfigYaml, { mode: 0o600 });
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...sidecarNodeFlags(), ...extraNodeFlags(), bundle, `--kubeconfig=${kubeconfig}`, `--http-port=${port}`, ...opts.args, ...extraArgs()], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d) => (out = (out + String(d)).slice(-200_000)));
  child.stderr?.on("data", (d) => (out = (out + String(d)).slice(-200_000)));
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  };
  return {
    pid: child.pid as number,
    port,
    child,
    output: () => out,
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
      return { rssMiB: kb("VmRSS") / 1024, peakMiB: kb("VmHWM") / 1024 };
    },
    get,
    async waitReady(timeoutMs) {
      while (performance.now() - started < timeoutMs) {
        if (child.exitCode !== null) throw new Error(`sidecar exited ${child.exitCode}:\n${out.slice(-3000)}`);
        try {
          if ((await get("/readyz")).status === 200) return performance.now() - started;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`sidecar not ready within ${timeoutMs} ms:\n${out.slice(-3000)}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await gone;
        clearTimeout(t);
      }
      const logDir = process.env.CDNS_SIDECAR_LOG_DIR;
      if (logDir !== undefined && logDir !== "") writeFileSync(join(logDir, `sidecar-${child.pid}.log`), out);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
