/**
 * The shared rule modules (lib/net/ipv4.ts, lib/dns/syntax.ts, lib/render/haproxyRules.ts):
 * what they accept, and that every caller (stack config, sidecar flags, ingress-controller
 * resolver) gives the same verdict and message.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { isIPv4 } from "node:net";
import {
  compareIPv4,
  formatIpv4,
  ipv4Key,
  isIpv4,
  isSortedUniqueIPv4,
  parseIpv4,
  sortedUniqueIPv4,
} from "../../lib/net/ipv4";
import { dnsLabelProblem, dnsNameProblem, hasNumericTopLabel, isDnsName } from "../../lib/dns/syntax";
import { httpCheckProblems, maxServersProblem, udpMaxServers } from "../../lib/render/haproxyRules";
import { validateHaproxyCfgInput } from "../../lib/render/haproxyCfg";
import { validateHaproxySettings } from "../../lib/config/validateHaproxy";
import { DEFAULT_HAPROXY_VM } from "../../lib/config/defaults";
import { nodesName } from "../../lib/dns/names";
import * as sidecarHostnames from "../../sidecar/src/source/hostnames";
import { validateSidecarSettings } from "../../sidecar/src/settings";
import { resolveIngressController } from "../../lib/k8s/ingressControllers";
import { validateStackConfig } from "../../lib/config/validate";
import { at, qaWith } from "./fixtures";
import { rng } from "../helpers/rng";

test("IPv4: dotted quads only, no leading zeros, numeric value", () => {
  for (const ok of ["0.0.0.0", "10.0.0.1", "192.0.2.255", "255.255.255.255", "1.2.3.4"]) {
    assert.equal(isIpv4(ok), true, ok);
    assert.equal(formatIpv4(parseIpv4(ok) as number), ok);
  }
  for (const bad of ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "010.0.0.1", "1.02.3.4", "00.1.2.3", "1.2.3.4 ", " 1.2.3.4", "1..2.3", "1.2.3.", "a.b.c.d", "1.2.3.4/24", "1234.1.1.1"]) {
    assert.equal(isIpv4(bad), false, JSON.stringify(bad));
    assert.equal(ipv4Key(bad), -1, JSON.stringify(bad));
  }
  assert.equal(parseIpv4("192.0.2.10"), 0xc000020a);
});

test("IPv4: the one parser agrees with Node's inet_pton-like isIPv4 on random strings", () => {
  const rnd = rng(20261201);
  const alphabet = "0123456789.";
  for (let i = 0; i < 20_000; i++) {
    const len = 1 + Math.floor(rnd() * 16);
    let s = "";
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    assert.equal(isIpv4(s), isIPv4(s), JSON.stringify(s));
  }
});

test("IPv4: numeric order, duplicates dropped, non-addresses filtered", () => {
  assert.deepEqual(sortedUniqueIPv4(["10.0.0.10", "10.0.0.9", "10.0.0.10", "x", "9.255.255.255"]), ["9.255.255.255", "10.0.0.9", "10.0.0.10"]);
  assert.ok(compareIPv4("10.0.0.9", "10.0.0.10") < 0);
  assert.equal(isSortedUniqueIPv4(["10.0.0.9", "10.0.0.10"]), true);
  assert.equal(isSortedUniqueIPv4(["10.0.0.10", "10.0.0.9"]), false);
  assert.equal(isSortedUniqueIPv4(["10.0.0.9", "10.0.0.9"]), false);
});

test("the sidecar uses the same IPv4 functions (no second parser)", () => {
  assert.equal(sidecarHostnames.ipv4Key, ipv4Key);
  assert.equal(sidecarHostnames.compareIPv4, compareIPv4);
  assert.equal(sidecarHostnames.sortedUniqueIPv4, sortedUniqueIPv4);
});

test("DNS labels and names", () => {
  assert.equal(dnsLabelProblem("qa-haproxy"), undefined);
  for (const bad of ["", "-a", "a-", "A", "a_b", "a".repeat(64)]) assert.match(dnsLabelProblem(bad) ?? "", /DNS label/, bad);
  assert.equal(dnsNameProblem("apps.example.com", 2), undefined);
  assert.match(dnsNameProblem("Apps.example.com") ?? "", /lowercase/);
  assert.match(dnsNameProblem("apps.example.com.") ?? "", /must not end with/);
  assert.match(dnsNameProblem("localhost", 2) ?? "", /at least 2 labels/);
  assert.match(dnsNameProblem(`${"a".repeat(63)}.`.repeat(4) + "com") ?? "", /at most 253/);
  assert.equal(isDnsName(`${"a".repeat(63)}.com`), true);
  assert.equal(hasNumericTopLabel("a.123"), true);
  assert.equal(hasNumericTopLabel("10.0.0.1"), true);
  assert.equal(hasNumericTopLabel("a.b1"), false);
  // The sidecar's host-name rule is these two checks.
  for (const name of ["a.b", "a", "a.123", "x.".repeat(127) + "com", "web.apps.example.com", "Web.apps.example.com"]) {
    assert.equal(sidecarHostnames.isValidDnsName(name), isDnsName(name, 2) && !hasNumericTopLabel(name), name);
  }
});

test("HAProxy rules: the stack check and the renderer give the same message", () => {
  const zone = "apps.example.com";
  const limit = udpMaxServers(nodesName(zone));
  const stack = validateHaproxySettings(
    { enabled: true, ip: "192.0.2.80", hostname: "h", vm: DEFAULT_HAPROXY_VM, maxServers: limit + 1, kubeApi: false, httpCheck: { port: 443, path: "x" } },
    { zones: [zone], cdnsAddresses: ["192.0.2.10"], workerCount: 1 },
  );
  const render = validateHaproxyCfgInput({ zone, cdnsAddresses: ["192.0.2.10"], maxServers: limit + 1, httpCheck: { port: 443, path: "x" } });
  const byKey = (ps: readonly { key: string; message: string }[], key: string) => ps.find((p) => p.key === key)?.message;
  assert.equal(byKey(stack, "haproxy.maxServers"), maxServersProblem(limit + 1, zone));
  assert.equal(byKey(render, "maxServers"), maxServersProblem(limit + 1, zone));
  assert.equal(byKey(stack, "haproxy.httpCheck.port"), byKey(render, "httpCheck.port"));
  assert.equal(byKey(stack, "haproxy.httpCheck.path"), byKey(render, "httpCheck.path"));
  assert.deepEqual(httpCheckProblems({ port: 10254, path: "/healthz" }, 443), {});
});

test("namespace and IngressClass names: the stack, the sidecar's flags and the controller resolver use the DNS checks", () => {
  const keys = { preset: "p", namespace: "n", podSelector: "s", classes: "c" };
  const controller = (input: { namespace?: string; classes?: string[] }) =>
    resolveIngressController({ podSelector: "app=x", namespace: "kube-system", classes: ["nginx"], ...input }, keys);
  for (const ns of ["kube-system", "a", "a".repeat(63), "a".repeat(64), "Kube-system", "-a", "a-", "a.b", "a_b", ""]) {
    const label = dnsLabelProblem(ns) === undefined;
    const sidecar = validateSidecarSettings({ zones: "apps.example.com", namespaces: ns });
    assert.equal(sidecar.ok, label || ns === "", `--namespaces ${JSON.stringify(ns)}`); // "" is an empty list
    const r = controller({ namespace: ns });
    if (ns !== "") assert.equal(r.ok, label, `controller namespace ${JSON.stringify(ns)}`);
    const stack = validateStackConfig(qaWith((c) => { at(c, "sidecar").namespaces = [ns]; }));
    assert.equal(stack.ok, label, `sidecar.namespaces ${JSON.stringify(ns)}`);
  }
  for (const cls of ["nginx", "example.com", "a".repeat(63), "a..b", "-a", "a.", "Nginx", "a_b"]) {
    const r = controller({ classes: [cls] });
    assert.equal(r.ok, isDnsName(cls), `controller class ${JSON.stringify(cls)}`);
    const stack = validateStackConfig(qaWith((c) => { at(c, "sidecar").ingressClass = cls; }));
    assert.equal(stack.ok, isDnsName(cls), `sidecar.ingressClass ${JSON.stringify(cls)}`);
  }
});
