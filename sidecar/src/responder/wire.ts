/**
 * The DNS wire format, as much as the responder needs (RFC 1035, EDNS0 from RFC 6891): read one
 * query, write one answer of A records or an SOA. Hand-written rather than a dependency: the
 * sidecar image carries no DNS library, and this is the whole of it. Pure.
 */

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_SOA = 6;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeName = keyof typeof RCODE;
export const RCODE_NAMES: readonly RcodeName[] = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

/** A plain (non-EDNS) client takes at most 512 bytes over UDP. */
export const PLAIN_UDP_MAX = 512;
/** What we accept and advertise over EDNS: the DNS flag day 2020 size, dnsmasq's own edns-packet-max. */
export const EDNS_UDP_MAX = 1232;

/** One parsed query: enough to answer it and to echo its question. */
export interface Query {
  readonly id: number;
  readonly opcode: number;
  /** Recursion desired, echoed in the answer. */
  readonly rd: boolean;
  /** Lowercase, no trailing dot ("" for the root); undefined when a label holds a "." or a byte outside printable ASCII (no such name exists here). */
  readonly name: string | undefined;
  readonly qtype: number;
  readonly qclass: number;
  /** The question exactly as sent (name, type, class), copied into the answer. */
  readonly question: Buffer;
  /** The client's EDNS UDP size, or undefined when it sent no OPT record. */
  readonly ednsUdpSize: number | undefined;
}

/** Why a message could not be read as a query. `id` is set when a FORMERR answer can be sent. */
export interface QueryError {
  readonly error: string;
  readonly id?: number;
  /** True for messages that must get no answer at all (responses, or too short for a header). */
  readonly drop: boolean;
}

/** Reads a name at `at`; returns it (lowercase, "." joined) and the offset after it in the message. */
function readName(msg: Buffer, at: number): { name: string | undefined; end: number; jumps: number } | undefined {
  const labels: string[] = [];
  let clean = true;
  let pos = at;
  let end = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= msg.length) return undefined;
    const len = msg[pos] as number;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length || ++jumps > 16) return undefined;
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | (msg[pos + 1] as number);
      continue;
    }
    if ((len & 0xc0) !== 0 || pos + 1 + len > msg.length) return undefined;
    length += len + 1;
    if (length > 255) return undefined;
    let label = "";
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = msg[i] as number;
      if (c === 0x2e || c < 0x21 || c > 0x7e) clean = false;
      label += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
    }
    labels.push(label);
    pos += 1 + len;
  }
  return { name: clean ? labels.join(".") : undefined, end, jumps };
}

/** Skips one resource record at `at`; returns the offset after it, its type and class. */
function readRecordHead(msg: Buffer, at: number): { type: number; klass: number; end: number } | undefined {
  const n = readName(msg, at);
  if (n === undefined || n.end + 10 > msg.length) return undefined;
  const type = msg.readUInt16BE(n.end);
  const klass = msg.readUInt16BE(n.end + 2);
  const rdlen = msg.readUInt16BE(n.end + 8);
  const end = n.end + 10 + rdlen;
  return end > msg.length ? undefined : { type, klass, end };
}

/** Parses a query; anything else (a response, garbage, several questions) is a QueryError. */
export function parseQuery(msg: Buffer): Query | QueryError {
  if (msg.length < 12) return { error: "shorter than a DNS header", drop: true };
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) !== 0) return { error: "a response, not a query", drop: true };
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const nscount = msg.readUInt16BE(8);
  const arcount = msg.readUInt16BE(10);
  if (qdcount !== 1) return { error: `${qdcount} questions`, id, drop: false };
  const n = readName(msg, 12);
  // A pointer in the question is legal but unheard of; refusing it keeps the question copyable as is.
  if (n === undefined || n.jumps > 0 || n.end + 4 > msg.length) return { error: "malformed question", id, drop: false };
  const qtype = msg.readUInt16BE(n.end);
  const qclass = msg.readUInt16BE(n.end + 2);
  let pos = n.end + 4;
  let ednsUdpSize: number | undefined;
  for (let i = 0; i < ancount + nscount + arcount; i++) {
    const rr = readRecordHead(msg, pos);
    if (rr === undefined) return { error: "malformed record", id, drop: false };
    if (i >= ancount + nscount && rr.type === TYPE_OPT) ednsUdpSize = rr.klass;
    pos = rr.end;
  }
  return {
    id,
    opcode: (flags >> 11) & 0x0f,
    rd: (flags & 0x0100) !== 0,
    name: n.name,
    qtype,
    qclass,
    question: Buffer.from(msg.subarray(12, n.end + 4)),
    ednsUdpSize,
  };
}

/** The SOA fields the responder writes (RFC 1035 3.3.13). */
export interface Soa {
  /** Owner: the zone apex. */
  readonly zone: string;
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  /** Also the TTL of negative answers (RFC 2308). */
  readonly minimum: number;
  readonly ttl: number;
}

/** What goes into one answer. */
export interface Reply {
  readonly rcode: number;
  /** A records for the question's name (owner written as a pointer to the question). */
  readonly addresses?: readonly string[];
  readonly ttl?: number;
  /** The zone's SOA, in the answer section (an SOA query of the apex) or in authority (a negative answer). */
  readonly soa?: Soa;
  readonly soaInAnswer?: boolean;
}

