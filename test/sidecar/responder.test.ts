/**
 * The DNS responder's logic (answer.ts), its wire format (checked against dns-packet, an
 * independent decoder), its sockets on loopback, and the staging of names under wildcards.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as dnsPacket from "dns-packet";
import type { HostsData } from "../../sidecar/src/model";
import { answerQuestion, responderData, type ResponderData } from "../../sidecar/src/responder/answer";
import { respond, ResponderServer } from "../../sidecar/src/responder/server";
import { holdMs, WildcardStaging } from "../../sidecar/src/responder/staging";
import { CacheBudget } from "../../sidecar/src/responder/budget";
import { parseQuery, RCODE, TYPE_A, TYPE_AAAA, TYPE_SOA } from "../../sidecar/src/responder/wire";
import { createMemoryLogger } from "../../sidecar/src/log";
import { query } from "../helpers/dns";

const Z = "apps.example.com";
const Z2 = "apps.example.org";
const TTL = 5;

function hosts(records: Record<string, string[]>, wildcards: Record<string, string[]> = {}, extra: Partial<HostsData> = {}): HostsData {
  return {
    zones: [Z, Z2],
    records: new Map(Object.entries(records)),
    nodeIps: ["10.0.0.1"],
    controlPlaneIps: [],
    ...(Object.keys(wildcards).length === 0 ? {} : { wildcards: new Map(Object.entries(wildcards)) }),
    ...extra,
  };
}

const data = responderData(
  hosts(
    { [`web.${Z}`]: ["10.0.0.1"], [`api.feat-1.preview.${Z}`]: ["10.0.0.9"], [`exact.preview.${Z}`]: ["10.0.0.7", "10.0.0.8"] },
    { [`*.preview.${Z}`]: ["10.0.0.2", "10.0.0.3"], [`*.a.${Z}`]: ["10.0.0.4"], [`*.b.a.${Z}`]: ["10.0.0.5"], [`*.${Z2}`]: ["10.0.0.6"] },
  ),
  TTL,
);

function ask(d: ResponderData, name: string, qtype = TYPE_A) {
  const a = answerQuestion(d, name, qtype);
  return { rcode: a.reply.rcode, ips: [...(a.reply.addresses ?? [])].sort(), ttl: a.reply.ttl, soa: a.reply.soa !== undefined, source: a.source };
}

describe("answerQuestion", () => {
  it("a wildcard answers names one label below its base, with the TTL; exact names win, with TTL 0", () => {
    assert.deepEqual(ask(data, `x.preview.${Z}`), { rcode: RCODE.NOERROR, ips: ["10.0.0.2", "10.0.0.3"], ttl: TTL, soa: false, source: "wildcard" });
    assert.deepEqual(ask(data, `exact.preview.${Z}`), { rcode: RCODE.NOERROR, ips: ["10.0.0.7", "10.0.0.8"], ttl: 0, soa: false, source: "exact" });
    assert.equal(ask(data, `web.${Z}`).ttl, 0);
    // A name that exists only because of a name below it is still the wildcard's (the ingress controller routes it so).
    assert.deepEqual(ask(data, `feat-1.preview.${Z}`).ips, ["10.0.0.2", "10.0.0.3"]);
    // The literal wildcard name answers like any name under the base.
    assert.deepEqual(ask(data, `*.preview.${Z}`).ips, ["10.0.0.2", "10.0.0.3"]);
    // A wildcard at the apex of a zone.
    assert.deepEqual(ask(data, `anything.${Z2}`).ips, ["10.0.0.6"]);
  });

  it("one label only: deeper names and the base itself are not the wildcard's", () => {
    assert.deepEqual(ask(data, `y.x.preview.${Z}`), { rcode: RCODE.NXDOMAIN, ips: [], ttl: undefined, soa: false, source: "negative" });
    // preview.<zone> exists (names below it), so NODATA, not NXDOMAIN, and no SOA for an A question.
    assert.deepEqual(ask(data, `preview.${Z}`), { rcode: RCODE.NOERROR, ips: [], ttl: undefined, soa: false, source: "negative" });
    assert.equal(ask(data, `y.x.${Z2}`).rcode, RCODE.NXDOMAIN);
  });

  it("the most specific wildcard is the parent's: *.b.a for x.b.a, *.a for b.a", () => {
    assert.deepEqual(ask(data, `x.b.a.${Z}`).ips, ["10.0.0.5"]);
    assert.deepEqual(ask(data, `b.a.${Z}`).ips, ["10.0.0.4"]);
    assert.deepEqual(ask(data, `c.a.${Z}`).ips, ["10.0.0.4"]);
    assert.equal(ask(data, `y.c.a.${Z}`).rcode, RCODE.NXDOMAIN);
  });

  it("reserved names are never a wildcard's, even under a wildcard at the apex", () => {
    const apexWild = responderData(hosts({}, { [`*.${Z}`]: ["10.0.0.6"] }), TTL);
    assert.deepEqual(ask(apexWild, `x.${Z}`).ips, ["10.0.0.6"]);
    // Present reserved names exist: NODATA. Absent ones (no control-plane IPs, no NS in forwarding mode): NXDOMAIN.
    assert.deepEqual([ask(apexWild, `cdns-health.${Z}`).rcode, ask(apexWild, `cdns-health.${Z}`).ips], [RCODE.NOERROR, []]);
    assert.deepEqual([ask(apexWild, `nodes.${Z}`).rcode, ask(apexWild, `nodes.${Z}`).ips], [RCODE.NOERROR, []]);
    assert.equal(ask(apexWild, `node-10-0-0-1.nodes.${Z}`, TYPE_AAAA).rcode, RCODE.NOERROR);
    assert.equal(ask(apexWild, `node-10-0-0-99.nodes.${Z}`).rcode, RCODE.NXDOMAIN);
    assert.equal(ask(apexWild, `control-plane.nodes.${Z}`).rcode, RCODE.NXDOMAIN);
    assert.equal(ask(apexWild, `ns1.${Z}`).rcode, RCODE.NXDOMAIN);
    assert.equal(ask(apexWild, `x.cdns-health.${Z}`).rcode, RCODE.NXDOMAIN);
  });

  it("other types: NODATA with the zone's SOA where the name exists or a wildcard covers it, NXDOMAIN (no SOA) elsewhere; SOA of the apex", () => {
    assert.deepEqual(ask(data, `web.${Z}`, TYPE_AAAA), { rcode: RCODE.NOERROR, ips: [], ttl: undefined, soa: true, source: "negative" });
    assert.deepEqual(ask(data, `x.preview.${Z}`, TYPE_AAAA).soa, true);
    assert.deepEqual(ask(data, `x.preview.${Z}`, 65).rcode, RCODE.NOERROR, "HTTPS queries too");
    assert.deepEqual(ask(data, `nope.${Z}`, TYPE_AAAA), { rcode: RCODE.NXDOMAIN, ips: [], ttl: undefined, soa: false, source: "negative" });
    assert.deepEqual(ask(data, `nope.${Z}`), { rcode: RCODE.NXDOMAIN, ips: [], ttl: undefined, soa: false, source: "negative" });
    assert.deepEqual(ask(data, Z, TYPE_SOA), { rcode: RCODE.NOERROR, ips: [], ttl: undefined, soa: true, source: "soa" });
    assert.deepEqual(ask(data, Z), { rcode: RCODE.NOERROR, ips: [], ttl: undefined, soa: false, source: "negative" }, "the apex exists");
    assert.equal(ask(data, `web.${Z}`, TYPE_SOA).rcode, RCODE.NOERROR, "an SOA query below the apex: NODATA");
  });

  it("outside the zones: REFUSED; a name no data can hold (a dot inside a label): NXDOMAIN", () => {
    assert.deepEqual(ask(data, "example.net").rcode, RCODE.REFUSED);
    assert.deepEqual(ask(data, "example.com").rcode, RCODE.REFUSED, "the zone's parent is not ours");
    assert.equal(answerQuestion(data, undefined, TYPE_A).reply.rcode, RCODE.NXDOMAIN);
  });

  it("rotates a multi-address answer: every address leads in turn", () => {
    const firsts = new Set([0, 1, 2, 3].map((turn) => answerQuestion(data, `x.preview.${Z}`, TYPE_A, turn).reply.addresses?.[0]));
    assert.deepEqual([...firsts].sort(), ["10.0.0.2", "10.0.0.3"]);
  });
});

/** A query as bytes, through dns-packet (an independent encoder). */
function wireQuery(name: string, type: dnsPacket.RecordType = "A", opts: { edns?: number; id?: number; flags?: number } = {}): Buffer {
  return dnsPacket.encode({
    type: "query", id: opts.id ?? 4242, flags: opts.flags ?? dnsPacket.RECURSION_DESIRED, questions: [{ type, name }],
    ...(opts.edns === undefined ? {} : { additionals: [{ type: "OPT", name: ".", udpPayloadSize: opts.edns } as dnsPacket.Answer] }),
  });
}

