/**
 * Polls one name over UDP on a single socket every ~1 ms until an answer
 * matches, and reports when that answer arrived. A query is sent on every
 * tick whether or not the previous one came back: while dnsmasq re-reads a
 * hosts file it answers nothing, and the first answer after the re-read is the
 * moment the change became visible. Loopback only; bounded by `timeoutMs`.
 */
import * as dgram from "node:dgram";
import * as dnsPacket from "dns-packet";

export interface PollTarget {
  readonly server: string;
  readonly port: number;
}

export interface PollAnswer {
  readonly rcode: string;
  readonly addresses: string[];
}

export class DnsPoller {
  private readonly sock = dgram.createSocket("udp4");
  private id = 0;
  private onAnswer: ((a: PollAnswer, at: number) => void) | undefined;
  /** Lowercase name being polled: late answers to an earlier poll of another name are ignored. */
  private polling: string | undefined;

  constructor(private readonly target: PollTarget) {
    this.sock.on("message", (msg) => {
      const at = performance.now();
      let res: dnsPacket.Packet;
      try {
        res = dnsPacket.decode(msg);
      } catch {
        return;
      }
      const q = res.questions?.[0];
      if (q === undefined || q.name.toLowerCase() !== this.polling) return;
      const addresses = (res.answers ?? []).filter((a) => a.type === "A").map((a) => String((a as { data: unknown }).data));
      this.onAnswer?.({ rcode: (res as { rcode?: string }).rcode ?? "NOERROR", addresses }, at);
    });
  }

  /** Resolves with the performance.now() time of the first answer for `name` that `ok` accepts. */
  waitFor(name: string, ok: (a: PollAnswer) => boolean, timeoutMs: number, intervalMs = 1): Promise<number> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      let last: PollAnswer | undefined;
      const finish = (err: Error | undefined, at = 0): void => {
        clearInterval(timer);
        this.onAnswer = undefined;
        this.polling = undefined;
        if (err === undefined) resolve(at);
        else reject(err);
      };
      this.polling = name.toLowerCase();
      this.onAnswer = (a, at) => {
        last = a;
        if (ok(a)) finish(undefined, at);
      };
      const send = (): void => {
        if (performance.now() - start > timeoutMs) {
          finish(new Error(`no matching answer for ${name} within ${timeoutMs} ms; last ${JSON.stringify(last)}`));
          return;
        }
        this.id = (this.id % 65535) + 1;
        const q = dnsPacket.encode({ type: "query", id: this.id, flags: 0, questions: [{ type: "A", name }] });
        this.sock.send(q, this.target.port, this.target.server);
      };
      const timer = setInterval(send, intervalMs);
      send();
    });
  }

  close(): void {
    this.sock.close();
  }
}
