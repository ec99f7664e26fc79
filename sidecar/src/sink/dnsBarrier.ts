/**
 * A barrier on dnsmasq's event loop: resolves once dnsmasq has handled every
 * hosts-directory event queued before the call. The writer awaits it after
 * each file it replaces, so dnsmasq re-reads one file at a time and answers
 * queries in between, instead of re-reading every changed file in one go.
 *
 * Why two answered queries prove it (dnsmasq 2.90 source, src/dnsmasq.c and
 * src/inotify.c):
 * - each turn of the main loop polls once, then calls inotify_check() before
 *   check_dns_listeners(); inotify_check() reads and handles every queued
 *   event (cache_remove_uid() then read_hostsfile() per changed file) before
 *   it returns;
 * - check_dns_listeners() calls receive_query() once per listening socket per
 *   turn: one recvmsg(), answered in that turn for local data.
 * A rename queues its inotify event before rename() returns. Query 1 is sent
 * after that and answered in some turn i; query 2 is sent only after answer 1
 * arrived, so it is read in a turn j > i, whose poll came after query 1 was
 * read, so after the event was queued: turn j handles the event (or an
 * earlier turn did) before it reads query 2. Answer 2 therefore means the
 * re-read is done. Both queries go to the same address and port, so to the
 * same socket. UDP on loopback; a lost query is sent again.
 *
 * The name asked is the health name dnsmasq owns itself (a host-record in
 * dnsmasq.conf), so the answer never depends on the hosts files.
 */
import * as dgram from "node:dgram";

/** Resolves when dnsmasq has applied every hosts-file change made before the call; rejects when it cannot tell. */
export type DnsmasqBarrier = () => Promise<void>;

export interface DnsBarrierOptions {
  /** dnsmasq's address as seen from the sidecar (the pod shares loopback). */
  readonly server: string;
  readonly port: number;
  /** A name dnsmasq answers from its own config, e.g. healthName(zone0). */
  readonly name: string;
  /**
   * Give up after this long (a re-read of one shard at 10,000 Ingresses takes
   * tens of ms; the bound only matters when dnsmasq is down). @default DEFAULT_BARRIER_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
  /** Send a query again when no answer came within this long. @default DEFAULT_BARRIER_RESEND_MS */
  readonly resendMs?: number;
}

export const DEFAULT_BARRIER_TIMEOUT_MS = 5000;
export const DEFAULT_BARRIER_RESEND_MS = 250;

/** A DNS query for `name` type A, class IN, no recursion: a 12-byte header and the question. */
export function encodeQuery(id: number, name: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".");
  const parts: Buffer[] = [Buffer.from([id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) {
    const b = Buffer.from(l, "ascii");
    if (b.length === 0 || b.length > 63) throw new Error(`dns barrier: bad label in ${JSON.stringify(name)}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

/** The id of a DNS response (QR bit set), or undefined for anything else. */
export function responseId(msg: Buffer): number | undefined {
  if (msg.length < 12 || (msg[2] as number) < 0x80) return undefined;
  return ((msg[0] as number) << 8) | (msg[1] as number);
}

export function createDnsBarrier(opts: DnsBarrierOptions): DnsmasqBarrier {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_BARRIER_TIMEOUT_MS;
  const resendMs = opts.resendMs ?? DEFAULT_BARRIER_RESEND_MS;
  encodeQuery(0, opts.name); // reject a bad name at construction, not on the first write
  let nextId = Math.floor(Math.random() * 65536);
  return () =>
    new Promise<void>((resolve, reject) => {
      const sock = dgram.createSocket("udp4");
      const deadline = setTimeout(() => finish(new Error(`dnsmasq at ${opts.server}:${opts.port} did not answer ${opts.name} within ${timeoutMs} ms`)), timeoutMs);
      let resend: NodeJS.Timeout | undefined;
      let answered = 0;
      /** Ids of the queries of the current step: an answer to any of them counts. */
      let ids = new Set<number>();
      let done = false;
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        clearTimeout(resend);
        sock.close();
        if (err === undefined) resolve();
        else reject(err);
      };
      const send = (): void => {
        nextId = (nextId + 1) & 0xffff;
        ids.add(nextId);
        sock.send(encodeQuery(nextId, opts.name), (err) => {
          if (err) finish(err);
        });
        resend = setTimeout(send, resendMs);
      };
      sock.on("message", (msg) => {
        const id = responseId(msg);
        if (id === undefined || !ids.has(id)) return;
        clearTimeout(resend);
        // Query 2 (and its resends) must leave only after answer 1 arrived: a new step, new ids.
        ids = new Set();
        if (++answered === 2) finish();
        else send();
      });
      sock.on("error", (err) => finish(err));
      // Connected, so a closed port (dnsmasq not started yet: the pod starts the sidecar first)
      // comes back at once as ECONNREFUSED instead of waiting out the timeout.
      sock.connect(opts.port, opts.server, () => send());
    });
}
