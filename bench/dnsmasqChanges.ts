/**
 * What a change costs dnsmasq while it keeps answering: the sink writes a
 * change into a real dnsmasq's hosts directory on loopback while a prober
 * queries it continuously (2 queries per ms, bounded), and we read off
 *
 * - visible: from the start of write() to the first answer carrying the new
 *   set, for the last of the probed names (one changed name per file of the
 *   layout, so the last file dnsmasq re-reads is seen);
 * - longest gap: the longest time without any answer while the change was
 *   applied (dnsmasq answers nothing while it re-reads a file);
 * - answered: the share of queries sent while the change was applied that
 *   were answered within ANSWER_DEADLINE_MS (a resolver's retry timeout);
 * - wrong: answers that were neither the name's old set nor its new one
 *   (empty, mixed, duplicated); stale: old answers after write() resolved
 *   with a barrier (it promises dnsmasq already serves the new data);
 * - dnsmasq CPU: its time on a CPU (/proc/<pid>/schedstat) for the whole
 *   change and, paced, for the costliest single file: what the longest gap
 *   would be if dnsmasq had a CPU to itself (on a busy box the wall-clock gap
 *   also holds the time it waited for one).
 *
 * No Kubernetes here: the data comes from the real plan (changeWorkload.ts),
 * the files from the real sink. The lead's rig adds the API server part.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_TTL_SECONDS } from "../lib/config/defaults";
import { healthName } from "../lib/dns/names";
import type { HostsData } from "../sidecar/src/model";
import { AtomicHostsWriter } from "../sidecar/src/sink/atomicWriter";
import { createDnsBarrier } from "../sidecar/src/sink/dnsBarrier";
import { shardOf } from "../sidecar/src/sink/shards";
import { startTrackedDnsmasq } from "./cleanup";
import { changedNames, ChangeWorkload, NEW_NODE_IP, recordCount, type ChangeShape } from "./changeWorkload";
import { answeredShare, answerMatches, clock, ContinuousProber, longestGap, type Expectation } from "../test/helpers/prober";
import { cpuNs } from "./qps";
import { summarize, type Summary } from "./stats";
import { BENCH_ZONE, rng } from "./workload";

/** An answer later than this counts as not answered (resolvers retry after about a second). */
export const ANSWER_DEADLINE_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A name's answer in `d`: its address set, or null (NXDOMAIN) when absent. */
function want(d: HostsData | undefined, name: string): readonly string[] | null {
  return d?.records.get(name) ?? null;
}

export interface ChangeSample {
  readonly visibleMs: number;
  readonly writeMs: number;
  readonly longestGapMs: number;
  readonly sent: number;
  readonly answered: number;
  readonly wrong: number;
  readonly stale: number;
  readonly filesWritten: number;
  readonly changedNames: number;
  /** dnsmasq CPU from write() to the change being visible (or write() resolving, if later), ms. */
  readonly cpuMs: number;
  /** Paced: the most dnsmasq CPU one file's re-read took; unpaced: cpuMs (one batch), ms. */
  readonly maxFileCpuMs: number;
}

export interface ChangeStats {
  readonly samples: number;
  readonly visible: Summary;
  readonly write: Summary;
  readonly longestGapMs: number;
  /** answered / sent over every sample. */
  readonly answeredShare: number;
  readonly wrong: number;
  readonly stale: number;
  readonly filesWritten: number;
  readonly changedNames: number;
  readonly cpu: Summary;
  /** Max over samples of maxFileCpuMs. */
  readonly maxFileCpuMs: number;
}

export type ChangeKind = "start" | "flipOut" | "flipBack" | "newNode" | "oneName" | "everyName";
export const CHANGE_KINDS: readonly ChangeKind[] = ["start", "flipOut", "flipBack", "newNode", "oneName", "everyName"];

export interface ChangeLayout {
  /** Shown in the report. */
  readonly label: string;
  readonly shards: number;
  /** Pace the writes with a DNS barrier (dnsBarrier.ts). */
  readonly paced: boolean;
  /** dnsmasq cache-size. @default the conf's default */
  readonly cacheSize?: number;
}

export interface ChangeRunResult {
  readonly shape: ChangeShape;
  readonly layout: ChangeLayout;
  readonly names: number;
  readonly nodes: number;
  readonly records: number;
  readonly kinds: Readonly<Partial<Record<ChangeKind, ChangeStats>>>;
  /** dnsmasq VmRSS after the run, MiB. */
  readonly dnsmasqRssMiB: number;
}

