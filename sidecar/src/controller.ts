/**
 * The controller: informer events schedule a debounced reconcile (snapshot ->
 * plan -> sink), and each watch is supervised.
 *
 * - Debounce: `debounceMs` after the last event, at most `maxDelayMs` after the
 *   first, so node health reaches the sink well within a second.
 * - Nothing is written before every watch has synced once: a partial view (say
 *   Ingresses listed, Nodes not yet) would briefly serve the wrong data over a
 *   hosts file that survived a sidecar restart.
 * - A watch that errors is stopped (a reflector does not restart
 *   itself); it is started again after an exponential backoff, reset once a
 *   start succeeds. A restarted reflector resumes from its last
 *   resourceVersion and relists when that is too old (410 Gone), removing
 *   objects that vanished meanwhile.
 * - A failed write is retried with the same kind of backoff; the data written
 *   is always complete, so a retry needs no memory of what failed.
 * - While anything is down the last good hosts file stays in place.
 *
 * Health (see the sidecar README):
 * - ready (/readyz): the data dnsmasq serves is the cluster's current state: every watch
 *   synced and running, and the last write succeeded. False during an API outage, with the
 *   reason; the answers already written stay served meanwhile.
 * - live (/healthz): only what a restart of this process can fix: a watch that claims to run
 *   but has been silent far past its own timeouts (stuck), writes failing for a minute, or a
 *   reconcile that never finishes. An API outage is not one of them: restarting would only
 *   lose the state and hammer the API server when it comes back.
 */
import type { Clock, TimerHandle } from "./clock";
import { systemClock } from "./clock";
import { Debouncer } from "./debounce";
import type { Logger } from "./log";
import { SidecarMetrics } from "./metrics";
import type { HostsData, HostsSink, SinkOutcome } from "./model";
import { diffHostsData, planHostsData, type AllDroppedRule } from "./plan";
import type { DnsFront } from "./responder/front";
import type { Ignored } from "./source/context";
import type { SourceSnapshot } from "./source/store";
import type { WatchSource } from "./watch";

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface ControllerOptions {
  readonly zones: readonly string[];
  readonly allDroppedRule: AllDroppedRule;
  readonly maxTargets: number;
  readonly debounceMs: number;
  readonly maxDelayMs: number;
  /** A running watch silent this long is stuck (/healthz fails). @default 80_000 (twice the reflector's 30 s + 10 s watch bound) */
  readonly stuckWatchMs?: number;
  /** /healthz fails once writes have been failing this long. @default 60_000 */
  readonly writeFailureLivenessMs?: number;
  /** /healthz fails while one reconcile has been running this long. @default 60_000 */
  readonly reconcileStuckMs?: number;
  /** How long the first write waits for optional watches once the required ones synced. @default DEFAULT_OPTIONAL_SYNC_GRACE_MS */
  readonly optionalSyncGraceMs?: number;
  /** @default DEFAULT_WATCH_BACKOFF */
  readonly watchBackoff?: Backoff;
  /** @default { initialMs: 1000, maxMs: 30_000 } */
  readonly writeBackoff?: Backoff;
}

export interface ControllerDeps {
  /** Anything that can give the current entries and nodes (a SourceStore). */
  readonly source: { snapshot(): SourceSnapshot };
  readonly watches: readonly WatchSource[];
  readonly sink: HostsSink;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly metrics?: SidecarMetrics;
  /**
   * The DNS responder (wildcards and the zones' negative answers): gets every plan before the
   * hosts write and may hold names back from it (responder/staging.ts). @default none
   */
  readonly front?: DnsFront;
}

export interface HealthReport {
  /** /healthz: false only for what a restart can fix (a stuck watch, writes failing for long, a stuck reconcile). */
  readonly live: boolean;
  /** /readyz: every watch synced and running, and the last write succeeded. */
  readonly ready: boolean;
  /** Why not live. */
  readonly liveProblems: readonly string[];
  /** Why not ready. */
  readonly readyProblems: readonly string[];
  /**
   * /startupz: the first sync is written (what the pod's startup probe waits for before dnsmasq
   * starts), or as much of it as the sink writes before dnsmasq answers (its fresh-start hold).
   */
  readonly started: boolean;
}

