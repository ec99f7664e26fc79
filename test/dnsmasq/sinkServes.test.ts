/** The sink feeding a real dnsmasq: names appear and disappear, zones are enforced, big lines, SIGHUP. */
import { test } from "node:test";
import { readFileSync } from "node:fs";
import * as assert from "node:assert/strict";
import { controlPlaneName, nodeCanonicalName, nodesName } from "../../lib/dns/names";
import type { NodeState } from "../../sidecar/src/model";
import { planHostsData } from "../../sidecar/src/plan";
import { hasDuplicates, hostsData, sameSet, startSinkRig, ZONES } from "./harness";

const [Z0, Z1] = ZONES;

test("a name added appears in answers, a removed one disappears, the others stay", async () => {
  const rig = await startSinkRig();
  try {
    const base = { [`keep.${Z0}`]: ["10.1.0.1"], [`other.${Z1}`]: ["10.1.0.2", "10.1.0.3"] };
    assert.equal((await rig.ask(`web.${Z0}`)).rcode, "NXDOMAIN");
    const t0 = performance.now();
    await rig.writeAndWait(hostsData({ ...base, [`web.${Z0}`]: ["10.1.0.9", "10.1.0.1"] }), `web.${Z0}`, ["10.1.0.9", "10.1.0.1"]);
    const addMs = performance.now() - t0;
    const web = await rig.ask(`web.${Z0}`);
    assert.equal(web.rcode, "NOERROR");
    assert.equal(web.aa, true);
    assert.deepEqual(web.ttls, [5, 5]);
    const t1 = performance.now();
    await rig.writeAndWait(hostsData(base), `web.${Z0}`, []);
    const removeMs = performance.now() - t1;
    assert.deepEqual((await rig.ask(`keep.${Z0}`)).addresses, ["10.1.0.1"]);
    assert.ok(sameSet((await rig.ask(`other.${Z1}`)).addresses, ["10.1.0.2", "10.1.0.3"]));
    console.log(`write-to-answer: add ${addMs.toFixed(1)} ms, remove ${removeMs.toFixed(1)} ms`);
  } finally {
    await rig.stop();
  }
});

test("out-of-zone names are REFUSED, unknown in-zone names NXDOMAIN, even with data loaded", async () => {
  const rig = await startSinkRig();
  try {
    await rig.writeAndWait(hostsData({ [`web.${Z0}`]: ["10.1.0.1"] }, ["10.1.0.1"]), `web.${Z0}`, ["10.1.0.1"]);
    for (const name of ["example.net", "www.example.com", "web.apps.example.com.evil.net", "apps.example.com.au"]) {
      const a = await rig.ask(name);
      assert.equal(a.rcode, "REFUSED", `${name} answered ${a.rcode} ${a.addresses}`);
      assert.deepEqual(a.addresses, []);
    }
    for (const name of [`nope.${Z0}`, `deep.web.${Z0}`, `nope.${Z1}`, `node-10-9-9-9.nodes.${Z0}`]) {
      const a = await rig.ask(name);
      assert.equal(a.rcode, "NXDOMAIN", `${name} answered ${a.rcode} ${a.addresses}`);
    }
  } finally {
    await rig.stop();
  }
});

test("nodes.<zone> in every zone, canonical names and PTR answer the canonical name only", async () => {
  const rig = await startSinkRig();
  try {
    const nodes = ["10.2.0.1", "10.2.0.2"];
    await rig.writeAndWait(hostsData({ [`web.${Z0}`]: ["10.2.0.2"] }, nodes), nodesName(Z1), nodes);
    assert.ok(sameSet((await rig.ask(nodesName(Z0))).addresses, nodes));
    assert.deepEqual((await rig.ask(nodeCanonicalName("10.2.0.2", Z0))).addresses, ["10.2.0.2"]);
    const ptr = await rig.ask("2.0.2.10.in-addr.arpa", { type: "PTR" });
    assert.deepEqual(ptr.answers.map((a) => ("data" in a ? String(a.data) : "")), [nodeCanonicalName("10.2.0.2", Z0)]);
  } finally {
    await rig.stop();
  }
});

