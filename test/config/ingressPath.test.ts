/**
 * The ingress-path keys of both kinds of stack: `sidecar.ingressController` (resolved by the
 * sidecar's own resolveIngressController()) and `sidecar.nodeCheck` (checked by the sidecar's own
 * settings validator, through the flags the chart gives the pod). Every problem at once, under
 * the stack's keys, and the same verdict as the sidecar for the same values.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { ConfigProblem } from "../../lib/config/types";
import { formatProblems, validateStackConfig, type RawStackConfig, type StackConfigValidation } from "../../lib/config/validate";
import { INGRESS_CONTROLLER_PRESETS } from "../../lib/k8s/ingressControllers";
import { validateSidecarSettings } from "../../sidecar/src/settings";
import {
  DEFAULT_NODE_CHECK_CONCURRENCY,
  DEFAULT_NODE_CHECK_FALL,
  DEFAULT_NODE_CHECK_INTERVAL_MS,
  DEFAULT_NODE_CHECK_PORTS,
  DEFAULT_NODE_CHECK_RISE,
  DEFAULT_NODE_CHECK_TIMEOUT_MS,
} from "../../sidecar/src/source/nodeCheck";
import { at, localWith, qaWith, type Tree } from "./fixtures";

const SIDECAR_DEFAULTS = {
  ports: DEFAULT_NODE_CHECK_PORTS,
  intervalMs: DEFAULT_NODE_CHECK_INTERVAL_MS,
  timeoutMs: DEFAULT_NODE_CHECK_TIMEOUT_MS,
  rise: DEFAULT_NODE_CHECK_RISE,
  fall: DEFAULT_NODE_CHECK_FALL,
  concurrency: DEFAULT_NODE_CHECK_CONCURRENCY,
};

function ok(r: StackConfigValidation) {
  assert.ok(r.ok, r.ok ? "" : formatProblems(r.problems));
  return r;
}

function problemsOf(raw: RawStackConfig): readonly ConfigProblem[] {
  const r = validateStackConfig(raw);
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.problems;
}

/** The QA stack without its ingress-path keys, then `sidecar` edited. */
function qaSidecar(edit: (s: Tree) => void): RawStackConfig {
  return qaWith((c) => {
    const s = at(c, "sidecar");
    delete s.ingressController;
    delete s.nodeCheck;
    edit(s);
  });
}

test("absent: no controller and no check, in both kinds of stack", () => {
  const qa = ok(validateStackConfig(qaSidecar(() => undefined)));
  assert.ok(qa.ok && qa.config.sidecar.ingressController === undefined && qa.config.sidecar.nodeCheck === undefined);
  const local = ok(validateStackConfig(localWith(() => undefined)));
  assert.ok(local.ok && local.config.sidecar.ingressController === undefined && local.config.sidecar.nodeCheck === undefined);
  // `{}` (what an emptied block reads as) is absent too.
  const empty = ok(validateStackConfig(qaSidecar((s) => { s.ingressController = {}; s.nodeCheck = {}; })));
  assert.ok(empty.ok && empty.config.sidecar.ingressController === undefined && empty.config.sidecar.nodeCheck === undefined);
});

test("the QA stack: RKE2's ingress-nginx preset and the check on, with the sidecar's defaults", () => {
  const r = ok(validateStackConfig(qaWith(() => undefined)));
  assert.ok(r.ok);
  assert.deepEqual(r.config.sidecar.ingressController, INGRESS_CONTROLLER_PRESETS["rke2-ingress-nginx"]);
  assert.deepEqual(r.config.sidecar.nodeCheck, SIDECAR_DEFAULTS);
});

test("ingressController: presets, overrides, none, a controller named in full; valid in an existing-cluster stack", () => {
  const traefik = ok(validateStackConfig(localWith((c) => { at(c, "sidecar").ingressController = { preset: "rke2-traefik" }; })));
  assert.ok(traefik.ok);
  assert.deepEqual(traefik.config.sidecar.ingressController, INGRESS_CONTROLLER_PRESETS["rke2-traefik"]);
  const moved = ok(validateStackConfig(qaSidecar((s) => { s.ingressController = { preset: "rke2-ingress-nginx", namespace: "ingress", classes: ["nginx", "nginx-internal"] }; })));
  assert.ok(moved.ok);
  assert.deepEqual(moved.config.sidecar.ingressController, {
    namespace: "ingress", podSelector: INGRESS_CONTROLLER_PRESETS["rke2-ingress-nginx"].podSelector, classes: ["nginx", "nginx-internal"],
  });
  const none = ok(validateStackConfig(qaSidecar((s) => { s.ingressController = { preset: "none" }; })));
  assert.ok(none.ok && none.config.sidecar.ingressController === undefined);
  const custom = ok(validateStackConfig(qaSidecar((s) => {
    delete s.ingressClass;
    s.ingressController = { namespace: "haproxy-controller", podSelector: "app.kubernetes.io/name in (haproxy-ingress)", classes: ["*"] };
  })));
  assert.ok(custom.ok);
  assert.deepEqual(custom.config.sidecar.ingressController, { namespace: "haproxy-controller", podSelector: "app.kubernetes.io/name in (haproxy-ingress)", classes: ["*"] });
});

