/**
 * The sharded layout against the real dnsmasq: round robin still works for
 * overlapping IP sets spread over several shard files (whatever order
 * dnsmasq re-reads them in), and changing the shard count leaves exactly the
 * current records.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { nodesName } from "../../lib/dns/names";
import type { HostsData } from "../../sidecar/src/model";
import { AtomicHostsWriter } from "../../sidecar/src/sink/atomicWriter";
import { shardOf } from "../../sidecar/src/sink/shards";
import { hasDuplicates, hostsData, sameSet, startSinkRig, waitForAll, ZONES } from "./harness";

const [Z0, Z1] = ZONES;
const K = 4;

/** 24 names over 8 IPs, every set overlapping others, spread over all K shards. */
function overlapping(shift: number): HostsData {
  const records: Record<string, string[]> = {};
  for (let i = 0; i < 24; i++) {
    const a = (i + shift) % 8;
    records[`r${i}.${ZONES[i % 2]}`] = [a, (a + 1) % 8, (a + 3) % 8].map((x) => `10.30.0.${x + 1}`);
  }
  return hostsData(records, ["10.30.0.1", "10.30.0.2", "10.30.0.5"]);
}

test("overlapping IP sets across shards: every multi-IP name rotates, also after single shards are re-read", async () => {
  const rig = await startSinkRig();
  const server = { server: rig.dnsmasq.address, port: rig.dnsmasq.port };
  try {
    const writer = new AtomicHostsWriter({ dir: rig.dnsmasq.hostsDir, shards: K, log: () => undefined });
    const first = overlapping(0);
    assert.equal(new Set([...first.records.keys()].map((n) => shardOf(n, K))).size, K, "the names must use every shard");
    // Rewrite one shard at a time (changing one name), so the files are re-read in a new order each round.
    for (let round = 0; round < 4; round++) {
      const data = overlapping(0);
      const records = new Map(data.records);
      const bumped = [...records.keys()].find((n) => shardOf(n, K) === round) as string;
      records.set(bumped, ["10.30.0.7", "10.30.0.8"]);
      const current: HostsData = { ...data, records };
      const res = await writer.write(current);
      if (round > 0) {
        // This round's shard changed, and the previous round's shard changed back.
        const allowed = [round - 1, round].map((i) => `ingress.hosts.${i}`);
        assert.ok(res.written.every((f) => allowed.includes(f)) && res.written.includes(`ingress.hosts.${round}`), `round ${round}: wrote ${res.written}`);
      }
      const expect = (name: string): readonly string[] => (name.startsWith("nodes.") ? current.nodeIps : current.records.get(name) ?? []);
      const names = [...records.keys(), nodesName(Z0), nodesName(Z1)];
      await waitForAll(server, names, (name, a) => sameSet(a.addresses, expect(name)));
      for (const name of names) {
        const firsts = new Set<string>();
        for (let q = 0; q < 20; q++) {
          const a = await rig.ask(name);
          assert.ok(sameSet(a.addresses, expect(name)) && !hasDuplicates(a.addresses), `round ${round}: ${name} answered ${a.addresses}`);
          firsts.add(a.addresses[0] as string);
        }
        assert.equal(firsts.size, expect(name).length, `round ${round}: ${name} did not rotate (first positions ${[...firsts]})`);
      }
    }
  } finally {
    await rig.stop();
  }
});

test("changing the shard count (8 -> 3 -> 1 -> 8) leaves exactly the current records in dnsmasq", async () => {
  const rig = await startSinkRig();
  const server = { server: rig.dnsmasq.address, port: rig.dnsmasq.port };
  try {
    const data = overlapping(2);
    const names = [...data.records.keys(), nodesName(Z0)];
    const expect = (name: string): readonly string[] => (name.startsWith("nodes.") ? data.nodeIps : data.records.get(name) ?? []);
    for (const shards of [8, 3, 1, 8]) {
      await new AtomicHostsWriter({ dir: rig.dnsmasq.hostsDir, shards, log: () => undefined }).write(data);
      await waitForAll(server, names, (name, a) => sameSet(a.addresses, expect(name)));
      // Settled: nothing missing, nothing doubled, and it stays that way.
      await new Promise((r) => setTimeout(r, 100));
      for (const name of names) {
        const a = await rig.ask(name, { ednsUdpSize: 4096 });
        assert.ok(sameSet(a.addresses, expect(name)) && !hasDuplicates(a.addresses), `shards ${shards}: ${name} answered ${a.rcode} ${a.addresses}`);
      }
    }
  } finally {
    await rig.stop();
  }
});