/** How soon a write the sink held (waiting for dnsmasq to answer) is tried again. */
export const HELD_WRITE_RETRY_MS = 100;

export const DEFAULT_STUCK_WATCH_MS = 80_000;
export const DEFAULT_WRITE_FAILURE_LIVENESS_MS = 60_000;
export const DEFAULT_RECONCILE_STUCK_MS = 60_000;
export const DEFAULT_OPTIONAL_SYNC_GRACE_MS = 10_000;

interface WatchState {
  readonly watch: WatchSource;
  /** Incremented on each start attempt, so a late result of an old attempt is ignored. */
  attempt: number;
  failedAttempt: number;
  synced: boolean;
  /** Since when the watch has not been running; undefined while it runs. */
  downSince: number | undefined;
  failures: number;
  /** The error that stopped it last, for /readyz and the logs. */
  lastError: string | undefined;
  restartTimer: TimerHandle | undefined;
}

/**
 * Watch restarts: quick at first, at most every 8 s, so the answers catch up within seconds of
 * the API server coming back (reconnecting is cheap: a watch from the last resourceVersion).
 */
export const DEFAULT_WATCH_BACKOFF: Backoff = { initialMs: 500, maxMs: 8_000 };

const QUIET_REASONS = new Set(["filtered_class", "filtered_namespace", "opted_out"]);

function backoffMs(b: Backoff, failures: number): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, failures - 1));
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { statusCode?: unknown; code?: unknown }).statusCode ?? (err as { code?: unknown }).code;
    return code === undefined ? err.message : `${err.message} (${String(code)})`;
  }
  return String(err);
}

export class Controller {
  readonly metrics: SidecarMetrics;
  private readonly clock: Clock;
  private readonly debouncer: Debouncer;
  private readonly watchStates: WatchState[];
  private lastServed: ReadonlyMap<string, readonly string[]> = new Map();
  private written: HostsData | undefined;
  /** The sink wrote only part of the data and waits for dnsmasq (HostsSink.write's `held`). */
  private writeHeld = false;
  private writeFailed = false;
  private writeFailures = 0;
  private writeFailingSince: number | undefined;
  private lastWriteError: string | undefined;
  private reconcileStartedAt: number | undefined;
  private retryTimer: TimerHandle | undefined;
  /** Wakes the controller when the front's first hold ends. */
  private recheckTimer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private loggedIgnored = new Set<string>();
  private everSynced = false;
  private optionalGrace: TimerHandle | undefined;

  constructor(
    private readonly opts: ControllerOptions,
    private readonly deps: ControllerDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.metrics = deps.metrics ?? new SidecarMetrics();
    this.debouncer = new Debouncer(this.clock, opts.debounceMs, opts.maxDelayMs, () => void this.reconcile());
    const now = this.clock.now();
    this.watchStates = deps.watches.map((watch) => ({
      watch,
      attempt: 0,
      failedAttempt: -1,
      synced: false,
      downSince: now,
      failures: 0,
      lastError: undefined,
      restartTimer: undefined,
    }));
    for (const s of this.watchStates) {
      this.metrics.watchUp.set(0, { kind: s.watch.name });
      s.watch.onError((err) => this.onWatchError(s, err));
    }
  }

  /** Starts every watch; resolves when each has made its first attempt (synced or not). */
  async start(): Promise<void> {
    await Promise.all(this.watchStates.map((s) => this.startWatch(s)));
  }

  /** Called for every source change: schedules a debounced reconcile. */
  schedule(): void {
    if (!this.stopping) this.debouncer.schedule();
  }

  /** The last hosts data the sink accepted. */
  get lastWritten(): HostsData | undefined {
    return this.written;
  }

  get synced(): boolean {
    return this.watchStates.every((s) => s.synced);
  }

