/** The sharded layout of AtomicHostsWriter on a real temp directory (no dnsmasq: see test/dnsmasq/shards.test.ts). */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeCanonicalName } from "../../lib/dns/names";
import { DEFAULT_HOSTS_FILE } from "../../lib/config/defaults";
import type { HostsData } from "../../sidecar/src/model";
import { AtomicHostsWriter, nodeWriterFs, type WriterFs } from "../../sidecar/src/sink/atomicWriter";
import { HostsDataError } from "../../sidecar/src/sink/renderHosts";
import { isHostsFileName, nodesFileName, shardFileName, shardOf } from "../../sidecar/src/sink/shards";

const Z = "apps.example.com";
const K = 8;

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "cdns-shards-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 60 names over 6 node IPs, overlapping sets; `bump` changes the targets of name `bump`. */
function data(opts: { bump?: number; drop?: readonly number[] } = {}): HostsData {
  const records = new Map<string, readonly string[]>();
  for (let i = 0; i < 60; i++) {
    if (opts.drop?.includes(i)) continue;
    const a = (i % 6) + 1;
    const ips = i === opts.bump ? ["10.5.0.9"] : [`10.5.0.${a}`, `10.5.0.${(a % 6) + 1}`];
    records.set(`h${i}.${Z}`, ips);
  }
  return { zones: [Z], records, nodeIps: ["10.5.0.1", "10.5.0.2", "10.5.0.3"] };
}

/**
 * name -> sorted IPs as the files in `dir` say (canonical names left out),
 * plus each name's file and each file's body lines; fails on a name in two files.
 */
function readBack(dir: string): { names: Map<string, string[]>; fileOf: Map<string, string>; linesOf: Map<string, string[]> } {
  const names = new Map<string, string[]>();
  const fileOf = new Map<string, string>();
  const linesOf = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((f) => isHostsFileName("ingress.hosts", f))) {
    const lines: string[] = [];
    linesOf.set(f, lines);
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      lines.push(line);
      const [ip, ...all] = line.split(" ") as [string, ...string[]];
      const hosts = all[0] === nodeCanonicalName(ip, Z) ? all.slice(1) : all;
      for (const h of hosts) {
        const seen = fileOf.get(h);
        assert.ok(seen === undefined || seen === f, `${h} is in ${seen} and ${f}`);
        fileOf.set(h, f);
        names.set(h, [...(names.get(h) ?? []), ip].sort());
      }
    }
  }
  return { names, fileOf, linesOf };
}

test("sharded layout: every name in exactly its hash's shard, nodes names in the nodes file, each file's canonical lines first", async (t) => {
  const dir = tempDir(t);
  const d = data();
  const res = await new AtomicHostsWriter({ dir, shards: K, log: () => undefined }).write(d);
  assert.equal(res.changed, true);
  assert.equal(res.written[0], nodesFileName("ingress.hosts"), "nodes file goes first");
  const { names, fileOf, linesOf } = readBack(dir);
  for (const [name, ips] of d.records) {
    assert.deepEqual(names.get(name), [...ips].sort(), name);
    assert.equal(fileOf.get(name), shardFileName("ingress.hosts", shardOf(name, K), K));
  }
  assert.equal(fileOf.get(`nodes.${Z}`), nodesFileName("ingress.hosts"));
  assert.deepEqual(names.get(`nodes.${Z}`), [...d.nodeIps].sort());
  // In every file, each address gets its canonical line before any other line
  // uses it, so no ingress name owns a PTR flag whatever file dnsmasq reads first.
  for (const [f, lines] of linesOf) {
    const canonical = new Set<string>();
    for (const line of lines) {
      const [ip, first] = line.split(" ") as [string, string];
      if (first === nodeCanonicalName(ip, Z)) canonical.add(ip);
      else assert.ok(canonical.has(ip), `${f}: ${line} comes before ${ip}'s canonical line`);
    }
  }
  assert.ok(new Set(fileOf.values()).size > 3, "60 names should spread over several shards");
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".")), [], "no temp files left");
});

