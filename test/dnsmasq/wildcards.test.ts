/**
 * Wildcard hosts end to end on loopback: real dnsmasq with our rendered conf (zones forwarded to
 * the responder), the sidecar in-process (store -> plan -> staging -> sink with its DNS barrier,
 * and the responder), under continuous A queries from a worker thread (~3,000 qps).
 *
 * A wildcard is added, its targets changed, an exact name is added under it, and it is removed,
 * while exact names (some of them under the wildcard), wildcard-covered names, names two labels
 * under it and unknown names are queried throughout. Every answer must be one of the states the
 * name had from (its send time - the staleness bound) to its arrival: never a mix of two states,
 * never a duplicate. The bound is 0 for names that never change (every exact name answers its own
 * set, always) and TTL + 1.5 s for names answered from dnsmasq's cache of the responder's answers
 * (dnsmasq keeps a forwarded answer up to TTL + 1 s: whole seconds). Added wildcards answer at
 * once (dnsmasq caches no NXDOMAIN from the responder); removed ones are NXDOMAIN within that bound.
 *
 * Then, with the load stopped: NODATA with an SOA for AAAA (answered from dnsmasq's cache the
 * second time), what clients see of the rotation of a wildcard answer, and the responder's outage
 * (the sidecar stopped: exact names still answer, covered names do not, until it is back).
 */
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { healthName } from "../../lib/dns/names";
import { startSidecar, type RunningSidecar } from "../../sidecar/src/app";
import { createMemoryLogger } from "../../sidecar/src/log";
import { validateSidecarSettings } from "../../sidecar/src/settings";
import { AtomicHostsWriter } from "../../sidecar/src/sink/atomicWriter";
import { createDnsBarrier } from "../../sidecar/src/sink/dnsBarrier";
import { InMemoryWatch } from "../../sidecar/src/watch";
import { query } from "../helpers/dns";
import { startDnsmasq, type RunningDnsmasq } from "../helpers/dnsmasq";
import { freePort } from "../helpers/ports";
import { answerMatches, clock, ContinuousProber, type ProbeAnswer } from "../helpers/prober";
import { ingress } from "../sidecar/fakes";

const ZONE = "apps.example.com";
const TTL = 2;
/** dnsmasq keeps a forwarded answer for up to TTL + 1 s (whole seconds), plus margin for the answer in flight. */
const STALE_MS = TTL * 1000 + 1500;
const HOLD_MS = (TTL + 2) * 1000;
/** From store.upsert() to the responder's new data: debounce (20 ms) and a plan, with a wide margin. */
const PROPAGATE_MS = 500;

const W1 = ["10.9.0.1", "10.9.0.2"];
const W2 = ["10.9.0.3"];
const X = ["10.8.0.1"];
const EXACT = Array.from({ length: 20 }, (_, i) => [`app-${i}.${ZONE}`, [`10.1.0.${i + 1}`, `10.1.1.${i + 1}`]] as const);
const UNDER = Array.from({ length: 5 }, (_, i) => [`exact-${i}.preview.${ZONE}`, [`10.2.0.${i + 1}`]] as const);
const COVERED = Array.from({ length: 10 }, (_, i) => `w-${i}.preview.${ZONE}`);
const NEW_EXACT = `api.preview.${ZONE}`;
const NEVER = [...Array.from({ length: 5 }, (_, i) => `nope-${i}.${ZONE}`), `deep.w-1.preview.${ZONE}`, `deep.exact-0.preview.${ZONE}`];

/** A name's states over time: from `at` (ms, prober clock) it answers `ips` (null: NXDOMAIN). */
type Timeline = Array<{ at: number; ips: readonly string[] | null; staleMs: number }>;

/** True when `a` equals a state the name had between its send time (less the bound) and its arrival. */
function allowed(t: Timeline, a: ProbeAnswer): boolean {
  let k = 0;
  for (let i = 0; i < t.length; i++) if ((t[i] as Timeline[number]).at <= a.sentAt) k = i;
  const ok: Array<readonly string[] | null> = [(t[k] as Timeline[number]).ips];
  // The state before, while the change that ended it is younger than its bound.
  if (k > 0 && a.sentAt - (t[k] as Timeline[number]).at < (t[k] as Timeline[number]).staleMs) ok.push((t[k - 1] as Timeline[number]).ips);
  // Changes begun before the answer arrived.
  for (let i = k + 1; i < t.length && (t[i] as Timeline[number]).at <= a.at; i++) ok.push((t[i] as Timeline[number]).ips);
  return ok.some((want) => answerMatches(want, a));
}

