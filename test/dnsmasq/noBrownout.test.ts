/**
 * No brownout (issue 14, part 3): with the sink's layout and its DNS barrier,
 * changes that rewrite every one of 10,000 names (a node flip of a set all
 * names share, as with a DaemonSet ingress controller, and every name moving
 * to a new set of its own) leave dnsmasq answering throughout:
 *
 * - every query sent while the change is applied gets an answer within a
 *   generous bound (ANSWER_BOUND_MS), and answers never stop for that long;
 * - every answer is exactly the name's old set or its new one: never empty,
 *   NXDOMAIN, mixed or duplicated;
 * - once write() resolved, every one of the 10,000 names answers the new set.
 *
 * Not a timing test: the bound is 20x what a paced change needs per file at
 * this size and only catches dnsmasq going silent for a whole re-read of
 * everything (measured before the barrier: 0.6-0.7 s without answers on a
 * busy 2-CPU box; `npm run bench` has the numbers).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { healthName } from "../../lib/dns/names";
import type { HostsData } from "../../sidecar/src/model";
import { AtomicHostsWriter } from "../../sidecar/src/sink/atomicWriter";
import { createDnsBarrier } from "../../sidecar/src/sink/dnsBarrier";
import { DEFAULT_HOSTS_SHARDS, shardOf } from "../../sidecar/src/sink/shards";
import { startDnsmasq } from "../helpers/dnsmasq";
import { answeredShare, answerMatches, clock, ContinuousProber, longestGap, sweep, type ProbeAnswer } from "../helpers/prober";
import { rng } from "../helpers/rng";

const ZONE = "apps.example.com";
const N = 10_000;
const ANSWER_BOUND_MS = 1000;
const POOL = Array.from({ length: 20 }, (_, i) => `10.42.0.${i + 1}`);
const NAMES = Array.from({ length: N }, (_, i) => `app-${i}.${ZONE}`);

function shared(ips: readonly string[]): HostsData {
  return { zones: [ZONE], records: new Map(NAMES.map((n) => [n, ips])), nodeIps: ips };
}

/** Every name its own random 2..8 addresses of POOL, sorted as the plan sorts them. */
function ownSets(seed: number): HostsData {
  const r = rng(seed);
  const records = new Map<string, readonly string[]>();
  for (const name of NAMES) {
    const k = 2 + Math.floor(r() * 7);
    records.set(name, [...POOL].sort(() => r() - 0.5).slice(0, k).sort((a, b) => Number(a.split(".")[3]) - Number(b.split(".")[3])));
  }
  return { zones: [ZONE], records, nodeIps: POOL };
}

/** 16 changed names per shard file: every file the change rewrites is watched. */
function probeNames(before: HostsData, after: HostsData): string[] {
  const perShard = new Map<number, string[]>();
  for (const name of NAMES) {
    if ((before.records.get(name) ?? []).join() === (after.records.get(name) ?? []).join()) continue;
    const list = perShard.get(shardOf(name, DEFAULT_HOSTS_SHARDS)) ?? [];
    if (list.length < 16) perShard.set(shardOf(name, DEFAULT_HOSTS_SHARDS), [...list, name]);
  }
  return [...perShard.values()].flat();
}

function describe(a: ProbeAnswer): string {
  return `${a.name} ${a.rcode} [${a.ips.join(",")}]`;
}

test("10,000 names: a shared-set node flip and every name's set changing, under continuous queries: always answered, only old or new sets", async () => {
  const d = await startDnsmasq({ zones: [ZONE], ttlSeconds: 5 });
  const prober = new ContinuousProber(d.address, d.port, 3);
  try {
    const server = { server: d.address, port: d.port };
    const barrier = createDnsBarrier({ ...server, name: healthName(ZONE) });
    const writer = new AtomicHostsWriter({ dir: d.hostsDir, barrier, log: () => undefined });
    const S = POOL.slice(0, 8);
    const states: Array<[string, HostsData]> = [
      ["shared set of 8", shared(S)],
      ["node flip: one IP leaves every answer", shared(S.slice(1))],
      ["node back: the IP returns to every answer", shared(S)],
      ["every name moves to a set of its own", ownSets(1)],
      ["every name moves to another set of its own", ownSets(2)],
    ];
    let current = states[0]?.[1] as HostsData;
    const first = await writer.write(current);
    assert.equal(first.paced, true, "the barrier confirmed the first write");
    const all = await sweep(d.address, d.port, NAMES);
    const notServed = NAMES.filter((n) => !answerMatches(current.records.get(n), all.get(n) as ProbeAnswer));
    assert.deepEqual(notServed.slice(0, 5), [], `${notServed.length} names not served right after the first write`);

    for (const [label, next] of states.slice(1)) {
      const probes = probeNames(current, next);
      assert.ok(probes.length >= DEFAULT_HOSTS_SHARDS * 8, `${label}: probes cover every shard (${probes.length})`);
      prober.setNames(probes);
      prober.clear();
      // The prober is answering before the change starts.
      await prober.firstMatches({ [probes[0] as string]: current.records.get(probes[0] as string) as readonly string[] }, clock(), 5000);
      const t0 = clock();
      const res = await writer.write(next);
      const t1 = clock();
      await new Promise((r) => setTimeout(r, 100));
      const log = await prober.dump();
      assert.equal(res.paced, true, `${label}: the barrier confirmed every file`);

      const during = log.answers.filter((a) => a.sentAt >= t0);
      const wrong = during.filter((a) => !answerMatches(next.records.get(a.name), a) && !answerMatches(current.records.get(a.name), a));
      assert.deepEqual(wrong.slice(0, 5).map(describe), [], `${label}: ${wrong.length} of ${during.length} answers neither the old nor the new set`);
      const staleAfter = during.filter((a) => a.sentAt > t1 && !answerMatches(next.records.get(a.name), a));
      assert.deepEqual(staleAfter.slice(0, 5).map(describe), [], `${label}: old answers after write() resolved`);
      const { sent, answered } = answeredShare(log, t0, t1, ANSWER_BOUND_MS);
      assert.ok(sent > 0, `${label}: queries were sent during the change`);
      assert.equal(answered, sent, `${label}: ${sent - answered} of ${sent} queries sent during the change unanswered within ${ANSWER_BOUND_MS} ms`);
      const gap = longestGap(log.answers, t0, t1);
      assert.ok(gap < ANSWER_BOUND_MS, `${label}: dnsmasq answered nothing for ${gap.toFixed(0)} ms`);

      const swept = await sweep(d.address, d.port, NAMES);
      const behind = NAMES.filter((n) => !answerMatches(next.records.get(n), swept.get(n) as ProbeAnswer));
      assert.deepEqual(behind.slice(0, 5), [], `${label}: ${behind.length} names not on the new set after write() resolved`);
      console.log(`${label}: ${res.written.length} files, write+apply ${(t1 - t0).toFixed(0)} ms, ${during.length} answers, longest gap ${gap.toFixed(1)} ms`);
      current = next;
    }
  } finally {
    await prober.close();
    await d.stop();
  }
});
