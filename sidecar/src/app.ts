/**
 * The sidecar assembled from its layers, with the outside world injected:
 * main.ts passes real informers and the atomic writer; tests and benchmarks
 * pass InMemoryWatch objects and feed `store` directly.
 */
import type * as http from "node:http";
import { Controller, type HostsSink } from "./controller";
import type { Clock } from "./clock";
import { closeServer, createHttpServer, listen } from "./http";
import type { Logger } from "./log";
import { SidecarMetrics } from "./metrics";
import type { SidecarSettings } from "./settings";
import { parseLabelSelector, type SelectorRequirement } from "../../lib/k8s/labelSelector";
import { DEFAULT_WATCH_GRACE_MS } from "./source/reflector";
import { SourceStore } from "./source/store";
import type { WatchSource } from "./watch";

export interface SidecarDeps {
  readonly logger: Logger;
  readonly sink: HostsSink;
  /** Builds the watches that feed `store` (reflectors in main.ts), which may count into `metrics`. */
  readonly watches: (store: SourceStore, metrics: SidecarMetrics) => Promise<readonly WatchSource[]>;
  readonly clock?: Clock;
  /** Address of the HTTP server. @default all addresses */
  readonly httpHost?: string;
}

export interface RunningSidecar {
  readonly store: SourceStore;
  readonly controller: Controller;
  readonly server: http.Server;
  /** Bound HTTP port (settings.httpPort, or the one picked for port 0). */
  readonly port: number;
  /** Resolves once every watch made its first start attempt (with InMemoryWatch: synced). */
  readonly started: Promise<void>;
  /** Stops watches, waits for a running write, closes the HTTP server. */
  stop(): Promise<void>;
}

/** Requirements of a selector the settings validator already accepted. */
function selector(s: string): readonly SelectorRequirement[] {
  const r = parseLabelSelector(s);
  if (!r.ok) throw new Error(`invalid label selector ${JSON.stringify(s)}: ${r.error}`);
  return r.requirements;
}

export function storeOptions(settings: SidecarSettings) {
  return {
    zones: settings.zones,
    ingressClass: settings.ingressClass,
    namespaces: settings.namespaces,
    optOut: selector(settings.optOutLabel),
    maxTargets: settings.maxTargets,
    fallbackSelector: selector(settings.fallbackNodeSelector),
  };
}

export async function startSidecar(settings: SidecarSettings, deps: SidecarDeps): Promise<RunningSidecar> {
  // The store calls back into the controller, which needs the store: late binding.
  let controller: Controller | undefined;
  const store = new SourceStore(storeOptions(settings), () => controller?.schedule());
  const metrics = new SidecarMetrics();
  const watches = await deps.watches(store, metrics);
  controller = new Controller(
    {
      zones: settings.zones,
      allDroppedRule: settings.allDroppedRule,
      maxTargets: settings.maxTargets,
      debounceMs: settings.debounceMs,
      maxDelayMs: settings.maxDelayMs,
      // Twice the longest a healthy watch can stay silent (its timeout plus the reflector's grace).
      stuckWatchMs: 2 * (settings.watchTimeoutS * 1000 + DEFAULT_WATCH_GRACE_MS),
    },
    { source: store, watches, sink: deps.sink, logger: deps.logger, clock: deps.clock, metrics },
  );
  const ctl = controller;
  const server = createHttpServer({ health: () => ctl.health(), metrics: () => ctl.metrics.render() });
  const port = await listen(server, settings.httpPort, deps.httpHost);
  deps.logger.info("sidecar starting", {
    zones: settings.zones,
    port,
    watches: watches.map((w) => w.name),
    hostsDir: settings.hostsDir,
    hostsFile: settings.hostsFile,
  });
  // Watches start in the background: a slow API server must not hold up /healthz.
  const started = ctl.start();
  return {
    store,
    controller: ctl,
    server,
    port,
    started,
    async stop() {
      await ctl.stop();
      await closeServer(server);
    },
  };
}