test("control-plane.nodes.<zone> answers with the healthy control-plane IPs the plan computed", async () => {
  const rig = await startSinkRig();
  try {
    const node = (name: string, ip: string, healthy: boolean, controlPlane: boolean): NodeState => ({ name, addresses: [ip], healthy, fallback: false, controlPlane });
    const nodes = [node("cp1", "10.3.0.1", true, true), node("cp2", "10.3.0.2", false, true), node("cp3", "10.3.0.3", true, true), node("w1", "10.3.0.9", true, false)];
    const plan = planHostsData({
      zones: ZONES, entries: [{ hostname: `web.${Z0}`, targets: ["10.3.0.9"], owner: "Ingress/a/web" }],
      nodes, allDroppedRule: "keep-last", maxTargets: 64, lastServed: new Map(),
    });
    const healthy = ["10.3.0.1", "10.3.0.3"];
    await rig.writeAndWait(plan.data, controlPlaneName(Z1), healthy);
    for (const z of [Z0, Z1]) assert.ok(sameSet((await rig.ask(controlPlaneName(z))).addresses, healthy), z);
    assert.deepEqual((await rig.ask(nodesName(Z0))).addresses, ["10.3.0.9"]);
    // The canonical name still owns the PTR flag on a control-plane IP.
    const ptr = await rig.ask("1.0.3.10.in-addr.arpa", { type: "PTR" });
    assert.deepEqual(ptr.answers.map((a) => ("data" in a ? String(a.data) : "")), [nodeCanonicalName("10.3.0.1", Z0)]);
  } finally {
    await rig.stop();
  }
});

test("one IP with 2,000 names (split lines): every name answers once, the canonical name once", async () => {
  const rig = await startSinkRig();
  try {
    const ip = "10.3.0.1";
    const records: Record<string, string[]> = {};
    for (let i = 0; i < 2000; i++) records[`h${i}.${ZONES[i % 2]}`] = [ip];
    // Sorted last, so on ip's last continuation line: it must still rotate.
    const multi = `zz-multi.${Z1}`;
    const last = `h1999.${Z1}`;
    await rig.writeAndWait(hostsData({ ...records, [multi]: [ip, "10.3.0.2"] }, [ip]), last, [ip]);
    const firsts = new Set<string>();
    for (let i = 0; i < 30; i++) firsts.add((await rig.ask(multi)).addresses[0] as string);
    assert.deepEqual([...firsts].sort(), [ip, "10.3.0.2"], `${multi} did not rotate`);
    let bad = 0;
    for (const name of [...Object.keys(records), nodesName(Z0), nodesName(Z1), nodeCanonicalName(ip, Z0)]) {
      const a = await rig.ask(name);
      if (a.rcode !== "NOERROR" || a.addresses.length !== 1 || a.addresses[0] !== ip) bad++;
    }
    assert.equal(bad, 0, `${bad} of 2,003 names answered wrongly`);
    const log = rig.dnsmasq.output();
    assert.match(log, /read .*ingress\.hosts(\.[a-z0-9]+)? - \d+ names/);
  } finally {
    await rig.stop();
  }
});

test("SIGHUP through a real pid file: dnsmasq re-reads, no duplicate records, keeps running", async () => {
  const rig = await startSinkRig({ pidFileName: "dnsmasq.pid" });
  try {
    const ips = ["10.4.0.1", "10.4.0.2", "10.4.0.3"];
    const pid = Number(readFileSync(rig.pidFile as string, "utf8").trim());
    assert.equal(pid, rig.dnsmasq.process.pid, "the pid file must name the dnsmasq we started");
    const readsBefore = (rig.dnsmasq.output().match(/read .*ingress\.hosts/g) ?? []).length;
    for (let i = 0; i < 10; i++) {
      const data = hostsData({ [`web.${Z0}`]: ips, [`n${i}.${Z0}`]: ["10.4.0.9"] }, ips);
      const res = await rig.writeAndWait(data, `n${i}.${Z0}`, ["10.4.0.9"]);
      assert.equal(res.signalled, true, `write ${i} was not signalled; logs: ${rig.logs.join(" | ")}`);
      const web = await rig.ask(`web.${Z0}`);
      assert.ok(!hasDuplicates(web.addresses) && sameSet(web.addresses, ips), `after SIGHUP ${i}: ${web.addresses}`);
    }
    assert.equal(rig.dnsmasq.process.exitCode, null);
    assert.equal((await rig.ask(`n8.${Z0}`)).rcode, "NXDOMAIN");
    // inotify reads once per write; each SIGHUP adds a full re-read on top.
    await new Promise((r) => setTimeout(r, 100));
    const reads = (rig.dnsmasq.output().match(/read .*ingress\.hosts/g) ?? []).length - readsBefore;
    assert.ok(reads >= 20, `expected at least 20 reads of the hosts file (10 inotify + 10 SIGHUP), saw ${reads}`);
  } finally {
    await rig.stop();
  }
});
