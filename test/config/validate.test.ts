import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { ConfigProblem, VsphereStackConfig } from "../../lib/config/types";
import { formatProblems, validateStackConfig, type RawStackConfig, type StackConfigValidation } from "../../lib/config/validate";
import {
  DEFAULT_CDNS_UNHEALTHY_NODE_TIMEOUT_SECONDS,
  DEFAULT_HAPROXY_MAX_SERVERS,
  DEFAULT_TTL_SECONDS,
  DEFAULT_VSPHERE_PORT,
} from "../../lib/config/defaults";
import { at, qaRaw, qaWith } from "./fixtures";

const PINNED = `registry.example.com/platform/cdns-sidecar:0.1.0@sha256:${"a".repeat(64)}`;
const DNSMASQ_PINNED = `registry.example.com/platform/cdns-dnsmasq:0.1.0@sha256:${"b".repeat(64)}`;

/** The config of an accepted vSphere-mode stack. */
function vsphereOk(r: StackConfigValidation): VsphereStackConfig {
  assert.ok(r.ok, r.ok ? "" : formatProblems(r.problems));
  assert.equal(r.config.mode, "vsphere");
  return r.config as VsphereStackConfig;
}

function problemsOf(raw: RawStackConfig): readonly ConfigProblem[] {
  const r = validateStackConfig(raw);
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.problems;
}

/** Exactly the problems at `key`; at least one must match `message`. */
function expectProblem(raw: RawStackConfig, key: string, message: RegExp): void {
  const problems = problemsOf(raw);
  const atKey = problems.filter((p) => p.key === key);
  assert.ok(atKey.some((p) => message.test(p.message)),
    `expected a problem at ${key} matching ${message}; got:\n${formatProblems(problems)}`);
}

test("the QA stack (Pulumi.qa.yaml) passes, with defaults applied", () => {
  const c = vsphereOk(validateStackConfig(qaRaw()));
  assert.deepEqual(c.zones, ["apps.qa.example.com", "svc.qa.example.org"]);
  assert.deepEqual(c.cdns.nodes.map((n) => [n.index, n.ip, n.machine]), [[0, "192.0.2.10", {}], [1, "192.0.2.11", {}]]);
  assert.equal(c.cdns.authoritative.hostmaster, "hostmaster.apps.qa.example.com");
  assert.equal(c.cdns.ttlSeconds, 5);
  assert.equal(c.haproxy?.hostname, "qa-haproxy");
  assert.equal(c.haproxy?.ip, "192.0.2.20");
  assert.equal(c.sidecar.dnsmasqImage, undefined, "built: no placeholder image");
  assert.equal(c.sidecar.registry?.repository, "platform/cdns-sidecar");
  assert.equal(c.sidecar.registry?.dnsmasqRepository, "platform/cdns-dnsmasq", "the dnsmasq image goes beside the sidecar's");
  assert.equal(c.vsphere.port, 443);
  assert.equal(c.vsphere.folder, "rancher/qa");
  assert.equal(c.cluster.kubernetesVersion, "v1.33.5+rke2r1");
  assert.ok(DEFAULT_CDNS_UNHEALTHY_NODE_TIMEOUT_SECONDS > 0);
});

test("a minimal config gets every default", () => {
  const r = validateStackConfig({
    zones: ["apps.example.com"],
    cluster: { name: "c1", kubernetesVersion: "v1.33.5+rke2r1" },
    cdns: { nodes: [{ ip: "192.0.2.10" }], network: { prefixLength: 24, gateway: "192.0.2.1", nameservers: ["198.51.100.53"] } },
    vsphere: { server: "vc.example.com", username: "u", datacenter: "dc", datastore: "ds", resourcePool: "/dc/host/c/Resources", folder: "/dc/vm", networks: ["pg"], template: "t" },
    rancher: { apiUrl: "https://rancher.example.com" },
    sidecar: { image: PINNED, dnsmasqImage: DNSMASQ_PINNED },
  });
  const c = vsphereOk(r);
  assert.equal(c.cdns.ttlSeconds, DEFAULT_TTL_SECONDS);
  assert.equal(c.vsphere.port, DEFAULT_VSPHERE_PORT);
  assert.equal(c.cdns.network.interfaceName, "ens192");
  assert.deepEqual(c.cdns.network.searchDomains, []);
  assert.deepEqual(c.cdns.vm, { cpus: 2, memoryMb: 4096, diskGb: 40 });
  assert.equal(c.cluster.controlPlane.quantity, 3);
  assert.equal(c.cdns.authoritative.enabled, false);
  assert.equal(c.haproxy, undefined);
  assert.equal(c.sidecar.registry, undefined);
  assert.equal(c.vsphere.folder, "", "/dc/vm is the datacenter's VM folder itself");
  assert.equal(c.cluster.cni, "calico");
  assert.deepEqual(c.cluster.tlsSan, []);
  assert.deepEqual(c.cluster.registries, { mirrors: [], configs: [] });
  assert.equal(c.cluster.systemDefaultRegistry, undefined);
  assert.deepEqual(c.sidecar.sources, { services: false, gatewayHttpRoutes: false });
  assert.equal(c.cdns.allowReplacingAllNodes, false);
  assert.deepEqual(r.warnings, []);
});

