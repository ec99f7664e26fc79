/**
 * Debounce with an upper bound: each schedule() pushes the flush back by
 * `debounceMs`, but never later than `maxDelayMs` after the first unflushed
 * schedule(), so a constant stream of events (a node flapping, a big relist)
 * still reaches the sink.
 */
import type { Clock, TimerHandle } from "./clock";

export class Debouncer {
  private timer: TimerHandle | undefined;
  private firstAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly debounceMs: number,
    private readonly maxDelayMs: number,
    private readonly flush: () => void,
  ) {}

  schedule(): void {
    const now = this.clock.now();
    this.firstAt ??= now;
    const due = Math.min(now + this.debounceMs, this.firstAt + this.maxDelayMs);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, due - now));
  }

  /** Flush now if something is pending. */
  flushNow(): void {
    if (this.timer !== undefined) this.fire();
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
  }

  private fire(): void {
    this.cancel();
    this.flush();
  }
}
