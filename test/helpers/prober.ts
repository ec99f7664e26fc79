/**
 * DNS probing for tests and the bench. ContinuousProber: a prober in a worker thread: it queries names round robin
 * over UDP (`perTick` queries every millisecond, loopback only) and keeps
 * every answer. It runs in its own thread so that the sink rendering and
 * writing in the main thread cannot stall it: a gap it reports is dnsmasq's,
 * not our event loop's. Times are absolute (performance.timeOrigin + now),
 * comparable across threads.
 */
import * as dgram from "node:dgram";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import * as dnsPacket from "dns-packet";

/** Milliseconds on a clock shared by the threads of this process. */
export function clock(): number {
  return performance.timeOrigin + performance.now();
}

export interface ProbeAnswer {
  readonly name: string;
  readonly sentAt: number;
  readonly at: number;
  readonly rcode: string;
  readonly ips: readonly string[];
}

/** What the probes saw: every answer, and when each query left. */
export interface ProbeLog {
  readonly answers: readonly ProbeAnswer[];
  readonly sentAt: readonly number[];
}

/** Expected answer per name: the address set, or null for NXDOMAIN. */
export type Expectation = Readonly<Record<string, readonly string[] | null>>;

/** True when `a` is exactly the expected answer: the set without duplicates, or NXDOMAIN for null. */
export function answerMatches(want: readonly string[] | null | undefined, a: { rcode: string; ips: readonly string[] }): boolean {
  if (want === undefined) return false;
  if (want === null || want.length === 0) return a.rcode === "NXDOMAIN";
  if (a.rcode !== "NOERROR" || a.ips.length !== want.length || new Set(a.ips).size !== a.ips.length) return false;
  const w = new Set(want);
  return a.ips.every((ip) => w.has(ip));
}

/** Longest time in [from, to] with no answer arriving (answers sorted by arrival). */
export function longestGap(answers: readonly ProbeAnswer[], from: number, to: number): number {
  let prev = from;
  let gap = 0;
  for (const a of answers) {
    if (a.at < from) continue;
    if (a.at > to) break;
    gap = Math.max(gap, a.at - prev);
    prev = a.at;
  }
  return Math.max(gap, to - prev);
}

/** Queries sent in [from, to) and how many of them were answered within `deadlineMs`. */
export function answeredShare(log: ProbeLog, from: number, to: number, deadlineMs: number): { sent: number; answered: number } {
  const sent = log.sentAt.filter((t) => t >= from && t < to).length;
  const answered = log.answers.filter((a) => a.sentAt >= from && a.sentAt < to && a.at - a.sentAt <= deadlineMs).length;
  return { sent, answered };
}

type Command =
  | { cmd: "names"; names: readonly string[] }
  | { cmd: "clear" }
  | { cmd: "expect"; id: number; want: Expectation; since: number }
  | { cmd: "dump"; id: number }
  | { cmd: "stop" };

type Reply = { id: number; firstNew: Record<string, number> } | { id: number; log: ProbeLog };

/** The prober itself; runs inside the worker (proberWorker.ts). */
export class ProberCore {
  private readonly sock = dgram.createSocket("udp4");
  private readonly pending = new Map<number, { name: string; at: number }>();
  private answers: ProbeAnswer[] = [];
  private sentAt: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private id = 0;
  private next = 0;
  private names: readonly string[] = [];
  private expectation: { id: number; want: Expectation; since: number; firstNew: Map<string, number> } | undefined;

  constructor(server: string, port: number, perTick: number, private readonly reply: (r: Reply) => void, private readonly rd = false) {
    this.sock.on("message", (msg) => {
      const at = clock();
      let res: dnsPacket.Packet;
      try {
        res = dnsPacket.decode(msg);
      } catch {
        return;
      }
      const q = this.pending.get(res.id ?? -1);
      if (q === undefined) return;
      this.pending.delete(res.id as number);
      const ips = (res.answers ?? []).filter((a) => a.type === "A").map((a) => String((a as { data: unknown }).data));
      const a: ProbeAnswer = { name: q.name, sentAt: q.at, at, rcode: (res as { rcode?: string }).rcode ?? "NOERROR", ips };
      this.answers.push(a);
      this.check(a);
    });
    // EDNS 1232 (dnsmasq's edns-packet-max): a 64-address answer fits; a plain 512-byte query would be cut.
    const additionals = [{ type: "OPT", name: ".", udpPayloadSize: 1232 } as dnsPacket.Answer];
    this.timer = setInterval(() => {
      for (let k = 0; k < perTick && this.names.length > 0; k++) {
        const name = this.names[this.next++ % this.names.length] as string;
        this.id = (this.id % 65535) + 1;
        const at = clock();
        // A query unanswered for a whole id cycle is lost: its slot is reused.
        this.pending.set(this.id, { name, at });
        this.sentAt.push(at);
        this.sock.send(dnsPacket.encode({ type: "query", id: this.id, flags: this.rd ? dnsPacket.RECURSION_DESIRED : 0, questions: [{ type: "A", name }], additionals }), port, server);
      }
    }, 1);
  }

