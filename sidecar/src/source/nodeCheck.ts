/**
 * The active data-path check: from the cDNS pod, a TCP connect to every ingress port of each
 * target node IP, every interval, with rise/fall counts. A node IP that failed `fall` checks in
 * a row is down (the plan drops it like an unhealthy node's); it is up again after `rise`
 * successful checks in a row. A new target starts up: the check removes nodes, it never holds
 * answers back at start.
 *
 * One check of an IP connects to all its ports at once and succeeds only if every one accepts
 * within `timeoutMs` (connection refused, a reset or silence fail it).
 *
 * Bounded work, whatever the node count: at most `concurrency` IPs are checked at once (so at
 * most concurrency x ports sockets), each check ends within `timeoutMs` (the connector enforces
 * it), and a check starts only while at least `timeoutMs` of the current interval is left, so
 * every check of an interval has ended before the next begins. Each IP is checked at most once
 * per interval, round-robin from where the last interval stopped. When everything answers fast
 * (the usual case: a connect on a LAN takes well under a millisecond) every target fits one
 * interval. In the worst case (every connect times out) an interval checks
 * concurrency x floor(interval / timeout) IPs; with more targets than that, a pass over all of
 * them takes several intervals and detection slows by that factor
 * (`cdns_sidecar_node_check_pass_intervals` says how many); the work per interval stays the same.
 *
 * Side effects are injected: the connector (tcpConnect.ts in production) and the clock.
 */
import type { Clock, TimerHandle } from "../clock";
import type { Logger } from "../log";
import type { SidecarMetrics } from "../metrics";
import { compareIPv4 } from "./hostnames";

export interface NodeCheckOptions {
  /** TCP ports every target IP must accept. */
  readonly ports: readonly number[];
  readonly intervalMs: number;
  /** Per connect; at most intervalMs. */
  readonly timeoutMs: number;
  /** Successful checks in a row that bring a down IP back. */
  readonly rise: number;
  /** Failed checks in a row that take an up IP out. */
  readonly fall: number;
  /** IPs checked at once. */
  readonly concurrency: number;
}

export const DEFAULT_NODE_CHECK_PORTS: readonly number[] = [80, 443];
export const DEFAULT_NODE_CHECK_INTERVAL_MS = 2000;
export const DEFAULT_NODE_CHECK_TIMEOUT_MS = 1000;
export const DEFAULT_NODE_CHECK_RISE = 2;
export const DEFAULT_NODE_CHECK_FALL = 3;
export const DEFAULT_NODE_CHECK_CONCURRENCY = 32;

/** Resolves true once a TCP connection to ip:port is established, false on refusal, error or timeout; never rejects. */
export type Connect = (ip: string, port: number, timeoutMs: number) => Promise<boolean>;

export interface CheckTarget {
  readonly node: string;
  readonly ip: string;
}

export interface NodeCheckDeps {
  readonly connect: Connect;
  readonly clock: Clock;
  /** Called with every IP now down, each time that set changes. */
  readonly onDown: (ips: ReadonlySet<string>) => void;
  readonly metrics?: SidecarMetrics;
  readonly logger?: Logger;
}

interface TargetState {
  node: string;
  readonly ip: string;
  up: boolean;
  okStreak: number;
  failStreak: number;
  checking: boolean;
}

export class NodeChecker {
  private states = new Map<string, TargetState>();
  /** The targets in IP order: the round-robin. */
  private order: TargetState[] = [];
  private cursor = 0;
  private timer: TimerHandle | undefined;
  private deadline = 0;
  /** Checks still allowed in the current interval (each target at most once). */
  private roundLeft = 0;
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private stopped = true;
  private intervals = 0;
  private passStartedAt = 0;
  private passChecked = 0;
  /** Checks done, and intervals the last full pass over the targets took. */
  readonly stats = { checks: 0, intervals: 0, lastPassIntervals: 0 };

  constructor(
    private readonly opts: NodeCheckOptions,
    private readonly deps: NodeCheckDeps,
  ) {
    if (opts.timeoutMs > opts.intervalMs) throw new Error(`node check: timeout ${opts.timeoutMs} ms exceeds the interval ${opts.intervalMs} ms`);
  }

