import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, promiseOf } from "../helpers/pulumi";
import { at, qaRaw, type Tree } from "./fixtures";

pulumi.runtime.setMocks(new RecordingMocks(), "rancher-cdns", "qa", false);

const SECRETS = {
  vspherePassword: "vc-secret-1",
  rancherToken: "token-secret-2",
  registryPassword: "registry-secret-3",
  haproxyStatsPassword: "stats-secret-4",
};

/** Sets the whole Pulumi config the way the engine passes it: `project:key` to string (JSON for structures). */
function setConfig(values: Tree, secrets: Partial<typeof SECRETS>): void {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) all[`rancher-cdns:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(secrets)) all[`rancher-cdns:${k}`] = v;
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
  assert.equal(config.cluster.name, "qa");
  assert.equal(config.haproxy?.ip, "192.0.2.20");
  for (const [key, value] of Object.entries(SECRETS)) {
    const out = pulumi.output((secrets as unknown as Record<string, pulumi.Input<string>>)[key]);
    assert.equal(await pulumi.isSecret(out), true, `${key} is a secret`);
    assert.equal(await promiseOf(out), value);
  }
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
  for (const value of Object.values(SECRETS)) assert.ok(!message.includes(value), "a secret value leaked into the error");
});

test("registryPassword is required only when the sidecar image is built; \"\" counts as unset", async () => {
  setConfig(qaRaw(), { vspherePassword: "a", rancherToken: "b", registryPassword: "" });
  assert.match(await loadError(), /rancher-cdns:registryPassword: is required when sidecar\.image is not set/);

  const raw = structuredClone(qaRaw());
  raw.sidecar = { image: `registry.example.com/platform/cdns-sidecar:0.1.0@sha256:${"b".repeat(64)}` };
  setConfig(raw, { vspherePassword: "a", rancherToken: "b", registryPassword: "", haproxyStatsPassword: "" });
  const { secrets } = await load();
  assert.equal(secrets.registryPassword, undefined);
  assert.equal(secrets.haproxyStatsPassword, undefined);
});

test("a structured key given as a plain string is a problem, not a crash", async () => {
  const raw = structuredClone(qaRaw());
  raw.zones = "apps.example.com";
  setConfig(raw, SECRETS);
  const message = await loadError();
  assert.match(message, /rancher-cdns:zones: must be a structured value/);
  assert.equal(message.split("\n").filter((l) => l.includes("rancher-cdns:zones")).length, 1, message);
});
