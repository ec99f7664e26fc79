/**
 * The sidecar assembled from its layers, with the outside world injected:
 * main.ts passes real informers and the atomic writer; tests and benchmarks
 * pass InMemoryWatch objects and feed `store` directly.
 *
 * The node check (when enabled) is fed from each snapshot: it checks the known
 * nodes' IPs that some entry lists as a target (served or not, so a node that
 * left the answers keeps being checked and can come back), and hands its
 * verdicts back to the store, which schedules a reconcile.
 *
 * The DNS responder (when settings.responder is set) binds its port before anything else, so
 * dnsmasq's forwards get a quick SERVFAIL rather than a timeout while the watches sync; each plan
 * reaches it through the controller (responder/front.ts).
 */
import type * as http from "node:http";
import { Controller } from "./controller";
import type { HostsSink } from "./model";
import { systemClock, type Clock } from "./clock";
import { closeServer, createHttpServer, listen } from "./http";
import type { Logger } from "./log";
import { SidecarMetrics } from "./metrics";
import type { SidecarSettings } from "./settings";
import { parseLabelSelector, type SelectorRequirement } from "../../lib/k8s/labelSelector";
import { DEFAULT_WATCH_GRACE_MS } from "./source/reflector";
import { NodeChecker, type CheckTarget, type Connect } from "./source/nodeCheck";
import { SourceStore, type SourceSnapshot } from "./source/store";
import { tcpConnect } from "./source/tcpConnect";
import type { WatchSource } from "./watch";
import { ResponderFront } from "./responder/front";
import { ResponderServer, type CountAnswer } from "./responder/server";

export interface SidecarDeps {
  readonly logger: Logger;
  readonly sink: HostsSink;
  /** Builds the watches that feed `store` (reflectors in main.ts), which may count into `metrics`. */
  readonly watches: (store: SourceStore, metrics: SidecarMetrics) => Promise<readonly WatchSource[]>;
  readonly clock?: Clock;
  /** Address of the HTTP server. @default all addresses */
  readonly httpHost?: string;
  /** The node check's connector. @default tcpConnect */
  readonly connect?: Connect;
  /** Port of the DNS responder instead of settings.responder's (0: any free one; tests). */
  readonly responderPort?: number;
}

export interface RunningSidecar {
  readonly store: SourceStore;
  readonly controller: Controller;
  /** The data-path check, when settings.nodeCheck is set. */
  readonly nodeChecker?: NodeChecker;
  /** The DNS responder, when settings.responder is set (its `port` is the bound one). */
  readonly responder?: ResponderServer;
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

/** The most addresses one object may list before the rest are ignored (`too_many_targets`): far above any real status. */
export const MAX_OBJECT_TARGETS = 1000;

export function storeOptions(settings: SidecarSettings) {
  return {
    zones: settings.zones,
    ingressClass: settings.ingressClass,
    namespaces: settings.namespaces,
    optOut: selector(settings.optOutLabel),
    maxTargets: MAX_OBJECT_TARGETS,
    fallbackSelector: selector(settings.fallbackNodeSelector),
    ...(settings.ingressController === undefined ? {} : { controllerClasses: settings.ingressController.classes }),
    wildcards: settings.responder !== undefined,
  };
}

/** Counts the responder's answers, with one label object per (rcode, source) pair. */
function responderCounter(metrics: SidecarMetrics): CountAnswer {
  const labels = new Map<string, Readonly<Record<string, string>>>();
  return (rcode, source) => {
    const key = `${rcode}/${source}`;
    let l = labels.get(key);
    if (l === undefined) labels.set(key, (l = { rcode, answer: source }));
    metrics.responderQueries.inc(l);
  };
}

/** Known nodes' IPs that some entry lists as a target: what the node check checks. */
export function checkTargets(snap: SourceSnapshot): CheckTarget[] {
  const owner = new Map<string, string>();
  // Stand-ins of deleted nodes are not checked: they are out of the answers anyway.
  for (const n of snap.nodes) {
    if (n.name.endsWith(" (deleted)")) continue;
    for (const ip of n.addresses) if (!owner.has(ip)) owner.set(ip, n.name);
  }
  const listed = new Set<string>();
  for (const e of snap.entries) for (const ip of e.targets) if (owner.has(ip)) listed.add(ip);
  return [...listed].map((ip) => ({ ip, node: owner.get(ip) as string }));
}

export async function startSidecar(settings: SidecarSettings, deps: SidecarDeps): Promise<RunningSidecar> {
  // The store calls back into the controller, which needs the store: late binding.
  let controller: Controller | undefined;
  const store = new SourceStore(storeOptions(settings), () => controller?.schedule());
  const metrics = new SidecarMetrics();
  const responder = settings.responder === undefined
    ? undefined
    : await ResponderServer.start(
      { host: settings.responder.host, port: deps.responderPort ?? settings.responder.port, ttlSeconds: settings.ttlSeconds },
      { logger: deps.logger, count: responderCounter(metrics), overBudget: () => metrics.responderUncached.inc() },
    );
  const front = responder === undefined ? undefined : new ResponderFront(settings.ttlSeconds, (data) => responder.publish(data));
  let watches: readonly WatchSource[];
  try {
    watches = await deps.watches(store, metrics);
  } catch (err) {
    await responder?.stop();
    throw err;
  }
  const nodeChecker = settings.nodeCheck === undefined
    ? undefined
    : new NodeChecker(settings.nodeCheck, { connect: deps.connect ?? tcpConnect, clock: deps.clock ?? systemClock, onDown: (ips) => store.setCheckDown(ips), metrics, logger: deps.logger });
  const controllerConfigured = settings.ingressController !== undefined;
  const source = {
    snapshot(): SourceSnapshot {
      const snap = store.snapshot();
      nodeChecker?.setTargets(checkTargets(snap));
      if (controllerConfigured) metrics.controllerReadyNodes.set(snap.nodes.filter((n) => n.controllerReady === true).length);
      return snap;
    },
  };
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
    { source, watches, sink: deps.sink, logger: deps.logger, clock: deps.clock, metrics, ...(front === undefined ? {} : { front }) },
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
    ...(settings.ingressController === undefined ? {} : { ingressController: settings.ingressController }),
    ...(settings.nodeCheck === undefined ? {} : { nodeCheck: settings.nodeCheck }),
    ...(responder === undefined ? {} : { responder: `${settings.responder?.host}:${responder.port}` }),
  });
  // Watches start in the background: a slow API server must not hold up /healthz.
  const started = ctl.start();
  // It has nothing to check before the first snapshot hands it targets.
  nodeChecker?.start();
  return {
    store,
    controller: ctl,
    ...(nodeChecker === undefined ? {} : { nodeChecker }),
    ...(responder === undefined ? {} : { responder }),
    server,
    port,
    started,
    async stop() {
      await nodeChecker?.stop();
      await ctl.stop();
      await responder?.stop();
      await closeServer(server);
    },
  };
}