test("zones: lowercase DNS names", () => {
  expectProblem(qaWith((c) => { c.zones = ["Apps.Example.com"]; }), "zones[0]", /lowercase/);
  expectProblem(qaWith((c) => { c.zones = ["apps_x.example.com"]; }), "zones[0]", /not a DNS label/);
  expectProblem(qaWith((c) => { c.zones = ["-apps.example.com"]; }), "zones[0]", /not a DNS label/);
  expectProblem(qaWith((c) => { c.zones = ["apps.example.com."]; }), "zones[0]", /must not end with/);
  expectProblem(qaWith((c) => { c.zones = ["localhost"]; }), "zones[0]", /at least 2 labels/);
  expectProblem(qaWith((c) => { c.zones = []; }), "zones", /must not be empty/);
  expectProblem(qaWith((c) => { delete c.zones; }), "zones", /is required/);
  expectProblem(qaWith((c) => { c.zones = "apps.example.com"; }), "zones", /must be a list/);
});

test("zones: no duplicates", () => {
  expectProblem(qaWith((c) => { c.zones = ["apps.example.com", "x.example.org", "apps.example.com"]; }), "zones[2]", /duplicates zones\[0\]/);
});

test("zones: no zone inside another, whichever comes first", () => {
  expectProblem(qaWith((c) => { c.zones = ["example.com", "apps.example.com"]; }), "zones[1]", /inside zones\[0\]/);
  expectProblem(qaWith((c) => { c.zones = ["apps.example.com", "example.com"]; }), "zones[0]", /inside zones\[1\]/);
  // A shared suffix that is not a label boundary is not nesting.
  const ok = validateStackConfig(qaWith((c) => { c.zones = ["example.com", "myexample.com"]; }));
  assert.ok(ok.ok, ok.ok ? "" : formatProblems(ok.problems));
});

test("IPv4 addresses and prefix length", () => {
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 1).ip = "192.0.2.300"; }), "cdns.nodes[1].ip", /IPv4/);
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 1).ip = "192.0.2.011"; }), "cdns.nodes[1].ip", /IPv4/);
  expectProblem(qaWith((c) => { at(c, "cdns", "network").gateway = "gw.example.com"; }), "cdns.network.gateway", /IPv4/);
  expectProblem(qaWith((c) => { at(c, "cdns", "network").nameservers = ["198.51.100.53", "dns1"]; }), "cdns.network.nameservers[1]", /IPv4/);
  expectProblem(qaWith((c) => { at(c, "cdns", "network").prefixLength = 31; }), "cdns.network.prefixLength", /at most 30/);
  expectProblem(qaWith((c) => { at(c, "cdns", "network").prefixLength = "24a"; }), "cdns.network.prefixLength", /integer/);
});

test("the gateway is inside the subnet and not its network or broadcast address", () => {
  expectProblem(qaWith((c) => { at(c, "cdns", "network").gateway = "198.51.100.1"; }), "cdns.network.gateway", /outside the subnet 192\.0\.2\.0\/24/);
  expectProblem(qaWith((c) => { at(c, "cdns", "network").gateway = "192.0.2.0"; }), "cdns.network.gateway", /network address/);
  expectProblem(qaWith((c) => { at(c, "cdns", "network").gateway = "192.0.2.255"; }), "cdns.network.gateway", /broadcast address/);
});

