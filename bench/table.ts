/** The bench's printed report: plain fixed-width tables. */
import { DEFAULT_DNSMASQ_CACHE_SIZE } from "../lib/render/dnsmasqConf";
import type { ChangeKind, ChangeRunResult } from "./dnsmasqChanges";
import { CHANGE_KINDS } from "./dnsmasqChanges";
import type { QpsResult } from "./qps";
import type { DnsmasqChangesResults } from "./dnsmasqSide";
import type { BenchResults } from "./main";
import { formatRealApi } from "./realApiReport";
import { formatWildcardQps } from "./wildcards";

export interface Target {
  readonly what: string;
  readonly limit: string;
  readonly value: number;
  readonly unit: string;
  readonly pass: boolean;
}

export function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

export const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");

export function formatReport(r: BenchResults): string {
  const out: string[] = [];
  const p0 = r.propagation[0];
  out.push(`rancher-cdns bench: ${r.machine.cpus} CPUs, node ${r.machine.node}; ${r.workload.nodes} nodes, ${r.workload.hostsPerIngress} host(s) per Ingress, ${r.workload.targetsPerIngress}`);
  out.push(`controller debounce ${p0?.debounceMs} ms, max delay ${p0?.maxDelayMs} ms (defaults); sink shards ${r.shards}; dnsmasq /usr/sbin/dnsmasq on 127.0.0.x, conf from renderDnsmasqConf (cache-size ${DEFAULT_DNSMASQ_CACHE_SIZE})\n`);
  out.push("Propagation latency (store.upsert -> answer over UDP from dnsmasq, polled every 1 ms)");
  const prow = (label: string, p: BenchResults["propagation"][number]) => [
    label, String(p.hostnames), String(p.latency.n), ms(p.latency.p50), ms(p.latency.p99), ms(p.latency.max), ms(p.sidecarPart.p50), ms(p.dnsmasqPart.p50), ms(p.initialSyncMs),
  ];
  out.push(table(
    ["ingresses", "names", "samples", "p50 ms", "p99 ms", "max ms", "to write p50", "write->DNS p50", "initial sync ms"],
    [...r.propagation.map((p) => prow(String(p.ingresses), p)), prow(`${r.propagationSingleFile.ingresses} (1 file)`, r.propagationSingleFile)],
  ));
  out.push("Render-and-write (plan + render + atomic write; snapshot shown apart), ms");
  out.push(table(
    ["ingresses", "total p50", "total p99", "snapshot p50", "plan p50", "plan p99", "render p50", "write p50", "write p99", "bytes"],
    r.renderWrite.map((x) => [String(x.ingresses), ms(x.total.p50), ms(x.total.p99), ms(x.snapshot.p50), ms(x.plan.p50), ms(x.plan.p99), ms(x.render.p50), ms(x.write.p50), ms(x.write.p99), String(x.bytes)]),
  ));
  out.push("Sidecar RSS after full sync + GC (child process, esbuild bundle under plain node)");
  out.push(table(
    ["ingresses", "RSS MiB", "growth MiB", "heap MiB"],
    [r.rss.baseline, ...r.rss.sizes].map((x) => [String(x.ingresses), x.rssMiB.toFixed(1), (x.rssMiB - r.rss.baseline.rssMiB).toFixed(1), x.heapUsedMiB.toFixed(1)]),
  ));
  const q = r.qps;
  out.push(`dnsperf (${q.rounds} rounds of ${q.seconds} s per side, -c 4 -q 64, UDP; ${q.pinning}), ${q.ingresses} ingresses, all data written after dnsmasq started`);
  out.push(table(
    ["hosts data", "median qps", "runs qps", "max loss"],
    (["ours", "minimal", "tiny"] as const).map((side) => [
      { ours: "ours (sink layout)", minimal: "minimal: same records, one `IP name` line each", tiny: "tiny: same answer sizes, few names" }[side],
      q.qps[side].toFixed(0),
      q.runs[side].map((x) => (x.qps / 1000).toFixed(0) + "k").join(" "),
      `${Math.max(...q.runs[side].map((x) => x.lossPct))}%`,
    ]),
  ));
  out.push(`median per-round ratios: ours/minimal ${q.ratio.toFixed(3)} (target); minimal/tiny ${q.minimalVsTiny.toFixed(3)} and ours/tiny ${q.oursVsTiny.toFixed(3)} (what ~13k names cost dnsmasq itself)\n`);
  out.push(formatChanges(r.dnsmasqChanges));
  out.push(formatRealApi(r.realApi));
  out.push(formatWildcardQps(r.wildcards));
  out.push(formatTargets(r.targets));
  return out.join("\n");
}