test("a change in one shard rewrites only that shard; the same data again writes nothing", async (t) => {
  const dir = tempDir(t);
  const calls: string[] = [];
  const fs: WriterFs = { ...nodeWriterFs, rename: (a, b) => (calls.push(b), nodeWriterFs.rename(a, b)) };
  const w = new AtomicHostsWriter({ dir, shards: K, fs, log: () => undefined });
  await w.write(data());
  calls.length = 0;
  const res = await w.write(data({ bump: 17 }));
  const shard = shardFileName("ingress.hosts", shardOf(`h17.${Z}`, K), K);
  assert.deepEqual(res.written, [shard]);
  assert.deepEqual(calls.map((c) => c.split("/").pop()), [shard]);
  assert.deepEqual(readBack(dir).names.get(`h17.${Z}`), ["10.5.0.9"]);
  const again = await w.write(data({ bump: 17 }));
  assert.equal(again.changed, false);
  // A restarted writer finds the same files and writes nothing either.
  const fresh = await new AtomicHostsWriter({ dir, shards: K, fs, log: () => undefined }).write(data({ bump: 17 }));
  assert.equal(fresh.changed, false);
  assert.equal(calls.length, 1);
});

test("a shard whose names are all gone loses its file", async (t) => {
  const dir = tempDir(t);
  const w = new AtomicHostsWriter({ dir, shards: K, log: () => undefined });
  await w.write(data());
  const target = shardOf(`h0.${Z}`, K);
  const inShard = [...data().records.keys()].map((n, i) => [n, i] as const).filter(([n]) => shardOf(n, K) === target).map(([, i]) => i);
  const res = await w.write(data({ drop: inShard }));
  const file = shardFileName("ingress.hosts", target, K);
  assert.deepEqual(res.removed, [file]);
  assert.ok(!readdirSync(dir).includes(file));
  assert.equal(readBack(dir).names.has(`h0.${Z}`), false);
});

test("another shard count's files (and the single-file layout) are removed before the new ones are written", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, ".keep"), "");
  writeFileSync(join(dir, "other.hosts"), "10.9.9.9 other.apps.example.com\n");
  for (const [from, to] of [[K, 3], [3, 1], [1, 5], [5, K]] as const) {
    await new AtomicHostsWriter({ dir, shards: from, log: () => undefined }).write(data());
    const res = await new AtomicHostsWriter({ dir, shards: to, log: () => undefined }).write(data());
    const ours = readdirSync(dir).filter((f) => isHostsFileName("ingress.hosts", f)).sort();
    assert.ok(res.removed.length > 0, `${from} -> ${to}: nothing removed`);
    assert.ok(ours.every((f) => (to === 1 ? f === "ingress.hosts" : f !== "ingress.hosts")), `${from} -> ${to}: ${ours}`);
    const { names } = readBack(dir);
    for (const [name, ips] of data().records) assert.deepEqual(names.get(name), [...ips].sort(), `${from} -> ${to}: ${name}`);
    assert.equal(names.size, data().records.size + 1, "no stale names (the records plus nodes.<zone>)");
  }
  assert.ok(readdirSync(dir).includes(".keep") && readdirSync(dir).includes("other.hosts"), "files that are not ours are left alone");
});