test("ingressController: every problem at once, under the stack's keys", () => {
  const problems = problemsOf(qaSidecar((s) => { s.ingressController = { preset: "nginx", namespace: "Kube_System", podSelector: "app in (", classes: ["*", "Nginx"], port: 80 }; }));
  const at = (key: string, message: RegExp) =>
    assert.ok(problems.some((p) => p.key === key && message.test(p.message)), `expected ${key} ~ ${message}; got:\n${formatProblems(problems)}`);
  at("sidecar.ingressController.preset", /must be rke2-ingress-nginx, rke2-traefik, none, got "nginx"/);
  at("sidecar.ingressController.namespace", /"Kube_System" is not a valid namespace name/);
  at("sidecar.ingressController.podSelector", /must be a label selector/);
  at("sidecar.ingressController.classes", /"\*" stands alone/);
  at("sidecar.ingressController.classes", /"Nginx" is not a valid IngressClass name/);
  at("sidecar.ingressController.port", /unknown key/);
  // A controller named without a preset needs all three; an empty selector would take every pod.
  const bare = problemsOf(qaSidecar((s) => { s.ingressController = { podSelector: "" }; }));
  assert.deepEqual(bare.map((p) => p.key).sort(), ["sidecar.ingressController.classes", "sidecar.ingressController.namespace", "sidecar.ingressController.podSelector"]);
  // A value of the wrong type is one problem, not a second "is required" from the resolver.
  const mistyped = problemsOf(qaSidecar((s) => { s.ingressController = { preset: "rke2-traefik", classes: "traefik" }; }));
  assert.deepEqual(mistyped, [{ key: "sidecar.ingressController.classes", message: 'must be a list; got "traefik"' }]);
  assert.deepEqual(problemsOf(qaSidecar((s) => { s.ingressController = "rke2-traefik"; })).map((p) => p.key), ["sidecar.ingressController"]);
  assert.match(problemsOf(qaSidecar((s) => { s.ingressController = { preset: "none", namespace: "x" }; }))[0]?.message ?? "", /is "none" but/);
});

test("ingressController: a warning when sidecar.ingressClass is not one of its classes", () => {
  const r = ok(validateStackConfig(qaSidecar((s) => { s.ingressClass = "nginx"; s.ingressController = { preset: "rke2-traefik" }; })));
  assert.ok(r.warnings.some((w) => w.key === "sidecar.ingressController.classes" && /does not include sidecar\.ingressClass \(nginx\)/.test(w.message)));
  const fine = ok(validateStackConfig(qaSidecar((s) => { s.ingressClass = "nginx"; s.ingressController = { preset: "rke2-ingress-nginx" }; })));
  assert.ok(!fine.warnings.some((w) => w.key.startsWith("sidecar.ingressController")));
});

test("nodeCheck: on with the sidecar's defaults, each setting overridable; valid in an existing-cluster stack", () => {
  const on = ok(validateStackConfig(localWith((c) => { at(c, "sidecar").nodeCheck = { enabled: true }; })));
  assert.ok(on.ok);
  assert.deepEqual(on.config.sidecar.nodeCheck, SIDECAR_DEFAULTS);
  const tuned = ok(validateStackConfig(qaSidecar((s) => {
    s.nodeCheck = { enabled: "true", ports: [443, "8443"], intervalMs: 5000, timeoutMs: "500", rise: 1, fall: 5, concurrency: 8 };
  })));
  assert.ok(tuned.ok);
  assert.deepEqual(tuned.config.sidecar.nodeCheck, { ports: [443, 8443], intervalMs: 5000, timeoutMs: 500, rise: 1, fall: 5, concurrency: 8 });
});

