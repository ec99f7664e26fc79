/**
 * The pure parts of the stack program: the replacement guard's rule, the node commands of an
 * existing cluster, the chart props from the stack keys, the RKE2 cluster settings.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { replacementPlan, replacementProblem } from "../../lib/stack/replacement";
import { cdnsNodeCommands, workloadChartProps } from "../../lib/stack/derive";
import { rkeClusterSettings } from "../../lib/stack/rkeConfig";
import { validateStackConfig } from "../../lib/config/validate";
import type { ClusterConfig, ExistingClusterStackConfig } from "../../lib/config/types";
import { INGRESS_CONTROLLER_PRESETS } from "../../lib/k8s/ingressControllers";
import { at, localWith, qaWith } from "../config/fixtures";

test("replacement: refused only when no existing node would be left untouched", () => {
  assert.equal(replacementProblem(undefined, ["a", "b"], false), undefined, "first update: nothing to compare");
  assert.equal(replacementProblem([], ["a", "b"], false), undefined);
  assert.equal(replacementProblem(["a", "b"], ["a", "b"], false), undefined, "no change");
  assert.equal(replacementProblem(["a", "b"], ["a", "B"], false), undefined, "one of two: node 0 keeps answering");
  assert.match(replacementProblem(["a", "b"], ["A", "B"], false) ?? "", /cdns\.nodes\[0\], cdns\.nodes\[1\]/);
  assert.equal(replacementProblem(["a", "b"], ["A", "B"], true), undefined, "the opt-in");
  assert.match(replacementProblem(["a"], ["A"], false) ?? "", /every cDNS node/, "a single node is every node");
  assert.equal(replacementProblem(["a"], ["a", "b"], false), undefined, "adding a node replaces none");
  assert.match(replacementProblem(["a", "b"], ["A"], false) ?? "", /cdns\.nodes\[0\]/, "removing node 1 while replacing node 0 leaves none");
  assert.match(replacementProblem(["a", "b", "c"], ["A", "B", "C"], false) ?? "", /every/);
  assert.equal(replacementProblem(["a", "b", "c"], ["A", "B", "c"], false), undefined, "two of three: node 2 keeps answering");
  assert.deepEqual(replacementPlan(["a", "b", "c"], ["A", "b"]), { replaced: [0], remaining: 2 });
});

test("node commands: quoted for a shell where needed, with the context", () => {
  const r = validateStackConfig(localWith((c) => {
    at(c, "existingCluster").labelNodes = false;
    at(c, "existingCluster").context = "ops cluster";
    at(c, "cdns").labels = { "example.com/team": "dns-ops" };
  }));
  assert.ok(r.ok && r.config.mode === "existingCluster");
  assert.deepEqual(cdnsNodeCommands(r.config as ExistingClusterStackConfig), [
    "kubectl '--context=ops cluster' label node cdns-0 example.com/team=dns-ops purpose=cdns cdns.rancher-cdns.io/index=0 --overwrite",
    "kubectl '--context=ops cluster' taint node cdns-0 purpose=cdns:NoSchedule purpose=cdns:NoExecute --overwrite",
  ]);
});

test("the chart gets the sidecar's sources from the stack keys", () => {
  const r = validateStackConfig(qaWith((c) => { at(c, "sidecar").sources = { services: true, gatewayHttpRoutes: true }; }));
  assert.ok(r.ok);
  assert.deepEqual(workloadChartProps(r.config).sources, { services: true, gatewayHttpRoutes: true });
  const off = validateStackConfig(qaWith(() => undefined));
  assert.ok(off.ok);
  assert.deepEqual(workloadChartProps(off.config).sources, { services: false, gatewayHttpRoutes: false });
});

test("the chart gets the ingress controller and the node check from the stack keys, nothing when they are absent", () => {
  const r = validateStackConfig(qaWith((c) => {
    at(c, "sidecar").ingressController = { preset: "rke2-ingress-nginx", namespace: "ingress-system" };
    at(c, "sidecar").nodeCheck = { enabled: true, ports: [443], fall: 5 };
  }));
  assert.ok(r.ok);
  const props = workloadChartProps(r.config);
  assert.deepEqual(props.ingressController, { ...INGRESS_CONTROLLER_PRESETS["rke2-ingress-nginx"], namespace: "ingress-system" });
  assert.deepEqual(props.nodeCheck, { ports: [443], intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 5, concurrency: 32 });
  const off = validateStackConfig(localWith((c) => { at(c, "sidecar").nodeCheck = { enabled: false }; }));
  assert.ok(off.ok);
  const offProps = workloadChartProps(off.config);
  assert.ok(!("ingressController" in offProps) && !("nodeCheck" in offProps), "absent keys give no prop (the chart's default: off)");
});

test("RKE2 cluster settings: only what is configured", () => {
  const base: ClusterConfig = {
    name: "c", kubernetesVersion: "v1.33.5+rke2r1", controlPlane: { quantity: 1, cpus: 2, memoryMb: 4096, diskGb: 20 },
    workers: { quantity: 1, cpus: 2, memoryMb: 4096, diskGb: 20 }, cni: "canal", tlsSan: [], registries: { mirrors: [], configs: [] },
  };
  const plain = rkeClusterSettings(base, []);
  assert.deepEqual(parse(plain.machineGlobalConfig), { cni: "canal" });
  assert.equal(plain.machineSelectorConfigs, undefined);
  assert.equal(plain.registries, undefined);
  const full = rkeClusterSettings({ ...base, systemDefaultRegistry: "reg.example.com:5000" }, ["192.0.2.20"]);
  assert.deepEqual(parse(full.machineGlobalConfig), { cni: "canal", "tls-san": ["192.0.2.20"] });
  assert.deepEqual(full.machineSelectorConfigs?.map((m) => parse(String(m.config))), [{ "system-default-registry": "reg.example.com:5000" }]);
});
