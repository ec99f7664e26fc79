import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeState } from "../../sidecar/src/model";
import type { SourceContext } from "../../sidecar/src/source/context";
import { checkHostname, isValidDnsName } from "../../sidecar/src/source/hostnames";
import { entriesFromHttpRoute } from "../../sidecar/src/source/httproute";
import { entriesFromIngress } from "../../sidecar/src/source/ingress";
import { nodeStateFromNode } from "../../sidecar/src/source/node";
import { parseLabelSelector } from "../../lib/k8s/labelSelector";

function parseSelector(s: string) {
  const r = parseLabelSelector(s);
  return r.ok ? r.requirements : undefined;
}
import { entriesFromService } from "../../sidecar/src/source/service";
import { SourceStore } from "../../sidecar/src/source/store";
import { rng } from "../helpers/rng";
import { ingress, node } from "./fakes";

const ZONES = ["apps.example.com", "apps.example.org"];
const worker = (name: string, ip: string, healthy = true): NodeState => ({ name, addresses: [ip], healthy, fallback: true, controlPlane: false });

function ctx(over: Partial<SourceContext> = {}): SourceContext {
  return { zones: ZONES, nodes: [], namespaces: [], optOut: parseSelector("cdns.rancher-cdns.io/ignore=true"), maxTargets: 64, ...over };
}

function reasons(r: { ignored: Array<{ reason: string }> }): string[] {
  return r.ignored.map((i) => i.reason).sort();
}

