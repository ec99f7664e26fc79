/** A small DNS client for tests: raw UDP or TCP queries with dns-packet, so the
 * tests see the answer order, the rcode, the TC flag and the TTL exactly as the
 * server sent them (no resolver cache, no sorting). Loopback servers only. */
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";

export interface DnsAnswer {
  readonly rcode: string;
  /** Flags of the response; `tc` is the truncation bit. */
  readonly tc: boolean;
  readonly aa: boolean;
  /** A-record addresses in the order the server sent them. */
  readonly addresses: string[];
  /** TTLs of the A records, same order as `addresses`. */
  readonly ttls: number[];
  readonly answers: dnsPacket.Answer[];
  readonly authorities: dnsPacket.Answer[];
}

export interface QueryOptions {
  readonly server: string;
  readonly port: number;
  readonly type?: dnsPacket.RecordType;
  readonly tcp?: boolean;
  readonly timeoutMs?: number;
  /** Advertise this EDNS UDP size; none means a plain 512-byte client. */
  readonly ednsUdpSize?: number;
  /** Set RD, as a forwarding resolver does (dnsmasq uses its cache of forwarded answers only for those). @default false */
  readonly rd?: boolean;
}

let nextId = 1;

function buildQuery(name: string, opts: QueryOptions): dnsPacket.Packet {
  nextId = (nextId % 65535) + 1;
  const packet: dnsPacket.Packet = {
    type: "query",
    id: nextId,
    flags: opts.rd === true ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type: opts.type ?? "A", name }],
  };
  if (opts.ednsUdpSize !== undefined) {
    packet.additionals = [{ type: "OPT", name: ".", udpPayloadSize: opts.ednsUdpSize } as dnsPacket.Answer];
  }
  return packet;
}

function toAnswer(res: dnsPacket.Packet): DnsAnswer {
  const flags = res.flags ?? 0;
  const answers = res.answers ?? [];
  return {
    rcode: (res as { rcode?: string }).rcode ?? "NOERROR",
    tc: (flags & dnsPacket.TRUNCATED_RESPONSE) !== 0,
    aa: (flags & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
    addresses: answers.filter((a) => a.type === "A").map((a) => String((a as { data: unknown }).data)),
    ttls: answers.filter((a) => a.type === "A").map((a) => (a as { ttl?: number }).ttl ?? -1),
    answers,
    authorities: res.authorities ?? [],
  };
}

/** One query; rejects on timeout. */
export function query(name: string, opts: QueryOptions): Promise<DnsAnswer> {
  return opts.tcp === true ? queryTcp(name, opts) : queryUdp(name, opts);
}

function queryUdp(name: string, opts: QueryOptions): Promise<DnsAnswer> {
  const q = buildQuery(name, opts);
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket("udp4");
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`DNS timeout: ${name} @${opts.server}:${opts.port}`));
    }, opts.timeoutMs ?? 1000);
    sock.on("message", (msg) => {
      const res = dnsPacket.decode(msg);
      if (res.id !== q.id) return;
      clearTimeout(timer);
      sock.close();
      resolve(toAnswer(res));
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.send(dnsPacket.encode(q), opts.port, opts.server);
  });
}

function queryTcp(name: string, opts: QueryOptions): Promise<DnsAnswer> {
  const q = buildQuery(name, opts);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: opts.server, port: opts.port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`DNS TCP timeout: ${name} @${opts.server}:${opts.port}`));
    }, opts.timeoutMs ?? 2000);
    sock.on("connect", () => sock.write(dnsPacket.streamEncode(q)));
    sock.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      clearTimeout(timer);
      sock.end();
      resolve(toAnswer(dnsPacket.streamDecode(buf)));
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Polls until `check` holds for an answer or `timeoutMs` passes; returns the elapsed ms. */
export async function waitForAnswer(
  name: string,
  opts: QueryOptions,
  check: (a: DnsAnswer) => boolean,
  timeoutMs = 3000,
  intervalMs = 10,
): Promise<number> {
  const start = performance.now();
  let last: DnsAnswer | undefined;
  while (performance.now() - start < timeoutMs) {
    try {
      last = await query(name, opts);
      if (check(last)) return performance.now() - start;
    } catch {
      // server not up yet or busy: try again until the deadline
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`waitForAnswer(${name}) timed out after ${timeoutMs} ms; last answer: ${JSON.stringify(last)}`);
}