  /** Replaces the set of IPs checked; IPs kept keep their state, new ones start up. */
  setTargets(targets: readonly CheckTarget[]): void {
    const next = new Map<string, TargetState>();
    let same = targets.length === this.states.size;
    for (const t of targets) {
      if (next.has(t.ip)) continue; // an IP two nodes claim: checked once
      const old = this.states.get(t.ip);
      if (old === undefined || old.node !== t.node) same = false;
      next.set(t.ip, old ?? { node: t.node, ip: t.ip, up: true, okStreak: 0, failStreak: 0, checking: false });
      if (old !== undefined && old.node !== t.node) {
        this.deps.metrics?.nodeCheckUp.delete({ node: old.node, ip: old.ip });
        old.node = t.node;
      }
    }
    if (same && next.size === this.states.size) return;
    let downChanged = false;
    for (const [ip, s] of this.states) {
      if (next.has(ip)) continue;
      this.deps.metrics?.nodeCheckUp.delete({ node: s.node, ip });
      if (!s.up) downChanged = true;
    }
    this.states = next;
    const at = this.order[this.cursor % Math.max(1, this.order.length)]?.ip;
    this.order = [...next.values()].sort((a, b) => compareIPv4(a.ip, b.ip));
    // Continue the round-robin from the same IP (or the next one) rather than from the start.
    const resume = at === undefined ? 0 : this.order.findIndex((s) => compareIPv4(s.ip, at) >= 0);
    this.cursor = resume < 0 ? 0 : resume;
    for (const s of this.order) this.deps.metrics?.nodeCheckUp.set(s.up ? 1 : 0, { node: s.node, ip: s.ip });
    if (downChanged) this.emit();
  }

  /** IPs currently down. */
  down(): ReadonlySet<string> {
    return new Set(this.order.filter((s) => !s.up).map((s) => s.ip));
  }

  /** Starts checking: the first interval begins now. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** Stops scheduling and waits for the checks in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.pending]);
  }

  private tick(): void {
    if (this.stopped) return;
    this.intervals++;
    this.stats.intervals = this.intervals;
    this.deadline = this.deps.clock.now() + this.opts.intervalMs;
    this.roundLeft = this.order.length;
    this.timer = this.deps.clock.setTimeout(() => this.tick(), this.opts.intervalMs);
    this.pump();
  }

  /** Starts checks while a slot is free, targets are left in this interval and a whole timeout still fits in it. */
  private pump(): void {
    while (
      !this.stopped &&
      this.inFlight < this.opts.concurrency &&
      this.roundLeft > 0 &&
      this.order.length > 0 &&
      this.deps.clock.now() + this.opts.timeoutMs <= this.deadline
    ) {
      this.roundLeft--;
      const s = this.order[this.cursor % this.order.length] as TargetState;
      this.cursor = (this.cursor + 1) % this.order.length;
      this.countPass();
      if (s.checking) continue;
      s.checking = true;
      this.inFlight++;
      const p = this.check(s.ip).then((ok) => {
        s.checking = false;
        this.inFlight--;
        this.record(s, ok);
        this.pump();
      });
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  /** Counts one target visited; a pass is over when every target was visited once. */
  private countPass(): void {
    if (this.passChecked === 0) this.passStartedAt = this.intervals;
    this.passChecked++;
    if (this.passChecked < this.order.length) return;
    this.passChecked = 0;
    this.stats.lastPassIntervals = this.intervals - this.passStartedAt + 1;
    this.deps.metrics?.nodeCheckPassIntervals.set(this.stats.lastPassIntervals);
  }

  private async check(ip: string): Promise<boolean> {
    const results = await Promise.all(this.opts.ports.map((port) => this.deps.connect(ip, port, this.opts.timeoutMs).catch(() => false)));
    return results.every((ok) => ok);
  }

  private record(s: TargetState, ok: boolean): void {
    this.stats.checks++;
    this.deps.metrics?.nodeChecks.inc({ result: ok ? "ok" : "failed" });
    // A target dropped (or replaced) while its check ran: the result is about nothing current.
    if (this.states.get(s.ip) !== s) return;
    if (ok) {
      s.okStreak++;
      s.failStreak = 0;
      if (s.up || s.okStreak < this.opts.rise) return;
      s.up = true;
      this.deps.logger?.info("node check up", { node: s.node, ip: s.ip, ports: this.opts.ports, rise: this.opts.rise });
    } else {
      s.failStreak++;
      s.okStreak = 0;
      if (!s.up || s.failStreak < this.opts.fall) return;
      s.up = false;
      this.deps.logger?.warn("node check down: leaving the answers", { node: s.node, ip: s.ip, ports: this.opts.ports, fall: this.opts.fall });
    }
    this.deps.metrics?.nodeCheckUp.set(s.up ? 1 : 0, { node: s.node, ip: s.ip });
    this.emit();
  }

  private emit(): void {
    this.deps.onDown(this.down());
  }
}