function show(a: ProbeAnswer, t0: number): string {
  return `${a.name} sent +${(a.sentAt - t0).toFixed(0)} ms: ${a.rcode} [${a.ips.join(",")}]`;
}

describe("wildcards with real dnsmasq and the responder, under load", () => {
  let d: RunningDnsmasq;
  let responderPort: number;
  let sidecar: RunningSidecar | undefined;
  const logger = createMemoryLogger();

  async function start(): Promise<RunningSidecar> {
    const r = validateSidecarSettings({
      zones: ZONE, "hosts-dir": d.hostsDir, "debounce-ms": "20", "max-delay-ms": "100", "ttl-seconds": String(TTL),
      "responder-address": `127.0.0.1:${responderPort}`, "dnsmasq-address": `${d.address}:${d.port}`,
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const sink = new AtomicHostsWriter({
      dir: d.hostsDir, log: () => undefined,
      barrier: createDnsBarrier({ server: d.address, port: d.port, name: healthName(ZONE) }),
    });
    const s = await startSidecar({ ...r.settings, httpPort: 0 }, {
      logger, sink, httpHost: "127.0.0.1",
      watches: async () => [new InMemoryWatch("Ingress"), new InMemoryWatch("Node")],
    });
    await s.started;
    return s;
  }

  before(async () => {
    responderPort = await freePort("127.0.0.1");
    d = await startDnsmasq({ zones: [ZONE], ttlSeconds: TTL, responderPort, logQueries: process.env.CDNS_LOG_QUERIES === "1" });
    sidecar = await start();
    for (const [name, ips] of [...EXACT, ...UNDER]) sidecar.store.upsert("Ingress", ingress("apps", name.split(".")[0] as string, [name], [...ips]));
    await sidecar.controller.reconcileNow();
  });
  after(async () => {
    await sidecar?.stop();
    await d?.stop();
  });

  // RD set, as the resolvers forwarding to the cDNS send it: only those queries see dnsmasq's cache.
  const opts = () => ({ server: d.address, port: d.port, ednsUdpSize: 1232, rd: true });

  it("add, change, exact name under it, remove: no wrong answer, exact names always right, uncovered always NXDOMAIN", async () => {
    const s = sidecar as RunningSidecar;
    for (const [name, ips] of [...EXACT, ...UNDER]) assert.deepEqual([...(await query(name, opts())).addresses].sort(), [...ips].sort(), name);

    const names = [...EXACT.map(([n]) => n), ...UNDER.map(([n]) => n), ...COVERED, NEW_EXACT, ...NEVER];
    const prober = new ContinuousProber(d.address, d.port, 3, true);
    try {
      prober.setNames(names);
      await prober.firstMatches({ [EXACT[0]?.[0] as string]: EXACT[0]?.[1] as readonly string[] }, clock(), 5000);
      const t0 = clock();
      prober.clear();
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await wait(500);

      const c1 = clock();
      s.store.upsert("Ingress", ingress("qa", "preview", [`*.preview.${ZONE}`], W1));
      await wait(3000);
      const c2 = clock();
      s.store.upsert("Ingress", ingress("qa", "preview", [`*.preview.${ZONE}`], W2));
      await wait(4000);
      const c3 = clock();
      s.store.upsert("Ingress", ingress("qa", "api", [NEW_EXACT], X));
      await wait(HOLD_MS + 1500);
      const c4 = clock();
      s.store.remove("Ingress", ingress("qa", "preview", []));
      await wait(STALE_MS + 1500);
      const end = clock();
      const log = await prober.dump();

      const timelines = new Map<string, Timeline>();
      for (const [name, ips] of [...EXACT, ...UNDER]) timelines.set(name, [{ at: -Infinity, ips, staleMs: 0 }]);
      for (const name of NEVER) timelines.set(name, [{ at: -Infinity, ips: null, staleMs: 0 }]);
      for (const name of COVERED) {
        timelines.set(name, [
          { at: -Infinity, ips: null, staleMs: 0 },
          { at: c1, ips: W1, staleMs: PROPAGATE_MS },
          { at: c2, ips: W2, staleMs: STALE_MS + PROPAGATE_MS },
          { at: c4, ips: null, staleMs: STALE_MS + PROPAGATE_MS },
        ]);
      }
      timelines.set(NEW_EXACT, [
        { at: -Infinity, ips: null, staleMs: 0 },
        { at: c1, ips: W1, staleMs: PROPAGATE_MS },
        { at: c2, ips: W2, staleMs: STALE_MS + PROPAGATE_MS },
        { at: c3, ips: X, staleMs: STALE_MS + PROPAGATE_MS },
      ]);

      const during = log.answers.filter((a) => a.sentAt >= t0 && a.sentAt <= end);
      const wrong = during.filter((a) => !allowed(timelines.get(a.name) as Timeline, a));
      assert.deepEqual(wrong.slice(0, 8).map((a) => show(a, c1)), [], `${wrong.length} of ${during.length} answers not allowed`);
      const exactNames = new Set<string>([...EXACT, ...UNDER].map(([n]) => n));
      const exactAnswers = during.filter((a) => exactNames.has(a.name));
      assert.ok(exactAnswers.length > 1000, `exact names asked ${exactAnswers.length} times`);

      const sent = log.sentAt.filter((t) => t >= t0 && t <= end - 1000).length;
      const answered = during.filter((a) => a.sentAt <= end - 1000).length;
      assert.ok(answered / sent >= 0.999, `${sent - answered} of ${sent} queries unanswered`);
      const exactSent = sent * (exactNames.size / names.length);
      assert.ok(exactAnswers.filter((a) => a.sentAt <= end - 1000).length >= exactSent * 0.999, "exact names answered");

      // Added: every covered name answers the wildcard at once (no cached NXDOMAIN).
      const firstAfter = (name: string, from: number, pred: (a: ProbeAnswer) => boolean) =>
        during.find((a) => a.name === name && a.sentAt >= from && pred(a));
      const addMs = Math.max(...COVERED.map((n) => ((firstAfter(n, c1, (a) => answerMatches(W1, a))?.at ?? Infinity) - c1)));
      assert.ok(addMs < 1000, `a covered name answered the new wildcard ${addMs.toFixed(0)} ms after the Ingress was added`);
      // Changed: the last answer of the old set (from dnsmasq's cache), after the change.
      const changeMs = Math.max(...COVERED.map((n) => ([...during].reverse().find((a) => a.name === n && answerMatches(W1, a))?.at ?? c2) - c2));
      // Removed: NXDOMAIN within the bound, checked for every covered name, and nothing else after it (allowed() above).
      const removeMs = Math.max(...COVERED.map((n) => {
        const lastOld = [...during].reverse().find((a) => a.name === n && a.rcode !== "NXDOMAIN");
        return (lastOld?.at ?? c4) - c4;
      }));
      assert.ok(removeMs <= STALE_MS + PROPAGATE_MS, `a covered name still answered ${removeMs.toFixed(0)} ms after the wildcard was removed`);
      const newExactMs = (firstAfter(NEW_EXACT, c3, (a) => answerMatches(X, a))?.at ?? Infinity) - c3;
      assert.ok(newExactMs <= STALE_MS + PROPAGATE_MS, `the exact name under the wildcard answered its own set after ${newExactMs.toFixed(0)} ms`);
      assert.ok(s.controller.lastWritten?.records.has(NEW_EXACT), "and is in the hosts files after its hold");
      console.log(
        `${during.length} answers in ${((end - t0) / 1000).toFixed(1)} s (${Math.max(0, sent - answered)} unanswered), 0 wrong; ` +
        `wildcard added -> answered ${addMs.toFixed(0)} ms; last old set after a change ${changeMs.toFixed(0)} ms; ` +
        `removed -> last non-NXDOMAIN ${removeMs.toFixed(0)} ms; exact name under it -> its own set ${newExactMs.toFixed(0)} ms`,
      );
    } finally {
      await prober.close();
    }
  });

  it("AAAA of an exact name: NODATA with the zone's SOA, the second from dnsmasq's cache; unknown names NXDOMAIN without one", async () => {
    const s = sidecar as RunningSidecar;
    const name = EXACT[3]?.[0] as string;
    const count = () => s.controller.metrics.responderQueries.get({ rcode: "NOERROR", answer: "negative" });
    const before = count();
    const a = await query(name, { ...opts(), type: "AAAA" });
    assert.equal(a.rcode, "NOERROR");
    assert.equal(a.answers.length, 0);
    assert.deepEqual(a.authorities.map((r) => [r.type, r.name]), [["SOA", ZONE]]);
    assert.equal(count(), before + 1);
    const again = await query(name, { ...opts(), type: "AAAA" });
    assert.equal(again.rcode, "NOERROR");
    assert.equal(count(), before + 1, `answered by dnsmasq negative cache\n${d.output().split("\n").filter((l) => l.includes(name)).slice(-10).join("\n")}`);
    // The cached NODATA for AAAA changes nothing about the name's A answer.
    assert.deepEqual([...(await query(name, opts())).addresses].sort(), [...(EXACT[3]?.[1] ?? [])].sort());
    const nx = await query(`nope-x.${ZONE}`, { ...opts(), type: "AAAA" });
    assert.equal(nx.rcode, "NXDOMAIN");
    assert.deepEqual(nx.authorities, []);
    const nxA = await query(`nope-x.${ZONE}`, opts());
    assert.equal(nxA.rcode, "NXDOMAIN");
    assert.equal((await query("example.net", opts())).rcode, "REFUSED", "outside the zones: still REFUSED by dnsmasq itself");
  });

  it("rotation as clients see it: a wildcard answer from dnsmasq's cache rotates like a hosts answer", async () => {
    const s = sidecar as RunningSidecar;
    const ips = ["10.9.1.1", "10.9.1.2", "10.9.1.3"];
    s.store.upsert("Ingress", ingress("qa", "rot", [`*.rot.${ZONE}`], ips));
    await s.controller.reconcileNow();
    const firsts: string[] = [];
    for (let i = 0; i < 12; i++) {
      const a = await query(`x.rot.${ZONE}`, opts());
      assert.deepEqual([...a.addresses].sort(), ips);
      firsts.push(a.addresses[0] as string);
    }
    const distinct = new Set(firsts);
    console.log(`first address of 12 answers in a row: ${firsts.join(" ")}`);
    assert.equal(distinct.size, 3, "every address leads some answers");
  });

  it("the responder down (sidecar stopped): exact names still answer; covered names do not; back once it is", async () => {
    const s = sidecar as RunningSidecar;
    s.store.upsert("Ingress", ingress("qa", "preview", [`*.preview.${ZONE}`], W1));
    await s.controller.reconcileNow();
    const covered = `w-0.preview.${ZONE}`;
    await new Promise((r) => setTimeout(r, STALE_MS)); // nothing cached from before
    assert.deepEqual([...(await query(covered, opts())).addresses].sort(), W1);
    await s.stop();
    sidecar = undefined;
    await new Promise((r) => setTimeout(r, STALE_MS)); // dnsmasq's cached copy expired
    for (const [name, ips] of EXACT.slice(0, 5)) assert.deepEqual([...(await query(name, opts())).addresses].sort(), [...ips].sort(), name);
    let outcome: string;
    try {
      outcome = (await query(`w-5.preview.${ZONE}`, { ...opts(), timeoutMs: 1500 })).rcode;
    } catch {
      outcome = "timeout";
    }
    assert.ok(outcome === "timeout" || outcome === "SERVFAIL", outcome);
    const restartAt = clock();
    sidecar = await start();
    sidecar.store.upsert("Ingress", ingress("qa", "preview", [`*.preview.${ZONE}`], W1));
    for (const [name, ips] of [...EXACT, ...UNDER]) sidecar.store.upsert("Ingress", ingress("apps", name.split(".")[0] as string, [name], [...ips]));
    await sidecar.controller.reconcileNow();
    let back = NaN;
    for (let i = 0; i < 100; i++) {
      try {
        const a = await query(`w-6.preview.${ZONE}`, { ...opts(), timeoutMs: 500 });
        if (answerMatches(W1, { rcode: a.rcode, ips: a.addresses })) {
          back = clock() - restartAt;
          break;
        }
      } catch {
        // dnsmasq may still wait on its earlier forward: ask again
      }
    }
    console.log(`responder down: covered name -> ${outcome}; back ${back.toFixed(0)} ms after the sidecar started again`);
    assert.ok(back < 5000, `covered names back after ${back} ms`);
  });
});
