/** The bench's printed report: plain fixed-width tables. */
import { DEFAULT_DNSMASQ_CACHE_SIZE } from "../lib/render/dnsmasqConf";
import type { BenchResults } from "./main";

export interface Target {
  readonly what: string;
  readonly limit: string;
  readonly value: number;
  readonly unit: string;
  readonly pass: boolean;
}

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");

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
  out.push("Targets");
  out.push(table(
    ["target", "limit", "measured", "result"],
    r.targets.map((t) => [t.what, t.limit, `${t.unit === "" ? t.value.toFixed(3) : t.value.toFixed(1)} ${t.unit}`.trim(), t.pass ? "PASS" : "FAIL"]),
  ));
  return out.join("\n");
}
