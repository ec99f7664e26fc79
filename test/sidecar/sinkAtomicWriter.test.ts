/** AtomicHostsWriter on a real temp directory, with injected faults, kill and logger: the single-file layout (shards: 1); sinkShards.test.ts covers the sharded one. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { AtomicHostsWriter, nodeWriterFs, type WriterFs, type SinkLogLevel } from "../../sidecar/src/sink/atomicWriter";
import { HostsDataError, renderHostsFile } from "../../sidecar/src/sink/renderHosts";
import type { HostsData } from "../../sidecar/src/model";

const zones = ["apps.example.com"];
const data = (n: number): HostsData => ({
  zones,
  records: new Map([[`web.apps.example.com`, [`10.0.0.${n}`]]]),
  nodeIps: [],
});

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "cdns-writer-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Step = "open-temp" | "writeFile" | "sync" | "close" | "rename" | "fsync-dir";

/** The real fs, recording every call, failing the first time `failAt` is reached. */
function spyFs(failAt?: Step): WriterFs & { calls: string[] } {
  const calls: string[] = [];
  const boom = (step: Step): void => {
    if (step === failAt) {
      failAt = undefined;
      throw Object.assign(new Error(`injected failure at ${step}`), { code: "EIO" });
    }
  };
  return {
    calls,
    readText: (p) => (calls.push(`read ${basename(p)}`), nodeWriterFs.readText(p)),
    readdir: (p) => (calls.push(`readdir`), nodeWriterFs.readdir(p)),
    unlink: (p) => (calls.push(`unlink ${basename(p)}`), nodeWriterFs.unlink(p)),
    async rename(from, to) {
      calls.push(`rename ${basename(from)} ${basename(to)}`);
      boom("rename");
      return nodeWriterFs.rename(from, to);
    },
    async open(p, flags, mode) {
      calls.push(`open ${basename(p)} ${flags}`);
      const isDir = flags === "r";
      if (!isDir) boom("open-temp");
      const fh = await nodeWriterFs.open(p, flags, mode);
      return {
        async writeFile(d) {
          boom("writeFile");
          await fh.writeFile(d);
        },
        async sync() {
          boom(isDir ? "fsync-dir" : "sync");
          await fh.sync();
        },
        async close() {
          await fh.close();
          boom("close");
        },
      };
    },
  };
}

function logSink(): { log: (level: SinkLogLevel, msg: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, msg) => lines.push(`${level}: ${msg}`) };
}

test("writes the rendered file via a dot temp file in the same directory, then renames it", async (t) => {
  const dir = tempDir(t);
  const fs = spyFs();
  const w = new AtomicHostsWriter({ shards: 1, dir, fs, log: () => undefined });
  const res = await w.write(data(1));
  assert.equal(res.changed, true);
  assert.equal(res.path, join(dir, "ingress.hosts"));
  assert.equal(readFileSync(res.path, "utf8"), renderHostsFile(data(1)));
  assert.equal(res.bytes, Buffer.byteLength(renderHostsFile(data(1))));
  assert.ok(res.renderMs >= 0 && res.writeMs >= 0 && res.totalMs >= res.writeMs);
  assert.equal(statSync(res.path).mode & 0o777, 0o644);
  const open = fs.calls.find((c) => c.endsWith(" wx")) as string;
  const temp = open.split(" ")[1] as string;
  assert.match(temp, /^\.ingress\.hosts\.\d+\.\d+\.tmp$/, "temp name must start with a dot");
  assert.ok(fs.calls.includes(`rename ${temp} ingress.hosts`));
  assert.ok(fs.calls.includes(`open ${basename(dir)} r`), "directory must be opened for fsync after the rename");
  assert.deepEqual(readdirSync(dir), ["ingress.hosts"]);
});

test("unchanged content skips the write, also for a new writer (restart) finding the same file", async (t) => {
  const dir = tempDir(t);
  const first = await new AtomicHostsWriter({ shards: 1, dir, log: () => undefined }).write(data(1));
  const ino = statSync(first.path).ino;
  const fs = spyFs();
  const w = new AtomicHostsWriter({ shards: 1, dir, fs, log: () => undefined });
  const again = await w.write(data(1));
  assert.equal(again.changed, false);
  assert.equal(fs.calls.filter((c) => c.startsWith("open") || c.startsWith("rename")).length, 0, fs.calls.join(", "));
  assert.equal(statSync(first.path).ino, ino, "file must not have been replaced");
  const changed = await w.write(data(2));
  assert.equal(changed.changed, true);
  assert.notEqual(statSync(first.path).ino, ino);
});

for (const step of ["open-temp", "writeFile", "sync", "close", "rename"] as const) {
  test(`failure at ${step}: the promise rejects, the old file stays, no temp file is left`, async (t) => {
    const dir = tempDir(t);
    await new AtomicHostsWriter({ shards: 1, dir, log: () => undefined }).write(data(1));
    const w = new AtomicHostsWriter({ shards: 1, dir, fs: spyFs(step), log: () => undefined });
    await assert.rejects(w.write(data(2)), new RegExp(`injected failure at ${step}`));
    assert.deepEqual(readdirSync(dir), ["ingress.hosts"]);
    assert.equal(readFileSync(join(dir, "ingress.hosts"), "utf8"), renderHostsFile(data(1)));
    // The queue is not jammed: the next write goes through.
    assert.equal((await w.write(data(3))).changed, true);
    assert.equal(readFileSync(join(dir, "ingress.hosts"), "utf8"), renderHostsFile(data(3)));
  });
}

