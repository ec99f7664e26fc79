/**
 * The writer's pacing (AtomicHostsWriter `barrier`) on a real temp directory,
 * and the DNS barrier against fake UDP servers on loopback (real dnsmasq:
 * test/dnsmasq/noBrownout.test.ts).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "node:dgram";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as dnsPacket from "dns-packet";
import type { HostsData } from "../../sidecar/src/model";
import { AtomicHostsWriter, nodeWriterFs, type WriterFs } from "../../sidecar/src/sink/atomicWriter";
import { createDnsBarrier, encodeQuery, responseId } from "../../sidecar/src/sink/dnsBarrier";
import { shardOf } from "../../sidecar/src/sink/shards";

const Z = "apps.example.com";
const K = 4;

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "cdns-barrier-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 40 names over 4 shards; `shift` moves every name to other addresses. */
function data(shift = 0): HostsData {
  const records = new Map<string, readonly string[]>();
  for (let i = 0; i < 40; i++) records.set(`h${i}.${Z}`, [`10.6.0.${((i + shift) % 5) + 1}`, `10.6.0.${((i + shift + 1) % 5) + 1}`]);
  return { zones: [Z], records, nodeIps: ["10.6.0.1"] };
}

/** The real fs, logging each call into `calls`; the rename number `failRename` (1-based) fails. */
function spyFs(calls: string[], failRename?: number): WriterFs {
  let renames = 0;
  return {
    readText: (p) => nodeWriterFs.readText(p),
    readdir: (p) => nodeWriterFs.readdir(p),
    unlink: (p) => (calls.push(`unlink ${basename(p)}`), nodeWriterFs.unlink(p)),
    async rename(from, to) {
      if (++renames === failRename) throw Object.assign(new Error("injected rename failure"), { code: "EIO" });
      calls.push(`rename ${basename(to)}`);
      return nodeWriterFs.rename(from, to);
    },
    async open(p, flags, mode) {
      const fh = await nodeWriterFs.open(p, flags, mode);
      if (flags === "r") return fh;
      return {
        writeFile: (d) => fh.writeFile(d),
        sync: async () => (calls.push(`sync ${basename(p).startsWith(".") ? "temp" : basename(p)}`), fh.sync()),
        close: () => fh.close(),
      };
    },
  };
}

function dirContent(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(join(dir, f), "utf8");
  return out;
}

test("paced: each file's temp is synced before its rename, and the barrier runs after each rename and each removal", async (t) => {
  const dir = tempDir(t);
  const calls: string[] = [];
  const w = new AtomicHostsWriter({ dir, shards: K, fs: spyFs(calls), log: () => undefined, barrier: async () => void calls.push("barrier") });
  const first = await w.write(data());
  assert.equal(new Set([...data().records.keys()].map((n) => shardOf(n, K))).size, K, "the data uses every shard");
  assert.equal(first.written.length, K + 1, "nodes file and every shard");
  // The next temp may be written while dnsmasq re-reads the last rename, but never renamed before the barrier.
  assert.deepEqual(calls.filter((c) => c !== "sync temp"), first.written.flatMap((f) => [`rename ${f}`, "barrier"]));
  first.written.forEach((f, i) => {
    const at = calls.indexOf(`rename ${f}`);
    assert.ok(calls.slice(0, at).filter((c) => c === "sync temp").length >= i + 1, `${f}: its temp file was synced before the rename`);
  });
  assert.equal(first.paced, true);

  // A shard that empties is removed, also behind the barrier.
  calls.length = 0;
  const fewer = data();
  const records = new Map([...fewer.records].filter(([n]) => shardOf(n, K) !== 2));
  const res = await w.write({ ...fewer, records });
  assert.deepEqual(res.removed, ["ingress.hosts.2"]);
  assert.deepEqual(calls, ["unlink ingress.hosts.2", "barrier"]);
  assert.equal(res.paced, true);

  // Unchanged data: nothing written, no barrier.
  calls.length = 0;
  const same = await w.write({ ...fewer, records });
  assert.equal(same.changed, false);
  assert.equal(same.paced, false);
  assert.deepEqual(calls, []);
});

test("a barrier that fails: one warning, the rest is written unpaced, the files are exactly what an unpaced writer writes", async (t) => {
  const paced = tempDir(t);
  const plain = tempDir(t);
  const warnings: string[] = [];
  let calls = 0;
  const w = new AtomicHostsWriter({
    dir: paced, shards: K, log: (level, msg) => void warnings.push(`${level}: ${msg}`),
    barrier: async () => {
      calls++;
      throw new Error("dnsmasq did not answer");
    },
  });
  const res = await w.write(data());
  await new AtomicHostsWriter({ dir: plain, shards: K, log: () => undefined }).write(data());
  assert.equal(calls, 1, "no second wait once the barrier failed");
  assert.equal(res.paced, false);
  assert.equal(res.written.length, K + 1);
  assert.deepEqual(warnings, ["warn: dnsmasq did not confirm a hosts file re-read; writing the rest without pacing"]);
  assert.deepEqual(dirContent(paced), dirContent(plain));
  // The next write paces again (the barrier is asked again).
  await w.write(data(1));
  assert.equal(calls, 2);
});

