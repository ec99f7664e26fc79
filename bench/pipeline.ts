/**
 * The sidecar's real in-process pipeline for the bench: startSidecar() with the
 * default settings (debounce, max delay), InMemoryWatch sources (the objects go
 * into the SourceStore exactly as the informer handlers put them there), and
 * the real AtomicHostsWriter. A thin wrapper around the sink records each
 * write's start, end and result, so a propagation sample can be split into
 * "sidecar" (debounce + snapshot + plan + render + write) and "dnsmasq"
 * (re-read until visible; with a barrier, write() itself resolves only after it).
 */
import { startSidecar, type RunningSidecar } from "../sidecar/src/app";
import type { HostsSink } from "../sidecar/src/model";
import { createJsonLogger } from "../sidecar/src/log";
import type { HostsData } from "../sidecar/src/model";
import { validateSidecarSettings, type SidecarSettings } from "../sidecar/src/settings";
import { AtomicHostsWriter, type AtomicHostsWriterOptions, type WriteResult } from "../sidecar/src/sink/atomicWriter";
import { InMemoryWatch } from "../sidecar/src/watch";
import { BENCH_ZONE } from "./workload";

/** Settings exactly as main.ts would get them from `--zones Z --hosts-dir D`, HTTP on a free loopback port. */
export function benchSettings(hostsDir: string): SidecarSettings {
  const r = validateSidecarSettings({ zones: BENCH_ZONE, "hosts-dir": hostsDir });
  if (!r.ok) throw new Error(`bench settings rejected: ${JSON.stringify(r.problems)}`);
  return { ...r.settings, httpPort: 0 };
}

/** One successful write: when it was called and when it resolved (performance.now()), and what it did. */
export interface TimedWrite {
  readonly startAt: number;
  readonly doneAt: number;
  readonly result: WriteResult;
}

export class TimedSink implements HostsSink {
  /** performance.now() at the end of each successful write. */
  readonly doneAt: number[] = [];
  readonly writes: TimedWrite[] = [];
  constructor(private readonly inner: AtomicHostsWriter) {}
  async write(data: HostsData): Promise<WriteResult> {
    const startAt = performance.now();
    const result = await this.inner.write(data);
    const doneAt = performance.now();
    this.doneAt.push(doneAt);
    this.writes.push({ startAt, doneAt, result });
    return result;
  }
}

export interface BenchPipeline {
  readonly sidecar: RunningSidecar;
  readonly sink: TimedSink;
  readonly settings: SidecarSettings;
  stop(): Promise<void>;
}

export async function startPipeline(hostsDir: string, writerOpts: Partial<AtomicHostsWriterOptions> = {}): Promise<BenchPipeline> {
  const settings = benchSettings(hostsDir);
  const sink = new TimedSink(new AtomicHostsWriter({ dir: settings.hostsDir, fileName: settings.hostsFile, log: () => undefined, ...writerOpts }));
  const sidecar = await startSidecar(settings, {
    // Warnings and errors still reach stderr: a bench that hides a failing write would lie.
    logger: createJsonLogger({ level: "warn", write: (line) => process.stderr.write(line) }),
    sink,
    watches: async () => [new InMemoryWatch("Ingress"), new InMemoryWatch("Node")],
    httpHost: "127.0.0.1",
  });
  return { sidecar, sink, settings, stop: () => sidecar.stop() };
}