  health(): HealthReport {
    const now = this.clock.now();
    const secs = (ms: number) => `${Math.round(ms / 1000)} s`;
    const readyProblems: string[] = [];
    const liveProblems: string[] = [];
    for (const s of this.watchStates) {
      const name = s.watch.name;
      if (s.downSince !== undefined) {
        const why = s.lastError === undefined ? "" : `: ${s.lastError}`;
        readyProblems.push(s.synced ? `watch ${name} down for ${secs(now - s.downSince)}${why}` : `watch ${name} not synced yet${why}`);
        continue;
      }
      const last = s.watch.lastActivity?.();
      const stuckMs = this.opts.stuckWatchMs ?? DEFAULT_STUCK_WATCH_MS;
      if (last !== undefined && now - last > stuckMs) liveProblems.push(`watch ${name} stuck: silent for ${secs(now - last)} while running`);
    }
    if (this.writeHeld) readyProblems.push("hosts files held back until dnsmasq answers (the responder answers the names meanwhile)");
    else if (this.written === undefined && readyProblems.length === 0) readyProblems.push("hosts data not written yet");
    if (this.writeFailed) {
      readyProblems.push(`last hosts write failed: ${this.lastWriteError ?? "unknown error"}`);
      const since = this.writeFailingSince ?? now;
      if (now - since > (this.opts.writeFailureLivenessMs ?? DEFAULT_WRITE_FAILURE_LIVENESS_MS)) liveProblems.push(`hosts writes failing for ${secs(now - since)}: ${this.lastWriteError ?? ""}`);
    }
    if (this.reconcileStartedAt !== undefined && now - this.reconcileStartedAt > (this.opts.reconcileStuckMs ?? DEFAULT_RECONCILE_STUCK_MS)) {
      liveProblems.push(`reconcile running for ${secs(now - this.reconcileStartedAt)}`);
    }
    return { live: liveProblems.length === 0, ready: readyProblems.length === 0, liveProblems, readyProblems, started: this.everSynced && (this.written !== undefined || this.writeHeld) };
  }

  /** Runs a reconcile now (and waits for it), bypassing the debounce. */
  async reconcileNow(): Promise<void> {
    this.debouncer.cancel();
    await this.reconcile();
    // A run already in progress used older data; the rerun it queued is the one that counts.
    await this.idle();
  }

  /** Resolves when no reconcile is running or pending. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.debouncer.cancel();
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    if (this.recheckTimer !== undefined) this.clock.clearTimeout(this.recheckTimer);
    if (this.optionalGrace !== undefined) this.clock.clearTimeout(this.optionalGrace);
    for (const s of this.watchStates) if (s.restartTimer !== undefined) this.clock.clearTimeout(s.restartTimer);
    await Promise.all(this.watchStates.map((s) => s.watch.stop().catch(() => undefined)));
    await this.idle();
  }

  private async startWatch(s: WatchState): Promise<void> {
    if (this.stopping) return;
    s.restartTimer = undefined;
    const attempt = ++s.attempt;
    try {
      await s.watch.start();
    } catch (err) {
      // Reflectors report through the error callback; a rejection is the same thing.
      this.onWatchError(s, err);
      return;
    }
    if (s.failedAttempt === attempt || this.stopping) return;
    const wasDown = s.downSince;
    s.synced = true;
    s.downSince = undefined;
    s.failures = 0;
    s.lastError = undefined;
    this.metrics.watchUp.set(1, { kind: s.watch.name });
    this.deps.logger.info("watch synced", {
      kind: s.watch.name,
      ...(wasDown === undefined ? {} : { downMs: this.clock.now() - wasDown }),
    });
    this.maybeFirstSync();
    // A (re)list may have changed anything: reconcile soon.
    this.schedule();
  }

  /**
   * The first write waits for every required watch (Ingresses, Nodes, the controller's Pods).
   * Optional ones (Services, HTTPRoutes, Gateways) get `optionalSyncGraceMs` more: a kind whose
   * API is missing (Gateway API CRDs not installed) or forbidden must not keep every Ingress name
   * unserved. /readyz keeps naming the optional watch that is not synced.
   */
  private maybeFirstSync(): void {
    if (this.everSynced || this.stopping) return;
    if (!this.watchStates.every((w) => w.synced || w.watch.optional === true)) return;
    const pending = this.watchStates.filter((w) => !w.synced).map((w) => w.watch.name);
    if (pending.length > 0) {
      if (this.optionalGrace !== undefined) return;
      const grace = this.opts.optionalSyncGraceMs ?? DEFAULT_OPTIONAL_SYNC_GRACE_MS;
      this.optionalGrace = this.clock.setTimeout(() => {
        if (this.everSynced || this.stopping) return;
        this.everSynced = true;
        const still = this.watchStates.filter((w) => !w.synced).map((w) => `${w.watch.name}${w.lastError === undefined ? "" : ` (${w.lastError})`}`);
        this.deps.logger.warn("first sync without optional sources that did not sync", { waitedMs: grace, notSynced: still });
        this.schedule();
      }, grace);
      return;
    }
    if (this.optionalGrace !== undefined) this.clock.clearTimeout(this.optionalGrace);
    this.everSynced = true;
    this.deps.logger.info("first full sync");
  }