describe("entriesFromIngress", () => {
  it("serves a normal ingress: lowercased, trailing dot stripped, IPs sorted", () => {
    const r = entriesFromIngress(ingress("web", "shop", ["Shop.Apps.Example.COM."], ["10.0.0.12", "10.0.0.2"]), ctx());
    assert.deepEqual(r.entries, [{ hostname: "shop.apps.example.com", targets: ["10.0.0.2", "10.0.0.12"], owner: "Ingress/web/shop" }]);
    assert.deepEqual(r.ignored, []);
  });

  it("skips invalid hostnames, names outside the zones and reserved names, each with its reason", () => {
    const hosts = ["bad_name.apps.example.com", "-x.apps.example.com", "a..apps.example.com", "shop.other.com",
      "nodes.apps.example.com", "node-1-2-3-4.nodes.apps.example.com", "cdns-health.apps.example.com", "ns1.apps.example.com",
      "ok.apps.example.org", `${"a".repeat(64)}.apps.example.com`];
    const r = entriesFromIngress(ingress("web", "many", hosts, ["10.0.0.1"]), ctx());
    assert.deepEqual(r.entries.map((e) => e.hostname), ["ok.apps.example.org"]);
    const byHost = Object.fromEntries(r.ignored.map((i) => [i.host, i.reason]));
    assert.equal(byHost["bad_name.apps.example.com"], "invalid_hostname");
    assert.equal(byHost["-x.apps.example.com"], "invalid_hostname");
    assert.equal(byHost["a..apps.example.com"], "invalid_hostname");
    assert.equal(byHost[`${"a".repeat(64)}.apps.example.com`], "invalid_hostname");
    assert.equal(byHost["shop.other.com"], "outside_zones");
    for (const h of ["nodes.apps.example.com", "node-1-2-3-4.nodes.apps.example.com", "cdns-health.apps.example.com", "ns1.apps.example.com"]) {
      assert.equal(byHost[h], "reserved_name", h);
    }
  });

  it("reports wildcards as unsupported (hosts files cannot express them)", () => {
    const r = entriesFromIngress(ingress("web", "wild", ["*.apps.example.com", "*bad.apps.example.com"], ["10.0.0.1"]), ctx());
    assert.equal(r.entries.length, 0);
    assert.deepEqual(reasons(r), ["invalid_hostname", "wildcard_unsupported"]);
  });

  it("uses only IPv4 status entries; hostname-only and IPv6 entries are counted", () => {
    const r = entriesFromIngress(
      ingress("web", "mixed", ["a.apps.example.com"], ["10.0.0.1", { hostname: "lb.example.net" }, "2001:db8::1"]),
      ctx({ nodes: [worker("w1", "10.0.0.9")] }),
    );
    assert.deepEqual(r.entries[0]?.targets, ["10.0.0.1"]);
    assert.deepEqual(reasons(r), ["non_ipv4_target", "non_ipv4_target"]);
  });

  it("does not fall back to nodes when the status holds only non-IPv4 entries", () => {
    const r = entriesFromIngress(ingress("web", "v6", ["a.apps.example.com"], ["2001:db8::1"]), ctx({ nodes: [worker("w1", "10.0.0.9")] }));
    assert.equal(r.entries.length, 0);
    assert.deepEqual(reasons(r), ["no_targets"]);
  });

  it("falls back to the fallback nodes when the status is empty", () => {
    const nodes = [worker("w1", "10.0.0.3"), worker("w2", "10.0.0.2", false), { name: "cp", addresses: ["10.0.0.50"], healthy: true, fallback: false, controlPlane: true }];
    const r = entriesFromIngress(ingress("web", "nostatus", ["a.apps.example.com"]), ctx({ nodes }));
    // Unhealthy fallback nodes are included here; the plan filters health.
    assert.deepEqual(r.entries[0]?.targets, ["10.0.0.2", "10.0.0.3"]);
    const noStatusAtAll = { metadata: { namespace: "web", name: "x" }, spec: { rules: [{ host: "b.apps.example.com" }] } };
    assert.deepEqual(entriesFromIngress(noStatusAtAll, ctx({ nodes })).entries[0]?.targets, ["10.0.0.2", "10.0.0.3"]);
  });

  it("reports no_targets when the status is empty and there is no fallback node", () => {
    const r = entriesFromIngress(ingress("web", "nostatus", ["a.apps.example.com", "b.apps.example.com"]), ctx());
    assert.equal(r.entries.length, 0);
    assert.deepEqual(r.ignored.map((i) => [i.host, i.reason]), [["a.apps.example.com", "no_targets"], ["b.apps.example.com", "no_targets"]]);
  });

  it("caps 500 targets at maxTargets, keeping the numerically lowest", () => {
    const ips = Array.from({ length: 500 }, (_, i) => `10.${Math.floor(i / 250)}.${i % 250}.${(i * 7) % 250}`).reverse();
    const r = entriesFromIngress(ingress("web", "big", ["big.apps.example.com"], ips), ctx({ maxTargets: 64 }));
    const targets = r.entries[0]?.targets ?? [];
    assert.equal(targets.length, 64);
    assert.equal(targets[0], "10.0.0.0");
    assert.equal(targets[1], "10.0.1.7");
    assert.deepEqual(reasons(r), ["too_many_targets"]);
    // Deterministic: the same input in another order gives the same subset.
    const again = entriesFromIngress(ingress("web", "big", ["big.apps.example.com"], [...ips].sort()), ctx({ maxTargets: 64 }));
    assert.deepEqual(again.entries[0]?.targets, targets);
  });

  it("never throws on malformed objects and reports malformed_object", () => {
    const cases: unknown[] = [
      null, 42, "x", [], {}, { metadata: {} }, { metadata: { name: 5 } },
      { metadata: { name: "a", namespace: "n" } },
      { metadata: { name: "a", namespace: "n" }, spec: "nope" },
      { metadata: { name: "a", namespace: "n" }, spec: { rules: "nope" } },
      { metadata: { name: "a", namespace: "n" }, spec: { rules: [null] } },
      { metadata: { name: "a", namespace: "n" }, spec: { rules: [{ host: 7 }] } },
      { metadata: { name: "a", namespace: "n" }, spec: { rules: [{ host: "a.apps.example.com" }] }, status: { loadBalancer: { ingress: "x" } } },
      { metadata: { name: "a", namespace: "n" }, spec: { rules: [{ host: "a.apps.example.com" }] }, status: { loadBalancer: { ingress: [7] } } },
    ];
    for (const c of cases) {
      const r = entriesFromIngress(c, ctx());
      assert.equal(r.entries.length, 0, JSON.stringify(c));
      assert.deepEqual(reasons(r), ["malformed_object"], JSON.stringify(c));
    }
  });

  it("a rule without a host (default backend) serves nothing and is not an error", () => {
    const r = entriesFromIngress({ metadata: { name: "a", namespace: "n" }, spec: { rules: [{ http: {} }] } }, ctx());
    assert.deepEqual(r, { entries: [], ignored: [] });
  });

  it("filters by class (spec or legacy annotation), namespace and opt-out label", () => {
    const c = ctx({ ingressClass: "nginx", namespaces: ["web"] });
    const ip = ["10.0.0.1"];
    assert.equal(entriesFromIngress(ingress("web", "a", ["a.apps.example.com"], ip, { className: "nginx" }), c).entries.length, 1);
    const legacy = ingress("web", "b", ["b.apps.example.com"], ip, { annotations: { "kubernetes.io/ingress.class": "nginx" } });
    assert.equal(entriesFromIngress(legacy, c).entries.length, 1);
    assert.deepEqual(reasons(entriesFromIngress(ingress("web", "c", ["c.apps.example.com"], ip, { className: "traefik" }), c)), ["filtered_class"]);
    assert.deepEqual(reasons(entriesFromIngress(ingress("web", "d", ["d.apps.example.com"], ip), c)), ["filtered_class"]);
    assert.deepEqual(reasons(entriesFromIngress(ingress("other", "e", ["e.apps.example.com"], ip, { className: "nginx" }), c)), ["filtered_namespace"]);
    const optedOut = ingress("web", "f", ["f.apps.example.com"], ip, { className: "nginx", labels: { "cdns.rancher-cdns.io/ignore": "true" } });
    assert.deepEqual(reasons(entriesFromIngress(optedOut, c)), ["opted_out"]);
  });
});