const KIND_LABEL: Record<ChangeKind, string> = {
  start: "fresh start (all names)",
  flipOut: "node flip: IP out",
  flipBack: "node flip: IP back",
  newNode: "new node",
  oneName: "one name's set",
  everyName: "every name's set",
};

function changeRows(r: ChangeRunResult): string[][] {
  return CHANGE_KINDS.flatMap((k) => {
    const s = r.kinds[k];
    if (s === undefined) return [];
    return [[
      KIND_LABEL[k], String(s.samples), String(s.changedNames), String(s.filesWritten), ms(s.visible.p50), ms(s.visible.p99), ms(s.write.p50),
      ms(s.longestGapMs), `${(100 * s.answeredShare).toFixed(1)}%`, String(s.wrong), String(s.stale), ms(s.cpu.p50), ms(s.maxFileCpuMs),
    ]];
  });
}

function qpsLine(q: QpsResult): string {
  const cpu = (side: "ours" | "minimal") => q.runs[side].map((x) => (x.cpuUsPerQuery ?? NaN).toFixed(1)).join(" ");
  return `dnsperf (${q.rounds} x ${q.seconds} s, ${q.pinning}): sink layout ${q.qps.ours.toFixed(0)} qps, one plain file ${q.qps.minimal.toFixed(0)} qps; ` +
    `median per-round ratio ${q.ratio.toFixed(3)}; dnsmasq CPU per query (us) ours ${cpu("ours")}, plain ${cpu("minimal")}: ratio ${q.cpuRatio.toFixed(3)}\n` +
    (q.reference === undefined ? "" : `  the plain file at cache-size ${q.reference.cacheSize}: ${q.reference.qps.toFixed(0)} qps, CPU per query ${q.reference.runs.map((x) => (x.cpuUsPerQuery ?? NaN).toFixed(1)).join(" ")} us; ours / it: qps ${q.reference.ratio.toFixed(3)}, CPU ${q.reference.cpuRatio.toFixed(3)}\n`);
}

/** The targets table. */
export function formatTargets(targets: readonly Target[]): string {
  return "Targets\n" + table(
    ["target", "limit", "measured", "result"],
    targets.map((t) => [t.what, t.limit, `${t.unit === "" ? t.value.toFixed(3) : t.value.toFixed(1)} ${t.unit}`.trim(), t.pass ? "PASS" : "FAIL"]),
  );
}

/** One run of measureDnsmasqChanges as a titled table. */
export function formatChangeRun(run: ChangeRunResult): string {
  const head = ["change", "samples", "names", "files", "visible p50", "visible p99", "write() p50", "longest gap", "answered<1s", "wrong", "stale", "dnsmasq CPU p50", "max CPU one file"];
  return `${run.shape} shape, ${run.names} names over ${run.nodes} nodes, ${run.records} records; ${run.layout.label}; dnsmasq RSS ${run.dnsmasqRssMiB.toFixed(1)} MiB\n` +
    table(head, changeRows(run));
}

/** The dnsmasq change section: one table per shape and layout. */
export function formatChanges(c: DnsmasqChangesResults): string {
  const out: string[] = [];
  out.push("dnsmasq under changes (no API server): write() -> first answer with the new set for the last file's probe name, ms; a prober in a worker thread asks 2 queries/ms throughout");
  for (const run of [c.subset.ours, c.subset.before, c.shared.ours]) out.push(formatChangeRun(run));
  out.push(`subset shape ${qpsLine(c.subset.qps)}shared shape (EDNS) ${qpsLine(c.shared.qps)}`);
  return out.join("\n");
}