test("nodeCheck: every problem at once, under the stack's keys, in the sidecar's words", () => {
  const problems = problemsOf(qaSidecar((s) => {
    s.nodeCheck = { enabled: true, ports: [0, 80, 80], intervalMs: 50, timeoutMs: 60_001, rise: 0, fall: 101, concurrency: 2000, retries: 1 };
  }));
  const keys = new Set(problems.map((p) => p.key));
  for (const k of ["ports", "intervalMs", "timeoutMs", "rise", "fall", "concurrency", "retries"]) assert.ok(keys.has(`sidecar.nodeCheck.${k}`), `no problem at ${k}:\n${formatProblems(problems)}`);
  for (const p of problems) assert.doesNotMatch(p.message, /--node-check/, "flag names are translated into stack keys");
  assert.ok(problems.some((p) => p.key === "sidecar.nodeCheck.ports" && /"0" is not a port \(1-65535\)/.test(p.message)));
  assert.ok(problems.some((p) => p.key === "sidecar.nodeCheck.ports" && /80 listed twice/.test(p.message)));
  assert.ok(problems.some((p) => p.key === "sidecar.nodeCheck.intervalMs" && /must be an integer from 100 to 600000, got "50"/.test(p.message)));
  // A rule between two settings names both keys.
  const slow = problemsOf(qaSidecar((s) => { s.nodeCheck = { enabled: true, intervalMs: 1000, timeoutMs: 1500 }; }));
  assert.deepEqual(slow, [{ key: "sidecar.nodeCheck.timeoutMs", message: "must be at most sidecar.nodeCheck.intervalMs (1000), got 1500" }]);
  // Wrong types: one problem each, from the stack's own readers.
  const typed = problemsOf(qaSidecar((s) => { s.nodeCheck = { enabled: "on", ports: "80,443", fall: 2.5 }; }));
  assert.deepEqual(typed.map((p) => p.key).sort(), ["sidecar.nodeCheck.enabled", "sidecar.nodeCheck.fall", "sidecar.nodeCheck.ports"]);
  assert.deepEqual(problemsOf(qaSidecar((s) => { s.nodeCheck = { fall: 2 }; })),
    [{ key: "sidecar.nodeCheck.enabled", message: "is required when sidecar.nodeCheck is present (true or false)" }]);
  assert.deepEqual(problemsOf(qaSidecar((s) => { s.nodeCheck = { enabled: true, ports: [] }; })).map((p) => p.key), ["sidecar.nodeCheck.ports"]);
});

test("nodeCheck: off with settings is a warning (kept for later), still checked", () => {
  const off = ok(validateStackConfig(qaSidecar((s) => { s.nodeCheck = { enabled: false, ports: [8443], fall: 4 }; })));
  assert.ok(off.ok && off.config.sidecar.nodeCheck === undefined);
  assert.ok(off.warnings.some((w) => w.key === "sidecar.nodeCheck" && /ports, fall have no effect while sidecar\.nodeCheck\.enabled is false/.test(w.message)));
  const bad = problemsOf(qaSidecar((s) => { s.nodeCheck = { enabled: false, rise: 0 }; }));
  assert.deepEqual(bad.map((p) => p.key), ["sidecar.nodeCheck.rise"]);
});

test("nodeCheck: the stack accepts exactly what the sidecar accepts (one validator)", () => {
  const cases: [string, string, unknown][] = [];
  for (const v of [99, 100, 600_000, 600_001]) cases.push(["intervalMs", "node-check-interval-ms", v]);
  for (const v of [9, 10, 1000, 2000, 2001]) cases.push(["timeoutMs", "node-check-timeout-ms", v]);
  for (const v of [0, 1, 100, 101]) cases.push(["rise", "node-check-rise", v], ["fall", "node-check-fall", v]);
  for (const v of [0, 1, 1024, 1025]) cases.push(["concurrency", "node-check-concurrency", v]);
  for (const v of [[1], [65535], [65536], [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) cases.push(["ports", "node-check-ports", v]);
  for (const [key, flag, value] of cases) {
    const stack = validateStackConfig(qaSidecar((s) => { s.nodeCheck = { enabled: true, [key]: value }; }));
    const sidecar = validateSidecarSettings({ zones: "apps.example.com", "node-check": "true", [flag]: Array.isArray(value) ? value.join(",") : String(value) });
    assert.equal(stack.ok, sidecar.ok, `${key}=${JSON.stringify(value)}: stack ${stack.ok}, sidecar ${sidecar.ok}`);
    if (stack.ok && sidecar.ok) assert.deepEqual(stack.config.sidecar.nodeCheck, sidecar.settings.nodeCheck);
  }
});

test("ingress-path problems come with every other problem of the stack", () => {
  const problems = problemsOf(qaWith((c) => {
    c.zones = ["Apps.example.com"];
    at(c, "sidecar").ingressController = { preset: "traefik" };
    at(c, "sidecar").nodeCheck = { enabled: true, rise: 0 };
    at(c, "cdns").ttlSeconds = -1;
  }));
  const keys = problems.map((p) => p.key);
  for (const k of ["zones[0]", "sidecar.ingressController.preset", "sidecar.nodeCheck.rise", "cdns.ttlSeconds"]) assert.ok(keys.includes(k), `${k} missing:\n${formatProblems(problems)}`);
});
