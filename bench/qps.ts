/**
 * dnsperf throughput of the same dnsmasq binary and conf serving three hosts
 * directories, all written after dnsmasq started (as in the pod, where the
 * sidecar fills an empty emptyDir):
 *
 * - ours: what the sink writes for N Ingresses (its shards and layout);
 * - minimal: the same names and addresses as one hand-written file, one
 *   `IP name` line per record, nothing else (minimalHostsFor()). ours/minimal
 *   is the target ratio: it isolates what our layout costs dnsmasq;
 * - tiny: a handful of names with the same answer sizes (tinyHostsFor()).
 *   minimal/tiny is what holding ~13,000 names costs dnsmasq itself (its hash
 *   chains no longer fit the CPU caches), whatever the layout; shown for context.
 *
 * Noise control: each dnsmasq is pinned to CPU 0 and dnsperf to CPU 1 when
 * the machine has two CPUs and taskset (so the two do not steal each other's
 * cycles), every round runs the three servers back to back in a rotating
 * order, and the reported ratios are medians of per-round ratios, so drift on
 * the box hits both sides of each ratio alike.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_HOSTS_FILE, DEFAULT_TTL_SECONDS } from "../lib/config/defaults";
import type { RunningDnsmasq } from "../test/helpers/dnsmasq";
import { startTrackedDnsmasq as startDnsmasq, track } from "./cleanup";
import type { HostsData } from "../sidecar/src/model";
import { AtomicHostsWriter, type AtomicHostsWriterOptions } from "../sidecar/src/sink/atomicWriter";
import { DnsPoller } from "./dnsPoller";
import { median } from "./stats";
import { BENCH_ZONE, makeIngresses, NODE_IPS, rng } from "./workload";

export const DNSPERF_BIN = "/usr/bin/dnsperf";
const TASKSET_BIN = "/usr/bin/taskset";

export interface DnsperfRun {
  readonly qps: number;
  readonly lossPct: number;
  readonly avgLatencyMs: number;
  /**
   * dnsmasq's CPU time per answered query, microseconds (/proc/<pid>/schedstat
   * around the run). Steadier than qps on a busy box: time dnsmasq waits for
   * a CPU does not count.
   */
  readonly cpuUsPerQuery?: number;
}

export type QpsSide = "ours" | "minimal" | "tiny";
export const QPS_SIDES: readonly QpsSide[] = ["ours", "minimal", "tiny"];

/** minimal's records served by a dnsmasq with another cache-size: what a cache-size change costs in absolute qps. */
export interface QpsReference {
  readonly cacheSize: number;
  readonly runs: readonly DnsperfRun[];
  readonly qps: number;
  /** Median over rounds of ours / reference. */
  readonly ratio: number;
  /** Median over rounds of reference's CPU per query / ours. */
  readonly cpuRatio: number;
}

export interface QpsResult {
  readonly ingresses: number;
  readonly seconds: number;
  readonly rounds: number;
  /** "dnsmasq cpu0, dnsperf cpu1" or why not pinned. */
  readonly pinning: string;
  readonly runs: Readonly<Record<QpsSide, DnsperfRun[]>>;
  /** Median qps per side. */
  readonly qps: Readonly<Record<QpsSide, number>>;
  /** Median over rounds of ours/minimal: the target. */
  readonly ratio: number;
  /** Median over rounds of minimal/tiny and ours/tiny (context). */
  readonly minimalVsTiny: number;
  readonly oursVsTiny: number;
  /** Median over rounds of minimal's CPU per query / ours: the same ratio from CPU time (1 = as cheap as minimal). */
  readonly cpuRatio: number;
  /** dnsmasq cache-size of ours, minimal and tiny (undefined: the conf's default). */
  readonly cacheSize?: number;
  readonly reference?: QpsReference;
}

/** HostsData for N ingresses as the plan would produce it (all nodes healthy). */
export function benchHostsData(n: number): HostsData {
  const records = new Map<string, readonly string[]>();
  for (const s of makeIngresses(n)) for (const h of s.hosts) records.set(h, s.targets);
  return { zones: [BENCH_ZONE], records, nodeIps: NODE_IPS };
}

/**
 * The same names and addresses as a person would write them by hand: one
 * file, one `IP name` line per record, names in data order. No canonical
 * names, no nodes names, no comments, no shards.
 */
export function minimalHostsFor(data: HostsData): string {
  const lines: string[] = [];
  for (const [name, ips] of data.records) for (const ip of ips) lines.push(`${ip} ${name}`);
  return lines.join("\n") + "\n";
}

/**
 * A tiny hand-written file with one name per answer size (`size-K.<zone>`
 * answers K addresses), queried with the same mix of answer sizes as our
 * sample, so its answers cost what ours cost on the wire.
 */
