/**
 * Round robin with the real dnsmasq: every multi-IP name must rotate, also
 * when IP sets overlap. dnsmasq rotates only the records of a name that carry the
 * same reverse-lookup (PTR) flag, and an IP already seen under an earlier name
 * gets none (measured: c={.2,.3,.4} after a,b={.1,.2,.3} never rotated). A control run with the
 * naive layout shows the check catches a name stuck in one order.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { nodesName } from "../../lib/dns/names";
import type { HostsData } from "../../sidecar/src/model";
import { AtomicHostsWriter } from "../../sidecar/src/sink/atomicWriter";
import { waitForAnswer } from "../helpers/dns";
import { hostsData, sameSet, startSinkRig, ZONES, type SinkRig } from "./harness";
import { rng } from "../helpers/rng";

const QUERIES = 30;
const Z = ZONES[0];

/** How often each address came first in QUERIES sequential UDP answers; also checks every answer's set. */
async function firstCounts(rig: SinkRig, name: string, expected: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>(expected.map((ip) => [ip, 0]));
  for (let i = 0; i < QUERIES; i++) {
    const a = await rig.ask(name);
    assert.ok(sameSet(a.addresses, expected), `${name}: answer ${a.addresses} is not ${expected}`);
    const first = a.addresses[0] as string;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return counts;
}

/** Every name with more than one address, including nodes.<zone>, with its address set. */
function multiIpNames(data: HostsData): Array<[string, readonly string[]]> {
  const out: Array<[string, readonly string[]]> = [...data.records].filter(([, ips]) => ips.length > 1);
  if (data.nodeIps.length > 1) for (const z of data.zones) out.push([nodesName(z), data.nodeIps]);
  return out;
}

async function assertAllRotate(rig: SinkRig, data: HostsData): Promise<string[]> {
  const report: string[] = [];
  for (const [name, ips] of multiIpNames(data)) {
    const counts = await firstCounts(rig, name, ips);
    const never = [...counts].filter(([, n]) => n === 0).map(([ip]) => ip);
    assert.deepEqual(never, [], `${name} never answered these first in ${QUERIES} queries: ${never} (counts ${JSON.stringify([...counts])})`);
    report.push(`${name}: ${[...counts.values()].join("/")}`);
  }
  return report;
}


function randomOverlapping(seed: number): HostsData {
  const r = rng(seed);
  const pool = Array.from({ length: 8 }, (_, i) => `10.20.0.${i + 1}`);
  const pick = (min: number, max: number): string[] => {
    const n = min + Math.floor(r() * (max - min + 1));
    return [...pool].sort(() => r() - 0.5).slice(0, n);
  };
  const records: Record<string, string[]> = {};
  for (let i = 0; i < 12; i++) records[`h${i}.${ZONES[i % 2]}`] = pick(2, 5);
  return hostsData(records, pick(2, 6));
}

test("the PTR-flag case a,b={.1,.2,.3}, c={.2,.3,.4}: every multi-IP name rotates with the sink's layout", async () => {
  const rig = await startSinkRig();
  try {
    const abc = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
    const data = hostsData(
      { [`a.${Z}`]: abc, [`b.${Z}`]: abc, [`c.${Z}`]: ["10.0.0.2", "10.0.0.3", "10.0.0.4"] },
      ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"],
    );
    await rig.writeAndWait(data, `c.${Z}`, ["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    const report = await assertAllRotate(rig, data);
    console.log(`first-position counts over ${QUERIES} queries: ${report.join("; ")}`);
  } finally {
    await rig.stop();
  }
});

test("control: the naive one-line-per-hostname layout leaves c stuck (so the rotation check can fail)", async () => {
  const rig = await startSinkRig();
  try {
    const naive = [
      "10.0.0.1 a.apps.example.com", "10.0.0.2 a.apps.example.com", "10.0.0.3 a.apps.example.com",
      "10.0.0.1 b.apps.example.com", "10.0.0.2 b.apps.example.com", "10.0.0.3 b.apps.example.com",
      "10.0.0.2 c.apps.example.com", "10.0.0.3 c.apps.example.com", "10.0.0.4 c.apps.example.com",
    ].join("\n") + "\n";
    // Same atomic writer, naive renderer: only the layout differs from the sink's.
    const writer = new AtomicHostsWriter({ shards: 1, dir: rig.dnsmasq.hostsDir, render: () => naive, log: () => undefined });
    await writer.write(hostsData({}));
    const c = ["10.0.0.2", "10.0.0.3", "10.0.0.4"];
    await waitForAnswer(`c.${Z}`, { server: rig.dnsmasq.address, port: rig.dnsmasq.port }, (a) => sameSet(a.addresses, c), 5000, 5);
    const counts = await firstCounts(rig, `c.${Z}`, c);
    const never = [...counts].filter(([, n]) => n === 0);
    console.log(`naive layout, c first-position counts: ${JSON.stringify([...counts])}`);
    assert.ok(never.length > 0, `expected the naive layout to leave c stuck, got ${JSON.stringify([...counts])}`);
  } finally {
    await rig.stop();
  }
});

test("random overlapping IP sets (3 seeds, rewritten in place): every multi-IP name rotates", async () => {
  // An apex host-record on a pool IP gives that IP a PTR owner outside the
  // hosts file: rotation must survive that too.
  const rig = await startSinkRig({ apexAddresses: ["10.20.0.1"] });
  try {
    for (const seed of [1, 42, 2024]) {
      const data = randomOverlapping(seed);
      const [probeName, probeIps] = [...data.records][0] as [string, readonly string[]];
      await rig.writeAndWait(data, probeName, probeIps);
      // Every name of this seed must answer its set before rotation is counted.
      for (const [name, ips] of [...data.records]) {
        const a = await rig.ask(name);
        assert.ok(sameSet(a.addresses, ips), `seed ${seed}: ${name} answered ${a.addresses}, want ${ips}`);
      }
      const report = await assertAllRotate(rig, data);
      assert.ok(report.length >= 12, `seed ${seed}: expected at least 12 multi-IP names, checked ${report.length}`);
    }
  } finally {
    await rig.stop();
  }
});
