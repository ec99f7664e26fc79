/**
 * The sink: renders HostsData and replaces the hosts file in dnsmasq's
 * `--hostsdir` atomically.
 *
 * Why this write pattern (all measured against dnsmasq 2.90; test/dnsmasq/rewrites.test.ts keeps the proof):
 * - dnsmasq re-reads a file on inotify close-write/moved-to. Truncate-and-write
 *   lets it read half a file under load (NXDOMAIN for existing names); a rename
 *   swaps the whole file in one step.
 * - The temp file lives in the same directory (rename needs one filesystem)
 *   and its name starts with `.`, because dnsmasq ignores dotfiles there. A
 *   non-dot temp file would be read, and its records would stay forever after
 *   the rename took the file away.
 * - fsync of the file before the rename and of the directory after it, so a
 *   crash never leaves an empty or missing file behind a completed write.
 * - The data is spread over shard files (shards.ts): dnsmasq's re-read of a
 *   changed file costs (records in it) x (records it holds), so a change
 *   rewrites, and dnsmasq re-reads, only the shards it touched. Each file is
 *   replaced with the pattern above; a hostname never moves between files.
 * - With a barrier (dnsBarrier.ts) the files are renamed one at a time, each
 *   after dnsmasq has re-read the one before (the next temp file is written
 *   and synced meanwhile). dnsmasq handles every queued
 *   inotify event in one call and answers no query meanwhile (inotify_check()
 *   in its src/inotify.c), so unpaced, a node flip that touches every shard
 *   blocks it for the re-read of all of them; paced, the longest pause is one
 *   shard's re-read. A name's records all live in one file, so each answer
 *   is the name's old set or its new one, never a mix.
 * - SIGHUP is an optional safety net (it clears dnsmasq's cache and re-reads
 *   every hosts file); it needs the pid, so it only runs when a pid file is
 *   configured, and a missing or stale pid is logged, never fatal: inotify
 *   already did the real work.
 */
import * as nodeFs from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_HOSTS_DIR, DEFAULT_HOSTS_FILE } from "../../../lib/config/defaults";
import type { HostsData, HostsSink } from "../model";
import type { DnsmasqBarrier } from "./dnsBarrier";
import { HostsDataError, renderHostsFile } from "./renderHosts";
import {
  DEFAULT_HOSTS_SHARDS,
  isHostsFileName,
  MAX_HOSTS_SHARDS,
  partitionHostsData,
  samePart,
  shardHeader,
  shardsOfContent,
  type HostsPart,
} from "./shards";