  private check(a: ProbeAnswer): void {
    const e = this.expectation;
    if (e === undefined || a.sentAt < e.since || e.firstNew.has(a.name) || !(a.name in e.want)) return;
    if (!answerMatches(e.want[a.name], a)) return;
    e.firstNew.set(a.name, a.at);
    if (e.firstNew.size === Object.keys(e.want).length) {
      this.expectation = undefined;
      this.reply({ id: e.id, firstNew: Object.fromEntries(e.firstNew) });
    }
  }

  handle(c: Command): void {
    switch (c.cmd) {
      case "names":
        this.names = c.names;
        this.next = 0;
        break;
      case "clear":
        this.answers = [];
        this.sentAt = [];
        break;
      case "expect":
        this.expectation = { id: c.id, want: c.want, since: c.since, firstNew: new Map() };
        for (const a of this.answers) this.check(a);
        break;
      case "dump":
        this.reply({ id: c.id, log: { answers: this.answers, sentAt: this.sentAt } });
        break;
      case "stop":
        clearInterval(this.timer);
        this.sock.close();
        break;
    }
  }
}

/** The main-thread handle of a prober running in a worker thread. */
export class ContinuousProber {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, (r: Reply) => void>();

  /**
   * `recursionDesired`: set RD, as a resolver forwarding to the cDNS does. dnsmasq answers a query
   * without RD for a forwarded name by forwarding it every time (measured on 2.90: no cache), so
   * only RD queries see its cache of the responder's answers.
   */
  constructor(server: string, port: number, perTick = 2, recursionDesired = false) {
    // tsx's CommonJS hook, so the worker can load the TypeScript entry.
    const entry = join(__dirname, "proberWorker.ts");
    this.worker = new Worker(`require("tsx/cjs"); require(${JSON.stringify(entry)});`, { eval: true, workerData: { server, port, perTick, rd: recursionDesired } });
    this.worker.on("message", (r: Reply) => {
      const done = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      done?.(r);
    });
  }

  setNames(names: readonly string[]): void {
    this.worker.postMessage({ cmd: "names", names } satisfies Command);
  }

  clear(): void {
    this.worker.postMessage({ cmd: "clear" } satisfies Command);
  }

  /**
   * Resolves with the arrival time of the first answer matching `want` for
   * each of its names, among queries sent at or after `since`; rejects after `timeoutMs`.
   */
  firstMatches(want: Expectation, since: number, timeoutMs: number): Promise<Record<string, number>> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`prober: ${Object.keys(want).length} names did not all answer as expected within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve((r as { firstNew: Record<string, number> }).firstNew);
      });
      this.worker.postMessage({ cmd: "expect", id, want, since } satisfies Command);
    });
  }

  dump(): Promise<ProbeLog> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, (r) => resolve((r as { log: ProbeLog }).log));
      this.worker.postMessage({ cmd: "dump", id } satisfies Command);
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ cmd: "stop" } satisfies Command);
    await this.worker.terminate();
  }
}

/**
 * Asks every one of `names` once (A, EDNS 1232) with up to `window` queries
 * in flight, sending a query again when it got no answer within `resendMs`;
 * resolves with the answers by name. Loopback only; rejects after `timeoutMs`.
 */
export function sweep(server: string, port: number, names: readonly string[], opts: { window?: number; resendMs?: number; timeoutMs?: number } = {}): Promise<Map<string, ProbeAnswer>> {
  const window = opts.window ?? 64;
  const resendMs = opts.resendMs ?? 500;
  const sock = dgram.createSocket("udp4");
  const out = new Map<string, ProbeAnswer>();
  const inFlight = new Map<number, { name: string; at: number }>();
  const additionals = [{ type: "OPT", name: ".", udpPayloadSize: 1232 } as dnsPacket.Answer];
  let next = 0;
  let id = 0;
  return new Promise((resolve, reject) => {
    const send = (name: string): void => {
      id = (id % 65535) + 1;
      inFlight.set(id, { name, at: clock() });
      sock.send(dnsPacket.encode({ type: "query", id, flags: 0, questions: [{ type: "A", name }], additionals }), port, server);
    };
    const fill = (): void => {
      while (inFlight.size < window && next < names.length) send(names[next++] as string);
      if (out.size === names.length) finish();
    };
    const timer = setInterval(() => {
      const now = clock();
      for (const [k, q] of inFlight) {
        if (now - q.at > resendMs) {
          inFlight.delete(k);
          send(q.name);
        }
      }
    }, 50);
    const deadline = setTimeout(() => finish(new Error(`sweep: ${names.length - out.size} of ${names.length} names unanswered after ${opts.timeoutMs ?? 30_000} ms`)), opts.timeoutMs ?? 30_000);
    const finish = (err?: Error): void => {
      clearInterval(timer);
      clearTimeout(deadline);
      sock.close();
      if (err === undefined) resolve(out);
      else reject(err);
    };
    sock.on("message", (msg) => {
      const at = clock();
      const res = dnsPacket.decode(msg);
      const q = inFlight.get(res.id ?? -1);
      if (q === undefined) return;
      inFlight.delete(res.id as number);
      const ips = (res.answers ?? []).filter((a) => a.type === "A").map((a) => String((a as { data: unknown }).data));
      out.set(q.name, { name: q.name, sentAt: q.at, at, rcode: (res as { rcode?: string }).rcode ?? "NOERROR", ips });
      fill();
    });
    fill();
  });
}