test("static IPs are inside the subnet, distinct, and not the network, broadcast or gateway address", () => {
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 1).ip = "192.0.3.11"; }), "cdns.nodes[1].ip", /outside the subnet/);
  expectProblem(qaWith((c) => { at(c, "haproxy").ip = "203.0.113.20"; }), "haproxy.ip", /outside the subnet/);
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 1).ip = "192.0.2.255"; }), "cdns.nodes[1].ip", /broadcast address/);
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 1).ip = "192.0.2.0"; }), "cdns.nodes[1].ip", /network address/);
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 1).ip = "192.0.2.1"; }), "cdns.nodes[1].ip", /gateway address/);
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 1).ip = "192.0.2.10"; }), "cdns.nodes[1].ip", /already used by cdns\.nodes\[0\]\.ip/);
  expectProblem(qaWith((c) => { at(c, "haproxy").ip = "192.0.2.11"; }), "haproxy.ip", /already used by cdns\.nodes\[1\]\.ip/);
  // A /23 puts 192.0.3.x in the same subnet as 192.0.2.10.
  const wide = validateStackConfig(qaWith((c) => { at(c, "cdns", "network").prefixLength = 23; at(c, "cdns", "nodes", 1).ip = "192.0.3.11"; }));
  assert.ok(wide.ok, wide.ok ? "" : formatProblems(wide.problems));
});

test("cdns.nodes must not be empty", () => {
  expectProblem(qaWith((c) => { at(c, "cdns").nodes = []; }), "cdns.nodes", /must not be empty/);
});

test("required vSphere names", () => {
  for (const key of ["server", "username", "datacenter", "datastore", "resourcePool", "folder", "template"]) {
    expectProblem(qaWith((c) => { delete at(c, "vsphere")[key]; }), `vsphere.${key}`, /is required/);
    expectProblem(qaWith((c) => { at(c, "vsphere")[key] = " "; }), `vsphere.${key}`, /must not be empty/);
  }
  expectProblem(qaWith((c) => { at(c, "vsphere").networks = []; }), "vsphere.networks", /must not be empty/);
  expectProblem(qaWith((c) => { at(c, "vsphere").networks = [""]; }), "vsphere.networks[0]", /must not be empty/);
  expectProblem(qaWith((c) => { at(c, "vsphere").server = "https://vc.example.com/sdk"; }), "vsphere.server", /without scheme/);
  expectProblem(qaWith((c) => { at(c, "vsphere").port = 70000; }), "vsphere.port", /at most 65535/);
  expectProblem(qaWith((c) => { delete c.vsphere; }), "vsphere", /is required/);
  const noBlock = problemsOf(qaWith((c) => { c.vsphere = "vc.example.com"; }));
  assert.deepEqual(noBlock.map((p) => p.key), ["vsphere"], "one problem for a block that is not an object, none for its fields");
});

test("Kubernetes version is an RKE2 release", () => {
  for (const bad of ["1.33.4", "v1.33.4", "v1.33.4+k3s1", "v1.33+rke2r1", "latest"]) {
    expectProblem(qaWith((c) => { at(c, "cluster").kubernetesVersion = bad; }), "cluster.kubernetesVersion", /RKE2 release/);
  }
});

test("Kubernetes version is one Rancher 2.12 provisions (KDM: v1.31.5+rke2r1 to v1.33.x)", () => {
  for (const bad of ["v1.30.4+rke2r1", "v1.30.14+rke2r2", "v1.31.4+rke2r1", "v1.34.1+rke2r1", "v2.31.5+rke2r1"]) {
    expectProblem(qaWith((c) => { at(c, "cluster").kubernetesVersion = bad; }), "cluster.kubernetesVersion", /not offered by Rancher 2\.12.*kontainer-driver-metadata/);
  }
  for (const good of ["v1.31.5+rke2r1", "v1.31.14+rke2r2", "v1.32.9+rke2r1", "v1.33.13+rke2r1", "v1.33.20+rke2r1"]) {
    const r = validateStackConfig(qaWith((c) => { at(c, "cluster").kubernetesVersion = good; }));
    assert.ok(r.ok, r.ok ? "" : formatProblems(r.problems));
  }
});

