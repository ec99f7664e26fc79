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
import { HostsDataError, renderHostsFile, validateHostsData } from "./renderHosts";
import {
  DEFAULT_HOSTS_SHARDS,
  isHostsFileName,
  MAX_HOSTS_SHARDS,
  nodesFileName,
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
  /**
   * True when only the nodes file was written because dnsmasq does not answer yet on a fresh
   * directory (AtomicHostsWriterOptions.holdFreshStart): write again soon for the rest.
   */
  readonly held: boolean;
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
  /**
   * Hold the name shards back on a fresh directory until dnsmasq answers. Why: dnsmasq sizes its
   * hash table once, from what it reads at start (cache-size plus every name then in the
   * directory, src/cache.c rehash()), and each record of every later re-read scans the whole table
   * (add_hosts_entry()). Started on 80,000 records its table is 8x bigger than started on the
   * nodes file alone, and every change after costs it ~2.8x more CPU (1,511 against 542 ms for
   * re-reading 80,000 records; dnsmasq 2.90, measured). In the pod dnsmasq starts only after the
   * sidecar's first write, so that write holds the shards back: it writes the nodes file, reports
   * `held`, and the first write after dnsmasq answers adds the shards (paced). Meanwhile the names
   * reach the responder (dnsmasq forwards what its files lack), so use this only with one.
   * Applies to the first write of this writer when none of its files are on disk (a sidecar that
   * restarts beside a running dnsmasq holds nothing), and ends after `maxHoldMs` in any case.
   * @default undefined (no hold)
   */
  readonly holdFreshStart?: FreshStartHold;
}

export interface FreshStartHold {
  /** Resolves true once dnsmasq answers (a short DNS probe), false if it does not. */
  readonly dnsmasqUp: () => Promise<boolean>;
  /** Hold at most this long from the first write. @default DEFAULT_FRESH_HOLD_MS */
  readonly maxHoldMs?: number;
}

/** Longest fresh-start hold: dnsmasq starts within seconds of the sidecar's first write in the pod. */
export const DEFAULT_FRESH_HOLD_MS = 30_000;

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
  private readonly hold: FreshStartHold | undefined;
  /** When the fresh-start hold began; "done" once it no longer applies. */
  private holdSince: number | "done" | undefined;
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
    this.hold = opts.holdFreshStart;
    if (this.hold === undefined || this.shards === 1) this.holdSince = "done";
  }

  write(data: HostsData): Promise<WriteResult> {
    const start = this.now();
    const run = this.queue.then(() => this.writeNow(data, start));
    // A failed write must not block the next one; the caller still sees the rejection.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Whether this write holds the shards back (see holdFreshStart). */
  private async holding(): Promise<boolean> {
    if (this.holdSince === "done" || this.hold === undefined) return false;
    const now = this.now();
    if (this.holdSince === undefined) {
      const onDisk = this.onDisk ?? (this.onDisk = await this.readOurFiles());
      if (onDisk.size > 0) {
        this.holdSince = "done";
        return false;
      }
      // In the pod dnsmasq starts after this first write: hold without asking it (the probe's
      // timeout would only delay /startupz). A dnsmasq already up is found on the next write.
      this.holdSince = now;
      return true;
    }
    const maxHoldMs = this.hold.maxHoldMs ?? DEFAULT_FRESH_HOLD_MS;
    if (await this.hold.dnsmasqUp()) {
      this.holdSince = "done";
      return false;
    }
    if (now - this.holdSince >= maxHoldMs) {
      this.log("warn", "dnsmasq still does not answer: writing every hosts file without waiting for it", { heldMs: Math.round(now - this.holdSince) });
      this.holdSince = "done";
      return false;
    }
    return true;
  }

  private async writeNow(data: HostsData, start: number): Promise<WriteResult> {
    const held = await this.holding();
    const t0 = this.now();
    const all = partitionHostsData(data, this.fileName, this.shards);
    const parts = held ? new Map([...all].filter(([name]) => name === nodesFileName(this.fileName))) : all;
    const candidates = this.changedParts(parts);
    let renderMs = this.now() - t0;
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
      // Each file is rendered just before it is written: with a barrier, while dnsmasq re-reads
      // the one before, so a change touching every file costs the render of one file up front,
      // not of all of them.
      let next = 0;
      const nextToWrite = (): { name: string; content: string; temp: Promise<string> } | undefined => {
        while (next < candidates.length) {
          const [name, part] = candidates[next++] as [string, HostsPart];
          const r0 = this.now();
          const content = this.renderPart(part);
          renderMs += this.now() - r0;
          if (onDisk.get(name) === content) continue;
          const temp = this.prepare(name, content);
          // Awaited later; a failure meanwhile must not count as unhandled.
          temp.catch(() => undefined);
          return { name, content, temp };
        }
        return undefined;
      };
      for (const name of toRemove) {
        await this.remove(name);
        onDisk.delete(name);
        removed.push(name);
        await applied();
      }
      let file = nextToWrite();
      preparing = file?.temp;
      while (file !== undefined) {
        unrenamed = await file.temp;
        preparing = undefined;
        await this.fs.rename(unrenamed, join(this.dir, file.name));
        unrenamed = undefined;
        onDisk.set(file.name, file.content);
        written.push(file.name);
        // The next file is rendered, written and synced while dnsmasq re-reads this one.
        file = nextToWrite();
        preparing = file?.temp;
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
        changed, path: this.path, written, removed, bytes, renderMs, writeMs: end - t0 - renderMs - appliedMs, appliedMs,
        paced: paced && changed, totalMs: end - start, signalled, held,
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

  /**
   * The parts that may differ from what is on disk (all but those equal to the last successful
   * write's), in write order, after checking every one: all problems of all parts at once, and
   * nothing touched, when any is invalid.
   */
  private changedParts(parts: ReadonlyMap<string, HostsPart>): [string, HostsPart][] {
    const out: [string, HostsPart][] = [];
    const problems = new Set<string>();
    for (const [name, part] of parts) {
      if (this.onDisk?.get(name) !== undefined && samePart(this.lastParts.get(name)?.data, part.data)) continue;
      for (const p of validateHostsData(part.data)) problems.add(p);
      out.push([name, part]);
    }
    if (problems.size > 0) throw new HostsDataError([...problems]);
    return out;
  }

  /** One file's bytes: the shard header (K > 1) and the rendered part. */
  private renderPart(part: HostsPart): string {
    const body = this.render(part.data);
    return this.shards === 1 ? body : `${shardHeader(part.label, this.shards)}\n${body}`;
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