export function tinyHostsFor(sizes: readonly number[]): { hosts: string; queries: string[] } {
  const max = Math.max(...sizes);
  const distinct = [...new Set(sizes)].sort((a, b) => a - b);
  const lines: string[] = [];
  for (let i = 1; i <= max; i++) {
    const names = distinct.filter((k) => k >= i).map((k) => `size-${k}.${BENCH_ZONE}`);
    lines.push(`10.40.0.${i} ${names.join(" ")}`);
  }
  return { hosts: lines.join("\n") + "\n", queries: sizes.map((k) => `size-${k}.${BENCH_ZONE}`) };
}

function parseDnsperf(out: string): DnsperfRun {
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    if (m === null) throw new Error(`dnsperf output not understood (${re}):\n${out}`);
    return Number(m[1]);
  };
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    lossPct: num(/Queries lost:\s+\d+ \(([\d.]+)%\)/),
    avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
  };
}

/** Whether dnsmasq and dnsperf can each get a CPU of their own. */
export function pinningPlan(): { pin: boolean; why: string } {
  if (cpus().length < 2) return { pin: false, why: "not pinned (1 CPU)" };
  if (!existsSync(TASKSET_BIN)) return { pin: false, why: "not pinned (no taskset)" };
  return { pin: true, why: "dnsmasq cpu0, dnsperf cpu1" };
}

export function runDnsperf(d: RunningDnsmasq, queryFile: string, seconds: number, pin = false, edns = false): Promise<DnsperfRun> {
  // -c 4 clients, -q 64 outstanding, one thread; -Q caps the rate well above
  // what dnsmasq does on one CPU (~150k qps measured with dnsperf on 2 vCPUs) so the cap bounds the load
  // without being the limit that is measured.
  const args = ["-s", d.address, "-p", String(d.port), "-d", queryFile, "-l", String(seconds), "-c", "4", "-q", "64", "-Q", "400000", "-T", "1", "-t", "2", ...(edns ? ["-e"] : [])];
  const [bin, argv] = pin ? [TASKSET_BIN, ["-c", "1", DNSPERF_BIN, ...args]] : [DNSPERF_BIN, args];
  return new Promise((resolve, reject) => {
    const p = spawn(bin, argv, { stdio: ["ignore", "pipe", "pipe"] });
    track(p);
    let out = "";
    p.stdout.on("data", (c) => (out += String(c)));
    p.stderr.on("data", (c) => (out += String(c)));
    const kill = setTimeout(() => p.kill("SIGKILL"), (seconds + 15) * 1000);
    p.on("error", reject);
    p.on("exit", (code) => {
      clearTimeout(kill);
      if (code !== 0) reject(new Error(`dnsperf exited ${code}:\n${out}`));
      else {
        try {
          resolve(parseDnsperf(out));
        } catch (err) {
          reject(err);
        }
      }
    });
  });
}

function writeAtomically(dir: string, text: string): void {
  const tmp = join(dir, ".bench.tmp");
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, DEFAULT_HOSTS_FILE));
}

/** dnsmasq's time on a CPU so far, ns (first field of /proc/<pid>/schedstat); NaN when unreadable. */
export function cpuNs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}

export async function measureQps(n: number, seconds: number, rounds: number, writer: Partial<AtomicHostsWriterOptions> = {}): Promise<QpsResult> {
  return measureQpsFor(benchHostsData(n), seconds, rounds, writer);
}

export interface QpsForOptions {
  /** dnsmasq cache-size for ours, minimal and tiny. @default the conf's */
  readonly cacheSize?: number;
  /** Queries advertise EDNS (dnsperf -e), so answers of more than 29 addresses are not cut to 512 bytes. @default false */
  readonly edns?: boolean;
  /** Also serve minimal's records from a dnsmasq with this cache-size, in the same rounds. @default none */
  readonly referenceCacheSize?: number;
}