test("failure at the directory fsync rejects (the caller retries) and leaves no temp file", async (t) => {
  const dir = tempDir(t);
  const w = new AtomicHostsWriter({ shards: 1, dir, fs: spyFs("fsync-dir"), log: () => undefined });
  await assert.rejects(w.write(data(2)), /injected failure at fsync-dir/);
  assert.deepEqual(readdirSync(dir), ["ingress.hosts"]);
});

test("invalid data rejects with HostsDataError and touches nothing", async (t) => {
  const dir = tempDir(t);
  const w = new AtomicHostsWriter({ shards: 1, dir, log: () => undefined });
  await w.write(data(1));
  const bad: HostsData = { zones, records: new Map([["x.example.net", ["10.0.0.1"]]]), nodeIps: [] };
  await assert.rejects(w.write(bad), HostsDataError);
  assert.equal(readFileSync(join(dir, "ingress.hosts"), "utf8"), renderHostsFile(data(1)));
});

test("a missing directory rejects (errors surface)", async (t) => {
  const dir = join(tempDir(t), "missing");
  await assert.rejects(new AtomicHostsWriter({ shards: 1, dir, log: () => undefined }).write(data(1)), /ENOENT/);
});

test("overlapping write() calls run in order: the last call's data stays", async (t) => {
  const dir = tempDir(t);
  const w = new AtomicHostsWriter({ shards: 1, dir, log: () => undefined });
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => w.write(data(i + 1))));
  assert.ok(results.every((r) => r.changed));
  assert.equal(readFileSync(join(dir, "ingress.hosts"), "utf8"), renderHostsFile(data(20)));
  assert.deepEqual(readdirSync(dir), ["ingress.hosts"]);
});

test("stale temp files of a crashed writer are swept once; other dotfiles are left alone", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, ".ingress.hosts.999.7.tmp"), "10.6.6.6 stale.apps.example.com\n");
  writeFileSync(join(dir, ".keep"), "");
  await new AtomicHostsWriter({ shards: 1, dir, log: () => undefined }).write(data(1));
  assert.deepEqual(readdirSync(dir).sort(), [".keep", "ingress.hosts"]);
});

test("a file name starting with a dot is refused (dnsmasq would ignore it)", () => {
  assert.throws(() => new AtomicHostsWriter({ fileName: ".hosts" }), /must be a plain name/);
});

test("SIGHUP goes to the pid in the pid file after a changed write, not after a skipped one", async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dirname(dir), `${basename(dir)}.pid`);
  t.after(() => rmSync(pidFile, { force: true }));
  writeFileSync(pidFile, "4242\n");
  const kills: Array<[number, string]> = [];
  const w = new AtomicHostsWriter({ shards: 1, dir, pidFile, kill: (pid, sig) => void kills.push([pid, sig]), log: () => undefined });
  assert.equal((await w.write(data(1))).signalled, true);
  assert.deepEqual(kills, [[4242, "SIGHUP"]]);
  assert.equal((await w.write(data(1))).signalled, false);
  assert.equal(kills.length, 1, "no signal for unchanged content");
});

test("no pid file configured: no signal", async (t) => {
  const dir = tempDir(t);
  let killed = 0;
  const res = await new AtomicHostsWriter({ shards: 1, dir, kill: () => void killed++, log: () => undefined }).write(data(1));
  assert.equal(res.signalled, false);
  assert.equal(killed, 0);
});

test("stale pid (ESRCH), missing pid file and junk pids are logged, never fatal", async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dir, "..", `${basename(dir)}.pid`);
  t.after(() => rmSync(pidFile, { force: true }));
  const { log, lines } = logSink();
  let calls = 0;
  const esrch = (): void => {
    calls++;
    throw Object.assign(new Error("kill ESRCH"), { code: "ESRCH" });
  };
  const w = new AtomicHostsWriter({ shards: 1, dir, pidFile, kill: esrch, log });

  writeFileSync(pidFile, "4242");
  const stale = await w.write(data(1));
  assert.equal(stale.changed, true);
  assert.equal(stale.signalled, false);
  assert.equal(calls, 1);
  assert.match(lines.at(-1) ?? "", /^warn: stale dnsmasq pid/);

  rmSync(pidFile);
  const missing = await w.write(data(2));
  assert.equal(missing.changed, true);
  assert.match(lines.at(-1) ?? "", /^warn: dnsmasq pid file unreadable/);

  for (const [i, junk] of ["", "abc", "1", String(process.pid), "-5"].entries()) {
    writeFileSync(pidFile, junk);
    const r = await w.write(data(10 + i));
    assert.equal(r.changed, true);
    assert.match(lines.at(-1) ?? "", /^warn: dnsmasq pid file holds no valid pid/, `pid file ${JSON.stringify(junk)}`);
  }
  assert.equal(calls, 1, "junk pids, pid 1 and our own pid are never signalled");
  assert.equal(readFileSync(join(dir, "ingress.hosts"), "utf8"), renderHostsFile(data(14)));
});
