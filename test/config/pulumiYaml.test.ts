/**
 * Pulumi.yaml's config schema against the rules the Pulumi CLI enforces
 * (sdk/go/common/workspace/project.go and project.json), and against the keys
 * the program reads, so the schema, the QA stack and infra/config.ts agree.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { RAW_CONFIG_KEYS } from "../../lib/config/validate";
import { SECRET_KEYS } from "../../infra/config";
import { REPO_ROOT, qaStackConfig } from "./fixtures";

interface ConfigType { type?: string; items?: { type: string }; description?: string; default?: unknown; secret?: boolean }
interface Project { name: string; runtime: { name: string; options?: Record<string, unknown> }; main: string; config: Record<string, ConfigType> }

const project = parse(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Project;
const declared = Object.fromEntries(Object.entries(project.config).map(([k, v]) => [k.replace(/^rancher-cdns:/, ""), v]));
const PROGRAM_KEYS = [...RAW_CONFIG_KEYS, ...Object.values(SECRET_KEYS)];

test("project name, runtime and main", () => {
  assert.equal(project.name, "rancher-cdns");
  assert.equal(project.runtime.name, "nodejs");
  assert.equal(project.runtime.options?.typescript, true);
  assert.equal(project.main, "infra/");
});

test("every key the program reads is declared, typed and described; nothing else is", () => {
  assert.deepEqual(Object.keys(declared).sort(), [...PROGRAM_KEYS].sort());
  for (const key of Object.keys(project.config)) assert.ok(key.startsWith("rancher-cdns:"), `${key} is namespaced by the project`);
  for (const [key, t] of Object.entries(declared)) {
    assert.ok(["string", "integer", "boolean", "array", "object"].includes(t.type ?? ""), `${key}: type ${t.type}`);
    if (t.type === "array") assert.ok(t.items?.type, `${key}: an array needs items`);
    assert.ok((t.description ?? "").length > 20, `${key}: needs a description`);
  }
});

test("secrets: the required ones are secret; no secret key has a plaintext default (the CLI rejects it)", () => {
  assert.equal(declared.vspherePassword?.secret, true);
  assert.equal(declared.rancherToken?.secret, true);
  for (const [key, t] of Object.entries(declared)) {
    if (t.secret === true) assert.equal(t.default, undefined, `${key}: secret with a default`);
  }
});

test("the QA stack sets every key without a default, and only declared keys", () => {
  const qa = qaStackConfig();
  for (const [key, t] of Object.entries(declared)) {
    if (t.default === undefined) assert.ok(key in qa, `Pulumi.qa.yaml must set ${key}`);
  }
  for (const key of Object.keys(qa)) assert.ok(key in declared, `Pulumi.qa.yaml sets undeclared ${key}`);
  for (const key of Object.values(SECRET_KEYS)) {
    assert.match(String((qa[key] as { secure?: string } | undefined)?.secure), /^v1:/, `${key} is a secure: placeholder`);
  }
});