/** The three sides (and optionally the reference) for any data; ours is the sink with `writer`. */
export async function measureQpsFor(
  data: HostsData, seconds: number, rounds: number, writer: Partial<AtomicHostsWriterOptions> = {}, opts: QpsForOptions = {},
): Promise<QpsResult> {
  const { cacheSize, edns = false, referenceCacheSize } = opts;
  const work = mkdtempSync(join(tmpdir(), "cdns-bench-qps-"));
  const started: RunningDnsmasq[] = [];
  const pinning = pinningPlan();
  const n = data.records.size;
  try {
    const names = [...data.records.keys()];
    const r = rng(99);
    const sample = Array.from({ length: 2000 }, () => names[Math.floor(r() * names.length)] as string);
    const tiny = tinyHostsFor(sample.map((q) => (data.records.get(q) as readonly string[]).length));

    const start = async (size = cacheSize) => {
      const d = await startDnsmasq({
        zones: [BENCH_ZONE], ttlSeconds: DEFAULT_TTL_SECONDS,
        ...(started[0] === undefined ? {} : { address: started[0].address }),
        ...(size === undefined ? {} : { cacheSize: size }),
      });
      started.push(d);
      if (pinning.pin) execFileSync(TASKSET_BIN, ["-p", "-c", "0", String(d.process.pid)], { stdio: "ignore" });
      return d;
    };
    const servers: Record<QpsSide, RunningDnsmasq> = { ours: await start(), minimal: await start(), tiny: await start() };
    await new AtomicHostsWriter({ dir: servers.ours.hostsDir, fileName: DEFAULT_HOSTS_FILE, log: () => undefined, ...writer }).write(data);
    writeAtomically(servers.minimal.hostsDir, minimalHostsFor(data));
    writeAtomically(servers.tiny.hostsDir, tiny.hosts);
    const reference = referenceCacheSize === undefined ? undefined : await start(referenceCacheSize);
    if (reference !== undefined) writeAtomically(reference.hostsDir, minimalHostsFor(data));

    // ours and minimal hold the same records, so they answer the same sample.
    const sampleFile = join(work, "sample.q");
    const tinyFile = join(work, "tiny.q");
    writeFileSync(sampleFile, sample.map((q) => `${q} A`).join("\n") + "\n");
    writeFileSync(tinyFile, tiny.queries.map((q) => `${q} A`).join("\n") + "\n");
    const queryFiles: Record<QpsSide, string> = { ours: sampleFile, minimal: sampleFile, tiny: tinyFile };

    // Every server must answer its last-loaded name before load starts.
    const lastName = names[names.length - 1] as string;
    const ready: Array<[RunningDnsmasq, string]> = [[servers.ours, lastName], [servers.minimal, lastName], [servers.tiny, tiny.queries[0] as string]];
    if (reference !== undefined) ready.push([reference, lastName]);
    for (const [d, name] of ready) {
      const p = new DnsPoller({ server: d.address, port: d.port });
      try {
        await p.waitFor(name, (a) => a.addresses.length > 0, 120_000, 5);
      } finally {
        p.close();
      }
    }

    const runs: Record<QpsSide, DnsperfRun[]> = { ours: [], minimal: [], tiny: [] };
    const referenceRuns: DnsperfRun[] = [];
    const measure = async (d: RunningDnsmasq, file: string): Promise<DnsperfRun> => {
      const c0 = cpuNs(d.process.pid);
      const run = await runDnsperf(d, file, seconds, pinning.pin, edns);
      return { ...run, cpuUsPerQuery: (cpuNs(d.process.pid) - c0) / 1000 / (run.qps * seconds) };
    };
    type Slot = QpsSide | "reference";
    const slots: Slot[] = reference === undefined ? [...QPS_SIDES] : [...QPS_SIDES, "reference"];
    for (let i = 0; i < rounds; i++) {
      // Rotate who goes first so a slow start of a round does not always hit the same side.
      const order = slots.map((_, k) => slots[(i + k) % slots.length] as Slot);
      for (const side of order) {
        if (side === "reference") referenceRuns.push(await measure(reference as RunningDnsmasq, sampleFile));
        else runs[side].push(await measure(servers[side], queryFiles[side]));
      }
    }
    const perRound = (a: QpsSide, b: QpsSide) => median(runs[a].map((x, i) => x.qps / (runs[b][i] as DnsperfRun).qps));
    return {
      ingresses: n,
      seconds,
      rounds,
      pinning: pinning.why,
      runs,
      qps: { ours: median(runs.ours.map((x) => x.qps)), minimal: median(runs.minimal.map((x) => x.qps)), tiny: median(runs.tiny.map((x) => x.qps)) },
      ratio: perRound("ours", "minimal"),
      minimalVsTiny: perRound("minimal", "tiny"),
      oursVsTiny: perRound("ours", "tiny"),
      cpuRatio: median(runs.ours.map((x, i) => ((runs.minimal[i] as DnsperfRun).cpuUsPerQuery ?? NaN) / (x.cpuUsPerQuery ?? NaN))),
      ...(cacheSize === undefined ? {} : { cacheSize }),
      ...(reference === undefined || referenceCacheSize === undefined ? {} : {
        reference: {
          cacheSize: referenceCacheSize,
          runs: referenceRuns,
          qps: median(referenceRuns.map((x) => x.qps)),
          ratio: median(runs.ours.map((x, i) => x.qps / (referenceRuns[i] as DnsperfRun).qps)),
          cpuRatio: median(runs.ours.map((x, i) => ((referenceRuns[i] as DnsperfRun).cpuUsPerQuery ?? NaN) / (x.cpuUsPerQuery ?? NaN))),
        },
      }),
    };
  } finally {
    for (const d of started) await d.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
