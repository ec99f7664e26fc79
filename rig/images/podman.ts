/**
 * Debian's podman, installed and configured once, with all of its state in the rig cache
 * (`$RANCHER_CDNS_CACHE/podman`, default ~/.cache/rancher-cdns/podman), never in /var or the
 * repository.
 *
 * Settings this machine kind needs (measured):
 * - `default_ulimits` nofile 20000, nproc 32768: root here lacks CAP_SYS_RESOURCE, and podman's
 *   default nofile of 1048576 makes the OCI runtime fail in setrlimit;
 * - `runtime = "runc"`, `cgroup_manager = "cgroupfs"`: crun 1.8.1 refuses the VM's cgroup v1/v2
 *   hybrid, and there is no systemd to manage cgroups;
 * - `events_logger = "file"`: no journald.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot, type Log } from "../binaries";

/** Program -> Debian package, for everything the image builds and the runtime tests use. */
export const PODMAN_PACKAGES: Readonly<Record<string, string>> = {
  "/usr/bin/podman": "podman",
  "/usr/bin/buildah": "buildah",
  "/usr/sbin/runc": "runc",
  "/usr/bin/conmon": "conmon",
  "/usr/lib/cni/bridge": "containernetworking-plugins",
  "/usr/lib/podman/netavark": "netavark",
  "/usr/lib/podman/aardvark-dns": "aardvark-dns",
  "/usr/bin/slirp4netns": "slirp4netns",
  "/usr/bin/newuidmap": "uidmap",
  "/usr/bin/catatonit": "catatonit",
  "/usr/bin/mmdebstrap": "mmdebstrap",
  "/usr/sbin/iptables": "iptables",
};

export function podmanDir(): string {
  return join(cacheRoot(), "podman");
}

export interface PodmanResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** @default 10 minutes */
  readonly timeoutMs?: number;
  /** Stream output lines to this log as they come (long builds). */
  readonly stream?: Log;
}

/** A configured podman: every call gets the private configuration. */
export class Podman {
  constructor(readonly dir: string, readonly env: NodeJS.ProcessEnv) {}

  /** Runs podman; resolves with the exit code and output, never rejects on a non-zero exit. */
  run(args: readonly string[], opts: RunOptions = {}): Promise<PodmanResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("podman", [...args], { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let partial = "";
      const onChunk = (d: Buffer, isErr: boolean) => {
        const s = d.toString();
        if (isErr) stderr += s;
        else stdout += s;
        if (opts.stream !== undefined) {
          partial += s;
          const lines = partial.split("\n");
          partial = lines.pop() ?? "";
          for (const l of lines) if (l.trim() !== "") opts.stream(l);
        }
      };
      child.stdout.on("data", (d: Buffer) => onChunk(d, false));
      child.stderr.on("data", (d: Buffer) => onChunk(d, true));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`podman ${args[0] ?? ""}: ${err.message}`));
      });
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Runs podman and returns stdout; a non-zero exit throws with the command and its stderr. */
  async ok(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) {
      throw new Error(`podman ${args.join(" ")} exited ${String(r.code)}: ${(r.stderr || r.stdout).trim().slice(-4000)}`);
    }
    return r.stdout;
  }

  /** Image ID of a local image, or undefined when there is none by that name. */
  async imageId(ref: string): Promise<string | undefined> {
    const r = await this.run(["image", "inspect", "--format", "{{.Id}}", ref]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }
}