describe("hostnames", () => {
  it("validates DNS names", () => {
    assert.equal(isValidDnsName("a.b"), true);
    assert.equal(isValidDnsName("a"), false);
    assert.equal(isValidDnsName("a.123"), false);
    assert.equal(isValidDnsName(`${"a".repeat(63)}.com`), true);
    assert.equal(isValidDnsName("x.".repeat(127) + "com"), false);
  });
  it("serves a zone apex and picks the longest zone", () => {
    assert.equal(checkHostname("apps.example.com", ZONES).ok, true);
    assert.equal(checkHostname("xapps.example.com", ZONES).ok, false);
  });
});

describe("nodeStateFromNode", () => {
  const sel = parseSelector("node-role.kubernetes.io/worker=true") ?? [];
  it("reads health, IPv4 addresses and the fallback label", () => {
    assert.deepEqual(nodeStateFromNode(node("w1", "10.0.0.1"), sel), { name: "w1", addresses: ["10.0.0.1"], healthy: true, fallback: true, controlPlane: false });
    assert.equal(nodeStateFromNode(node("w1", "10.0.0.1", { ready: false }), sel)?.healthy, false);
    assert.equal(nodeStateFromNode(node("w1", "10.0.0.1", { cordoned: true }), sel)?.healthy, false);
    assert.equal(nodeStateFromNode(node("w1", "10.0.0.1", { deleting: true }), sel)?.healthy, false);
    assert.equal(nodeStateFromNode(node("w1", "10.0.0.1", { labels: {} }), sel)?.fallback, false);
    const cpLabel = "node-role.kubernetes.io/control-plane";
    assert.equal(nodeStateFromNode(node("c1", "10.0.0.5", { labels: { [cpLabel]: "true" } }), sel)?.controlPlane, true);
    assert.equal(nodeStateFromNode(node("c1", "10.0.0.5", { labels: { [cpLabel]: "" } }), sel)?.controlPlane, true);
    assert.equal(nodeStateFromNode(node("c1", "10.0.0.5", { labels: { [cpLabel]: "false" } }), sel)?.controlPlane, false);
    assert.equal(nodeStateFromNode(node("w1", "10.0.0.1"), sel)?.controlPlane, false);
    assert.equal(nodeStateFromNode({ metadata: { name: "x" } }, sel)?.healthy, false);
    assert.equal(nodeStateFromNode({ metadata: {} }, sel), undefined);
  });
});

