/**
 * The responder's sockets: UDP and TCP on one loopback address and port, answering from the data
 * the controller last published (answer.ts decides, wire.ts encodes). dnsmasq forwards over UDP
 * and, for its TCP clients (or after a truncated answer), over TCP.
 *
 * Until the first plan is published every query gets SERVFAIL at once: the sidecar binds the port
 * first thing, so while it (re)starts and syncs, dnsmasq's clients get a quick failure for the names
 * only the responder knows instead of a timeout (measured on 2.90: with nothing listening, dnsmasq
 * answers nothing and the client times out). Exact names' A records come from dnsmasq itself
 * throughout.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import type { Logger } from "../log";
import { answerQuestion, type AnswerSource, type ResponderData } from "./answer";
import { CacheBudget } from "./budget";
import { RESPONDER_CACHE_BUDGET } from "../../../lib/dns/responder";
import { CLASS_IN, encodeEmpty, encodeFormErr, encodeReply, parseQuery, RCODE, RCODE_NAMES, replyLimit, TYPE_ANY, type RcodeName } from "./wire";

/** What the server counts (metrics.ts exports it); called once per answered query. */
export type CountAnswer = (rcode: RcodeName, source: AnswerSource | "not_ready" | "formerr" | "notimp") => void;

/** What one reply depends on besides the message and the data. */
export interface RespondContext {
  /** Rotation of a multi-address answer. */
  readonly turn: number;
  readonly tcp: boolean;
  readonly count?: CountAnswer;
  /**
   * Whether dnsmasq may cache `records` more records from us now (budget.ts); false: the answer
   * goes out uncacheable (TTL 0, or NODATA without its SOA). @default always
   */
  readonly cacheable?: (records: number) => boolean;
}

export interface ResponderServerOptions {
  readonly host: string;
  /** 0: any free port (tests). */
  readonly port: number;
  /** Open TCP connections served at once; more are closed at once. @default 64 */
  readonly maxTcpConnections?: number;
  /** A TCP connection idle this long is closed. @default 10_000 */
  readonly tcpIdleMs?: number;
  /** TTL of the data's answers: how long dnsmasq keeps them (the cache budget's window, + 1 s). */
  readonly ttlSeconds: number;
  /** Records dnsmasq may cache from us per TTL + 1 s (budget.ts). @default RESPONDER_CACHE_BUDGET (half of dnsmasq's cache-size) */
  readonly cacheBudget?: number;
}

export interface ResponderServerDeps {
  readonly logger: Logger;
  readonly count?: CountAnswer;
  /** Called for each answer sent uncacheable because the cache budget was spent. */
  readonly overBudget?: () => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Answers one message; undefined when nothing must be sent back. Pure but for what `ctx` does. */
export function respond(msg: Buffer, data: ResponderData | undefined, ctx: RespondContext): Buffer | undefined {
  const { tcp, count } = ctx;
  const q = parseQuery(msg);
  if ("error" in q) {
    if (q.drop || q.id === undefined) return undefined;
    count?.("FORMERR", "formerr");
    return encodeFormErr(q.id);
  }
  if (q.opcode !== 0) {
    count?.("NOTIMP", "notimp");
    return encodeEmpty(q, RCODE.NOTIMP);
  }
  if (data === undefined) {
    count?.("SERVFAIL", "not_ready");
    return encodeEmpty(q, RCODE.SERVFAIL);
  }
  if (q.qclass !== CLASS_IN && q.qclass !== TYPE_ANY) {
    count?.("REFUSED", "refused");
    return encodeEmpty(q, RCODE.REFUSED);
  }
  const a = answerQuestion(data, q.name, q.qtype, ctx.turn);
  count?.(RCODE_NAMES[a.reply.rcode] ?? "SERVFAIL", a.source);
  let reply = a.reply;
  // What dnsmasq would cache: a positive answer with a TTL (one entry per address), a NODATA with its SOA (one).
  const records = (reply.ttl ?? 0) > 0 ? (reply.addresses?.length ?? 0) : reply.soa !== undefined && reply.soaInAnswer !== true ? 1 : 0;
  if (records > 0 && ctx.cacheable !== undefined && !ctx.cacheable(records)) {
    const { soa: _soa, ...rest } = reply;
    reply = (reply.ttl ?? 0) > 0 ? { ...reply, ttl: 0 } : rest;
  }
  return encodeReply(q, reply, replyLimit(q, tcp));
}

export class ResponderServer {
  private data: ResponderData | undefined;
  private turn = 0;
  private readonly connections = new Set<net.Socket>();
  private readonly budget: CacheBudget;

  private constructor(
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    readonly port: number,
    private readonly deps: ResponderServerDeps,
    opts: ResponderServerOptions,
  ) {
    this.budget = new CacheBudget(opts.cacheBudget ?? RESPONDER_CACHE_BUDGET, opts.ttlSeconds + 1);
  }

  private readonly cacheable = (records: number): boolean => {
    if (this.budget.take(records, (this.deps.now ?? Date.now)())) return true;
    this.deps.overBudget?.();
    return false;
  };

  private reply(msg: Buffer, tcp: boolean): Buffer | undefined {
    return respond(msg, this.data, { turn: this.nextTurn(), tcp, cacheable: this.cacheable, ...(this.deps.count === undefined ? {} : { count: this.deps.count }) });
  }

  /** Binds UDP and TCP on host:port (TCP first, so port 0 gets one port free for both). */
  static async start(opts: ResponderServerOptions, deps: ResponderServerDeps): Promise<ResponderServer> {
    const maxConnections = opts.maxTcpConnections ?? 64;
    const idleMs = opts.tcpIdleMs ?? 10_000;
    let server: ResponderServer | undefined;
    const tcp = net.createServer((sock) => server?.serveTcp(sock, maxConnections, idleMs));
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(opts.port, opts.host, () => resolve());
    });
    const port = (tcp.address() as net.AddressInfo).port;
    const udp = dgram.createSocket("udp4");
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind(port, opts.host, () => resolve());
      });
    } catch (err) {
      tcp.close();
      throw err;
    }
    const s = (server = new ResponderServer(udp, tcp, port, deps, opts));
    udp.on("message", (msg, from) => {
      const out = s.reply(msg, false);
      if (out !== undefined) udp.send(out, from.port, from.address);
    });
    udp.on("error", (err) => deps.logger.warn("responder UDP error", { error: err.message }));
    tcp.on("error", (err) => deps.logger.warn("responder TCP error", { error: err.message }));
    return server;
  }

  /** The data to answer from (the controller's last plan); undefined: SERVFAIL. */
  publish(data: ResponderData | undefined): void {
    this.data = data;
  }

  get published(): ResponderData | undefined {
    return this.data;
  }

  private nextTurn(): number {
    this.turn = (this.turn + 1) & 0x3fffffff;
    return this.turn;
  }

  private serveTcp(sock: net.Socket, maxConnections: number, idleMs: number): void {
    if (this.connections.size >= maxConnections) {
      sock.destroy();
      return;
    }
    this.connections.add(sock);
    sock.setTimeout(idleMs, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on("data", (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const out = this.reply(buf.subarray(2, 2 + len), true);
        buf = buf.subarray(2 + len);
        if (out === undefined) continue;
        const framed = Buffer.alloc(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        sock.write(framed);
      }
    });
    sock.on("error", () => sock.destroy());
    sock.on("close", () => this.connections.delete(sock));
  }

  async stop(): Promise<void> {
    for (const s of this.connections) s.destroy();
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }
}
