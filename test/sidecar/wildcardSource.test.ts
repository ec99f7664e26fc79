/** Wildcard hosts through the source and the plan: one hostname parser, planned like any name. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeState, SourceEntry } from "../../sidecar/src/model";
import { planHostsData, type PlanInput } from "../../sidecar/src/plan";
import type { SourceContext } from "../../sidecar/src/source/context";
import { checkHostname } from "../../sidecar/src/source/hostnames";
import { entriesFromIngress } from "../../sidecar/src/source/ingress";
import { entriesFromHttpRoute } from "../../sidecar/src/source/httproute";
import { parentName, wildcardBase } from "../../lib/dns/syntax";
import { rng } from "../helpers/rng";
import { ingress } from "./fakes";

const ZONES = ["apps.example.com", "apps.example.org"];
const ctx = (over: Partial<SourceContext> = {}): SourceContext => ({ zones: ZONES, nodes: [], namespaces: [], maxTargets: 64, wildcards: true, ...over });

describe("wildcard hostnames", () => {
  it("lib/dns: the base of *.x and the parent of a name", () => {
    assert.equal(wildcardBase("*.preview.apps.example.com"), "preview.apps.example.com");
    assert.equal(wildcardBase("preview.apps.example.com"), undefined);
    assert.equal(wildcardBase("x*.apps.example.com"), undefined);
    assert.equal(parentName("a.b.c"), "b.c");
    assert.equal(parentName("c"), undefined);
  });

  it("accepted with the responder on: normalised, base in a zone (the apex counts), never a reserved base", () => {
    const ok = (raw: string) => checkHostname(raw, ZONES, { wildcards: true });
    assert.deepEqual(ok("*.Preview.Apps.Example.COM."), { ok: true, hostname: "*.preview.apps.example.com" });
    assert.deepEqual(ok("*.apps.example.org"), { ok: true, hostname: "*.apps.example.org" });
    const reason = (raw: string) => {
      const v = ok(raw);
      return v.ok ? "ok" : v.reason;
    };
    assert.equal(reason("*.other.com"), "outside_zones");
    assert.equal(reason("*.example.com"), "outside_zones", "the zone's parent is not in the zone");
    for (const r of ["*.nodes.apps.example.com", "*.x.nodes.apps.example.com", "*.cdns-health.apps.example.com", "*.ns1.apps.example.com"]) {
      assert.equal(reason(r), "reserved_name", r);
    }
    for (const r of ["*bad.apps.example.com", "*.*.apps.example.com", "a.*.apps.example.com", "*", "*.", "**.apps.example.com", "*.-x.apps.example.com"]) {
      assert.equal(reason(r), "invalid_hostname", r);
    }
  });

  it("off (no responder): wildcard_unsupported, as before, after the same checks", () => {
    const v = checkHostname("*.preview.apps.example.com", ZONES);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.reason, "wildcard_unsupported");
    const outside = checkHostname("*.other.com", ZONES);
    assert.equal(!outside.ok && outside.reason, "outside_zones");
  });

  it("an Ingress with a wildcard and an exact host gives two entries; without the responder only the exact one", () => {
    const obj = ingress("qa", "preview", ["*.preview.apps.example.com", "preview.apps.example.com"], ["10.0.0.2", "10.0.0.1"]);
    const on = entriesFromIngress(obj, ctx());
    assert.deepEqual(on.entries.map((e) => [e.hostname, e.targets]), [
      ["*.preview.apps.example.com", ["10.0.0.1", "10.0.0.2"]],
      ["preview.apps.example.com", ["10.0.0.1", "10.0.0.2"]],
    ]);
    assert.deepEqual(on.ignored, []);
    const off = entriesFromIngress(obj, ctx({ wildcards: false }));
    assert.deepEqual(off.entries.map((e) => e.hostname), ["preview.apps.example.com"]);
    assert.deepEqual(off.ignored.map((i) => [i.host, i.reason]), [["*.preview.apps.example.com", "wildcard_unsupported"]]);
  });

  it("an HTTPRoute's wildcard hostname goes through the same parser (answered one label deep, like an Ingress's)", () => {
    const route = { metadata: { namespace: "web", name: "r" }, spec: { hostnames: ["*.gw.apps.example.com"], parentRefs: [{ name: "gw", namespace: "infra" }] } };
    const lookup = (ns: string, name: string) => (ns === "infra" && name === "gw" ? ["10.0.9.9"] : undefined);
    assert.deepEqual(entriesFromHttpRoute(route, ctx(), lookup).entries.map((e) => [e.hostname, e.targets]), [["*.gw.apps.example.com", ["10.0.9.9"]]]);
  });
});

const n = (name: string, ip: string, healthy = true): NodeState => ({ name, addresses: [ip], healthy, fallback: true, controlPlane: false });
const e = (hostname: string, targets: string[], owner = "Ingress/qa/x"): SourceEntry => ({ hostname, targets, owner });
const plan = (over: Partial<PlanInput>) =>
  planHostsData({ zones: ["apps.example.com"], entries: [], nodes: [], allDroppedRule: "keep-last", maxTargets: 8, lastServed: new Map(), ...over });

describe("planHostsData with wildcards", () => {
  const W = "*.preview.apps.example.com";

  it("a wildcard is planned like a name (health, cap) and listed apart from the hosts records; its IPs count for nodes.<zone>", () => {
    const ips = Array.from({ length: 12 }, (_, i) => `10.0.0.${i + 1}`);
    const r = plan({ entries: [e(W, ips), e("web.apps.example.com", ["10.0.0.1"])], nodes: ips.map((ip, i) => n(`w${i}`, ip, i !== 2)) });
    assert.deepEqual([...r.data.records.keys()], ["web.apps.example.com"], "the hosts files never see a wildcard");
    const w = r.data.wildcards?.get(W) ?? [];
    assert.equal(w.length, 8, "capped to maxTargets like a name");
    assert.ok(!w.includes("10.0.0.3"), "the unhealthy node is out");
    assert.deepEqual(r.capped, [W]);
    assert.deepEqual(r.data.nodeIps, [...new Set(["10.0.0.1", ...w])].sort((a, b) => Number(a.split(".")[3]) - Number(b.split(".")[3])));
    assert.equal(plan({ entries: [e("web.apps.example.com", ["10.0.0.1"])] }).data.wildcards, undefined, "no wildcard, no map");
  });

  it("keep-last holds a wildcard whose targets all went down, like a name", () => {
    const up = plan({ entries: [e(W, ["10.0.0.1", "10.0.0.2"])], nodes: [n("a", "10.0.0.1"), n("b", "10.0.0.2", false)] });
    const down = plan({ entries: [e(W, ["10.0.0.1", "10.0.0.2"])], nodes: [n("a", "10.0.0.1", false), n("b", "10.0.0.2", false)], lastServed: up.lastServed });
    assert.deepEqual(down.data.wildcards?.get(W), ["10.0.0.1"]);
    assert.deepEqual(down.held, [W]);
  });

  it("the plan from the memo equals one from scratch while wildcards and exact names under them come and go", () => {
    const r = rng(7);
    const pool = Array.from({ length: 10 }, (_, i) => `10.0.1.${i + 1}`);
    const names = ["*.a.apps.example.com", "*.b.a.apps.example.com", "x.a.apps.example.com", "b.a.apps.example.com", "*.apps.example.com", "y.b.a.apps.example.com"];
    let entries: SourceEntry[] = [];
    let prev = plan({ entries });
    let nodes = pool.map((ip, i) => n(`w${i}`, ip));
    for (let step = 0; step < 300; step++) {
      const name = names[Math.floor(r() * names.length)] as string;
      if (r() < 0.4) entries = entries.filter((x) => x.hostname !== name);
      else entries = [...entries.filter((x) => x.hostname !== name), e(name, pool.filter(() => r() < 0.5).slice(0, 4).concat("10.0.1.1"))];
      // Health changes now and then only: in between the memo path plans name by name.
      if (step % 10 === 9) nodes = pool.map((ip, i) => n(`w${i}`, ip, r() < 0.8));
      const next = plan({ entries, nodes, lastServed: prev.lastServed });
      const scratch = plan({ entries, nodes, lastServed: new Map(prev.lastServed) });
      assert.deepEqual(next.data, scratch.data, `step ${step}`);
      for (const k of next.data.records.keys()) assert.ok(!k.startsWith("*"), k);
      prev = next;
    }
  });
});