describe("other sources", () => {
  it("serves an annotated LoadBalancer Service and ignores unannotated ones", () => {
    const svc = (annotations: Record<string, string>, type = "LoadBalancer") => ({
      metadata: { namespace: "db", name: "pg", annotations },
      spec: { type },
      status: { loadBalancer: { ingress: [{ ip: "10.0.5.5" }] } },
    });
    const r = entriesFromService(svc({ "cdns.rancher-cdns.io/hostname": "pg.apps.example.com, pg2.apps.example.com" }), ctx());
    assert.deepEqual(r.entries.map((e) => [e.hostname, e.targets]), [["pg.apps.example.com", ["10.0.5.5"]], ["pg2.apps.example.com", ["10.0.5.5"]]]);
    assert.deepEqual(entriesFromService(svc({}), ctx()), { entries: [], ignored: [] });
    assert.deepEqual(entriesFromService(svc({ "cdns.rancher-cdns.io/hostname": "pg.apps.example.com" }, "ClusterIP"), ctx()), { entries: [], ignored: [] });
    assert.deepEqual(reasons(entriesFromService(null, ctx())), ["malformed_object"]);
  });

  it("serves HTTPRoutes on their parent Gateway's addresses, else the fallback nodes", () => {
    const route = (parentNs?: string) => ({
      metadata: { namespace: "web", name: "r" },
      spec: { hostnames: ["r.apps.example.com"], parentRefs: [{ name: "gw", namespace: parentNs }] },
    });
    const lookup = (ns: string, name: string) => (ns === "infra" && name === "gw" ? ["10.0.9.9"] : undefined);
    assert.deepEqual(entriesFromHttpRoute(route("infra"), ctx(), lookup).entries[0]?.targets, ["10.0.9.9"]);
    const fb = entriesFromHttpRoute(route(), ctx({ nodes: [worker("w1", "10.0.0.4")] }), lookup);
    assert.deepEqual(fb.entries[0]?.targets, ["10.0.0.4"]);
    assert.deepEqual(reasons(entriesFromHttpRoute({ metadata: { name: "r", namespace: "w" }, spec: { hostnames: "x" } }, ctx(), lookup)), ["malformed_object"]);
  });
});

