import { test } from "node:test";
import * as assert from "node:assert/strict";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { keepSecretMarkers, pathKey, secretPathsOf } from "../../policy/keepSecrets";
import { STACK_TYPE, looksLikeSecretValue, noPlainSecretOutputs, plainSecretOutputs } from "../../policy/policies";
import { analyzeStack, secret } from "./engine";

const KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters:",
  "- name: qa",
  "  cluster: { server: https://rancher.example.com/k8s/clusters/c-m-1 }",
  "users:",
  "- name: qa",
  "  user:",
  "    token: kubeconfig-user-abc:0123456789abcdef",
].join("\n");
const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----\n";

const stack = (props: Record<string, unknown>) => ({ type: STACK_TYPE, name: "rancher-cdns-qa", props });
const plainOutputs = { cdnsAddresses: ["192.0.2.10", "192.0.2.11"], zones: ["apps.example.com"], forwarding: { bind: "zone ..." } };

// Runs first, before keepSecretMarkers() is installed for the rest of this file: it shows why it exists.
test("without keepSecretMarkers, @pulumi/policy hides secretness: a secret kubeconfig looks plain", async () => {
  const v = await analyzeStack([noPlainSecretOutputs], [stack({ kubeconfig: secret(KUBECONFIG) })]);
  assert.deepEqual(v.map((x) => x.message), [
    'stack output "kubeconfig" looks like a secret but is not a Pulumi secret: wrap it in pulumi.secret()',
  ]);
});

test("no-plain-secret-outputs: secret outputs pass, plain ones fail (through the SDK's AnalyzeStack)", async () => {
  keepSecretMarkers();
  keepSecretMarkers(); // idempotent
  const ok = await analyzeStack([noPlainSecretOutputs], [
    stack({ ...plainOutputs, kubeconfig: secret(KUBECONFIG), rancher: { url: "https://r", token: secret("t0k3n") } }),
    // Only the stack's outputs are checked, not other resources' properties.
    { type: "pulumi:providers:rancher2", name: "rancher", props: { tokenKey: "plain-in-state-is-the-provider's-business" } },
  ]);
  assert.deepEqual(ok, []);

  const bad = await analyzeStack([noPlainSecretOutputs], [
    stack({ ...plainOutputs, kubeconfig: KUBECONFIG, haproxy: { statsPassword: "hunter2" }, notes: PEM }),
  ]);
  assert.deepEqual(bad.map((x) => x.message.replace(/ looks like.*/, "")).sort(), [
    'stack output "haproxy.statsPassword"',
    'stack output "kubeconfig"',
    'stack output "notes"',
  ]);
  assert.ok(bad.every((x) => x.policy === "no-plain-secret-outputs" && x.level === 1));
  assert.ok(bad.every((x) => x.urn.endsWith(`${STACK_TYPE}::rancher-cdns-qa`)), "reported against the stack");
});

test("no-plain-secret-outputs: a secret-looking value under an innocent name still fails", async () => {
  const v = await analyzeStack([noPlainSecretOutputs], [stack({ clusterAccess: { config: KUBECONFIG } })]);
  assert.deepEqual(v.map((x) => x.message.replace(/ looks like.*/, "")), ['stack output "clusterAccess.config"']);
});

test("plainSecretOutputs: names, values, secret paths, unknowns", () => {
  const secretPaths = new Set([pathKey(["kubeconfig"]), pathKey(["nested", "password"])]);
  assert.deepEqual(plainSecretOutputs({ kubeconfig: KUBECONFIG, nested: { password: "x", user: "u" }, zones: ["a"] }, secretPaths), []);
  assert.deepEqual(plainSecretOutputs({ apiToken: "t", list: [{ privateKey: "k" }], emptyPassword: "" }, new Set()), ["apiToken", "list.0.privateKey"]);
  assert.deepEqual(plainSecretOutputs({ kubeconfig: unknownValue }, new Set()), [], "unknown at preview: cannot tell yet");
  assert.deepEqual(plainSecretOutputs({ registrySecretName: "regcred", tokenTtlSeconds: 60, credentials: { username: "u" } }, new Set()), [],
    "names about secrets, and plain members of a secret-named object, are not secrets");
  assert.deepEqual(plainSecretOutputs({ tokens: ["a", "b"] }, new Set()), ["tokens.0", "tokens.1"]);
  assert.deepEqual(plainSecretOutputs({ kubeconfig: secret(KUBECONFIG) }, new Set()), [], "a wire-form secret counts");
  assert.equal(looksLikeSecretValue(KUBECONFIG), true);
  assert.equal(looksLikeSecretValue(PEM), true);
  assert.equal(looksLikeSecretValue("zone apps.example.com { type forward; forwarders { 192.0.2.10; }; };"), false);
  assert.equal(looksLikeSecretValue("apiVersion: v1\nkind: Config\nclusters: []\n"), false, "a kubeconfig without credentials");
});

test("secretPathsOf: outermost secret markers only", () => {
  const paths = secretPathsOf({ a: secret({ b: secret("x") }), c: [1, secret(2)], d: "plain" });
  assert.deepEqual([...paths].sort(), [pathKey(["a"]), pathKey(["c", 1])].sort());
});
