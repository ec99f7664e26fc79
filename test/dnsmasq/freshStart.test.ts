/**
 * The writer's fresh-start hold against a real dnsmasq 2.90, in the pod's order: the sidecar
 * writes first, dnsmasq starts on the directory as the sidecar left it, the sidecar writes again.
 *
 * dnsmasq sizes its hash table from what it reads at start, and every later re-read of a record
 * scans the whole table (AtomicHostsWriterOptions.holdFreshStart says why and how much). What
 * this test pins down, from dnsmasq's own log rather than from timings: at start it reads the
 * nodes file alone; the shards reach it afterwards through inotify; every name then answers.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_HOSTS_FILE } from "../../lib/config/defaults";
import { healthName } from "../../lib/dns/names";
import type { HostsData } from "../../sidecar/src/model";
import { AtomicHostsWriter } from "../../sidecar/src/sink/atomicWriter";
import { createDnsBarrier } from "../../sidecar/src/sink/dnsBarrier";
import { DEFAULT_HOSTS_SHARDS, nodesFileName } from "../../sidecar/src/sink/shards";
import { startDnsmasq } from "../helpers/dnsmasq";
import { freePort, randomLoopback } from "../helpers/ports";
import { sweep } from "../helpers/prober";

const ZONE = "apps.example.com";
const NODES = Array.from({ length: 20 }, (_, i) => `10.42.0.${i + 1}`);
const NAMES = Array.from({ length: 2000 }, (_, i) => `app-${i}.${ZONE}`);

function data(): HostsData {
  return { zones: [ZONE], records: new Map(NAMES.map((n, i) => [n, [NODES[i % 20] as string, NODES[(i + 7) % 20] as string].sort()])), nodeIps: NODES };
}

test("fresh start: dnsmasq starts on the nodes file alone, the shards follow through inotify, every name answers", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cdns-fresh-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const address = randomLoopback();
  const port = await freePort(address);
  const name = healthName(ZONE);
  const probe = createDnsBarrier({ server: address, port, name, timeoutMs: 150, resendMs: 50 });
  const writer = new AtomicHostsWriter({
    dir,
    log: () => undefined,
    barrier: createDnsBarrier({ server: address, port, name }),
    holdFreshStart: { dnsmasqUp: () => probe().then(() => true, () => false) },
  });

  const first = await writer.write(data());
  assert.equal(first.held, true, "dnsmasq is not running yet");
  assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith(".")), [nodesFileName(DEFAULT_HOSTS_FILE)]);

  const d = await startDnsmasq({ zones: [ZONE], ttlSeconds: 0, useHostsDir: dir, address, port });
  t.after(() => d.stop());
  const second = await writer.write(data());
  assert.equal(second.held, false);
  assert.equal(second.paced, true, "the shards went in one at a time, each confirmed by the barrier");
  assert.equal(second.written.length, DEFAULT_HOSTS_SHARDS);

  const log = d.output();
  // What dnsmasq read before its first inotify event: its start-up read, which sizes its table.
  const startUp = log.slice(0, log.indexOf("inotify:") < 0 ? log.length : log.indexOf("inotify:"));
  const readAtStart = [...startUp.matchAll(/read (\S+) - \d+ names/g)].map((m) => m[1] as string);
  assert.deepEqual(readAtStart.map((p) => p.slice(dir.length + 1)), [nodesFileName(DEFAULT_HOSTS_FILE)], log.slice(0, 2000));
  const viaInotify = new Set([...log.matchAll(/inotify: (\S+) new or modified/g)].map((m) => (m[1] as string).slice(dir.length + 1)));
  for (const f of second.written) assert.ok(viaInotify.has(f), `${f} not re-read through inotify:\n${log.slice(-2000)}`);

  const answers = await sweep(address, port, NAMES);
  const want = data().records;
  for (const n of NAMES) assert.deepEqual([...(answers.get(n)?.ips ?? [])].sort(), [...(want.get(n) as string[])].sort(), n);
});
