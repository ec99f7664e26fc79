/**
 * How many cacheable records the responder may hand dnsmasq per TTL: beyond it, answers go out
 * with TTL 0 (positive) or without the SOA (NODATA), which dnsmasq does not cache.
 *
 * Why (measured on dnsmasq 2.90, bench/wildcards.ts): once dnsmasq's cache is full of entries that
 * have not expired yet, every new entry makes it walk its whole hash table looking for expired
 * ones (cache_insert() -> cache_scan_free() in its src/cache.c), hosts records included: a flood
 * of distinct names under a wildcard cost dnsmasq ~270 us per query at 10,000 Ingresses, ~3,000
 * qps for everything it serves, exact names included. Its hosts records never expire, but the
 * forwarded ones do, after their TTL: handing it at most half its cache-size per TTL + 1 s keeps
 * at least half of what it cached expired when it next needs room, so a walk frees many entries
 * at once. The cost of going over: those answers are not cached (dnsmasq forwards every query
 * for them, ~30 us each, and resolvers in front do not cache them either). Legitimate traffic
 * stays far below: 10,000 records is 1,250 new names of 8 addresses per 6 s.
 *
 * Pure but for its counters; the clock is passed in (ms).
 */
export class CacheBudget {
  /** Records handed out per whole second, for the last `windowS` seconds. */
  private readonly perSecond: number[];
  private second = -1;
  private total = 0;

  constructor(
    /** Records dnsmasq may cache from us per window. */
    private readonly limit: number,
    /** The window: how long dnsmasq may keep what we hand it (TTL + 1 s, whole seconds). */
    windowS: number,
  ) {
    this.perSecond = new Array<number>(Math.max(1, windowS)).fill(0);
  }

  /** True (and counted) when `records` more cacheable records fit the window at `nowMs`. */
  take(records: number, nowMs: number): boolean {
    this.advance(Math.floor(nowMs / 1000));
    if (this.total + records > this.limit) return false;
    const slot = this.second % this.perSecond.length;
    this.perSecond[slot] = (this.perSecond[slot] as number) + records;
    this.total += records;
    return true;
  }

  private advance(second: number): void {
    if (this.second < 0 || second - this.second >= this.perSecond.length) {
      this.perSecond.fill(0);
      this.total = 0;
    } else {
      for (let s = this.second + 1; s <= second; s++) {
        const slot = s % this.perSecond.length;
        this.total -= this.perSecond[slot] as number;
        this.perSecond[slot] = 0;
      }
    }
    this.second = Math.max(this.second, second);
  }
}
