/**
 * Propagation latency: from store.upsert() of an Ingress (what the informer's
 * add/update handler does) to the first UDP answer from a real dnsmasq that
 * carries the new address set. Half the samples add a new Ingress, half change
 * the status addresses of an existing one.
 */
import { DEFAULT_TTL_SECONDS } from "../lib/config/defaults";
import { healthName } from "../lib/dns/names";
import { createDnsBarrier } from "../sidecar/src/sink/dnsBarrier";
import { startTrackedDnsmasq as startDnsmasq } from "./cleanup";
import type { AtomicHostsWriterOptions } from "../sidecar/src/sink/atomicWriter";
import { DnsPoller, type PollAnswer } from "./dnsPoller";
import { startPipeline } from "./pipeline";
import { summarize, type Summary } from "./stats";
import { BENCH_ZONE, ingressObject, ingressSpec, makeIngresses, NODE_COUNT, nodeObject, pickTargets, rng, type IngressSpec } from "./workload";

export interface PropagationResult {
  readonly ingresses: number;
  readonly hostnames: number;
  /** Time from loading everything into the store to the last host answering. */
  readonly initialSyncMs: number;
  readonly latency: Summary;
  /** upsert -> the sink's own work done (debounce + snapshot + plan + render + temp file + rename). */
  readonly sidecarPart: Summary;
  /** the rest, until visible in DNS (dnsmasq's re-read). */
  readonly dnsmasqPart: Summary;
  readonly debounceMs: number;
  readonly maxDelayMs: number;
}

export interface PropagationOptions {
  readonly samples: number;
  /** Stop taking samples after this long (the result says how many were taken). */
  readonly budgetMs: number;
  readonly writer?: Partial<AtomicHostsWriterOptions>;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measurePropagation(n: number, opts: PropagationOptions): Promise<PropagationResult> {
  const dnsmasq = await startDnsmasq({ zones: [BENCH_ZONE], ttlSeconds: DEFAULT_TTL_SECONDS });
  const poller = new DnsPoller({ server: dnsmasq.address, port: dnsmasq.port });
  let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;
  try {
    // Paced like the sidecar: each file is renamed after dnsmasq re-read the one before.
    const barrier = createDnsBarrier({ server: dnsmasq.address, port: dnsmasq.port, name: healthName(BENCH_ZONE) });
    pipeline = await startPipeline(dnsmasq.hostsDir, { barrier, ...opts.writer });
    const { store } = pipeline.sidecar;
    const specs = makeIngresses(n);
    const t0 = performance.now();
    for (let i = 0; i < NODE_COUNT; i++) store.upsert("Node", nodeObject(i));
    for (const s of specs) store.upsert("Ingress", ingressObject(s));
    const last = specs[specs.length - 1] as IngressSpec;
    const matches = (want: readonly string[]) => (a: PollAnswer) => a.rcode === "NOERROR" && sameSet(a.addresses, want);
    const syncedAt = await poller.waitFor(last.hosts[0] as string, matches(last.targets), 120_000, 5);
    const initialSyncMs = syncedAt - t0;

    const r = rng(n * 31 + 1);
    const latency: number[] = [];
    const sidecarPart: number[] = [];
    const dnsmasqPart: number[] = [];
    const deadline = performance.now() + opts.budgetMs;
    for (let k = 0; k < opts.samples && performance.now() < deadline; k++) {
      let spec: IngressSpec;
      if (k % 2 === 0) {
        spec = ingressSpec(k, r, 1, "bench");
      } else {
        const i = Math.floor(r() * specs.length);
        const old = specs[i] as IngressSpec;
        let targets = pickTargets(r);
        while (sameSet(targets, old.targets)) targets = pickTargets(r);
        spec = { ...old, targets, generation: old.generation + 1 };
        specs[i] = spec;
      }
      const writes = pipeline.sink.writes.length;
      const start = performance.now();
      store.upsert("Ingress", ingressObject(spec));
      const at = await poller.waitFor(spec.hosts[0] as string, matches(spec.targets), 20_000);
      latency.push(at - start);
      // Let the controller go idle and de-phase the next event from the debounce timer.
      await pipeline.sidecar.controller.idle();
      // The write that carried the change; paced, it resolves only once dnsmasq re-read the
      // file, so the sidecar's part ends when its own work (render, temp file, rename) did.
      const w = pipeline.sink.writes.slice(writes).find((x) => x.result.written.length > 0);
      if (w !== undefined) {
        const renamed = w.startAt + w.result.renderMs + w.result.writeMs;
        sidecarPart.push(renamed - start);
        dnsmasqPart.push(at - renamed);
      }
      await sleep(5 + Math.floor(r() * 20));
    }
    return {
      ingresses: n,
      hostnames: specs.reduce((acc, s) => acc + s.hosts.length, 0),
      initialSyncMs,
      latency: summarize(latency),
      sidecarPart: summarize(sidecarPart),
      dnsmasqPart: summarize(dnsmasqPart),
      debounceMs: pipeline.settings.debounceMs,
      maxDelayMs: pipeline.settings.maxDelayMs,
    };
  } finally {
    poller.close();
    await pipeline?.stop();
    await dnsmasq.stop();
  }
}