export interface ChangeRunOptions {
  readonly shape: ChangeShape;
  readonly layout: ChangeLayout;
  readonly names?: number;
  readonly nodes?: number;
  /** The plan's cap on addresses per name. @default DEFAULT_MAX_TARGETS (the sidecar's default, 8) */
  readonly maxTargets?: number;
  /** Flip-out/flip-back pairs. @default 3 */
  readonly flips?: number;
  /** One-name changes. @default 10 */
  readonly singles?: number;
  /** Give up waiting for one change after this long. @default 60_000 */
  readonly changeTimeoutMs?: number;
  /** Skip these kinds (e.g. the slow ones of a baseline layout). @default none */
  readonly skip?: readonly ChangeKind[];
}

function summarizeSamples(xs: readonly ChangeSample[]): ChangeStats {
  const sent = xs.reduce((s, x) => s + x.sent, 0);
  const answered = xs.reduce((s, x) => s + x.answered, 0);
  return {
    samples: xs.length,
    visible: summarize(xs.map((x) => x.visibleMs)),
    write: summarize(xs.map((x) => x.writeMs)),
    longestGapMs: Math.max(...xs.map((x) => x.longestGapMs)),
    answeredShare: sent === 0 ? NaN : answered / sent,
    wrong: xs.reduce((s, x) => s + x.wrong, 0),
    stale: xs.reduce((s, x) => s + x.stale, 0),
    filesWritten: Math.max(...xs.map((x) => x.filesWritten)),
    changedNames: Math.max(...xs.map((x) => x.changedNames)),
    cpu: summarize(xs.map((x) => x.cpuMs)),
    maxFileCpuMs: Math.max(...xs.map((x) => x.maxFileCpuMs)),
  };
}

