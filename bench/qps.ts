/**
 * dnsperf throughput of the same dnsmasq binary and conf, serving (a) the
 * hosts data the sink writes for N Ingresses, written after dnsmasq started as
 * in the pod (the sidecar fills an empty emptyDir), and (b) a minimal
 * hand-written hosts file with the same answer sizes (see baselineFor()). Runs alternate a, b, a, b so
 * drift on the box hits both; qps is the mean of each side's runs.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_HOSTS_FILE, DEFAULT_TTL_SECONDS } from "../lib/config/defaults";
import type { RunningDnsmasq } from "../test/helpers/dnsmasq";
import { startTrackedDnsmasq as startDnsmasq, track } from "./cleanup";
import type { HostsData } from "../sidecar/src/model";
import { AtomicHostsWriter, type AtomicHostsWriterOptions } from "../sidecar/src/sink/atomicWriter";
import { DnsPoller } from "./dnsPoller";
import { BENCH_ZONE, makeIngresses, NODE_IPS, rng } from "./workload";

export const DNSPERF_BIN = "/usr/bin/dnsperf";

export interface DnsperfRun {
  readonly qps: number;
  readonly lossPct: number;
  readonly avgLatencyMs: number;
}

export interface QpsResult {
  readonly ingresses: number;
  readonly loadedAt: "after-start" | "at-start";
  readonly seconds: number;
  readonly runsPerSide: number;
  readonly ours: DnsperfRun[];
  readonly baseline: DnsperfRun[];
  readonly oursQps: number;
  readonly baselineQps: number;
  readonly ratio: number;
}

/** HostsData for N ingresses as the plan would produce it (all nodes healthy). */
export function benchHostsData(n: number): HostsData {
  const records = new Map<string, readonly string[]>();
  for (const s of makeIngresses(n)) for (const h of s.hosts) records.set(h, s.targets);
  return { zones: [BENCH_ZONE], records, nodeIps: NODE_IPS };
}

/**
 * The minimal baseline: a hand-written file with one name per answer size
 * (`size-K.<zone>` answers K addresses), queried with the same mix of answer
 * sizes as our sample. Answer size is the workload's (an Ingress with 8
 * targets costs the same however the file is written); what the ratio then
 * shows is the cost of our data volume and layout: 10,000 Ingresses, the
 * canonical-name-first lines, the shard files.
 */
export function baselineFor(sizes: readonly number[]): { hosts: string; queries: string[] } {
  const max = Math.max(...sizes);
  const distinct = [...new Set(sizes)].sort((a, b) => a - b);
  const lines = ["# hand-written baseline for the bench: size-K answers K addresses"];
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

export function runDnsperf(d: RunningDnsmasq, queryFile: string, seconds: number): Promise<DnsperfRun> {
  // -c 4 clients, -q 64 outstanding, -Q caps the rate well above what dnsmasq
  // does on 2 vCPUs (~150k, FACTS.md) so the cap bounds the load without being
  // the limit that is measured.
  const args = ["-s", d.address, "-p", String(d.port), "-d", queryFile, "-l", String(seconds), "-c", "4", "-q", "64", "-Q", "400000", "-t", "2"];
  return new Promise((resolve, reject) => {
    const p = spawn(DNSPERF_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
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

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * `loadedAt`: "after-start" writes our data into the running dnsmasq's empty
 * hosts dir (the pod's path); "at-start" writes it before dnsmasq starts, so
 * dnsmasq reads it in its bulk start-up pass (which sizes its hash table to
 * the data; inotify re-reads never resize it).
 */
export async function measureQps(
  n: number,
  seconds: number,
  runsPerSide: number,
  loadedAt: "after-start" | "at-start",
  writer: Partial<AtomicHostsWriterOptions> = {},
): Promise<QpsResult> {
  const work = mkdtempSync(join(tmpdir(), "cdns-bench-qps-"));
  const started: RunningDnsmasq[] = [];
  try {
    const data = benchHostsData(n);
    const writeOurs = (dir: string) => new AtomicHostsWriter({ dir, fileName: DEFAULT_HOSTS_FILE, log: () => undefined, ...writer }).write(data);
    let initialHosts: Record<string, string> | undefined;
    if (loadedAt === "at-start") {
      const pre = join(work, "pre");
      mkdirSync(pre);
      await writeOurs(pre);
      initialHosts = Object.fromEntries(readdirSync(pre).map((f) => [f, readFileSync(join(pre, f), "utf8")]));
    }
    const ours = await startDnsmasq({ zones: [BENCH_ZONE], ttlSeconds: DEFAULT_TTL_SECONDS, ...(initialHosts === undefined ? {} : { initialHosts }) });
    started.push(ours);
    const base = await startDnsmasq({ zones: [BENCH_ZONE], ttlSeconds: DEFAULT_TTL_SECONDS, address: ours.address });
    started.push(base);
    if (loadedAt === "after-start") await writeOurs(ours.hostsDir);
    const names = [...data.records.keys()];
    const r = rng(99);
    const sample = Array.from({ length: 2000 }, () => names[Math.floor(r() * names.length)] as string);
    const baseline = baselineFor(sample.map((q) => (data.records.get(q) as readonly string[]).length));
    const tmp = join(base.hostsDir, ".baseline.tmp");
    writeFileSync(tmp, baseline.hosts);
    renameSync(tmp, join(base.hostsDir, DEFAULT_HOSTS_FILE));
    const oursFile = join(work, "ours.queries");
    const baseFile = join(work, "baseline.queries");
    writeFileSync(oursFile, sample.map((q) => `${q} A`).join("\n") + "\n");
    writeFileSync(baseFile, baseline.queries.map((q) => `${q} A`).join("\n") + "\n");

    // Both must answer before load starts: the last of our names, and the baseline's.
    const lastName = names[names.length - 1] as string;
    for (const [d, name] of [[ours, lastName], [base, baseline.queries[0] as string]] as const) {
      const p = new DnsPoller({ server: d.address, port: d.port });
      try {
        await p.waitFor(name, (a) => a.addresses.length > 0, 120_000, 5);
      } finally {
        p.close();
      }
    }
    const oursRuns: DnsperfRun[] = [];
    const baseRuns: DnsperfRun[] = [];
    for (let i = 0; i < runsPerSide; i++) {
      oursRuns.push(await runDnsperf(ours, oursFile, seconds));
      baseRuns.push(await runDnsperf(base, baseFile, seconds));
    }
    const oursQps = mean(oursRuns.map((x) => x.qps));
    const baselineQps = mean(baseRuns.map((x) => x.qps));
    return { ingresses: n, loadedAt, seconds, runsPerSide, ours: oursRuns, baseline: baseRuns, oursQps, baselineQps, ratio: oursQps / baselineQps };
  } finally {
    for (const d of started) await d.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