function nameBytes(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name === "" ? [] : name.split(".")) {
    const b = Buffer.from(label, "latin1");
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/**
 * The name `name` as bytes, a pointer into the question where its tail matches the question's
 * name (which sits at offset 12 of every message): `zone` under a question `x.zone` is 2 bytes.
 */
function compressedName(name: string, qname: string | undefined, question: Buffer): Buffer {
  if (qname !== undefined && (qname === name || qname.endsWith(`.${name}`))) {
    // Offset of `name` inside the question's name: the bytes of the labels before it.
    let at = 0;
    const skip = qname === name ? 0 : qname.slice(0, qname.length - name.length - 1).split(".").length;
    for (let i = 0; i < skip; i++) at += 1 + (question[at] as number);
    const off = 12 + at;
    return Buffer.from([0xc0 | (off >> 8), off & 0xff]);
  }
  return nameBytes(name);
}

function ipv4Bytes(ip: string): Buffer {
  const b = Buffer.alloc(4);
  const parts = ip.split(".");
  for (let i = 0; i < 4; i++) b[i] = Number(parts[i]);
  return b;
}

function soaRecord(soa: Soa, query: Query): Buffer {
  const owner = compressedName(soa.zone, query.name, query.question);
  const rdata = Buffer.concat([nameBytes(soa.mname), nameBytes(soa.rname), Buffer.alloc(20)]);
  const tail = rdata.length - 20;
  rdata.writeUInt32BE(soa.serial >>> 0, tail);
  rdata.writeUInt32BE(soa.refresh >>> 0, tail + 4);
  rdata.writeUInt32BE(soa.retry >>> 0, tail + 8);
  rdata.writeUInt32BE(soa.expire >>> 0, tail + 12);
  rdata.writeUInt32BE(soa.minimum >>> 0, tail + 16);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(TYPE_SOA, 0);
  head.writeUInt16BE(CLASS_IN, 2);
  head.writeUInt32BE(soa.ttl >>> 0, 4);
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, head, rdata]);
}

/** The OPT record of an answer to an EDNS query: our UDP size, version 0, no flags. */
function optRecord(): Buffer {
  const b = Buffer.alloc(11);
  b[0] = 0;
  b.writeUInt16BE(TYPE_OPT, 1);
  b.writeUInt16BE(EDNS_UDP_MAX, 3);
  return b;
}

function header(query: Pick<Query, "id" | "opcode" | "rd">, rcode: number, counts: readonly [number, number, number, number], tc = false): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(query.id, 0);
  // QR, the query's opcode, AA (the data is ours), TC, RD echoed; RA is dnsmasq's to set.
  const flags = 0x8000 | ((query.opcode & 0x0f) << 11) | 0x0400 | (tc ? 0x0200 : 0) | (query.rd ? 0x0100 : 0) | (rcode & 0x0f);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(counts[0], 4);
  h.writeUInt16BE(counts[1], 6);
  h.writeUInt16BE(counts[2], 8);
  h.writeUInt16BE(counts[3], 10);
  return h;
}

/** The most a reply may take: 64 KiB over TCP; over UDP the client's EDNS size (at most ours), else 512. */
export function replyLimit(query: Query, tcp: boolean): number {
  if (tcp) return 65535;
  return query.ednsUdpSize === undefined ? PLAIN_UDP_MAX : Math.max(PLAIN_UDP_MAX, Math.min(query.ednsUdpSize, EDNS_UDP_MAX));
}

/**
 * Encodes the answer to `query`. When it would exceed `limit` bytes the records are left out and
 * TC is set (RFC 2181 9: a client then asks again over TCP; dnsmasq does that for its clients).
 */
export function encodeReply(query: Query, reply: Reply, limit: number): Buffer {
  const records: Buffer[] = [];
  const ttl = reply.ttl ?? 0;
  for (const ip of reply.addresses ?? []) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(ttl >>> 0, 6);
    rr.writeUInt16BE(4, 10);
    ipv4Bytes(ip).copy(rr, 12);
    records.push(rr);
  }
  let answers = records.length;
  let authority = 0;
  if (reply.soa !== undefined) {
    records.push(soaRecord(reply.soa, query));
    if (reply.soaInAnswer === true) answers++;
    else authority++;
  }
  const edns = query.ednsUdpSize !== undefined;
  const tail = edns ? [optRecord()] : [];
  const full = Buffer.concat([header(query, reply.rcode, [1, answers, authority, tail.length]), query.question, ...records, ...tail]);
  if (full.length <= limit) return full;
  return Buffer.concat([header(query, reply.rcode, [1, 0, 0, tail.length], true), query.question, ...tail]);
}

/** An answer with no records: SERVFAIL before the first plan, REFUSED, NOTIMP. */
export function encodeEmpty(query: Query, rcode: number): Buffer {
  return encodeReply(query, { rcode }, 65535);
}

/** FORMERR for a message whose header was readable but whose question was not (no question echoed). */
export function encodeFormErr(id: number): Buffer {
  return header({ id, opcode: 0, rd: false }, RCODE.FORMERR, [0, 0, 0, 0]);
}