test("pool sizes: control plane 1, 3 or 5; workers at least 1; VM minimums", () => {
  expectProblem(qaWith((c) => { at(c, "cluster", "controlPlane").quantity = 2; }), "cluster.controlPlane.quantity", /one of 1, 3, 5/);
  expectProblem(qaWith((c) => { at(c, "cluster", "workers").quantity = 0; }), "cluster.workers.quantity", /at least 1/);
  expectProblem(qaWith((c) => { at(c, "cluster", "controlPlane").cpus = 1; }), "cluster.controlPlane.cpus", /at least 2/);
  expectProblem(qaWith((c) => { at(c, "cluster", "controlPlane").memoryMb = 2048; }), "cluster.controlPlane.memoryMb", /at least 4096/);
  expectProblem(qaWith((c) => { at(c, "cluster", "workers").diskGb = 10; }), "cluster.workers.diskGb", /at least 20/);
  expectProblem(qaWith((c) => { at(c, "cdns", "vm").memoryMb = 512; }), "cdns.vm.memoryMb", /at least 2048/);
  expectProblem(qaWith((c) => { at(c, "cdns", "vm").cpus = 1.5; }), "cdns.vm.cpus", /integer/);
});

test("cluster name is a DNS label; cdns.nodes[].hostname is gone with the reason", () => {
  expectProblem(qaWith((c) => { at(c, "cluster").name = "QA"; }), "cluster.name", /DNS label/);
  expectProblem(qaWith((c) => { at(c, "cluster").name = "qa.example"; }), "cluster.name", /DNS label/);
  expectProblem(qaWith((c) => { at(c, "cdns", "nodes", 0).hostname = "qa-dns-a"; }), "cdns.nodes[0].hostname",
    /was removed: Rancher names each machine <cluster>-<pool>-<suffix> \(here the pool is cdns-0\).*hostnameLengthLimit/);
});

test("registry settings are required when no prebuilt sidecar image is given", () => {
  expectProblem(qaWith((c) => { delete at(c, "sidecar").registry; }), "sidecar.registry", /required when sidecar\.image or sidecar\.dnsmasqImage is not set/);
  // One prebuilt image is not enough: the other is still built and pushed.
  expectProblem(qaWith((c) => { c.sidecar = { image: PINNED }; }), "sidecar.registry", /required/);
  expectProblem(qaWith((c) => { c.sidecar = { dnsmasqImage: DNSMASQ_PINNED }; }), "sidecar.registry", /required/);
  expectProblem(qaWith((c) => { at(c, "sidecar", "registry").dnsmasqRepository = "platform/cdns-sidecar"; }), "sidecar.registry.dnsmasqRepository", /must differ/);
  expectProblem(qaWith((c) => { delete at(c, "sidecar", "registry").server; }), "sidecar.registry.server", /is required/);
  expectProblem(qaWith((c) => { delete at(c, "sidecar", "registry").username; }), "sidecar.registry.username", /is required/);
  expectProblem(qaWith((c) => { delete at(c, "sidecar", "registry").repository; }), "sidecar.registry.repository", /is required/);
  expectProblem(qaWith((c) => { at(c, "sidecar", "registry").server = "https://registry.example.com"; }), "sidecar.registry.server", /without scheme/);
  expectProblem(qaWith((c) => { at(c, "sidecar", "registry").repository = "Platform/Sidecar:1"; }), "sidecar.registry.repository", /lowercase repository/);
});

test("a prebuilt sidecar image must be a valid reference; digest pinning is recommended", () => {
  expectProblem(qaWith((c) => { c.sidecar = { image: "Registry.example.com/UPPER:tag", dnsmasqImage: DNSMASQ_PINNED }; }), "sidecar.image", /image reference/);
  expectProblem(qaWith((c) => { c.sidecar = { image: "registry.example.com/x:tag with space", dnsmasqImage: DNSMASQ_PINNED }; }), "sidecar.image", /image reference/);
  expectProblem(qaWith((c) => { c.sidecar = { image: PINNED, dnsmasqImage: "dnsmasq latest" }; }), "sidecar.dnsmasqImage", /image reference/);

  const pinned = validateStackConfig(qaWith((c) => { c.sidecar = { image: PINNED, dnsmasqImage: DNSMASQ_PINNED }; }));
  assert.ok(pinned.ok, pinned.ok ? "" : formatProblems(pinned.problems));
  assert.equal(pinned.config.sidecar.image, PINNED);
  assert.equal(pinned.config.sidecar.dnsmasqImage, DNSMASQ_PINNED);
  assert.equal(pinned.config.sidecar.registry, undefined, "no registry needed with prebuilt images");
  assert.deepEqual(pinned.warnings.filter((w) => w.key.startsWith("sidecar.")), []);

  const tagged = validateStackConfig(qaWith((c) => { c.sidecar = { image: "registry.example.com/platform/cdns-sidecar:0.1.0", dnsmasqImage: "registry.example.com/platform/cdns-dnsmasq:0.1.0" }; }));
  assert.ok(tagged.ok, "a tag-only image is accepted");
  assert.ok(tagged.warnings.some((w) => w.key === "sidecar.image" && /not digest-pinned/.test(w.message)));
  assert.ok(tagged.warnings.some((w) => w.key === "sidecar.dnsmasqImage" && /not digest-pinned/.test(w.message)));
});

