/**
 * The rig's child processes: output kept (tail in memory, all of it in a log file), stopped with
 * SIGTERM then SIGKILL, frozen and thawed for outage tests.
 *
 * Nothing may outlive its owner: every live child is killed when the owning Node process exits,
 * and on SIGINT/SIGTERM (the handlers re-raise the signal afterwards, so the default behaviour
 * stays). A process killed with SIGKILL cannot clean up, so each cluster also records its pids in
 * the cache's run/ directory, and the next rig start reaps the children of owners that are gone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "./binaries";

const live = new Set<ManagedProcess>();
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const p of live) p.killNow();
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    // Only when nobody else handles the signal: a CLI that stops the cluster itself keeps control.
    if (process.listenerCount(sig) > 0) continue;
    const handler = () => {
      for (const p of live) p.killNow();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

export class ManagedProcess {
  readonly child: ChildProcess;
  private tail = "";
  private readonly log: WriteStream;
  private readonly gone: Promise<void>;

  constructor(readonly name: string, readonly bin: string, readonly args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv) {
    installHooks();
    this.log = createWriteStream(logFile, { flags: "a" });
    this.child = spawn(bin, [...args], { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
    const onData = (d: Buffer) => {
      this.tail = (this.tail + d.toString()).slice(-64_000);
      this.log.write(d);
    };
    this.child.stdout?.on("data", onData);
    this.child.stderr?.on("data", onData);
    live.add(this);
    this.gone = new Promise((resolve) => this.child.once("exit", () => {
      live.delete(this);
      resolve();
    }));
    // A spawn failure (missing binary) arrives as an error event; the exit promise covers it too.
    this.child.once("error", (err) => {
      this.tail += `\nspawn failed: ${err.message}`;
      live.delete(this);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last 64 kB the process printed. */
  output(): string {
    return this.tail;
  }

  exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves when the process is gone. A frozen process is thawed first. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.exited() && this.child.pid !== undefined) {
      this.child.kill("SIGCONT");
      this.child.kill("SIGTERM");
      const killer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      await this.gone;
      clearTimeout(killer);
    }
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  /** SIGSTOP: the process keeps its sockets open but answers nothing (a half-open peer). */
  freeze(): void {
    this.child.kill("SIGSTOP");
  }

  thaw(): void {
    this.child.kill("SIGCONT");
  }

  /** Synchronous kill for exit hooks. */
  killNow(): void {
    if (this.exited()) return;
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  waitExit(): Promise<void> {
    return this.gone;
  }
}

/** Where each running cluster records its owner and children, for reaping after a SIGKILL. */
function runDir(): string {
  return join(cacheRoot(), "run");
}

export interface RunRecord {
  readonly owner: number;
  readonly dir: string;
  readonly pids: readonly { readonly pid: number; readonly bin: string }[];
}

export function writeRunRecord(id: string, record: RunRecord): void {
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(join(runDir(), `${id}.json`), JSON.stringify(record));
}

export function removeRunRecord(id: string): void {
  rmSync(join(runDir(), `${id}.json`), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills the children of rig owners that died without stopping them; returns how many were killed. */
export function reapOrphans(log: (line: string) => void): number {
  if (!existsSync(runDir())) return 0;
  let killed = 0;
  for (const f of readdirSync(runDir())) {
    if (!f.endsWith(".json")) continue;
    const path = join(runDir(), f);
    let rec: RunRecord;
    try {
      rec = JSON.parse(readFileSync(path, "utf8")) as RunRecord;
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    if (alive(rec.owner)) continue;
    for (const { pid, bin } of rec.pids) {
      // Only a pid that still runs the same binary: pids get reused.
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
      } catch {
        continue;
      }
      if (cmd !== bin) continue;
      try {
        process.kill(pid, "SIGCONT");
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // gone meanwhile
      }
    }
    rmSync(rec.dir, { recursive: true, force: true });
    rmSync(path, { force: true });
  }
  if (killed > 0) log(`reaped ${killed} processes left by rig clusters whose owner died`);
  return killed;
}
