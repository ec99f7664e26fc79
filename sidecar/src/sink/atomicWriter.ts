/**
 * The sink: renders HostsData and replaces the hosts file in dnsmasq's
 * `--hostsdir` atomically.
 *
 * Why this write pattern (all measured, ../shared/reference/FACTS.md):
 * - dnsmasq re-reads a file on inotify close-write/moved-to. Truncate-and-write
 *   lets it read half a file under load (NXDOMAIN for existing names); a rename
 *   swaps the whole file in one step.
 * - The temp file lives in the same directory (rename needs one filesystem)
 *   and its name starts with `.`, because dnsmasq ignores dotfiles there. A
 *   non-dot temp file would be read, and its records would stay forever after
 *   the rename took the file away.
 * - fsync of the file before the rename and of the directory after it, so a
 *   crash never leaves an empty or missing file behind a completed write.
 * - SIGHUP is an optional safety net (it clears dnsmasq's cache and re-reads
 *   every hosts file); it needs the pid, so it only runs when a pid file is
 *   configured, and a missing or stale pid is logged, never fatal: inotify
 *   already did the real work.
 */
import * as nodeFs from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_HOSTS_DIR, DEFAULT_HOSTS_FILE } from "../../../lib/config/defaults";
import type { HostsData } from "../model";
import { renderHostsFile } from "./renderHosts";

/** What one write() did. */
export interface WriteResult {
  /** False when the file already had this content and nothing was written. */
  readonly changed: boolean;
  /** The hosts file. */
  readonly path: string;
  /** Size of the content in bytes. */
  readonly bytes: number;
  /** Milliseconds spent rendering. */
  readonly renderMs: number;
  /** Milliseconds on the filesystem and signal: compare, then (when changed) write, fsync, rename, SIGHUP. */
  readonly writeMs: number;
  /** Milliseconds for the whole call, including waiting for an earlier write. */
  readonly totalMs: number;
  /** True when SIGHUP was delivered to dnsmasq. */
  readonly signalled: boolean;
}

/** The sink's contract, as the controller uses it. */
export interface HostsSink {
  write(data: HostsData): Promise<WriteResult>;
}