test("ttl range", () => {
  expectProblem(qaWith((c) => { at(c, "cdns").ttlSeconds = -1; }), "cdns.ttlSeconds", /at least 0/);
  expectProblem(qaWith((c) => { at(c, "cdns").ttlSeconds = 86400; }), "cdns.ttlSeconds", /at most 3600/);
  const zero = validateStackConfig(qaWith((c) => { at(c, "cdns").ttlSeconds = 0; }));
  assert.ok(zero.ok && zero.config.cdns.ttlSeconds === 0);
});

test("authoritative hostmaster is a domain name", () => {
  expectProblem(qaWith((c) => { at(c, "cdns").authoritative = { enabled: true, hostmaster: "hostmaster@example.com" }; }),
    "cdns.authoritative.hostmaster", /SOA mailbox/);
  const ok = validateStackConfig(qaWith((c) => { at(c, "cdns").authoritative = { enabled: true, hostmaster: "dns-admin.example.com" }; }));
  assert.ok(ok.ok && ok.config.cdns.authoritative.enabled && ok.config.cdns.authoritative.hostmaster === "dns-admin.example.com");
});

test("Rancher URL is an https URL without credentials", () => {
  expectProblem(qaWith((c) => { at(c, "rancher").apiUrl = "rancher.example.com"; }), "rancher.apiUrl", /absolute URL/);
  expectProblem(qaWith((c) => { at(c, "rancher").apiUrl = "http://rancher.example.com"; }), "rancher.apiUrl", /must use https/);
  expectProblem(qaWith((c) => { at(c, "rancher").apiUrl = "https://admin:pw@rancher.example.com"; }), "rancher.apiUrl", /credentials/);
  expectProblem(qaWith((c) => { delete at(c, "rancher").apiUrl; }), "rancher.apiUrl", /is required/);
});

test("cdns labels cannot override the pool's own labels and must be valid", () => {
  expectProblem(qaWith((c) => { at(c, "cdns").labels = { purpose: "other" }; }), 'cdns.labels["purpose"]', /cannot be overridden/);
  expectProblem(qaWith((c) => { at(c, "cdns").labels = { "cdns.rancher-cdns.io/index": "9" }; }), 'cdns.labels["cdns.rancher-cdns.io/index"]', /cannot be overridden/);
  expectProblem(qaWith((c) => { at(c, "cdns").labels = { team: "a b" }; }), 'cdns.labels["team"]', /label value/);
  expectProblem(qaWith((c) => { at(c, "cdns").labels = { team: 3 }; }), 'cdns.labels["team"]', /must be strings/);
});

test("unknown keys are reported (a typo never silently falls back to a default)", () => {
  expectProblem(qaWith((c) => { at(c, "cdns", "network").gatway = "192.0.2.1"; }), "cdns.network.gatway", /unknown key/);
  expectProblem(qaWith((c) => { at(c, "cdns").ttl = 5; }), "cdns.ttl", /unknown key/);
});

