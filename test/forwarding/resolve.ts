/**
 * A recursive query for the iDNS servers under test. test/helpers/dns.ts sends
 * RD=0 (right for asking dnsmasq directly), but a resolver asked without RD
 * answers only from its cache, so it would never forward at all.
 */
import * as dgram from "node:dgram";
import * as dnsPacket from "dns-packet";

export interface Resolved {
  readonly rcode: string;
  readonly aa: boolean;
  readonly addresses: string[];
  readonly ttls: number[];
}

let nextId = 1;

export function resolve(name: string, server: string, port: number, timeoutMs = 4000): Promise<Resolved> {
  nextId = (nextId % 65535) + 1;
  const id = nextId;
  const q = dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] });
  return new Promise((resolvePromise, reject) => {
    const sock = dgram.createSocket("udp4");
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`DNS timeout: ${name} @${server}:${port}`));
    }, timeoutMs);
    sock.on("message", (msg) => {
      const res = dnsPacket.decode(msg);
      if (res.id !== id) return;
      clearTimeout(timer);
      sock.close();
      const a = (res.answers ?? []).filter((r) => r.type === "A");
      resolvePromise({
        rcode: (res as { rcode?: string }).rcode ?? "NOERROR",
        aa: ((res.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
        addresses: a.map((r) => String((r as { data: unknown }).data)),
        ttls: a.map((r) => (r as { ttl?: number }).ttl ?? -1),
      });
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.send(q, port, server);
  });
}