describe("SourceStore", () => {
  const opts = { zones: ZONES, namespaces: [], maxTargets: 64, fallbackSelector: parseSelector("node-role.kubernetes.io/worker=true") ?? [] };

  it("keeps both entries when two namespaces claim the same host (the plan merges them)", () => {
    const store = new SourceStore(opts);
    store.upsert("Ingress", ingress("a", "x", ["same.apps.example.com"], ["10.0.0.1"]));
    store.upsert("Ingress", ingress("b", "x", ["same.apps.example.com"], ["10.0.0.2"]));
    const snap = store.snapshot();
    assert.deepEqual(snap.entries.map((e) => e.owner).sort(), ["Ingress/a/x", "Ingress/b/x"]);
  });

  it("updates and removes by namespace/name, and only signals node changes that matter", () => {
    const changes: string[] = [];
    const store = new SourceStore(opts, (k) => changes.push(k));
    store.upsert("Ingress", ingress("a", "x", ["one.apps.example.com"], ["10.0.0.1"]));
    store.upsert("Ingress", ingress("a", "x", ["two.apps.example.com"], ["10.0.0.1"]));
    assert.deepEqual(store.snapshot().entries.map((e) => e.hostname), ["two.apps.example.com"]);
    store.remove("Ingress", ingress("a", "x", []));
    assert.equal(store.snapshot().entries.length, 0);
    store.upsert("Node", node("w1", "10.0.0.1"));
    store.upsert("Node", node("w1", "10.0.0.1")); // heartbeat: no change
    store.upsert("Node", node("w1", "10.0.0.1", { ready: false }));
    store.remove("Node", node("w1", "10.0.0.1"));
    store.remove("Node", node("w1", "10.0.0.1")); // already gone
    assert.deepEqual(changes, ["Ingress", "Ingress", "Ingress", "Node", "Node", "Node"]);
  });

  it("counts nameless objects as malformed without growing", () => {
    const store = new SourceStore(opts);
    for (let i = 0; i < 5; i++) store.upsert("Ingress", { spec: {} });
    store.upsert("Node", { metadata: {} });
    const snap = store.snapshot();
    assert.deepEqual(snap.ignored.map((i) => i.reason), ["malformed_object", "malformed_object"]);
  });

  it("a snapshot after changes equals one from a store fed the current objects afresh", () => {
    const r = rng(7);
    const hostsOf = (i: number): string[] => {
      const k = Math.floor(r() * 4);
      // One or two names; now and then one outside the zones, which is ignored.
      return [`h${i}.apps.example.com`, ...(k > 0 ? [`h${i}-b.apps.example.com`] : []), ...(k === 3 ? [`h${i}.elsewhere.net`] : [])];
    };
    // Empty status now and then: the fallback nodes become the targets, so node changes matter.
    const ipsOf = (): string[] => (r() < 0.25 ? [] : [`10.0.0.${1 + Math.floor(r() * 5)}`, `10.0.0.${6 + Math.floor(r() * 5)}`]);
    const objects = new Map<string, Record<string, unknown>>();
    const nodes = new Map<string, Record<string, unknown>>();
    const store = new SourceStore(opts);
    const put = (kind: "Ingress" | "Node", key: string, obj: Record<string, unknown>) => {
      (kind === "Node" ? nodes : objects).set(key, obj);
      store.upsert(kind, obj);
    };
    for (let i = 0; i < 3; i++) put("Node", `w${i}`, node(`w${i}`, `10.0.1.${i}`));
    const hostsByName = new Map<string, string[]>();
    for (let i = 0; i < 20; i++) {
      hostsByName.set(`x${i}`, hostsOf(i));
      put("Ingress", `x${i}`, ingress("ns", `x${i}`, hostsByName.get(`x${i}`) as string[], ipsOf()));
    }
    let prev = store.snapshot();
    for (let step = 0; step < 200; step++) {
      const what = r();
      const i = Math.floor(r() * 25);
      const name = `x${i}`;
      if (what < 0.5) {
        // Mostly the same names with new targets (slots refilled in place); else names added or dropped.
        const hosts = hostsByName.get(name) !== undefined && r() < 0.7 ? (hostsByName.get(name) as string[]) : hostsOf(i);
        hostsByName.set(name, hosts);
        put("Ingress", name, ingress("ns", name, hosts, ipsOf()));
      } else if (what < 0.65) {
        const obj = objects.get(name);
        if (obj !== undefined) {
          objects.delete(name);
          store.remove("Ingress", obj);
        }
      } else if (what < 0.8) {
        const w = `w${Math.floor(r() * 3)}`;
        put("Node", w, node(w, `10.0.1.${w.slice(1)}`, { ready: r() < 0.6, labels: r() < 0.7 ? { "node-role.kubernetes.io/worker": "true" } : {} }));
      }
      // Several changes between snapshots, as during a debounce window.
      if (r() < 0.5) continue;
      const snap = store.snapshot();
      const fresh = new SourceStore(opts);
      for (const obj of nodes.values()) fresh.upsert("Node", obj);
      for (const obj of objects.values()) fresh.upsert("Ingress", obj);
      const want = fresh.snapshot();
      assert.deepEqual(snap.entries, want.entries, `step ${step}`);
      assert.deepEqual(snap.ignored, want.ignored, `step ${step}`);
      assert.deepEqual(snap.nodes, want.nodes, `step ${step}`);
      assert.notEqual(snap.entries, prev.entries, "each snapshot hands out its own array");
      prev = snap;
    }
  });

  it("keeps an unchanged object's entries, same objects in the same places, when another changes in place", () => {
    const store = new SourceStore(opts);
    for (let i = 0; i < 5; i++) store.upsert("Ingress", ingress("ns", `x${i}`, [`h${i}.apps.example.com`], ["10.0.0.1"]));
    const before = store.snapshot().entries;
    store.upsert("Ingress", ingress("ns", "x2", ["h2.apps.example.com"], ["10.0.0.2"]));
    const after = store.snapshot().entries;
    assert.deepEqual(after[2]?.targets, ["10.0.0.2"]);
    assert.deepEqual(
      after.map((e, i) => i === 2 || e === before[i]),
      [true, true, true, true, true],
    );
  });
});