test("invalid data in several shards: one HostsDataError listing every problem, nothing touched", async (t) => {
  const dir = tempDir(t);
  const w = new AtomicHostsWriter({ dir, shards: K, log: () => undefined });
  await w.write(data());
  const before = readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8"));
  const bad = new Map(data().records);
  for (const n of ["x1.example.net", "x2.example.net", "x3.example.net", "x4.example.net"]) bad.set(n, ["10.5.0.1"]);
  await assert.rejects(w.write({ zones: [Z], records: bad, nodeIps: ["10.5.0.1", "300.0.0.1"] }), (err: unknown) => {
    assert.ok(err instanceof HostsDataError);
    for (const want of ["x1.example.net", "x2.example.net", "x3.example.net", "x4.example.net", "300.0.0.1"]) {
      assert.ok(err.problems.some((p) => p.includes(want)), `missing ${want}: ${err.problems.join("; ")}`);
    }
    return true;
  });
  assert.deepEqual(readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8")), before);
});

test("a failed rename in the middle of a multi-shard write: rejects, and the next write converges to exact content", async (t) => {
  const dir = tempDir(t);
  let failAt = -1;
  let renames = 0;
  const fs: WriterFs = {
    ...nodeWriterFs,
    async rename(a, b) {
      if (renames++ === failAt) throw Object.assign(new Error("injected rename failure"), { code: "EIO" });
      return nodeWriterFs.rename(a, b);
    },
  };
  const w = new AtomicHostsWriter({ dir, shards: K, fs, log: () => undefined });
  await w.write(data());
  // Change names in every shard, fail the third rename.
  const changed: HostsData = { ...data(), records: new Map([...data().records].map(([n, ips]) => [n, [...ips, "10.5.0.7"]])) };
  renames = 0;
  failAt = 2;
  await assert.rejects(w.write(changed), /injected rename failure/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".")), [], "temp file cleaned up");
  failAt = -1;
  const res = await w.write(changed);
  assert.ok(res.written.length >= 1);
  const { names } = readBack(dir);
  for (const [name, ips] of changed.records) assert.deepEqual(names.get(name), [...ips].sort(), name);
});

test("shards outside 1..4096 are refused", () => {
  for (const shards of [0, -1, 1.5, 5000]) assert.throws(() => new AtomicHostsWriter({ shards }), /shards must be an integer/);
});

test("fresh-start hold: on a fresh directory only the nodes file until dnsmasq answers, then every shard; never on a directory with our files", async (t) => {
  const dir = tempDir(t);
  let up = false;
  let now = 0;
  const logs: string[] = [];
  const w = new AtomicHostsWriter({ dir, shards: K, now: () => now, log: (_l, msg) => logs.push(msg), holdFreshStart: { dnsmasqUp: async () => up, maxHoldMs: 10_000 } });
  const first = await w.write(data());
  assert.equal(first.held, true);
  assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith(".")), [nodesFileName(DEFAULT_HOSTS_FILE)]);
  now = 500;
  assert.equal((await w.write(data())).held, true, "still held while dnsmasq is silent");
  up = true;
  const full = await w.write(data());
  assert.equal(full.held, false);
  assert.equal([...readBack(dir).names.keys()].filter((n) => n.startsWith("h")).length, 60);
  assert.equal(full.written.includes(nodesFileName(DEFAULT_HOSTS_FILE)), false, "the nodes file was already right");
  up = false;
  assert.equal((await w.write(data({ bump: 3 }))).held, false, "the hold is over for good once dnsmasq answered");

  // A writer that starts beside files already there (a restarted sidecar) holds nothing.
  let asked = 0;
  const again = new AtomicHostsWriter({ dir, shards: K, log: () => undefined, holdFreshStart: { dnsmasqUp: async () => (asked++, false) } });
  assert.equal((await again.write(data())).held, false);
  assert.equal(asked, 0);

  // dnsmasq never answering: everything is written once maxHoldMs is over, with a warning.
  const other = tempDir(t);
  now = 0;
  const late = new AtomicHostsWriter({ dir: other, shards: K, now: () => now, log: (_l, msg) => logs.push(msg), holdFreshStart: { dnsmasqUp: async () => false, maxHoldMs: 1000 } });
  assert.equal((await late.write(data())).held, true);
  now = 1000;
  assert.equal((await late.write(data())).held, false);
  assert.equal([...readBack(other).names.keys()].filter((n) => n.startsWith("h")).length, 60);
  assert.ok(logs.some((m) => m.includes("still does not answer")), logs.join("\n"));
});