/** What one write() did. */
export interface WriteResult {
  /** False when every file already had this content and nothing was written or removed. */
  readonly changed: boolean;
  /** The hosts file (shards: 1) or the hosts directory (shards > 1). */
  readonly path: string;
  /** Names of the files replaced by this write, in write order. */
  readonly written: readonly string[];
  /** Names of our files this write removed (emptied shards, files of another shard count). */
  readonly removed: readonly string[];
  /** Size in bytes of all our files after the write. */
  readonly bytes: number;
  /** Milliseconds spent splitting and rendering (only parts that changed are rendered). */
  readonly renderMs: number;
  /** Milliseconds on the filesystem and signal: compare, then (when changed) write, fsync, rename, SIGHUP. */
  readonly writeMs: number;
  /** Milliseconds spent waiting for dnsmasq to apply each file (the barrier); 0 without one. */
  readonly appliedMs: number;
  /** True when a barrier confirmed every replaced or removed file: dnsmasq serves this data now. */
  readonly paced: boolean;
  /** Milliseconds for the whole call, including waiting for an earlier write. */
  readonly totalMs: number;
  /** True when SIGHUP was delivered to dnsmasq. */
  readonly signalled: boolean;
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
  /** File name inside `dir` (shards add `.nodes` and `.<i>` to it); must not start with `.`. @default DEFAULT_HOSTS_FILE */
  readonly fileName?: string;
  /**
   * Number of shard files the hostnames are spread over (see shards.ts); 1 =
   * one file named `fileName`. A change rewrites only the shards it touches.
   * @default DEFAULT_HOSTS_SHARDS
   */
  readonly shards?: number;
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
  /** Renders one file's share of the data. @default renderHostsFile */
  readonly render?: (data: HostsData) => string;
  /**
   * Awaited after each file replaced or removed, before the next one:
   * resolves once dnsmasq has re-read it (createDnsBarrier() in dnsBarrier.ts).
   * With it a change that touches every file costs dnsmasq one file's re-read
   * at a time, answering queries in between; without it dnsmasq re-reads all
   * changed files in one go and answers nothing meanwhile. A barrier that
   * fails is logged and the rest of that write goes unpaced.
   * @default undefined (no pacing)
   */
  readonly barrier?: DnsmasqBarrier;
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
  /** The hosts file (shards: 1) or the hosts directory (shards > 1). */
  readonly path: string;
  readonly shards: number;
  private readonly dir: string;
  private readonly fileName: string;
  private readonly fs: WriterFs;
  private readonly kill: (pid: number, signal: NodeJS.Signals) => void;
  private readonly log: SinkLogger;
  private readonly now: () => number;
  private readonly render: (data: HostsData) => string;
  private readonly mode: number;
  private readonly pidFile: string | undefined;
  private readonly barrier: DnsmasqBarrier | undefined;
  private tempSeq = 0;
  private sweptStaleTemps = false;
  /** Content of each of our files as it is on disk; undefined until the directory was read once. */
  private onDisk: Map<string, string> | undefined;
  /** Parts of the last fully successful write: an equal part is neither rendered nor compared again. */
  private lastParts = new Map<string, HostsPart>();
  /** Writes run one at a time, in call order, so the last call's data is what stays. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: AtomicHostsWriterOptions = {}) {
    this.dir = opts.dir ?? DEFAULT_HOSTS_DIR;
    this.fileName = opts.fileName ?? DEFAULT_HOSTS_FILE;
    if (this.fileName.startsWith(".") || this.fileName.includes("/") || this.fileName === "") {
      throw new Error(`AtomicHostsWriter: fileName ${JSON.stringify(this.fileName)} must be a plain name not starting with "." (dnsmasq ignores dotfiles)`);
    }
    this.shards = opts.shards ?? DEFAULT_HOSTS_SHARDS;
    if (!Number.isInteger(this.shards) || this.shards < 1 || this.shards > MAX_HOSTS_SHARDS) {
      throw new Error(`AtomicHostsWriter: shards must be an integer from 1 to ${MAX_HOSTS_SHARDS}, got ${this.shards}`);
    }
    this.path = this.shards === 1 ? join(this.dir, this.fileName) : this.dir;
    this.fs = opts.fs ?? nodeWriterFs;
    this.kill = opts.kill ?? ((pid, signal) => void process.kill(pid, signal));
    this.log = opts.log ?? stderrLogger;
    this.now = opts.now ?? (() => performance.now());
    this.render = opts.render ?? renderHostsFile;
    this.mode = opts.mode ?? 0o644;
    this.pidFile = opts.pidFile;
    this.barrier = opts.barrier;
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
    const parts = partitionHostsData(data, this.fileName, this.shards);
    const rendered = this.renderChanged(parts);
    const t1 = this.now();
    const written: string[] = [];
    const removed: string[] = [];
    let appliedMs = 0;
    /** The temp file being written for the next rename, and one written but not yet renamed. */
    let preparing: Promise<string> | undefined;
    let unrenamed: string | undefined;
    try {
      if (!this.sweptStaleTemps) await this.sweepStaleTemps();
      const onDisk = this.onDisk ?? (this.onDisk = await this.readOurFiles());
      // Files another K wrote hold names in other files than ours would: remove
      // them all before writing, never after (see shards.ts on dnsmasq's
      // cross-file duplicate dropping). Otherwise only files no part needs.
      const foreign = [...onDisk].some(([, content]) => shardsOfContent(content) !== this.shards);
      const toRemove = [...onDisk.keys()].filter((name) => foreign || !parts.has(name));
      const toWrite = [...rendered].filter(([name, content]) => onDisk.get(name) !== content);
      let paced = this.barrier !== undefined;
      const applied = async (): Promise<void> => {
        if (!paced || this.barrier === undefined) return;
        const b0 = this.now();
        try {
          await this.barrier();
        } catch (err) {
          // The files are right on disk and dnsmasq reads them anyway: only the pacing is lost.
          paced = false;
          this.log("warn", "dnsmasq did not confirm a hosts file re-read; writing the rest without pacing", { error: String(err) });
        }
        appliedMs += this.now() - b0;
      };
      const prepareAt = (i: number): Promise<string> | undefined => {
        const next = toWrite[i];
        if (next === undefined) return undefined;
        const p = this.prepare(next[0], next[1]);
        // Awaited later; a failure meanwhile must not count as unhandled.
        p.catch(() => undefined);
        return p;
      };
      preparing = prepareAt(0);
      for (const name of toRemove) {
        await this.remove(name);
        onDisk.delete(name);
        removed.push(name);
        await applied();
      }
      for (let i = 0; i < toWrite.length; i++) {
        const [name, content] = toWrite[i] as [string, string];
        unrenamed = await preparing;
        preparing = undefined;
        await this.fs.rename(unrenamed as string, join(this.dir, name));
        unrenamed = undefined;
        onDisk.set(name, content);
        written.push(name);
        // The next temp file is written and synced while dnsmasq re-reads this one.
        preparing = prepareAt(i + 1);
        await applied();
      }
      if (written.length > 0 || removed.length > 0) await this.syncDir();
      this.lastParts = parts;
      let bytes = 0;
      for (const content of onDisk.values()) bytes += Buffer.byteLength(content);
      const changed = written.length > 0 || removed.length > 0;
      const signalled = changed ? await this.signal() : false;
      const end = this.now();
      return {
        changed, path: this.path, written, removed, bytes, renderMs: t1 - t0, writeMs: end - t1 - appliedMs, appliedMs,
        paced: paced && changed, totalMs: end - start, signalled,
      };
    } catch (err) {
      const leftover = [unrenamed, await preparing?.catch(() => undefined)];
      for (const temp of leftover) {
        if (temp !== undefined) await this.fs.unlink(temp).catch((e: unknown) => this.log("error", "could not remove temp file", { temp, error: String(e) }));
      }
      // What is on disk is still tracked file by file; forget the parts so the
      // next write renders and compares everything again.
      this.lastParts = new Map();
      throw err;
    }
  }

  /** Renders the parts that differ from the last successful write; every problem of every part at once. */
  private renderChanged(parts: ReadonlyMap<string, HostsPart>): Map<string, string> {
    const out = new Map<string, string>();
    const problems = new Set<string>();
    for (const [name, part] of parts) {
      const known = this.onDisk?.get(name);
      if (known !== undefined && samePart(this.lastParts.get(name)?.data, part.data)) {
        out.set(name, known);
        continue;
      }
      try {
        const body = this.render(part.data);
        out.set(name, this.shards === 1 ? body : `${shardHeader(part.label, this.shards)}\n${body}`);
      } catch (err) {
        if (!(err instanceof HostsDataError)) throw err;
        for (const p of err.problems) problems.add(p);
      }
    }
    if (problems.size > 0) throw new HostsDataError([...problems]);
    return out;
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

  /** Our files already in the directory (a restarted sidecar finds its predecessor's), with their content. */
  private async readOurFiles(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const name of (await this.fs.readdir(this.dir)).sort()) {
      if (!isHostsFileName(this.fileName, name)) continue;
      try {
        out.set(name, await this.fs.readText(join(this.dir, name)));
      } catch (err) {
        if (errnoCode(err) !== "ENOENT") throw err;
      }
    }
    return out;
  }

  private async remove(name: string): Promise<void> {
    try {
      await this.fs.unlink(join(this.dir, name));
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw err;
    }
  }

  /** Writes and syncs a dot-named temp file beside `name` (dnsmasq ignores dotfiles); returns its path. */
  private async prepare(name: string, content: string): Promise<string> {
    const temp = join(this.dir, `.${name}.${process.pid}.${++this.tempSeq}.tmp`);
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
      return temp;
    } catch (err) {
      if (created) await this.fs.unlink(temp).catch((e: unknown) => this.log("error", "could not remove temp file", { temp, error: String(e) }));
      throw err;
    }
  }

  /** A rename or unlink is durable only once the directory entry is on disk: one fsync covers them all. */
  private async syncDir(): Promise<void> {
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
