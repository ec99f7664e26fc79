/**
 * Which exact names the hosts files may take now, given that dnsmasq caches the responder's
 * wildcard answers. Pure but for the memory it keeps between plans; time is passed in.
 *
 * The hazard (measured on dnsmasq 2.90): dnsmasq caches a forwarded answer for its TTL, and when
 * the hosts files gain the same name meanwhile it answers with both, the cached records beside the
 * hosts records, until the cached ones expire. So a name the responder may have answered from a
 * wildcard in the last TTL seconds (an exact name that is new under a live wildcard, or under one
 * removed less than a hold ago) is held back from the hosts files for one hold, counted from the
 * plan that first holds it: from then on the responder answers the name itself, with TTL 0, which
 * dnsmasq does not cache, so when the hold ends no cached wildcard answer can be left. Meanwhile
 * the name answers its own targets through the responder as soon as dnsmasq's cached wildcard
 * answer (if any) expires: the same staleness a resolver in front has from its own cache.
 *
 * The hold is the TTL plus 2 s: dnsmasq counts cache lifetimes in whole seconds, so an entry lives
 * up to TTL + 1 s. Only names under a wildcard are ever held; any other name goes straight in.
 *
 * "In the hosts files" is what the last successful write put there (an under-estimate after a failed
 * write: only names both writes agree on). At start nothing is known, so names under wildcards are
 * held once: the responder serves them meanwhile.
 */
import { parentName, wildcardBase } from "../../../lib/dns/syntax";
import type { HostsData } from "../model";

export interface StagingResult {
  /** The hosts data to write: the plan's, less the held names. */
  readonly hosts: HostsData;
  /** Names held back (sorted). */
  readonly held: readonly string[];
  /** When the first hold ends (ms, the clock's); undefined when nothing is held. */
  readonly recheckAt?: number;
}

/** How long a name under a wildcard stays out of the hosts files: TTL + 2 s (see the header). */
export function holdMs(ttlSeconds: number): number {
  return (ttlSeconds + 2) * 1000;
}

export class WildcardStaging {
  private readonly hold: number;
  /** Names dnsmasq's hosts files surely hold (the last written records map itself, not a copy). */
  private inHosts: { has(name: string): boolean } = new Set<string>();
  /** Held names -> when their hold started. */
  private readonly heldSince = new Map<string, number>();
  /** Wildcard bases of the last plan. */
  private live: ReadonlySet<string> = new Set();
  /** Bases removed less than a hold ago -> when. */
  private readonly goneAt = new Map<string, number>();

  constructor(ttlSeconds: number) {
    this.hold = holdMs(ttlSeconds);
  }

  stage(data: HostsData, now: number): StagingResult {
    const live = new Set<string>();
    for (const name of data.wildcards?.keys() ?? []) {
      const base = wildcardBase(name);
      if (base !== undefined) live.add(base);
    }
    for (const base of this.live) if (!live.has(base)) this.goneAt.set(base, now);
    for (const [base, at] of this.goneAt) if (live.has(base) || now - at >= this.hold) this.goneAt.delete(base);
    this.live = live;
    for (const name of this.heldSince.keys()) if (!data.records.has(name)) this.heldSince.delete(name);
    // Common case: no wildcard now or lately, nothing held: the plan's data as it is.
    if (live.size === 0 && this.goneAt.size === 0 && this.heldSince.size === 0) return { hosts: data, held: [] };

    const held: string[] = [];
    let recheckAt: number | undefined;
    for (const name of data.records.keys()) {
      if (this.inHosts.has(name)) continue;
      let since = this.heldSince.get(name);
      if (since === undefined) {
        const parent = parentName(name);
        if (parent === undefined || !(live.has(parent) || this.goneAt.has(parent))) continue;
        since = now;
        this.heldSince.set(name, now);
      }
      if (now - since >= this.hold) continue;
      held.push(name);
      recheckAt = Math.min(recheckAt ?? Infinity, since + this.hold);
    }
    if (held.length === 0) return { hosts: data, held, ...(recheckAt === undefined ? {} : { recheckAt }) };
    const records = new Map(data.records);
    for (const name of held) records.delete(name);
    return { hosts: { ...data, records }, held: held.sort(), ...(recheckAt === undefined ? {} : { recheckAt }) };
  }

  /** After a write of `hosts` (or a skipped one, unchanged: ok). */
  written(hosts: HostsData, ok: boolean): void {
    if (ok) {
      this.inHosts = hosts.records;
      for (const name of this.heldSince.keys()) if (hosts.records.has(name)) this.heldSince.delete(name);
    } else {
      const before = this.inHosts;
      this.inHosts = new Set([...hosts.records.keys()].filter((n) => before.has(n)));
    }
  }
}
