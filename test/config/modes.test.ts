/**
 * The two modes of a stack (a created cluster, or existingCluster), the secrets each needs,
 * and the created-cluster keys added for on-prem sites: CNI, tls-san, registries, the sidecar's
 * sources, per-node machine overrides and the replacement opt-in.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { ConfigProblem, ExistingClusterStackConfig, VsphereStackConfig } from "../../lib/config/types";
import { formatProblems, validateStackConfig, type RawStackConfig, type StackConfigValidation } from "../../lib/config/validate";
import type { SecretPresence } from "../../lib/config/secrets";
import { at, localRaw, localWith, qaRaw, qaWith } from "./fixtures";

const QA_SECRETS: SecretPresence = { vspherePassword: "secret", rancherToken: "secret", registryPassword: "secret", haproxyStatsPassword: "secret" };

function problemsOf(raw: RawStackConfig, secrets?: SecretPresence): readonly ConfigProblem[] {
  const r = validateStackConfig(raw, secrets);
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.problems;
}

function expectProblem(raw: RawStackConfig, key: string, message: RegExp, secrets?: SecretPresence): void {
  const problems = problemsOf(raw, secrets);
  assert.ok(problems.some((p) => p.key === key && message.test(p.message)),
    `expected a problem at ${key} matching ${message}; got:\n${formatProblems(problems)}`);
}

function ok(r: StackConfigValidation) {
  assert.ok(r.ok, r.ok ? "" : formatProblems(r.problems));
  return r.config;
}

test("the local stack (Pulumi.local.yaml) is an existing-cluster stack with every default", () => {
  const c = ok(validateStackConfig(localRaw(), { kubeconfig: "secret" })) as ExistingClusterStackConfig;
  assert.equal(c.mode, "existingCluster");
  assert.deepEqual(c.existingCluster, { nodes: [{ index: 0, name: "cdns-0", ip: "192.0.2.10" }], labelNodes: true });
  assert.deepEqual(c.zones, ["apps.local.example.com"]);
  assert.equal(c.cdns.ttlSeconds, 5);
  assert.deepEqual(c.cdns.labels, {});
  assert.equal(c.cdns.authoritative.enabled, false);
  assert.equal(c.sidecar.image, "localhost/rancher-cdns/sidecar:dev");
  assert.equal(c.sidecar.dnsmasqImage, "localhost/rancher-cdns/dnsmasq:dev");
  assert.equal(c.sidecar.registry, undefined, "prebuilt images: no registry");
});

test("existingCluster: nodes with Kubernetes names and IPv4 addresses, distinct", () => {
  expectProblem(localWith((c) => { at(c, "existingCluster").nodes = []; }), "existingCluster.nodes", /must not be empty/);
  expectProblem(localWith((c) => { at(c, "existingCluster", "nodes", 0).name = "Node_0"; }), "existingCluster.nodes[0].name", /Kubernetes node name/);
  expectProblem(localWith((c) => { at(c, "existingCluster", "nodes", 0).ip = "10.0.0.256"; }), "existingCluster.nodes[0].ip", /IPv4/);
  expectProblem(localWith((c) => { delete at(c, "existingCluster", "nodes", 0).ip; }), "existingCluster.nodes[0].ip", /is required/);
  expectProblem(localWith((c) => { at(c, "existingCluster").nodes = [{ name: "a", ip: "192.0.2.10" }, { name: "a", ip: "192.0.2.10" }]; }),
    "existingCluster.nodes[1].name", /already existingCluster\.nodes\[0\]/);
  expectProblem(localWith((c) => { at(c, "existingCluster").nodes = [{ name: "a", ip: "192.0.2.10" }, { name: "b", ip: "192.0.2.10" }]; }),
    "existingCluster.nodes[1].ip", /already used by existingCluster\.nodes\[0\]\.ip/);
  expectProblem(localWith((c) => { at(c, "existingCluster").labelNodes = "yes"; }), "existingCluster.labelNodes", /true or false/);
  expectProblem(localWith((c) => { at(c, "existingCluster").kubeconfig = "x"; }), "existingCluster.kubeconfig", /unknown key/);
  const two = ok(validateStackConfig(localWith((c) => {
    at(c, "existingCluster").nodes = [{ name: "w1.example.internal", ip: "10.0.0.11" }, { name: "w2.example.internal", ip: "10.0.0.12" }];
    at(c, "existingCluster").context = "prod";
  }))) as ExistingClusterStackConfig;
  assert.deepEqual(two.existingCluster.nodes.map((n) => [n.index, n.name]), [[0, "w1.example.internal"], [1, "w2.example.internal"]]);
  assert.equal(two.existingCluster.context, "prod");
});

test("existingCluster: every key of a created cluster is a problem, all at once", () => {
  const qa = qaRaw();
  const problems = problemsOf(localWith((c) => {
    c.cluster = qa.cluster;
    c.vsphere = qa.vsphere;
    c.rancher = qa.rancher;
    c.haproxy = qa.haproxy;
    c.cdns = { ttlSeconds: 5, nodes: [{ ip: "192.0.2.10" }], network: {}, vm: {}, allowReplacingAllNodes: true };
  }), { kubeconfig: "secret", vspherePassword: "secret", haproxyStatsPassword: "secret" });
  const keys = problems.map((p) => p.key).sort();
  assert.deepEqual(keys, [
    "cdns.allowReplacingAllNodes", "cdns.network", "cdns.nodes", "cdns.vm", "cluster", "haproxy", "haproxyStatsPassword", "rancher", "vsphere", "vspherePassword",
  ], formatProblems(problems));
  for (const p of problems) assert.match(p.message, /is for stacks that create the cluster; this stack names an existing one \(existingCluster\)/);
});

test("the Pulumi.yaml defaults of the other mode's blocks ({} and haproxy enabled: false) are not 'given'", () => {
  ok(validateStackConfig(localWith((c) => { c.cluster = {}; c.vsphere = {}; c.rancher = {}; c.haproxy = { enabled: false }; })));
  ok(validateStackConfig(qaWith((c) => { c.existingCluster = {}; })));
});

test("a created cluster without its blocks says how to choose the mode", () => {
  expectProblem({ zones: ["apps.example.com"], sidecar: localRaw().sidecar }, "cluster", /is required when the stack creates the cluster \(or set existingCluster\)/);
});

test("secrets by mode: required, refused in the other mode, refused in plain text", () => {
  ok(validateStackConfig(qaRaw(), QA_SECRETS));
  expectProblem(qaRaw(), "rancherToken", /is required \(a Rancher API token\): set it with `pulumi config set --secret rancherToken`/, { vspherePassword: "secret", registryPassword: "secret" });
  expectProblem(qaRaw(), "vspherePassword", /stored in plain text/, { ...QA_SECRETS, vspherePassword: "plaintext" });
  expectProblem(qaRaw(), "registryPassword", /required when sidecar\.image or sidecar\.dnsmasqImage is not set/, { vspherePassword: "secret", rancherToken: "secret" });
  expectProblem(qaRaw(), "kubeconfig", /only read by stacks that name an existing cluster/, { ...QA_SECRETS, kubeconfig: "secret" });
  ok(validateStackConfig(localRaw(), { kubeconfig: "secret" }));
  expectProblem(localRaw(), "kubeconfig", /is required with existingCluster/, {});
  expectProblem(localRaw(), "kubeconfig", /stored in plain text/, { kubeconfig: "plaintext" });
  const ignored = validateStackConfig(localRaw(), { kubeconfig: "secret", registryPassword: "secret" });
  assert.ok(ignored.ok && ignored.warnings.some((w) => w.key === "registryPassword" && /ignored/.test(w.message)));
  // Without `secrets` (npm run synth), secrets are not checked at all.
  ok(validateStackConfig(localRaw()));
});

test("cluster: CNI, tls-san, system default registry and registries", () => {
  const c = ok(validateStackConfig(qaRaw())) as VsphereStackConfig;
  assert.equal(c.cluster.cni, "calico");
  assert.deepEqual(c.cluster.tlsSan, ["api.qa.example.com"]);
  assert.equal(c.cluster.systemDefaultRegistry, "registry.example.com");
  assert.deepEqual(c.cluster.registries, { mirrors: [{ hostname: "docker.io", endpoints: ["https://registry.example.com"], rewrites: {} }], configs: [] });

  expectProblem(qaWith((c) => { at(c, "cluster").cni = "weave"; }), "cluster.cni", /must be one of calico, canal, cilium/);
  expectProblem(qaWith((c) => { at(c, "cluster").tlsSan = ["API.example.com"]; }), "cluster.tlsSan[0]", /IPv4 address or a DNS name/);
  ok(validateStackConfig(qaWith((c) => { at(c, "cluster").tlsSan = ["*.api.example.com", "192.0.2.30"]; })));
  expectProblem(qaWith((c) => { at(c, "cluster").systemDefaultRegistry = "https://registry.example.com"; }), "cluster.systemDefaultRegistry", /host\[:port\]/);
  expectProblem(qaWith((c) => { at(c, "cluster", "registries", "mirrors", 0).endpoints = ["registry.example.com"]; }),
    "cluster.registries.mirrors[0].endpoints[0]", /http\(s\) URL/);
  expectProblem(qaWith((c) => { at(c, "cluster", "registries", "mirrors", 0).endpoints = []; }), "cluster.registries.mirrors[0].endpoints", /must not be empty/);
  expectProblem(qaWith((c) => { at(c, "cluster", "registries", "mirrors", 0).rewrites = { "(": "x" }; }), 'cluster.registries.mirrors[0].rewrites["("]', /regular expression/);
  expectProblem(qaWith((c) => { at(c, "cluster", "registries").configs = [{ hostname: "registry.example.com", caBundle: "not a pem" }]; }),
    "cluster.registries.configs[0].caBundle", /PEM/);
  const insecure = validateStackConfig(qaWith((c) => { at(c, "cluster", "registries").configs = [{ hostname: "registry.example.com:5000", insecure: true }]; }));
  assert.ok(insecure.ok && insecure.warnings.some((w) => w.key === "cluster.registries.configs[0].insecure"));
});

test("sidecar sources: LoadBalancer Services and Gateway API HTTPRoutes, off by default", () => {
  const on = ok(validateStackConfig(qaWith((c) => { at(c, "sidecar").sources = { services: true, gatewayHttpRoutes: "true" }; })));
  assert.deepEqual(on.sidecar.sources, { services: true, gatewayHttpRoutes: true });
  expectProblem(qaWith((c) => { at(c, "sidecar").sources = { httproutes: true }; }), "sidecar.sources.httproutes", /unknown key/);
});

test("per-node machine overrides merge over the shared settings and are checked like them", () => {
  const c = ok(validateStackConfig(qaWith((c) => {
    at(c, "cdns", "nodes", 1).machine = { template: "ubuntu-2404-cloudinit", vm: { memoryMb: 8192 }, folder: "/dc1/vm/rancher/qa-new" };
  }))) as VsphereStackConfig;
  assert.deepEqual(c.cdns.nodes[0]?.machine, {});
  assert.deepEqual(c.cdns.nodes[1]?.machine, { template: "ubuntu-2404-cloudinit", vm: { cpus: 2, memoryMb: 8192, diskGb: 40 }, folder: "rancher/qa-new" });
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 0).machine = { vm: { memoryMb: 1024 } }; }), "cdns.nodes[0].machine.vm.memoryMb", /at least 2048/);
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 0).machine = { datastore: "/dc2/datastore/x" }; }), "cdns.nodes[0].machine.datastore", /datacenter's datastore folder/);
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 0).machine = { ip: "192.0.2.99" }; }), "cdns.nodes[0].machine.ip", /unknown key/);
});

test("cdns.allowReplacingAllNodes: an opt-in with a warning", () => {
  const r = validateStackConfig(qaWith((c) => { at(c, "cdns").allowReplacingAllNodes = true; }));
  assert.ok(r.ok && r.config.mode === "vsphere" && r.config.cdns.allowReplacingAllNodes);
  assert.ok(r.warnings.some((w) => w.key === "cdns.allowReplacingAllNodes" && /remove the key after this update/.test(w.message)));
});

test("haproxy.proxyProtocol: true is refused with what it breaks; false is a warning to remove the key", () => {
  expectProblem(qaWith((c) => { at(c, "haproxy").proxyProtocol = true; }), "haproxy.proxyProtocol",
    /every client that reaches a worker directly through the round-robin DNS answers \(the main path\) sends none and fails/);
  const off = validateStackConfig(qaWith((c) => { at(c, "haproxy").proxyProtocol = false; }));
  assert.ok(off.ok && off.warnings.some((w) => w.key === "haproxy.proxyProtocol"));
});
