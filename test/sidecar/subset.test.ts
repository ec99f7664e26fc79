import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { cappedSubset, poolsOf, poolsPerAddress, rendezvousSubset } from "../../sidecar/src/subset";
import { shardOf } from "../../sidecar/src/sink/shards";

const POOLS = 32;
const K = 8;
const listed = Array.from({ length: 100 }, (_, i) => `10.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
const names = Array.from({ length: 10_000 }, (_, i) => `app-${i}.apps.example.com`);
const numeric = (ips: readonly string[]) => [...ips].sort((a, b) => Number(a.split(".")[3]) - Number(b.split(".")[3]));

function serveAll(list: readonly string[], served: readonly string[]): Map<string, readonly string[]> {
  return new Map(names.map((n) => [n, cappedSubset(n, shardOf(n, POOLS), list, served, K, POOLS)]));
}

describe("cappedSubset (the cap's pools)", () => {
  it("gives every name k sorted addresses and every address a share of the names", () => {
    const served = serveAll(listed, listed);
    const per = new Map<string, number>();
    for (const [name, ips] of served) {
      assert.equal(ips.length, K, name);
      assert.deepEqual(ips, numeric(ips), `${name} sorted`);
      for (const ip of ips) per.set(ip, (per.get(ip) ?? 0) + 1);
    }
    const counts = listed.map((ip) => per.get(ip) ?? 0);
    const mean = (names.length * K) / listed.length;
    const sd = Math.sqrt(counts.reduce((s, c) => s + (c - mean) ** 2, 0) / counts.length) / mean;
    // Measured 9% here; one draw per name over the whole list would be ~3%. No address idles.
    assert.ok(Math.min(...counts) > mean * 0.5, `least-used address serves ${Math.min(...counts)} names (mean ${mean})`);
    assert.ok(Math.max(...counts) < mean * 1.5, `most-used address serves ${Math.max(...counts)} names (mean ${mean})`);
    assert.ok(sd < 0.15, `relative deviation of names per address ${sd.toFixed(3)}`);
  });

  it("confines a node flip to the hosts files whose pools hold the node, each changed name swapping only that address", () => {
    const before = serveAll(listed, listed);
    const gone = listed[37] as string;
    const c = poolsPerAddress(listed.length, K, POOLS);
    assert.equal(c, 8, "8 of 32 pools per address at 100 listed");
    const after = serveAll(listed, listed.filter((ip) => ip !== gone));
    const files = new Set<number>();
    let changed = 0;
    for (const name of names) {
      const b = before.get(name) as readonly string[];
      const a = after.get(name) as readonly string[];
      if (b.join() === a.join()) continue;
      changed++;
      files.add(shardOf(name, POOLS));
      assert.deepEqual(b.filter((ip) => !a.includes(ip)), [gone], name);
      assert.equal(a.filter((ip) => !b.includes(ip)).length, 1, name);
      assert.ok(poolsOf(gone, c, POOLS).has(shardOf(name, POOLS)), `${name} changed outside the node's pools`);
    }
    assert.ok(changed > 0);
    assert.ok(files.size <= c, `a flip touched ${files.size} files`);
    // The node back: exactly the previous answers.
    assert.deepEqual(serveAll(listed, listed), before);
  });

  it("confines a new node in every status to its own pools' files", () => {
    const before = serveAll(listed, listed);
    const added = "10.0.1.250";
    const grown = numeric([...listed, added]);
    const c = poolsPerAddress(grown.length, K, POOLS);
    assert.equal(c, poolsPerAddress(listed.length, K, POOLS), "pools per address unchanged by one node");
    const after = serveAll(grown, grown);
    let took = 0;
    for (const name of names) {
      const a = after.get(name) as readonly string[];
      const b = before.get(name) as readonly string[];
      if (a.join() === b.join()) continue;
      took++;
      assert.ok(a.includes(added), name);
      assert.ok(poolsOf(added, c, POOLS).has(shardOf(name, POOLS)), name);
    }
    assert.ok(took > 0, "the new node takes some names");
  });

  it("tops a short pool up from outside it, and serves everything when the list is within k", () => {
    const name = names[0] as string;
    const pool = shardOf(name, POOLS);
    const c = poolsPerAddress(listed.length, K, POOLS);
    const inPool = listed.filter((ip) => poolsOf(ip, c, POOLS).has(pool));
    // All but 3 of the pool unhealthy: 3 from the pool, 5 from outside, still 8.
    const healthy = listed.filter((ip) => !inPool.includes(ip) || inPool.indexOf(ip) < 3);
    const got = cappedSubset(name, pool, listed, healthy, K, POOLS);
    assert.equal(got.length, K);
    assert.equal(got.filter((ip) => inPool.includes(ip)).length, 3);
    const few = listed.slice(0, 6);
    assert.equal(cappedSubset(name, pool, few, few, K, POOLS), few);
  });

  it("falls back to one draw over the whole list when every address is in every pool", () => {
    const twenty = listed.slice(0, 20);
    assert.equal(poolsPerAddress(twenty.length, K, POOLS), POOLS);
    for (const name of names.slice(0, 50)) assert.deepEqual(cappedSubset(name, shardOf(name, POOLS), twenty, twenty, K, POOLS), rendezvousSubset(name, twenty, K));
  });
});