describe("wire format (decoded by dns-packet)", () => {
  it("an A answer: id, flags (QR AA RD echoed), question as asked (case kept), records pointing at it, EDNS echoed", () => {
    const out = respond(wireQuery(`X.Preview.${Z}`, "A", { edns: 4096 }), data, { turn: 0, tcp: false });
    assert.ok(out !== undefined);
    const r = dnsPacket.decode(out);
    assert.equal(r.id, 4242);
    assert.equal(r.type, "response");
    assert.equal((r.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER, dnsPacket.AUTHORITATIVE_ANSWER);
    assert.equal((r.flags ?? 0) & dnsPacket.RECURSION_DESIRED, dnsPacket.RECURSION_DESIRED);
    assert.equal(r.questions?.[0]?.name, `X.Preview.${Z}`);
    assert.deepEqual(r.answers?.map((a) => [a.name, a.type, (a as { ttl?: number }).ttl, (a as { data: unknown }).data]), [
      [`X.Preview.${Z}`, "A", TTL, "10.0.0.2"],
      [`X.Preview.${Z}`, "A", TTL, "10.0.0.3"],
    ]);
    const opt = r.additionals?.find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
    assert.equal(opt?.udpPayloadSize, 1232);
  });

  it("NODATA carries the SOA of the name's zone in authority (owner compressed into the question)", () => {
    const r = dnsPacket.decode(respond(wireQuery(`web.${Z}`, "AAAA"), data, { turn: 0, tcp: false }) as Buffer);
    assert.equal((r as { rcode?: string }).rcode, "NOERROR");
    assert.equal(r.answers?.length, 0);
    const soa = r.authorities?.[0] as unknown as { name: string; type: string; ttl: number; data: Record<string, unknown> };
    assert.equal(soa.type, "SOA");
    assert.equal(soa.name, Z);
    assert.equal(soa.ttl, TTL);
    assert.deepEqual(soa.data, { mname: `ns1.${Z}`, rname: `hostmaster.${Z}`, serial: 1, refresh: 1200, retry: 180, expire: 1209600, minimum: TTL });
    const r2 = dnsPacket.decode(respond(wireQuery(`x.${Z2}`, "TXT"), data, { turn: 0, tcp: false }) as Buffer);
    assert.equal((r2.authorities?.[0] as { name: string }).name, Z2);
  });

  it("too big for the client: no records and TC (a plain client gets 512 bytes, EDNS at most 1232); TCP takes it all", () => {
    const many = Array.from({ length: 64 }, (_, i) => `10.1.0.${i + 1}`);
    const big = responderData(hosts({}, { [`*.big.${Z}`]: many }), TTL);
    const plain = dnsPacket.decode(respond(wireQuery(`x.big.${Z}`), big, { turn: 0, tcp: false }) as Buffer);
    assert.equal((plain.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE, dnsPacket.TRUNCATED_RESPONSE);
    assert.equal(plain.answers?.length, 0);
    const edns = dnsPacket.decode(respond(wireQuery(`x.big.${Z}`, "A", { edns: 1232 }), big, { turn: 0, tcp: false }) as Buffer);
    assert.equal((edns.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE, 0);
    assert.equal(edns.answers?.length, 64, "64 addresses (the most --max-targets allows) fit 1232 bytes");
    const tcp = dnsPacket.decode(respond(wireQuery(`x.big.${Z}`), big, { turn: 0, tcp: true }) as Buffer);
    assert.equal(tcp.answers?.length, 64);
  });

  it("FORMERR for two questions, NOTIMP for another opcode, nothing for responses or runts, SERVFAIL before the first plan", () => {
    const two = dnsPacket.encode({ type: "query", id: 7, questions: [{ type: "A", name: `a.${Z}` }, { type: "A", name: `b.${Z}` }] });
    assert.equal((dnsPacket.decode(respond(two, data, { turn: 0, tcp: false }) as Buffer) as { rcode?: string }).rcode, "FORMERR");
    const notify = dnsPacket.encode({ type: "query", id: 8, flags: 4 << 11, questions: [{ type: "SOA", name: Z }] });
    assert.equal((dnsPacket.decode(respond(notify, data, { turn: 0, tcp: false }) as Buffer) as { rcode?: string }).rcode, "NOTIMP");
    const response = dnsPacket.encode({ type: "response", id: 9, questions: [{ type: "A", name: `a.${Z}` }] });
    assert.equal(respond(response, data, { turn: 0, tcp: false }), undefined);
    assert.equal(respond(Buffer.from([1, 2, 3]), data, { turn: 0, tcp: false }), undefined);
    const early = dnsPacket.decode(respond(wireQuery(`x.preview.${Z}`), undefined, { turn: 0, tcp: false }) as Buffer);
    assert.equal((early as { rcode?: string }).rcode, "SERVFAIL");
    assert.equal(early.id, 4242);
    // Garbage after a valid header never throws.
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.from(Array.from({ length: 12 + (i % 40) }, (_, k) => (k * 7919 + i * 104729) & 255));
      junk[2] = (junk[2] as number) & 0x7f;
      respond(junk, data, { turn: 0, tcp: false });
    }
  });

  it("parseQuery reads the EDNS size and lowercases the name", () => {
    const q = parseQuery(wireQuery(`WEB.${Z}`, "AAAA", { edns: 1400 }));
    assert.ok(!("error" in q));
    assert.equal(q.name, `web.${Z}`);
    assert.equal(q.qtype, TYPE_AAAA);
    assert.equal(q.ednsUdpSize, 1400);
  });
});

describe("ResponderServer on loopback", () => {
  it("answers over UDP and TCP from the published data; SERVFAIL until then", async () => {
    const logger = createMemoryLogger();
    const counts: string[] = [];
    const server = await ResponderServer.start({ host: "127.0.0.1", port: 0, ttlSeconds: TTL }, { logger, count: (rcode, source) => counts.push(`${rcode}/${source}`) });
    try {
      const opts = { server: "127.0.0.1", port: server.port };
      assert.equal((await query(`x.preview.${Z}`, opts)).rcode, "SERVFAIL");
      server.publish(data);
      const udp = await query(`x.preview.${Z}`, opts);
      assert.deepEqual([...udp.addresses].sort(), ["10.0.0.2", "10.0.0.3"]);
      assert.equal(udp.aa, true);
      const tcp = await query(`x.preview.${Z}`, { ...opts, tcp: true });
      assert.deepEqual([...tcp.addresses].sort(), ["10.0.0.2", "10.0.0.3"]);
      assert.equal((await query(`nope.${Z}`, opts)).rcode, "NXDOMAIN");
      assert.equal((await query("example.net", opts)).rcode, "REFUSED");
      // Successive answers lead with each address in turn.
      const leads = new Set<string>();
      for (let i = 0; i < 4; i++) leads.add((await query(`x.preview.${Z}`, opts)).addresses[0] as string);
      assert.equal(leads.size, 2);
      assert.deepEqual(counts.slice(0, 5), ["SERVFAIL/not_ready", "NOERROR/wildcard", "NOERROR/wildcard", "NXDOMAIN/negative", "REFUSED/refused"]);
    } finally {
      await server.stop();
    }
  });
});

describe("WildcardStaging", () => {
  const hold = holdMs(TTL);
  const W = { [`*.preview.${Z}`]: ["10.0.0.2"] };

  it("names not under a wildcard go straight to the hosts files", () => {
    const s = new WildcardStaging(TTL);
    const h = hosts({ [`web.${Z}`]: ["10.0.0.1"] });
    const r = s.stage(h, 0);
    assert.equal(r.hosts, h);
    assert.deepEqual(r.held, []);
    assert.equal(r.recheckAt, undefined);
  });

  it("a new exact name under a live wildcard waits one hold (TTL + 2 s), then goes in; names already in the hosts files stay", () => {
    const s = new WildcardStaging(TTL);
    const before = hosts({ [`web.preview.${Z}`]: ["10.0.0.1"] }, W);
    // At start nothing is known to be in the hosts files: names under a wildcard wait once.
    assert.deepEqual(s.stage(before, 0).held, [`web.preview.${Z}`]);
    s.written(s.stage(before, hold).hosts, true);
    const after = hosts({ [`web.preview.${Z}`]: ["10.0.0.1"], [`new.preview.${Z}`]: ["10.0.0.9"], [`other.${Z}`]: ["10.0.0.9"] }, W);
    const t0 = 100_000;
    const r = s.stage(after, t0);
    assert.deepEqual(r.held, [`new.preview.${Z}`]);
    assert.deepEqual([...r.hosts.records.keys()].sort(), [`other.${Z}`, `web.preview.${Z}`]);
    assert.equal(r.recheckAt, t0 + hold);
    s.written(r.hosts, true);
    assert.deepEqual(s.stage(after, t0 + hold - 1).held, [`new.preview.${Z}`], "the hold counts from the first plan that held it");
    const done = s.stage(after, t0 + hold);
    assert.deepEqual(done.held, []);
    assert.equal(done.hosts, after);
  });

  it("a wildcard removed less than a hold ago still holds new names under it; after that it does not", () => {
    const s = new WildcardStaging(TTL);
    s.written(s.stage(hosts({}, W), 0).hosts, true);
    s.stage(hosts({}), 1000); // the wildcard goes
    const name = { [`late.preview.${Z}`]: ["10.0.0.9"] };
    assert.deepEqual(s.stage(hosts(name), 1000 + hold - 1).held, [`late.preview.${Z}`]);
    const s2 = new WildcardStaging(TTL);
    s2.written(s2.stage(hosts({}, W), 0).hosts, true);
    s2.stage(hosts({}), 1000);
    assert.deepEqual(s2.stage(hosts(name), 1000 + hold).held, []);
  });

  it("after a failed write only the names both writes agree on count as written", () => {
    const s = new WildcardStaging(TTL);
    const a = hosts({ [`a.preview.${Z}`]: ["10.0.0.1"] }, W);
    s.written(s.stage(a, 0).hosts, true);
    s.written(s.stage(a, hold).hosts, true);
    // The failed write would have removed a.preview; it may have: a.preview counts as not written.
    s.written(hosts({}, W), false);
    assert.deepEqual(s.stage(a, hold + 1000).held, [`a.preview.${Z}`]);
  });

  it("TTL 0: the hold is still 2 s (dnsmasq counts whole seconds)", () => {
    assert.equal(holdMs(0), 2000);
    assert.equal(holdMs(5), 7000);
  });
});

describe("CacheBudget and uncacheable answers past it", () => {
  it("counts records per window of TTL + 1 s; past the limit answers go out with TTL 0, NODATA without its SOA; room comes back as the window moves", () => {
    const b = new CacheBudget(10, 3);
    assert.equal(b.take(8, 0), true);
    assert.equal(b.take(2, 900), true);
    assert.equal(b.take(1, 1500), false, "10 records in the window already");
    assert.equal(b.take(1, 2999), false);
    assert.equal(b.take(8, 3000), true, "the first second's 8 left the window");
    assert.equal(b.take(3, 3000), false);
    assert.equal(b.take(10, 60_000), true, "an idle gap empties the window");
  });

  it("respond(): over budget, the wildcard answer keeps its addresses with TTL 0 and NODATA loses its SOA; exact answers (TTL 0) never count", () => {
    let allowed = false;
    const taken: number[] = [];
    const cacheable = (n: number) => {
      taken.push(n);
      return allowed;
    };
    const wild = dnsPacket.decode(respond(wireQuery(`x.preview.${Z}`), data, { turn: 0, tcp: false, cacheable }) as Buffer);
    assert.deepEqual(wild.answers?.map((a) => [(a as { data: unknown }).data, (a as { ttl?: number }).ttl]), [["10.0.0.2", 0], ["10.0.0.3", 0]]);
    const nodata = dnsPacket.decode(respond(wireQuery(`web.${Z}`, "AAAA"), data, { turn: 0, tcp: false, cacheable }) as Buffer);
    assert.equal((nodata as { rcode?: string }).rcode, "NOERROR");
    assert.deepEqual(nodata.authorities, []);
    respond(wireQuery(`web.${Z}`), data, { turn: 0, tcp: false, cacheable });
    assert.deepEqual(taken, [2, 1], "two addresses, one negative entry; the exact answer asked nothing");
    allowed = true;
    const ok = dnsPacket.decode(respond(wireQuery(`x.preview.${Z}`), data, { turn: 0, tcp: false, cacheable }) as Buffer);
    assert.equal((ok.answers?.[0] as { ttl?: number }).ttl, TTL);
  });
});