test("a rename failing in the middle of a paced write: rejects, no temp file is left, the next write converges", async (t) => {
  const dir = tempDir(t);
  const calls: string[] = [];
  const w = new AtomicHostsWriter({ dir, shards: K, fs: spyFs(calls, 3), log: () => undefined, barrier: async () => void calls.push("barrier") });
  await assert.rejects(w.write(data()), /injected rename failure/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".")), [], "every prepared temp file removed");
  assert.equal(calls.filter((c) => c === "barrier").length, 2, "the two files renamed before the failure were each confirmed");
  await w.write(data());
  const plain = tempDir(t);
  await new AtomicHostsWriter({ dir: plain, shards: K, log: () => undefined }).write(data());
  assert.deepEqual(dirContent(dir), dirContent(plain));
});

test("encodeQuery is a valid A query; responseId reads only responses", () => {
  const q = encodeQuery(0xbeef, "cdns-health.apps.example.com");
  const p = dnsPacket.decode(q);
  assert.equal(p.id, 0xbeef);
  assert.deepEqual(p.questions, [{ name: "cdns-health.apps.example.com", type: "A", class: "IN" }]);
  assert.equal(responseId(q), undefined, "a query is not a response");
  const r = dnsPacket.encode({ type: "response", id: 0xbeef, flags: 0, questions: p.questions ?? [], answers: [] });
  assert.equal(responseId(r), 0xbeef);
  assert.equal(responseId(Buffer.from([1, 2, 0x80])), undefined, "too short");
  assert.throws(() => encodeQuery(1, "a..b"), /bad label/);
  assert.throws(() => createDnsBarrier({ server: "127.0.0.1", port: 1, name: `${"x".repeat(64)}.example.com` }), /bad label/);
});

/** A UDP server on loopback answering each query after `delayMs`, dropping the first `drop` queries; logs arrivals and answers. */
async function fakeServer(t: { after(fn: () => void): void }, opts: { delayMs?: number; drop?: number; silent?: boolean } = {}): Promise<{ port: number; events: string[] }> {
  const sock = dgram.createSocket("udp4");
  const events: string[] = [];
  let dropped = 0;
  sock.on("message", (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    events.push(`query ${q.id}`);
    if (opts.silent === true || dropped < (opts.drop ?? 0)) {
      dropped++;
      return;
    }
    setTimeout(() => {
      events.push(`answer ${q.id}`);
      sock.send(dnsPacket.encode({ type: "response", id: q.id ?? 0, flags: 0, questions: q.questions ?? [], answers: [] }), rinfo.port, rinfo.address);
    }, opts.delayMs ?? 0);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  t.after(() => sock.close());
  return { port: sock.address().port, events };
}

test("the barrier sends its second query only after the first answer arrived, and resolves on the second answer", async (t) => {
  const srv = await fakeServer(t, { delayMs: 60 });
  const barrier = createDnsBarrier({ server: "127.0.0.1", port: srv.port, name: "cdns-health.apps.example.com" });
  await barrier();
  assert.equal(srv.events.length, 4);
  assert.match(srv.events[0] as string, /^query /);
  assert.match(srv.events[1] as string, /^answer /, "no second query while the first is unanswered");
  assert.match(srv.events[2] as string, /^query /);
  assert.match(srv.events[3] as string, /^answer /);
});

test("a lost query is sent again; a silent server makes the barrier reject at its timeout", async (t) => {
  const lossy = await fakeServer(t, { drop: 1 });
  await createDnsBarrier({ server: "127.0.0.1", port: lossy.port, name: "cdns-health.apps.example.com", resendMs: 50 })();
  assert.equal(lossy.events.filter((e) => e.startsWith("query")).length, 3, "one resend, then two answered queries");

  const silent = await fakeServer(t, { silent: true });
  const t0 = performance.now();
  await assert.rejects(
    createDnsBarrier({ server: "127.0.0.1", port: silent.port, name: "cdns-health.apps.example.com", timeoutMs: 300, resendMs: 100 })(),
    /did not answer cdns-health.apps.example.com within 300 ms/,
  );
  assert.ok(performance.now() - t0 < 2000, "rejected near its timeout");
});

test("the DNS barrier fails at once when nothing listens (dnsmasq not started yet), not after its timeout", async () => {
  // A port that was free a moment ago: nothing answers there.
  const probe = dgram.createSocket("udp4");
  await new Promise<void>((r) => probe.bind(0, "127.0.0.1", () => r()));
  const port = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  const barrier = createDnsBarrier({ server: "127.0.0.1", port, name: `cdns-health.${Z}`, timeoutMs: 5000 });
  const started = performance.now();
  await assert.rejects(barrier(), /ECONNREFUSED/);
  assert.ok(performance.now() - started < 1000, `failed after ${(performance.now() - started).toFixed(0)} ms`);
});