/** apt-get, through sudo when not root; returns the exit code. */
function aptGet(args: readonly string[]): number | null {
  const root = process.getuid?.() === 0;
  const r = spawnSync(root ? "apt-get" : "sudo", [...(root ? [] : ["apt-get"]), ...args], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return r.status;
}

/** Installs the missing Debian packages (none missing: nothing runs). */
export function installPodmanPackages(log: Log): void {
  const missing = [...new Set(Object.entries(PODMAN_PACKAGES).filter(([bin]) => !existsSync(bin)).map(([, pkg]) => pkg))].sort();
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(" ")}`);
  const t = performance.now();
  const install = ["install", "-y", "-qq", "--no-install-recommends", ...missing];
  // A failed install may only mean stale package lists: update once, then try again.
  if (aptGet(install) !== 0 && (aptGet(["update", "-qq"]) !== 0 || aptGet(install) !== 0)) {
    throw new Error(`apt-get could not install ${missing.join(" ")}: podman cannot run here`);
  }
  log(`installed ${missing.length} packages in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** containers.conf and storage.conf for a state directory. */
export function renderPodmanConf(dir: string): { containersConf: string; storageConf: string } {
  const q = (s: string) => JSON.stringify(s);
  const containersConf = [
    "# Written by rig/images/podman.ts; see there for why each line is needed.",
    "[containers]",
    'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
    "",
    "[engine]",
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    `events_logfile_path = ${q(join(dir, "events.log"))}`,
    `tmp_dir = ${q(join(dir, "tmp"))}`,
    `volume_path = ${q(join(dir, "volumes"))}`,
    "",
    "[network]",
    `network_config_dir = ${q(join(dir, "networks"))}`,
    "",
  ].join("\n");
  const storageConf = [
    "# Written by rig/images/podman.ts.",
    "[storage]",
    'driver = "overlay"',
    `runroot = ${q(join(dir, "run"))}`,
    `graphroot = ${q(join(dir, "storage"))}`,
    "",
  ].join("\n");
  return { containersConf, storageConf };
}

function writeIfChanged(path: string, text: string): void {
  if (!existsSync(path) || readFileSync(path, "utf8") !== text) writeFileSync(path, text);
}

/**
 * Installs podman if needed, writes its private configuration, and returns a handle. Run state
 * left by a previous boot (this disk is not a tmpfs) is cleared first, or podman would believe
 * dead containers still run.
 */
export async function ensurePodman(log: Log): Promise<Podman> {
  installPodmanPackages(log);
  const dir = podmanDir();
  for (const sub of ["storage", "run", "tmp", "volumes", "networks"]) mkdirSync(join(dir, sub), { recursive: true });
  const { containersConf, storageConf } = renderPodmanConf(dir);
  writeIfChanged(join(dir, "containers.conf"), containersConf);
  writeIfChanged(join(dir, "storage.conf"), storageConf);
  const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  const bootFile = join(dir, "boot_id");
  if (existsSync(bootFile) && readFileSync(bootFile, "utf8").trim() !== bootId) {
    log("new boot since podman last ran: clearing its run state");
    for (const sub of ["run", "tmp"]) {
      rmSync(join(dir, sub), { recursive: true, force: true });
      mkdirSync(join(dir, sub), { recursive: true });
    }
  }
  writeFileSync(bootFile, `${bootId}\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_CONF: join(dir, "containers.conf"),
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
  };
  delete env.CONTAINER_HOST;
  delete env.CONTAINER_CONNECTION;
  const podman = new Podman(dir, env);
  const v = await podman.run(["version", "--format", "{{.Client.Version}}"]);
  if (v.code !== 0) throw new Error(`podman does not run here: ${v.stderr.trim()}`);
  return podman;
}

/**
 * Runs `fn` holding an exclusive lock (a directory, so it works across processes): two test
 * files or the bench must not build the same image at once. A lock whose owner died is taken over.
 */
export async function withLock<T>(name: string, log: Log, fn: () => Promise<T>): Promise<T> {
  const lockDir = join(podmanDir(), "locks", `${name}.lock`);
  mkdirSync(join(podmanDir(), "locks"), { recursive: true });
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lockDir, "pid"), "utf8"));
      } catch {
        // Just created, pid not written yet: wait.
      }
      if (Number.isInteger(owner) && !alive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(`waiting for ${name} (held by pid ${String(owner)})`);
        announced = true;
      }
      if (Date.now() - started > 30 * 60_000) throw new Error(`lock ${lockDir} held for 30 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
