/** Settings of the ingress-path features: the controller (presets, overrides, one validator) and the node check. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { synthCdnsChart } from "../../lib/chart/cdnsChart";
import { DEFAULT_NAMESPACE } from "../../lib/config/defaults";
import { INGRESS_CONTROLLER_PRESETS, resolveIngressController, servesClass } from "../../lib/k8s/ingressControllers";
import { parseLabelSelector, selectorMatches } from "../../lib/k8s/labelSelector";
import { helpText, parseArgs, validateSidecarSettings } from "../../sidecar/src/settings";

const KEYS = { preset: "p", namespace: "ns", podSelector: "sel", classes: "cls" };

describe("ingress controller settings", () => {
  it("presets select the RKE2 charts' controller pods and nothing else of theirs", () => {
    const nginx = INGRESS_CONTROLLER_PRESETS["rke2-ingress-nginx"];
    const traefik = INGRESS_CONTROLLER_PRESETS["rke2-traefik"];
    const sel = (s: string) => {
      const r = parseLabelSelector(s);
      assert.ok(r.ok);
      return r.requirements;
    };
    // Pod labels as the charts render them (release name = chart name, namespace kube-system).
    const nginxController = { "app.kubernetes.io/name": "rke2-ingress-nginx", "app.kubernetes.io/instance": "rke2-ingress-nginx", "app.kubernetes.io/component": "controller" };
    const nginxAdmission = { ...nginxController, "app.kubernetes.io/component": "admission-webhook" };
    const traefikPod = { "app.kubernetes.io/name": "rke2-traefik", "app.kubernetes.io/instance": "rke2-traefik-kube-system" };
    assert.equal(selectorMatches(nginxController, sel(nginx.podSelector)), true);
    assert.equal(selectorMatches(nginxAdmission, sel(nginx.podSelector)), false);
    assert.equal(selectorMatches(traefikPod, sel(nginx.podSelector)), false);
    assert.equal(selectorMatches(traefikPod, sel(traefik.podSelector)), true);
    assert.deepEqual([nginx.namespace, nginx.classes, traefik.namespace, traefik.classes], ["kube-system", ["nginx"], "kube-system", ["traefik"]]);
  });

  it("resolves a preset, overrides one field, or takes all three without one", () => {
    assert.deepEqual(resolveIngressController({}, KEYS), { ok: true, controller: undefined });
    assert.deepEqual(resolveIngressController({ preset: "none" }, KEYS), { ok: true, controller: undefined });
    assert.deepEqual(resolveIngressController({ preset: "rke2-traefik" }, KEYS), { ok: true, controller: INGRESS_CONTROLLER_PRESETS["rke2-traefik"] });
    const over = resolveIngressController({ preset: "rke2-ingress-nginx", classes: ["nginx", "nginx-internal"] }, KEYS);
    assert.ok(over.ok);
    assert.deepEqual(over.controller?.classes, ["nginx", "nginx-internal"]);
    assert.equal(over.controller?.namespace, "kube-system");
    const custom = resolveIngressController({ namespace: "ingress", podSelector: "app=haproxy-ingress", classes: ["*"] }, KEYS);
    assert.deepEqual(custom, { ok: true, controller: { namespace: "ingress", podSelector: "app=haproxy-ingress", classes: ["*"] } });
  });

  it("lists every problem at once", () => {
    const r = resolveIngressController({ preset: "nginx", namespace: "Bad_NS", podSelector: "", classes: ["*", "Not A Class", "*"] }, KEYS);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(r.problems.map((p) => p.key), ["p", "ns", "sel", "cls", "cls", "cls"]);
    const missing = resolveIngressController({ namespace: "ingress" }, KEYS);
    assert.ok(!missing.ok && missing.problems.map((p) => p.key).join() === "sel,cls");
    const contradictory = resolveIngressController({ preset: "none", namespace: "ingress", podSelector: "a=b", classes: ["x"] }, KEYS);
    assert.ok(!contradictory.ok && contradictory.problems[0]?.key === "p");
  });

  it("servesClass: listed classes, or every Ingress with *", () => {
    assert.equal(servesClass(["nginx"], "nginx"), true);
    assert.equal(servesClass(["nginx"], "traefik"), false);
    assert.equal(servesClass(["nginx"], undefined), false);
    assert.equal(servesClass(["*"], undefined), true);
  });

  it("sidecar flags and environment", () => {
    const p = parseArgs(["--zones=apps.example.com", "--ingress-controller=rke2-ingress-nginx", "--ingress-controller-classes=nginx,internal"], { CDNS_INGRESS_CONTROLLER_NAMESPACE: "ingress-nginx" });
    assert.deepEqual(p.problems, []);
    const r = validateSidecarSettings(p.raw);
    assert.ok(r.ok);
    assert.deepEqual(r.settings.ingressController, {
      namespace: "ingress-nginx",
      podSelector: INGRESS_CONTROLLER_PRESETS["rke2-ingress-nginx"].podSelector,
      classes: ["nginx", "internal"],
    });
    const off = validateSidecarSettings({ zones: "apps.example.com" });
    assert.ok(off.ok && off.settings.ingressController === undefined && off.settings.nodeCheck === undefined);
    const bad = validateSidecarSettings({ zones: "apps.example.com", "ingress-controller": "traefik", "ingress-controller-selector": "=x" });
    assert.ok(!bad.ok);
    if (!bad.ok) assert.deepEqual(bad.problems.map((x) => x.key), ["--ingress-controller", "--ingress-controller-namespace", "--ingress-controller-selector", "--ingress-controller-classes"]);
    assert.match(helpText(), /--ingress-controller VALUE .*rke2-ingress-nginx \| rke2-traefik \| none/);
  });
});

describe("node check settings", () => {
  it("off by default; on with defaults; every value checked at once", () => {
    const on = validateSidecarSettings({ zones: "apps.example.com", "node-check": "true" });
    assert.ok(on.ok);
    assert.deepEqual(on.settings.nodeCheck, { ports: [80, 443], intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, concurrency: 32 });
    const custom = validateSidecarSettings({ zones: "apps.example.com", "node-check": "true", "node-check-ports": "8080", "node-check-interval-ms": "500", "node-check-timeout-ms": "100", "node-check-fall": "2" });
    assert.ok(custom.ok);
    assert.deepEqual(custom.settings.nodeCheck, { ports: [8080], intervalMs: 500, timeoutMs: 100, rise: 2, fall: 2, concurrency: 32 });
    const bad = validateSidecarSettings({
      zones: "apps.example.com", "node-check": "true", "node-check-ports": "80,80,70000,x",
      "node-check-interval-ms": "1000", "node-check-timeout-ms": "5000", "node-check-rise": "0", "node-check-concurrency": "5000",
    });
    assert.ok(!bad.ok);
    if (!bad.ok) {
      assert.deepEqual(bad.problems.map((x) => x.key), [
        "--node-check-ports", "--node-check-ports", "--node-check-ports", "--node-check-timeout-ms", "--node-check-rise", "--node-check-concurrency",
      ]);
    }
    const stray = validateSidecarSettings({ zones: "apps.example.com", "node-check-ports": "80" });
    assert.ok(!stray.ok && stray.problems[0]?.message === "has no effect without --node-check");
  });
});

describe("the chart's ingressController and nodeCheck props", () => {
  const synth = (over: Record<string, unknown>) =>
    synthCdnsChart({ zones: ["apps.example.com"], nodes: [{ index: 0, ip: "10.0.0.2" }], sidecarImage: "s:1@sha256:" + "a".repeat(64), dnsmasqImage: "d:1@sha256:" + "b".repeat(64), ...over }).objs;
  const sidecarArgs = (objs: Record<string, unknown>[]): string[] => {
    const dep = objs.find((o) => o.kind === "Deployment") as { spec: { template: { spec: { initContainers: Array<{ args: string[] }> } } } };
    return dep.spec.template.spec.initContainers[0]?.args ?? [];
  };

  it("pass flags the sidecar reads back as the same settings, and a Role for the controller's pods only", () => {
    const controller = INGRESS_CONTROLLER_PRESETS["rke2-traefik"];
    const objs = synth({ ingressController: controller, nodeCheck: { ports: [80, 8443], fall: 4 } });
    const parsed = parseArgs(sidecarArgs(objs), {});
    assert.deepEqual(parsed.problems, []);
    const r = validateSidecarSettings(parsed.raw);
    assert.ok(r.ok);
    assert.deepEqual(r.settings.ingressController, controller);
    assert.deepEqual(r.settings.nodeCheck, { ports: [80, 8443], intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 4, concurrency: 32 });
    const role = objs.find((o) => o.kind === "Role") as { metadata: { namespace: string }; rules: unknown };
    assert.equal(role.metadata.namespace, "kube-system");
    assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
    const binding = objs.find((o) => o.kind === "RoleBinding") as { metadata: { namespace: string }; subjects: unknown; roleRef: { kind: string; name: string } };
    assert.equal(binding.metadata.namespace, "kube-system");
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "cdns", namespace: DEFAULT_NAMESPACE }]);
    assert.deepEqual([binding.roleRef.kind, binding.roleRef.name], ["Role", "cdns-sidecar-ingress-controller"]);
  });

  it("without them: no controller flags, no check, no Role", () => {
    const objs = synth({});
    assert.equal(sidecarArgs(objs).some((a) => a.startsWith("--ingress-controller") || a.startsWith("--node-check")), false);
    assert.equal(objs.some((o) => o.kind === "Role" || o.kind === "RoleBinding"), false);
  });
});