/** dnsmasq CPU time, ms, and the per-file deltas a wrapped barrier records. */
class CpuMeter {
  private last = 0;
  perFile: number[] = [];
  constructor(private readonly pid: number | undefined) {}
  now(): number {
    return cpuNs(this.pid) / 1e6;
  }
  /** Starts a change: per-file deltas count from here. */
  reset(): number {
    this.perFile = [];
    this.last = this.now();
    return this.last;
  }
  /** After each barrier: the CPU the file just re-read took. */
  mark(): void {
    const c = this.now();
    this.perFile.push(c - this.last);
    this.last = c;
  }
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m === null ? NaN : Number(m[1]) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * One change measured: probe one changed name per file of the layout, write,
 * wait until every probed name answers the new set, keep probing 100 ms,
 * then read off the numbers. nodes.<zone> is not probed: with 100 nodes its
 * answer does not fit one UDP packet.
 */
async function measureChange(
  prober: ContinuousProber, writer: AtomicHostsWriter, layout: ChangeLayout, meter: CpuMeter,
  before: HostsData | undefined, after: HostsData, timeoutMs: number,
): Promise<ChangeSample> {
  const changed = before === undefined ? [...after.records.keys()] : changedNames(before, after);
  const perFile = new Map<number, string>();
  for (const name of changed) if (!perFile.has(shardOf(name, layout.shards))) perFile.set(shardOf(name, layout.shards), name);
  const probes = [...perFile.values()];
  if (probes.length === 0) throw new Error("measureChange: the change changes no name");
  prober.clear();
  prober.setNames(probes);
  await sleep(20);
  const expectNew: Record<string, readonly string[] | null> = {};
  for (const name of probes) expectNew[name] = want(after, name);
  const c0 = meter.reset();
  const t0 = clock();
  const visible = prober.firstMatches(expectNew satisfies Expectation, t0, timeoutMs);
  visible.catch(() => undefined);
  const res = await writer.write(after);
  const writeEnd = clock();
  const firstNew = await visible.catch((err: unknown) => {
    throw new Error(`${layout.label}: ${String(err)}`);
  });
  const visibleAt = Math.max(...Object.values(firstNew));
  const cpuMs = meter.now() - c0;
  await sleep(100);
  const log = await prober.dump();
  const end = clock();
  let wrong = 0;
  let stale = 0;
  for (const a of log.answers) {
    if (a.sentAt < t0) continue;
    const isNew = answerMatches(want(after, a.name), a);
    if (!isNew && !answerMatches(want(before, a.name), a)) wrong++;
    else if (!isNew && res.paced && a.sentAt > writeEnd) stale++;
  }
  const applied = Math.max(visibleAt, writeEnd);
  const { sent, answered } = answeredShare(log, t0, applied, ANSWER_DEADLINE_MS);
  return {
    visibleMs: visibleAt - t0,
    writeMs: writeEnd - t0,
    longestGapMs: longestGap(log.answers, t0, Math.min(end, applied + 50)),
    sent,
    answered,
    wrong,
    stale,
    filesWritten: res.written.length + res.removed.length,
    changedNames: changed.length,
    cpuMs,
    maxFileCpuMs: res.paced ? Math.max(...meter.perFile) : cpuMs,
  };
}

/** Every change kind against a fresh dnsmasq, in the order start, flips, new node, one name, every name. */
export async function measureDnsmasqChanges(opts: ChangeRunOptions): Promise<ChangeRunResult> {
  const { layout } = opts;
  const work = new ChangeWorkload({ shape: opts.shape, ...(opts.names === undefined ? {} : { names: opts.names }), ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }), ...(opts.maxTargets === undefined ? {} : { maxTargets: opts.maxTargets }) });
  const timeoutMs = opts.changeTimeoutMs ?? 60_000;
  const skip = new Set(opts.skip ?? []);
  const d = await startTrackedDnsmasq({ zones: [BENCH_ZONE], ttlSeconds: DEFAULT_TTL_SECONDS, ...(layout.cacheSize === undefined ? {} : { cacheSize: layout.cacheSize }) });
  const prober = new ContinuousProber(d.address, d.port);
  const samples = new Map<ChangeKind, ChangeSample[]>();
  const add = (k: ChangeKind, s: ChangeSample) => samples.set(k, [...(samples.get(k) ?? []), s]);
  try {
    const meter = new CpuMeter(d.process.pid);
    const dns = createDnsBarrier({ server: d.address, port: d.port, name: healthName(BENCH_ZONE), timeoutMs: timeoutMs });
    const barrier = layout.paced ? async () => { await dns(); meter.mark(); } : undefined;
    const writer = new AtomicHostsWriter({ dir: d.hostsDir, shards: layout.shards, log: () => undefined, ...(barrier === undefined ? {} : { barrier }) });
    // The prober answers before anything is measured (a worker takes a moment to start).
    prober.setNames([healthName(BENCH_ZONE)]);
    await prober.firstMatches({ [healthName(BENCH_ZONE)]: ["127.0.0.1"] }, clock(), 10_000);
    const base = work.data();
    add("start", await measureChange(prober, writer, layout, meter, undefined, base, timeoutMs));
    let current = base;
    /** Measures a change of `kind`; kind undefined: a change back to the base data, measured (so it is applied before the next one) but not reported. */
    const step = async (kind: ChangeKind | undefined, next: HostsData) => {
      const s = await measureChange(prober, writer, layout, meter, current, next, timeoutMs);
      if (kind !== undefined) add(kind, s);
      current = next;
    };
    const flipped = work.data({ unhealthy: [work.flipNode()] });
    for (let i = 0; i < (opts.flips ?? 3) && !skip.has("flipOut"); i++) {
      await step("flipOut", flipped);
      await step("flipBack", base);
    }
    if (!skip.has("newNode")) {
      await step("newNode", work.data({ extraNode: NEW_NODE_IP }));
      await step(undefined, base);
    }
    if (!skip.has("oneName")) {
      const r = rng(1234);
      const override = new Map<string, readonly string[]>();
      for (let i = 0; i < (opts.singles ?? 10); i++) {
        const name = work.names[Math.floor(r() * work.names.length)] as string;
        const a = work.nodeIps[Math.floor(r() * work.nodeIps.length)] as string;
        const b = work.nodeIps[Math.floor(r() * work.nodeIps.length)] as string;
        override.set(name, a === b ? [a] : [a, b]);
        await step("oneName", work.data({ override }));
      }
      await step(undefined, base);
    }
    if (!skip.has("everyName")) {
      // Every name's status moves to the other end of the node list.
      const override = new Map<string, readonly string[]>(work.names.map((n, i) => [n, work.shape === "shared" ? work.nodeIps.slice(-64) : [work.nodeIps[(i * 7) % work.nodeIps.length] as string, work.nodeIps[(i * 7 + 50) % work.nodeIps.length] as string]]));
      await step("everyName", work.data({ override }));
    }
    const kinds: Partial<Record<ChangeKind, ChangeStats>> = {};
    for (const [k, xs] of samples) kinds[k] = summarizeSamples(xs);
    return { shape: opts.shape, layout, names: work.names.length, nodes: work.nodeIps.length, records: recordCount(base), kinds, dnsmasqRssMiB: rssMiB(d.process.pid) };
  } finally {
    await prober.close();
    await d.stop();
  }
}
