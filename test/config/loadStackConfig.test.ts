import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, promiseOf } from "../helpers/pulumi";
import { at, localRaw, qaRaw, type Tree } from "./fixtures";

pulumi.runtime.setMocks(new RecordingMocks(), "rancher-cdns", "qa", false);

const SECRETS = {
  vspherePassword: "vc-secret-1",
  rancherToken: "token-secret-2",
  registryPassword: "registry-secret-3",
  haproxyStatsPassword: "stats-secret-4",
};
const KUBECONFIG = "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: kube-secret-5}}]\n";

/**
 * Sets the whole Pulumi config the way the engine passes it: `project:key` to string (JSON for
 * structures), and the keys the stack holds as secrets. `plain` values are set without being
 * secret, as `pulumi config set` without --secret would.
 */
function setConfig(values: Tree, secrets: Record<string, string>, plain: Record<string, string> = {}): void {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) all[`rancher-cdns:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries({ ...secrets, ...plain })) all[`rancher-cdns:${k}`] = v;
  pulumi.runtime.setAllConfig(all, Object.keys(secrets).map((k) => `rancher-cdns:${k}`));
}

async function load() {
  const { loadStackConfig } = await import("../../infra/config.js");
  return loadStackConfig();
}

async function loadError(): Promise<string> {
  try {
    await load();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail("expected loadStackConfig to throw");
}

test("the QA stack loads; every secret is a secret Output", async () => {
  setConfig(qaRaw(), SECRETS);
  const { config, secrets } = await load();
  assert.ok(config.mode === "vsphere");
  assert.equal(config.cluster.name, "qa");
  assert.equal(config.haproxy?.ip, "192.0.2.20");
  for (const [key, value] of Object.entries(SECRETS)) {
    const out = pulumi.output((secrets as unknown as Record<string, pulumi.Input<string>>)[key]);
    assert.equal(await pulumi.isSecret(out), true, `${key} is a secret`);
    assert.equal(await promiseOf(out), value);
  }
  assert.equal(secrets.kubeconfig, undefined);
});

test("one error lists every problem with its full key, secrets included, and never a secret value", async () => {
  const raw = structuredClone(qaRaw());
  at(raw, "cdns", "nodes", 1).ip = "192.0.2.300";
  at(raw, "cluster").kubernetesVersion = "1.30";
  setConfig(raw, { registryPassword: SECRETS.registryPassword, haproxyStatsPassword: SECRETS.haproxyStatsPassword });
  const message = await loadError();
  const lines = message.split("\n");
  assert.equal(lines[0], "4 problems in the stack config:");
  for (const key of ["rancher-cdns:cdns.nodes[1].ip: ", "rancher-cdns:cluster.kubernetesVersion: ", "rancher-cdns:vspherePassword: ", "rancher-cdns:rancherToken: "]) {
    assert.ok(lines.some((l) => l.startsWith(`  - ${key}`)), `no line for ${key} in:\n${message}`);
  }
  assert.match(message, /vspherePassword: is required \(the vCenter password\): set it with `pulumi config set --secret vspherePassword`/);
  for (const value of Object.values(SECRETS)) assert.ok(!message.includes(value), "a secret value leaked into the error");
});

test("a secret key set in plain text is rejected, by name only", async () => {
  setConfig(qaRaw(), { rancherToken: SECRETS.rancherToken, registryPassword: SECRETS.registryPassword }, { vspherePassword: SECRETS.vspherePassword });
  const message = await loadError();
  assert.match(message, /rancher-cdns:vspherePassword: is stored in plain text in the stack's config: set it again with `pulumi config set --secret vspherePassword`/);
  assert.ok(!message.includes(SECRETS.vspherePassword), "the plain value is never echoed");
  assert.equal(message.split("\n").length, 2, message);
});

test("registryPassword is required only when an image is built; \"\" counts as unset", async () => {
  setConfig(qaRaw(), { vspherePassword: "a", rancherToken: "b", registryPassword: "" });
  assert.match(await loadError(), /rancher-cdns:registryPassword: is required when sidecar\.image or sidecar\.dnsmasqImage is not set/);

  const raw = structuredClone(qaRaw());
  raw.sidecar = {
    image: `registry.example.com/platform/cdns-sidecar:0.1.0@sha256:${"b".repeat(64)}`,
    dnsmasqImage: `registry.example.com/platform/cdns-dnsmasq:0.1.0@sha256:${"c".repeat(64)}`,
  };
  setConfig(raw, { vspherePassword: "a", rancherToken: "b", registryPassword: "", haproxyStatsPassword: "" });
  const { secrets } = await load();
  assert.equal(secrets.registryPassword, undefined);
  assert.equal(secrets.haproxyStatsPassword, undefined);
});

test("the local (existing-cluster) stack: kubeconfig is required and secret; the created-cluster secrets are refused", async () => {
  setConfig(localRaw(), {});
  assert.match(await loadError(), /rancher-cdns:kubeconfig: is required with existingCluster \(the existing cluster's kubeconfig\): set it with `pulumi config set --secret kubeconfig < path\/to\/kubeconfig`/);

  setConfig(localRaw(), { kubeconfig: KUBECONFIG });
  const { config, secrets } = await load();
  assert.equal(config.mode, "existingCluster");
  assert.equal(await pulumi.isSecret(pulumi.output(secrets.kubeconfig)), true);
  assert.equal(await promiseOf(pulumi.output(secrets.kubeconfig)), KUBECONFIG);

  setConfig(localRaw(), { kubeconfig: KUBECONFIG, vspherePassword: "a", rancherToken: "b" });
  const message = await loadError();
  assert.match(message, /rancher-cdns:vspherePassword: is for stacks that create the cluster; this stack names an existing one \(existingCluster\): remove it/);
  assert.match(message, /rancher-cdns:rancherToken: is for stacks that create the cluster/);

  setConfig(localRaw(), {}, { kubeconfig: KUBECONFIG });
  const plain = await loadError();
  assert.match(plain, /rancher-cdns:kubeconfig: is stored in plain text/);
  assert.ok(!plain.includes("kube-secret-5"));
});

test("a created-cluster stack refuses a kubeconfig", async () => {
  setConfig(qaRaw(), { ...SECRETS, kubeconfig: KUBECONFIG });
  assert.match(await loadError(), /rancher-cdns:kubeconfig: is only read by stacks that name an existing cluster \(existingCluster\)/);
});

test("a structured key given as a plain string is a problem, not a crash", async () => {
  const raw = structuredClone(qaRaw());
  raw.zones = "apps.example.com";
  setConfig(raw, SECRETS);
  const message = await loadError();
  assert.match(message, /rancher-cdns:zones: must be a structured value/);
  assert.equal(message.split("\n").filter((l) => l.includes("rancher-cdns:zones")).length, 1, message);
});
