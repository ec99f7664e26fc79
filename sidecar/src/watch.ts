/**
 * What the controller needs from one list+watch: start/stop, and an error
 * callback after which the watch has STOPPED and must be started again. The
 * Reflector (source/reflector.ts) is the real one; the in-memory one below lets
 * tests and benchmarks run the controller without an API server.
 */
export interface WatchSource {
  /** Kind watched, for logs and metric labels ("Ingress", "Node", ...). */
  readonly name: string;
  /** An optional source: the first write waits for it only a short grace (see Controller). @default false */
  readonly optional?: boolean;
  /** Lists (when needed) and watches. Resolves once the list is in and the watch is open, or after an error was emitted. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Called when the watch failed; it is stopped until start() is called again. */
  onError(cb: (err: unknown) => void): void;
  /**
   * When the watch last heard from the API server (ms, the controller's clock), if it tracks
   * that. A running watch that has been silent far longer than its own timeouts allow is stuck.
   */
  lastActivity?(): number | undefined;
}

/**
 * A watch whose objects are fed by hand. start() succeeds unless `failNextStarts`
 * says otherwise; `fail(err)` simulates a dropped watch.
 */
export class InMemoryWatch implements WatchSource {
  private readonly errorCbs: Array<(err: unknown) => void> = [];
  /** How many times start() was called. */
  starts = 0;
  stops = 0;
  running = false;
  /** The next N start() calls emit an error instead of succeeding. */
  failNextStarts = 0;
  /** Set by a test to simulate activity tracking (see WatchSource.lastActivity). */
  lastActivity?: () => number | undefined;

  constructor(readonly name: string, readonly optional = false) {}

  async start(): Promise<void> {
    this.starts++;
    if (this.failNextStarts > 0) {
      this.failNextStarts--;
      this.emit(new Error(`${this.name}: list failed (simulated)`));
      return;
    }
    this.running = true;
  }

  async stop(): Promise<void> {
    this.stops++;
    this.running = false;
  }

  onError(cb: (err: unknown) => void): void {
    this.errorCbs.push(cb);
  }

  /** Simulates the watch dropping with `err`. */
  fail(err: unknown = new Error(`${this.name}: watch dropped (simulated)`)): void {
    this.running = false;
    this.emit(err);
  }

  private emit(err: unknown): void {
    for (const cb of this.errorCbs) cb(err);
  }
}