/** The open-file operations the writer needs (node's FileHandle has them). */
export interface WriterFileHandle {
  writeFile(data: string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The filesystem operations the writer needs; injected so tests can fail each step. */
export interface WriterFs {
  /** Rejects with code ENOENT when the file does not exist. */
  readText(path: string): Promise<string>;
  open(path: string, flags: "wx" | "r", mode?: number): Promise<WriterFileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
}

export type SinkLogLevel = "info" | "warn" | "error";
export type SinkLogger = (level: SinkLogLevel, msg: string, fields?: Readonly<Record<string, unknown>>) => void;

export interface AtomicHostsWriterOptions {
  /** Directory dnsmasq watches. @default DEFAULT_HOSTS_DIR */
  readonly dir?: string;
  /** File name inside `dir`; must not start with `.`. @default DEFAULT_HOSTS_FILE */
  readonly fileName?: string;
  /** dnsmasq's pid file; when set, each changed write is followed by SIGHUP. @default undefined (no signal) */
  readonly pidFile?: string;
  /** File mode of the hosts file. @default 0o644 (dnsmasq may run as another user) */
  readonly mode?: number;
  /** @default node:fs/promises */
  readonly fs?: WriterFs;
  /** @default process.kill */
  readonly kill?: (pid: number, signal: NodeJS.Signals) => void;
  /** @default one JSON line per message on stderr */
  readonly log?: SinkLogger;
  /** Clock in milliseconds. @default performance.now */
  readonly now?: () => number;
  /** @default renderHostsFile */
  readonly render?: (data: HostsData) => string;
}

export const nodeWriterFs: WriterFs = {
  readText: (path) => nodeFs.readFile(path, "utf8"),
  open: (path, flags, mode) => nodeFs.open(path, flags, mode),
  rename: (from, to) => nodeFs.rename(from, to),
  unlink: (path) => nodeFs.unlink(path),
  readdir: (path) => nodeFs.readdir(path),
};

const stderrLogger: SinkLogger = (level, msg, fields) => {
  process.stderr.write(JSON.stringify({ level, component: "sink", msg, ...fields }) + "\n");
};

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

export class AtomicHostsWriter implements HostsSink {
  readonly path: string;
  private readonly dir: string;
  private readonly fileName: string;
  private readonly fs: WriterFs;
  private readonly kill: (pid: number, signal: NodeJS.Signals) => void;
  private readonly log: SinkLogger;
  private readonly now: () => number;
  private readonly render: (data: HostsData) => string;
  private readonly mode: number;
  private readonly pidFile: string | undefined;
  private tempSeq = 0;
  private sweptStaleTemps = false;
  /** Writes run one at a time, in call order, so the last call's data is what stays. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: AtomicHostsWriterOptions = {}) {
    this.dir = opts.dir ?? DEFAULT_HOSTS_DIR;
    this.fileName = opts.fileName ?? DEFAULT_HOSTS_FILE;
    if (this.fileName.startsWith(".") || this.fileName.includes("/") || this.fileName === "") {
      throw new Error(`AtomicHostsWriter: fileName ${JSON.stringify(this.fileName)} must be a plain name not starting with "." (dnsmasq ignores dotfiles)`);
    }
    this.path = join(this.dir, this.fileName);
    this.fs = opts.fs ?? nodeWriterFs;
    this.kill = opts.kill ?? ((pid, signal) => void process.kill(pid, signal));
    this.log = opts.log ?? stderrLogger;
    this.now = opts.now ?? (() => performance.now());
    this.render = opts.render ?? renderHostsFile;
    this.mode = opts.mode ?? 0o644;
    this.pidFile = opts.pidFile;
  }

  write(data: HostsData): Promise<WriteResult> {
    const start = this.now();
    const run = this.queue.then(() => this.writeNow(data, start));
    // A failed write must not block the next one; the caller still sees the rejection.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(data: HostsData, start: number): Promise<WriteResult> {
    const t0 = this.now();
    const content = this.render(data);
    const t1 = this.now();
    const bytes = Buffer.byteLength(content);
    const result = (changed: boolean, signalled: boolean): WriteResult => {
      const end = this.now();
      return { changed, path: this.path, bytes, renderMs: t1 - t0, writeMs: end - t1, totalMs: end - start, signalled };
    };
    if (!this.sweptStaleTemps) await this.sweepStaleTemps();
    if ((await this.currentContent()) === content) return result(false, false);
    await this.replace(content);
    return result(true, await this.signal());
  }

  /**
   * Removes temp files a crashed earlier sidecar left (dnsmasq ignores them,
   * but they would pile up in the emptyDir). Once per writer, best effort.
   */
  private async sweepStaleTemps(): Promise<void> {
    this.sweptStaleTemps = true;
    const prefix = `.${this.fileName}.`;
    try {
      for (const name of await this.fs.readdir(this.dir)) {
        if (name.startsWith(prefix) && name.endsWith(".tmp")) await this.fs.unlink(join(this.dir, name));
      }
    } catch (err) {
      this.log("warn", "could not sweep stale temp files", { dir: this.dir, error: String(err) });
    }
  }

  /** The file's content now, or undefined when it does not exist. */
  private async currentContent(): Promise<string | undefined> {
    try {
      return await this.fs.readText(this.path);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw err;
    }
  }

  private async replace(content: string): Promise<void> {
    const temp = join(this.dir, `.${this.fileName}.${process.pid}.${++this.tempSeq}.tmp`);
    let created = false;
    try {
      const fh = await this.fs.open(temp, "wx", this.mode);
      created = true;
      try {
        await fh.writeFile(content);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.fs.rename(temp, this.path);
      created = false;
    } catch (err) {
      if (created) await this.fs.unlink(temp).catch((e: unknown) => this.log("error", "could not remove temp file", { temp, error: String(e) }));
      throw err;
    }
    // The rename is durable only once the directory entry is on disk.
    const dh = await this.fs.open(this.dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  /** SIGHUP to dnsmasq when a pid file is configured; true when delivered. */
  private async signal(): Promise<boolean> {
    if (this.pidFile === undefined) return false;
    let text: string;
    try {
      text = await this.fs.readText(this.pidFile);
    } catch (err) {
      this.log("warn", "dnsmasq pid file unreadable; relying on inotify", { pidFile: this.pidFile, error: String(err) });
      return false;
    }
    const pid = Number(text.trim());
    // pid 1 is the pause process (or init) and our own pid is us: SIGHUP would
    // kill the wrong process, so both count as invalid.
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) {
      this.log("warn", "dnsmasq pid file holds no valid pid; relying on inotify", { pidFile: this.pidFile, content: text.slice(0, 40) });
      return false;
    }
    try {
      this.kill(pid, "SIGHUP");
      return true;
    } catch (err) {
      const code = errnoCode(err);
      const why = code === "ESRCH" ? "stale dnsmasq pid (no such process)" : "could not signal dnsmasq";
      this.log("warn", `${why}; relying on inotify`, { pid, pidFile: this.pidFile, error: String(err) });
      return false;
    }
  }
}

/** Factory form of `new AtomicHostsWriter(opts)`. */
export function createHostsWriter(opts: AtomicHostsWriterOptions = {}): HostsSink {
  return new AtomicHostsWriter(opts);
}