test("sidecar settings: namespaces, ingress class, fallback selector", () => {
  expectProblem(qaWith((c) => { at(c, "sidecar").namespaces = ["Team-A"]; }), "sidecar.namespaces[0]", /DNS label/);
  expectProblem(qaWith((c) => { at(c, "sidecar").ingressClass = "Nginx"; }), "sidecar.ingressClass", /lowercase/);
  expectProblem(qaWith((c) => { at(c, "sidecar").fallbackNodeSelector = "role in (a,b"; }), "sidecar.fallbackNodeSelector", /label selector/);
  expectProblem(qaWith((c) => { at(c, "sidecar").fallbackNodeSelector = "purpose!"; }), "sidecar.fallbackNodeSelector", /label selector/);
  // The whole Kubernetes grammar is accepted, parsed by the same parser the sidecar uses (lib/k8s/labelSelector.ts).
  for (const sel of ["role in (a,b)", "node-role.kubernetes.io/worker=true,purpose!=cdns", "!purpose", "tier notin (db)"]) {
    const r = validateStackConfig(qaWith((c) => { at(c, "sidecar").fallbackNodeSelector = sel; }));
    assert.ok(r.ok, r.ok ? "" : formatProblems(r.problems));
    assert.equal(r.config.sidecar.fallbackNodeSelector, sel);
  }
});

test("HAProxy: defaults when enabled, absent when disabled, enabled required in the block", () => {
  const on = vsphereOk(validateStackConfig(qaWith((c) => { c.haproxy = { enabled: true, ip: "192.0.2.20" }; })));
  assert.deepEqual(on.haproxy, {
    enabled: true, ip: "192.0.2.20", hostname: "qa-haproxy", vm: { cpus: 2, memoryMb: 2048, diskGb: 20 },
    maxServers: DEFAULT_HAPROXY_MAX_SERVERS, kubeApi: false,
  });
  const off = vsphereOk(validateStackConfig(qaWith((c) => { c.haproxy = { enabled: false }; })));
  assert.equal(off.haproxy, undefined);
  expectProblem(qaWith((c) => { c.haproxy = { ip: "192.0.2.20" }; }), "haproxy.enabled", /is required when the haproxy block is present/);
});

test("HAProxy: validateHaproxySettings() problems are merged in, without duplicates for a missing value", () => {
  expectProblem(qaWith((c) => { at(c, "haproxy").maxServers = 2; }), "haproxy.maxServers", /smaller than the worker pool/);
  expectProblem(qaWith((c) => { at(c, "haproxy").hostname = "HAProxy"; }), "haproxy.hostname", /DNS label/);
  expectProblem(qaWith((c) => { at(c, "haproxy").httpCheck = { port: 443, path: "/healthz" }; }), "haproxy.httpCheck.port", /TLS listener/);
  const missingIp = problemsOf(qaWith((c) => { delete at(c, "haproxy").ip; }));
  assert.deepEqual(missingIp.filter((p) => p.key === "haproxy.ip").length, 1, formatProblems(missingIp));
});

test("every problem is reported at once, each with its key", () => {
  const problems = problemsOf(qaWith((c) => {
    c.zones = ["apps.example.com", "apps.example.com"];
    at(c, "cluster").kubernetesVersion = "1.30";
    at(c, "cluster", "controlPlane").quantity = 4;
    at(c, "cdns", "nodes", 1).ip = "10.0.0.1";
    at(c, "cdns").ttlSeconds = 99999;
    delete at(c, "vsphere").datastore;
    at(c, "rancher").apiUrl = "http://rancher.example.com";
    delete at(c, "sidecar").registry;
  }));
  const keys = problems.map((p) => p.key);
  for (const key of ["zones[1]", "cluster.kubernetesVersion", "cluster.controlPlane.quantity", "cdns.nodes[1].ip",
    "cdns.ttlSeconds", "vsphere.datastore", "rancher.apiUrl", "sidecar.registry"]) {
    assert.ok(keys.includes(key), `missing a problem at ${key}; got ${keys.join(", ")}`);
  }
  assert.equal(problems.length, 8, formatProblems(problems));
});

test("formatProblems lists one line per problem with the prefixed key", () => {
  const text = formatProblems([{ key: "cdns.nodes[1].ip", message: "bad" }, { key: "zones[0]", message: "worse" }], "rancher-cdns:");
  assert.deepEqual(text.split("\n"), [
    "2 problems in the stack config:",
    "  - rancher-cdns:cdns.nodes[1].ip: bad",
    "  - rancher-cdns:zones[0]: worse",
  ]);
});

test("numbers and booleans given as strings (pulumi config set --path) are accepted", () => {
  const c = vsphereOk(validateStackConfig(qaWith((c) => { at(c, "cdns", "network").prefixLength = "24"; at(c, "vsphere").insecure = "false"; })));
  assert.equal(c.cdns.network.prefixLength, 24);
  assert.equal(c.vsphere.insecure, false);
});
