/**
 * Issue 14, part 1, as a count rather than a timing: the plan and the sink together keep the
 * hosts files a change rewrites (and dnsmasq re-reads) to what changed. 2,000 names whose
 * statuses all list the same 100 nodes (a hostPort DaemonSet controller), the real plan, the real
 * writer on a temp directory (no dnsmasq needed to count files).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeState, SourceEntry } from "../../sidecar/src/model";
import { planHostsData, type PlanResult } from "../../sidecar/src/plan";
import { AtomicHostsWriter } from "../../sidecar/src/sink/atomicWriter";
import { DEFAULT_HOSTS_SHARDS, nodesFileName } from "../../sidecar/src/sink/shards";
import { poolsPerAddress } from "../../sidecar/src/subset";
import { DEFAULT_HOSTS_FILE } from "../../lib/config/defaults";

const ZONE = "apps.example.com";
const K = 8;
const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.0.1.${i + 1}`);
const nodes = (list: readonly string[], down: ReadonlySet<string> = new Set()): NodeState[] =>
  list.map((ip, i) => ({ name: `w${i}`, addresses: [ip], healthy: !down.has(ip), fallback: true, controlPlane: false }));
const entries = (targets: readonly string[]): SourceEntry[] =>
  Array.from({ length: 2000 }, (_, i) => ({ hostname: `app-${i}.${ZONE}`, targets, owner: `Ingress/ns/app-${i}` }));

test("DaemonSet shape: a node flip, its return and a new node each rewrite only the files of the node's pools", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cdns-locality-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const writer = new AtomicHostsWriter({ dir, log: () => undefined });
  const hundred = ips(100);
  let last: PlanResult | undefined;
  const plan = (list: readonly string[], down?: ReadonlySet<string>) =>
    (last = planHostsData({ zones: [ZONE], entries: entries(list), nodes: nodes(list, down), allDroppedRule: "keep-last", maxTargets: K, lastServed: last?.lastServed ?? new Map() }));
  const shardsWritten = async (p: PlanResult) => (await writer.write(p.data)).written.filter((f) => f !== nodesFileName(DEFAULT_HOSTS_FILE));

  assert.equal((await shardsWritten(plan(hundred))).length, DEFAULT_HOSTS_SHARDS, "first write: every file");
  const c = poolsPerAddress(100, K, DEFAULT_HOSTS_SHARDS);
  for (const flipped of ["10.0.1.7", "10.0.1.55", "10.0.1.93"]) {
    const out = await shardsWritten(plan(hundred, new Set([flipped])));
    assert.ok(out.length >= 1 && out.length <= c, `${flipped} NotReady rewrote ${out.length} files (pools per address: ${c})`);
    const back = await shardsWritten(plan(hundred));
    assert.deepEqual(back, out, "Ready again: the same files");
  }
  // One more node in every status (the DaemonSet scheduled a pod on a new node).
  const grown = ips(101);
  assert.equal(poolsPerAddress(101, K, DEFAULT_HOSTS_SHARDS), c);
  const added = await shardsWritten(plan(grown));
  assert.ok(added.length >= 1 && added.length <= c, `a new node rewrote ${added.length} files`);
});
