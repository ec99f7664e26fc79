import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeState, SourceEntry } from "../../sidecar/src/model";
import { ALL_DROPPED_RULES, diffHostsData, planHostsData, type AllDroppedRule, type PlanInput } from "../../sidecar/src/plan";
import { rendezvousSubset } from "../../sidecar/src/subset";
import { rng } from "../helpers/rng";

const ZONES = ["apps.example.com"];
const n = (name: string, ip: string, healthy = true): NodeState => ({ name, addresses: [ip], healthy, fallback: true, controlPlane: false });
const e = (hostname: string, targets: string[], owner = "Ingress/web/x"): SourceEntry => ({ hostname, targets, owner });

function plan(over: Partial<PlanInput>) {
  return planHostsData({ zones: ZONES, entries: [], nodes: [], allDroppedRule: "keep-last", maxTargets: 64, lastServed: new Map(), ...over });
}

describe("planHostsData", () => {
  const entries = [e("a.apps.example.com", ["10.0.0.1", "10.0.0.2", "10.0.0.3"])];

  it("drops targets of NotReady, cordoned and deleting nodes (as NodeState.healthy=false)", () => {
    const r = plan({ entries, nodes: [n("w1", "10.0.0.1"), n("w2", "10.0.0.2", false), n("w3", "10.0.0.3")] });
    assert.deepEqual(r.data.records.get("a.apps.example.com"), ["10.0.0.1", "10.0.0.3"]);
    assert.deepEqual(r.data.nodeIps, ["10.0.0.1", "10.0.0.3"]);
  });

  it("controlPlaneIps: healthy control-plane nodes only, served or not; a NotReady one leaves the list", () => {
    const cp = (name: string, ip: string, healthy = true): NodeState => ({ name, addresses: [ip], healthy, fallback: false, controlPlane: true });
    const nodes = [cp("cp2", "10.0.1.12"), cp("cp1", "10.0.1.11"), cp("cp3", "10.0.1.3"), n("w1", "10.0.0.1")];
    const up = plan({ entries, nodes });
    assert.deepEqual(up.data.controlPlaneIps, ["10.0.1.3", "10.0.1.11", "10.0.1.12"]);
    assert.deepEqual(up.data.nodeIps, ["10.0.0.1"], "control-plane nodes serve no ingress name here, so they are not in nodes.<zone>");
    const down = plan({ entries, nodes: [cp("cp2", "10.0.1.12", false), cp("cp1", "10.0.1.11"), cp("cp3", "10.0.1.3"), n("w1", "10.0.0.1")] });
    assert.deepEqual(down.data.controlPlaneIps, ["10.0.1.3", "10.0.1.11"]);
    const d = diffHostsData(up.data, down.data);
    assert.equal(d.controlPlaneIpsChanged, true);
    assert.equal(d.unchanged, false, "a control-plane change alone must cause a write");
    assert.deepEqual(plan({ entries, nodes: [n("w1", "10.0.0.1")] }).data.controlPlaneIps, []);
  });

  it("keeps IPs no known node owns (an external load balancer)", () => {
    const r = plan({ entries: [e("a.apps.example.com", ["192.0.2.7", "10.0.0.2"])], nodes: [n("w2", "10.0.0.2", false)] });
    assert.deepEqual(r.data.records.get("a.apps.example.com"), ["192.0.2.7"]);
    assert.deepEqual(r.data.nodeIps, []);
  });

  it("brings a target back when its node recovers", () => {
    const down = plan({ entries, nodes: [n("w1", "10.0.0.1", false), n("w2", "10.0.0.2"), n("w3", "10.0.0.3")] });
    assert.deepEqual(down.data.records.get("a.apps.example.com"), ["10.0.0.2", "10.0.0.3"]);
    const up = plan({ entries, nodes: [n("w1", "10.0.0.1"), n("w2", "10.0.0.2"), n("w3", "10.0.0.3")], lastServed: down.lastServed });
    assert.deepEqual(up.data.records.get("a.apps.example.com"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  });

  it("an IP shared by a deleting node and its healthy replacement stays", () => {
    const r = plan({ entries: [e("a.apps.example.com", ["10.0.0.1"])], nodes: [n("old", "10.0.0.1", false), n("new", "10.0.0.1")] });
    assert.deepEqual(r.data.records.get("a.apps.example.com"), ["10.0.0.1"]);
  });

  describe("all targets dropped", () => {
    const allDown = [n("w1", "10.0.0.1", false), n("w2", "10.0.0.2", false), n("w3", "10.0.0.3", false)];
    const partly = [n("w1", "10.0.0.1", false), n("w2", "10.0.0.2"), n("w3", "10.0.0.3", false)];
    const run = (rule: AllDroppedRule) => {
      const before = plan({ entries, nodes: partly, allDroppedRule: rule });
      return plan({ entries, nodes: allDown, allDroppedRule: rule, lastServed: before.lastServed });
    };

    it("keep-last serves the last served non-empty set", () => {
      const r = run("keep-last");
      assert.deepEqual(r.data.records.get("a.apps.example.com"), ["10.0.0.2"]);
      assert.deepEqual(r.held, ["a.apps.example.com"]);
      assert.deepEqual(r.data.nodeIps, [], "no healthy node serves");
      // Holding does not overwrite history: a second all-down plan still serves the same set.
      const again = plan({ entries, nodes: allDown, lastServed: r.lastServed });
      assert.deepEqual(again.data.records.get("a.apps.example.com"), ["10.0.0.2"]);
    });

    it("keep-last with no history serves the unfiltered targets", () => {
      const r = plan({ entries, nodes: allDown });
      assert.deepEqual(r.data.records.get("a.apps.example.com"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    });

    it("keep-all serves the unfiltered targets", () => {
      assert.deepEqual(run("keep-all").data.records.get("a.apps.example.com"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    });

    it("drop serves nothing for the name", () => {
      const r = run("drop");
      assert.equal(r.data.records.has("a.apps.example.com"), false);
      assert.deepEqual(r.dropped, ["a.apps.example.com"]);
    });
  });

  it("merges target sets of the same host from two namespaces and caps the merged set", () => {
    const r = plan({
      entries: [e("s.apps.example.com", ["10.0.0.3", "10.0.0.1"], "Ingress/a/x"), e("s.apps.example.com", ["10.0.0.2", "10.0.0.1"], "Ingress/b/x")],
      maxTargets: 2,
    });
    const served = r.data.records.get("s.apps.example.com") as string[];
    assert.equal(served.length, 2);
    assert.ok(served.every((ip) => ["10.0.0.1", "10.0.0.2", "10.0.0.3"].includes(ip)));
    assert.deepEqual(served, rendezvousSubset("s.apps.example.com", ["10.0.0.1", "10.0.0.2", "10.0.0.3"], 2));
    assert.deepEqual(r.capped, ["s.apps.example.com"]);
  });

  it("caps every name at its own rendezvous subset: load spreads over all addresses, a flip moves only the names that had it", () => {
    const all = Array.from({ length: 64 }, (_, i) => `10.1.0.${i + 1}`);
    const names = Array.from({ length: 5000 }, (_, i) => `app-${i}.apps.example.com`);
    const per = new Map<string, number>();
    const subsets = new Map<string, string[]>();
    for (const name of names) {
      const sub = rendezvousSubset(name, all, 8);
      assert.equal(sub.length, 8);
      assert.deepEqual(sub, [...sub].sort((a, b) => Number(a.split(".")[3]) - Number(b.split(".")[3])), "sorted");
      subsets.set(name, sub);
      for (const ip of sub) per.set(ip, (per.get(ip) ?? 0) + 1);
    }
    // 5000 x 8 / 64 = 625 names per address on average; every address carries a fair share.
    const counts = all.map((ip) => per.get(ip) ?? 0);
    assert.ok(Math.min(...counts) > 625 * 0.75 && Math.max(...counts) < 625 * 1.25, `share per address ${Math.min(...counts)}..${Math.max(...counts)}`);
    // One address leaves: names without it keep their subset, names with it swap exactly that one.
    const gone = "10.1.0.17";
    const rest = all.filter((ip) => ip !== gone);
    let moved = 0;
    for (const name of names) {
      const before = subsets.get(name) as string[];
      const after = rendezvousSubset(name, rest, 8);
      if (!before.includes(gone)) assert.deepEqual(after, before, name);
      else {
        moved++;
        assert.deepEqual(after.filter((ip) => !before.includes(ip)).length, 1, name);
        assert.deepEqual(before.filter((ip) => !after.includes(ip)), [gone], name);
      }
    }
    assert.equal(moved, per.get(gone));
  });

  it("forgets history of names that disappeared", () => {
    const r1 = plan({ entries, nodes: [n("w1", "10.0.0.1")] });
    assert.equal(r1.lastServed.has("a.apps.example.com"), true);
    assert.equal(plan({ entries: [], lastServed: r1.lastServed }).lastServed.size, 0);
  });
});

describe("diffHostsData", () => {
  const data = (recs: Record<string, string[]>, nodeIps: string[] = []) => ({ zones: ZONES, records: new Map(Object.entries(recs)), nodeIps });
  it("lists added, removed and changed names and ignores target order", () => {
    const d = diffHostsData(data({ a: ["1.1.1.1"], b: ["2.2.2.2"], c: ["3.3.3.3", "4.4.4.4"] }), data({ a: ["1.1.1.2"], c: ["4.4.4.4", "3.3.3.3"], d: ["5.5.5.5"] }));
    assert.deepEqual([d.added, d.removed, d.changed, d.unchanged], [["d"], ["b"], ["a"], false]);
  });
  it("reports unchanged only when nothing differs, including nodeIps and zones", () => {
    assert.equal(diffHostsData(data({ a: ["1.1.1.1"] }), data({ a: ["1.1.1.1"] })).unchanged, true);
    assert.equal(diffHostsData(data({}, ["1.1.1.1"]), data({}, [])).nodeIpsChanged, true);
    assert.equal(diffHostsData(undefined, data({})).unchanged, false);
    assert.equal(diffHostsData({ ...data({}), zones: ["x.com"] }, data({})).zonesChanged, true);
  });
});

describe("planHostsData from the previous plan", () => {
  const NAMES = Array.from({ length: 60 }, (_, i) => `h${i}.apps.example.com`);
  const IPS = Array.from({ length: 8 }, (_, i) => `10.0.0.${i + 1}`);
  const pick = (r: () => number, xs: readonly string[], min: number): string[] => {
    const out = xs.filter(() => r() < 0.15);
    return out.length >= min ? out : xs.slice(0, min);
  };
  const entry = (r: () => number): SourceEntry => {
    const x = e(NAMES[Math.floor(r() * NAMES.length)] as string, pick(r, IPS, 1), `Ingress/ns/${Math.floor(r() * 1000)}`);
    // About half are the ingress controller's, so names mix both kinds of entries.
    return r() < 0.5 ? { ...x, viaController: true } : x;
  };
  const comparable = (p: ReturnType<typeof plan>) => ({
    records: [...p.data.records],
    nodeIps: p.data.nodeIps,
    controlPlaneIps: p.data.controlPlaneIps,
    lastServed: [...p.lastServed],
    capped: p.capped,
    held: p.held,
    dropped: p.dropped,
  });

  it("equals a plan from scratch through target changes, adds, removes, health, controller pod and node check flips and setting changes", () => {
    const r = rng(42);
    for (let run = 0; run < 30; run++) {
      // Enough entries that a step changes a small part of them, as plans from the previous one are made for.
      let entries: SourceEntry[] = Array.from({ length: 60 }, () => entry(r));
      let health = IPS.map(() => r() < 0.7);
      let controllerReady = IPS.map(() => r() < 0.7);
      let checkFailed = IPS.map(() => r() < 0.1);
      let rule = ALL_DROPPED_RULES[run % ALL_DROPPED_RULES.length] as AllDroppedRule;
      let maxTargets = 3;
      let prev = plan({ entries });
      for (let step = 0; step < 40; step++) {
        const what = r();
        if (what < 0.4) {
          // In place, as the store hands over an updated object.
          const i = Math.floor(r() * entries.length);
          entries = entries.map((x, j) => (j === i ? entry(r) : x));
        } else if (what < 0.55) entries = [...entries, entry(r)];
        else if (what < 0.7 && entries.length > 0) {
          const i = Math.floor(r() * entries.length);
          entries = entries.filter((_, j) => j !== i);
        } else if (what < 0.74) health = health.map((h) => (r() < 0.2 ? !h : h));
        else if (what < 0.77) controllerReady = controllerReady.map((h) => (r() < 0.2 ? !h : h));
        else if (what < 0.8) checkFailed = checkFailed.map((h) => (r() < 0.2 ? !h : h));
        else if (what < 0.83) rule = ALL_DROPPED_RULES[Math.floor(r() * ALL_DROPPED_RULES.length)] as AllDroppedRule;
        else if (what < 0.86) maxTargets = 5 - maxTargets;
        const nodes: NodeState[] = IPS.slice(0, 6).map((ip, i) => ({
          name: `w${i}`, addresses: [ip], healthy: health[i] as boolean, fallback: true, controlPlane: i < 2,
          controllerPod: true, controllerReady: controllerReady[i] as boolean, ...(checkFailed[i] === true ? { checkFailed: [ip] } : {}),
        }));
        const over = { entries, nodes, allDroppedRule: rule, maxTargets };
        // A copy of lastServed has no memo: the plan is computed from scratch.
        const scratch = plan({ ...over, lastServed: new Map(prev.lastServed) });
        const next = plan({ ...over, lastServed: prev.lastServed });
        assert.deepEqual(comparable(next), comparable(scratch), `run ${run} step ${step}`);
        prev = next;
      }
    }
  });

  it("keeps the array of a name whose targets did not change, also when capped or held", () => {
    const down = (ip: string) => n(`down-${ip}`, ip, false);
    const nodes = [n("w1", "10.0.0.1"), n("w2", "10.0.0.2"), down("10.0.0.9")];
    const same = e("same.apps.example.com", ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    const held = e("held.apps.example.com", ["10.0.0.9"]);
    const first = plan({ entries: [same, held, e("x.apps.example.com", ["10.0.0.1"])], nodes, maxTargets: 2 });
    const second = plan({ entries: [same, held, e("x.apps.example.com", ["10.0.0.2"])], nodes, maxTargets: 2, lastServed: first.lastServed });
    assert.equal(second.data.records.get("same.apps.example.com"), first.data.records.get("same.apps.example.com"));
    assert.deepEqual(second.capped, ["same.apps.example.com"]);
    assert.equal(second.data.records.get("held.apps.example.com"), first.data.records.get("held.apps.example.com"));
    assert.deepEqual(second.data.records.get("x.apps.example.com"), ["10.0.0.2"]);
  });

  it("nodeIps loses a node only when no name serves it any more", () => {
    const nodes = [n("w1", "10.0.0.1"), n("w2", "10.0.0.2"), n("w3", "10.0.0.3")];
    const first = plan({ entries: [e("a.apps.example.com", ["10.0.0.1", "10.0.0.2"]), e("b.apps.example.com", ["10.0.0.2", "10.0.0.3"])], nodes });
    assert.deepEqual(first.data.nodeIps, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    const second = plan({ entries: [e("a.apps.example.com", ["10.0.0.3"]), e("b.apps.example.com", ["10.0.0.2", "10.0.0.3"])], nodes, lastServed: first.lastServed });
    assert.deepEqual(second.data.nodeIps, ["10.0.0.2", "10.0.0.3"], "10.0.0.1 is no longer served; 10.0.0.2 still is, by b");
    const third = plan({ entries: [e("a.apps.example.com", ["10.0.0.1"]), e("b.apps.example.com", ["10.0.0.2", "10.0.0.3"])], nodes, lastServed: second.lastServed });
    assert.deepEqual(third.data.nodeIps, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  });

  it("plans again from scratch when the same lastServed is fed twice", () => {
    const first = plan({ entries: [e("a.apps.example.com", ["10.0.0.1"])] });
    const input = { entries: [e("a.apps.example.com", ["10.0.0.2"]), e("b.apps.example.com", ["10.0.0.1"])], lastServed: first.lastServed };
    const once = plan(input);
    const twice = plan(input);
    assert.deepEqual([...twice.data.records], [["a.apps.example.com", ["10.0.0.2"]], ["b.apps.example.com", ["10.0.0.1"]]]);
    assert.deepEqual([...once.data.records], [...twice.data.records]);
  });
});

describe("planHostsData with an ingress controller and the node check", () => {
  // A worker with the controller's pod in a given state (no controller configured: both undefined).
  const w = (name: string, ip: string, ready: boolean | undefined, over: Partial<NodeState> = {}): NodeState => ({
    name, addresses: [ip], healthy: true, fallback: true, controlPlane: false,
    ...(ready === undefined ? {} : { controllerPod: true, controllerReady: ready }), ...over,
  });
  const via = (hostname: string, targets: string[], owner = "Ingress/web/x"): SourceEntry => ({ ...e(hostname, targets, owner), viaController: true });
  const A = "a.apps.example.com";

  it("drops a controller's target whose node has no Ready controller pod, keeps IPs no node owns", () => {
    const nodes = [w("w1", "10.0.0.1", true), w("w2", "10.0.0.2", false), w("w3", "10.0.0.3", true, { controllerPod: false, controllerReady: false })];
    const r = plan({ entries: [via(A, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "192.0.2.7"])], nodes });
    assert.deepEqual(r.data.records.get(A), ["10.0.0.1", "192.0.2.7"]);
    assert.deepEqual(r.data.nodeIps, ["10.0.0.1"]);
  });

  it("leaves entries of other objects (another class, a Service) to node health alone", () => {
    const nodes = [w("w1", "10.0.0.1", true), w("w2", "10.0.0.2", false)];
    const r = plan({ entries: [e("b.apps.example.com", ["10.0.0.1", "10.0.0.2"], "Ingress/web/other-class")], nodes });
    assert.deepEqual(r.data.records.get("b.apps.example.com"), ["10.0.0.1", "10.0.0.2"]);
    assert.deepEqual(r.data.nodeIps, ["10.0.0.1"], "nodes.<zone> lists only nodes whose controller pod is Ready");
  });

  it("serves the union of what each entry keeps when a name has both kinds", () => {
    const nodes = [w("w1", "10.0.0.1", true), w("w2", "10.0.0.2", false), w("w3", "10.0.0.3", false)];
    const r = plan({ entries: [via(A, ["10.0.0.1", "10.0.0.2"]), e(A, ["10.0.0.3"], "Service/web/lb")], nodes });
    assert.deepEqual(r.data.records.get(A), ["10.0.0.1", "10.0.0.3"]);
  });

  it("a controller rolled everywhere at once: the all-dropped rule holds the last set", () => {
    const ready = [w("w1", "10.0.0.1", true), w("w2", "10.0.0.2", true)];
    const first = plan({ entries: [via(A, ["10.0.0.1", "10.0.0.2"])], nodes: ready });
    const none = plan({ entries: [via(A, ["10.0.0.1", "10.0.0.2"])], nodes: [w("w1", "10.0.0.1", false), w("w2", "10.0.0.2", false)], lastServed: first.lastServed });
    assert.deepEqual(none.data.records.get(A), ["10.0.0.1", "10.0.0.2"]);
    assert.deepEqual(none.held, [A]);
    assert.deepEqual(none.data.nodeIps, []);
  });

  it("a node IP failing the data-path check leaves every name and nodes.<zone>, but not control-plane.nodes.<zone>", () => {
    const nodes = [
      w("w1", "10.0.0.1", undefined),
      w("w2", "10.0.0.2", undefined, { checkFailed: ["10.0.0.2"], controlPlane: true }),
      w("w3", "10.0.0.3", undefined),
    ];
    const r = plan({ entries: [e(A, ["10.0.0.1", "10.0.0.2"]), via("v.apps.example.com", ["10.0.0.2", "10.0.0.3"])], nodes });
    assert.deepEqual(r.data.records.get(A), ["10.0.0.1"]);
    assert.deepEqual(r.data.records.get("v.apps.example.com"), ["10.0.0.3"]);
    assert.deepEqual(r.data.nodeIps, ["10.0.0.1", "10.0.0.3"]);
    assert.deepEqual(r.data.controlPlaneIps, ["10.0.0.2"]);
  });

  it("a controller pod turning Ready again brings the IP back through the memo path", () => {
    const entries = [via(A, ["10.0.0.1", "10.0.0.2"])];
    const down = plan({ entries, nodes: [w("w1", "10.0.0.1", true), w("w2", "10.0.0.2", false)] });
    assert.deepEqual(down.data.records.get(A), ["10.0.0.1"]);
    const up = plan({ entries, nodes: [w("w1", "10.0.0.1", true), w("w2", "10.0.0.2", true)], lastServed: down.lastServed });
    assert.deepEqual(up.data.records.get(A), ["10.0.0.1", "10.0.0.2"]);
    assert.deepEqual(up.data.nodeIps, ["10.0.0.1", "10.0.0.2"]);
  });
});