  private onWatchError(s: WatchState, err: unknown): void {
    if (this.stopping) return;
    s.failedAttempt = s.attempt;
    s.lastError = errorText(err);
    if (s.restartTimer !== undefined) return; // already restarting
    s.downSince ??= this.clock.now();
    s.failures++;
    this.metrics.watchUp.set(0, { kind: s.watch.name });
    this.metrics.watchRestarts.inc({ kind: s.watch.name });
    const delay = backoffMs(this.opts.watchBackoff ?? DEFAULT_WATCH_BACKOFF, s.failures);
    this.deps.logger.warn("watch failed, restarting", { kind: s.watch.name, error: errorText(err), retryInMs: delay, failures: s.failures });
    s.restartTimer = this.clock.setTimeout(() => void this.startWatch(s), delay);
  }

  private reconcile(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.reconcileStartedAt = this.clock.now();
    this.running = this.runReconcile().finally(() => {
      this.running = undefined;
      this.reconcileStartedAt = undefined;
      if (this.again && !this.stopping) {
        this.again = false;
        void this.reconcile();
      }
    });
    return this.running;
  }

  private async runReconcile(): Promise<void> {
    if (!this.everSynced || this.stopping) return;
    this.metrics.reconciles.inc();
    const p0 = performance.now();
    const snap = this.deps.source.snapshot();
    this.reportIgnored(snap.ignored);
    const plan = planHostsData({
      zones: this.opts.zones,
      entries: snap.entries,
      nodes: snap.nodes,
      allDroppedRule: this.opts.allDroppedRule,
      maxTargets: this.opts.maxTargets,
      lastServed: this.lastServed,
    });
    this.lastServed = plan.lastServed;
    this.metrics.heldNames.set(plan.held.length);
    const hosts = this.stage(plan.data);
    const diff = diffHostsData(this.written, hosts);
    const planMs = performance.now() - p0;
    if (diff.unchanged && !this.writeFailed && !this.writeHeld) {
      this.deps.front?.afterWrite(hosts, true);
      this.metrics.writesSkipped.inc();
      this.markSynced();
      return;
    }
    const started = performance.now();
    let outcome: SinkOutcome | void;
    try {
      outcome = await this.deps.sink.write(hosts);
      this.writeHeld = outcome?.held === true;
      if (this.writeHeld) {
        // Not written: the next reconcile writes again (nothing is compared against held data).
        this.deps.front?.afterWrite(hosts, false);
        this.deps.logger.info("hosts files held back until dnsmasq answers", { retryInMs: HELD_WRITE_RETRY_MS });
        this.retryIn(HELD_WRITE_RETRY_MS);
        return;
      }
      this.deps.front?.afterWrite(hosts, true);
    } catch (err) {
      this.deps.front?.afterWrite(hosts, false);
      this.metrics.writeErrors.inc();
      this.writeFailed = true;
      this.writeFailures++;
      this.writeFailingSince ??= this.clock.now();
      this.lastWriteError = errorText(err);
      const delay = backoffMs(this.opts.writeBackoff ?? { initialMs: 1000, maxMs: 30_000 }, this.writeFailures);
      this.deps.logger.error("hosts write failed", { error: errorText(err), retryInMs: delay });
      this.retryIn(delay);
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    this.metrics.writeSeconds.observe(seconds);
    this.metrics.writes.inc();
    this.writeFailed = false;
    this.writeFailures = 0;
    this.writeFailingSince = undefined;
    this.lastWriteError = undefined;
    this.written = hosts;
    let records = 0;
    for (const ips of hosts.records.values()) records += ips.length;
    this.metrics.namesServed.set(hosts.records.size);
    this.metrics.recordsServed.set(records);
    this.metrics.nodeIpsServed.set(hosts.nodeIps.length);
    this.markSynced();
    const show = (names: readonly string[]) => names.slice(0, 20);
    this.deps.logger.info("hosts written", {
      names: hosts.records.size,
      records,
      nodeIps: hosts.nodeIps.length,
      added: show(diff.added),
      removed: show(diff.removed),
      changed: show(diff.changed),
      held: show(plan.held),
      ms: Math.round(seconds * 1000 * 10) / 10,
      planMs: Math.round(planMs * 10) / 10,
      ...(outcome?.written === undefined ? {} : { files: outcome.written.length }),
      ...(outcome?.renderMs === undefined ? {} : { renderMs: Math.round(outcome.renderMs) }),
      ...(outcome?.appliedMs === undefined ? {} : { dnsmasqMs: Math.round(outcome.appliedMs) }),
    });
  }

  /** Reconciles again in `ms` (one pending retry at a time). */
  private retryIn(ms: number): void {
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.reconcile();
    }, ms);
  }

  /**
   * The hosts data to write for a plan: the plan's own without a front; with one, the plan goes to
   * the responder first and the names it holds back wait (a reconcile is scheduled for the end of
   * the first hold).
   */
  private stage(data: HostsData): HostsData {
    const front = this.deps.front;
    if (front === undefined) return data;
    const staged = front.beforeWrite(data, this.clock.now());
    this.metrics.wildcardsServed.set(data.wildcards?.size ?? 0);
    this.metrics.stagedNames.set(staged.held.length);
    if (this.recheckTimer !== undefined) this.clock.clearTimeout(this.recheckTimer);
    this.recheckTimer = undefined;
    if (staged.recheckAt !== undefined && !this.stopping) {
      this.recheckTimer = this.clock.setTimeout(() => {
        this.recheckTimer = undefined;
        this.schedule();
      }, Math.max(0, staged.recheckAt - this.clock.now()));
    }
    return staged.hosts;
  }

  private markSynced(): void {
    if (this.synced) this.metrics.lastSync.set(Math.floor(this.clock.now() / 1000));
  }

  /** Counts ignored items by reason; logs each (owner, host, reason) once while it persists. */
  private reportIgnored(ignored: readonly Ignored[]): void {
    const byReason = new Map<string, number>();
    const current = new Set<string>();
    for (const i of ignored) {
      byReason.set(i.reason, (byReason.get(i.reason) ?? 0) + 1);
      const key = `${i.owner}\u0000${i.host}\u0000${i.reason}`;
      current.add(key);
      if (this.loggedIgnored.has(key)) continue;
      const fields = { owner: i.owner, host: i.host, reason: i.reason, detail: i.detail };
      if (QUIET_REASONS.has(i.reason)) this.deps.logger.debug("not served", fields);
      else this.deps.logger.warn("not served", fields);
    }
    this.loggedIgnored = current;
    this.metrics.ignored.setAll(byReason, "reason");
  }
}
