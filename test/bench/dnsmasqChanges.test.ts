/** The pure parts of the dnsmasq change measurement: the workload's shapes and the prober's arithmetic. */
import { test } from "node:test";
import { cappedSubset } from "../../sidecar/src/subset";
import { DEFAULT_HOSTS_SHARDS, shardOf } from "../../sidecar/src/sink/shards";
import * as assert from "node:assert/strict";
import { changedNames, ChangeWorkload, NEW_NODE_IP, recordCount } from "../../bench/changeWorkload";
import { answeredShare, answerMatches, longestGap, type ProbeAnswer } from "../helpers/prober";

test("shared shape: every name lists every node and serves its capped subset of 8 (its file's pool); a flip changes only the names whose subset had the node", () => {
  const w = new ChangeWorkload({ shape: "shared", names: 400 });
  const base = w.data();
  const all = [...base.records.entries()];
  assert.ok(all.every(([name, ips]) => ips.length === 8 && ips.join() === cappedSubset(name, shardOf(name, DEFAULT_HOSTS_SHARDS), w.nodeIps, w.nodeIps, 8, DEFAULT_HOSTS_SHARDS).join()), "each name its own 8");
  assert.ok(new Set(all.map(([, ips]) => ips.join())).size > 300, "the subsets differ from name to name");
  assert.equal(recordCount(base), 400 * 8);
  const flip = w.flipNode();
  const had = all.filter(([, ips]) => ips.includes(flip)).map(([n]) => n).sort();
  const flipped = w.data({ unhealthy: [flip] });
  assert.deepEqual(changedNames(base, flipped).sort(), had);
  assert.ok(had.length > 10 && had.length < 70, `about 8 in 100 names had the node (${had.length} of 400)`);
  for (const n of had) assert.equal((flipped.records.get(n) as readonly string[]).length, 8, "the next node in the name's own order comes in");
  const joined = w.data({ extraNode: NEW_NODE_IP });
  const took = [...joined.records.values()].filter((ips) => ips.includes(NEW_NODE_IP)).length;
  assert.ok(took > 10 && took < 70, `a new node enters about 8 in 101 subsets (${took} of 400)`);
});

test("subset shape: 2..8 nodes per name, a flip changes only the names listing the node, deterministic per seed", () => {
  const w = new ChangeWorkload({ shape: "subset", names: 2000 });
  const base = w.data();
  const sizes = [...base.records.values()].map((ips) => ips.length);
  assert.ok(Math.min(...sizes) === 2 && Math.max(...sizes) === 8);
  const listing = [...base.records].filter(([, ips]) => ips.includes(w.flipNode())).map(([n]) => n).sort();
  assert.deepEqual(changedNames(base, w.data({ unhealthy: [w.flipNode()] })).sort(), listing);
  assert.ok(listing.length > 50 && listing.length < 200, `about 1 in 20 names list a node (${listing.length} of 2000)`);
  assert.deepEqual([...new ChangeWorkload({ shape: "subset", names: 2000 }).data().records], [...base.records]);
  const override = new Map([["app-1.apps.example.com", ["10.41.0.9"]]]);
  assert.deepEqual(changedNames(base, w.data({ override })), ["app-1.apps.example.com"]);
});

const ans = (at: number, sentAt = at - 1, rcode = "NOERROR", ips: string[] = ["10.0.0.1"]): ProbeAnswer => ({ name: "a", at, sentAt, rcode, ips });

test("answerMatches: exact set only; no duplicates; null means NXDOMAIN", () => {
  assert.ok(answerMatches(["10.0.0.1", "10.0.0.2"], { rcode: "NOERROR", ips: ["10.0.0.2", "10.0.0.1"] }));
  assert.ok(!answerMatches(["10.0.0.1", "10.0.0.2"], { rcode: "NOERROR", ips: ["10.0.0.1"] }), "a subset is mixed");
  assert.ok(!answerMatches(["10.0.0.1"], { rcode: "NOERROR", ips: ["10.0.0.1", "10.0.0.1"] }), "duplicates");
  assert.ok(!answerMatches(["10.0.0.1"], { rcode: "NOERROR", ips: [] }), "empty");
  assert.ok(answerMatches(null, { rcode: "NXDOMAIN", ips: [] }));
  assert.ok(!answerMatches(null, { rcode: "NOERROR", ips: [] }));
  assert.ok(!answerMatches(undefined, { rcode: "NXDOMAIN", ips: [] }), "no expectation matches nothing");
});

test("longestGap counts the edges of the window; answeredShare counts late answers as missing", () => {
  const answers = [ans(10), ans(12), ans(40), ans(41)];
  assert.equal(longestGap(answers, 0, 50), 28);
  assert.equal(longestGap(answers, 0, 100), 59, "silence until the window's end counts");
  assert.equal(longestGap([], 5, 25), 20);
  const log = { answers: [ans(10, 9), ans(2000, 20), ans(30, 29)], sentAt: [9, 20, 29, 35] };
  assert.deepEqual(answeredShare(log, 0, 100, 1000), { sent: 4, answered: 2 });
});
