/**
 * Pulumi.yaml's config schema against the rules the Pulumi CLI enforces, and against the keys
 * the program reads, so the schema, the stack files and infra/config.ts agree.
 *
 * `cliConfigErrors()` is a model of what the CLI (pkg/workspace/config.go of Pulumi v3.274.1:
 * mergeConfig, validateStackConfigValues, validateStackConfigValue; sdk/go/common/workspace/
 * project.go: Project.Validate) does with a project's config schema and a stack file before it
 * runs a program: a key without default must be on the stack; a project default is written
 * into the stack config in plain text; a typed key's value must be of its type, and a typed
 * `secret: true` key must be encrypted. Untyped keys are not checked at all.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { RAW_CONFIG_KEYS } from "../../lib/config/validate";
import { SECRET_KEYS } from "../../infra/config";
import { REPO_ROOT, stackConfig, type Tree } from "./fixtures";

interface ConfigType { type?: string; items?: { type: string }; description?: string; default?: unknown; value?: unknown; secret?: boolean }
interface Project { name: string; runtime: { name: string; options?: Record<string, unknown> }; main: string; config: Record<string, ConfigType> }

const project = parse(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Project;
const declared = Object.fromEntries(Object.entries(project.config).map(([k, v]) => [k.replace(/^rancher-cdns:/, ""), v]));
const PROGRAM_KEYS = [...RAW_CONFIG_KEYS, ...Object.values(SECRET_KEYS)];
const STACKS = ["qa", "local"];

function isSecure(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
}

function ofType(type: string, v: unknown): boolean {
  switch (type) {
    case "string": return typeof v === "string";
    case "integer": return Number.isInteger(v);
    case "boolean": return typeof v === "boolean";
    case "array": return Array.isArray(v);
    case "object": return typeof v === "object" && v !== null && !Array.isArray(v);
    default: return false;
  }
}

/** What the CLI would refuse about `stack` (keys without the project prefix), as messages. */
function cliConfigErrors(schema: Record<string, ConfigType>, stack: Tree): string[] {
  const errors: string[] = [];
  for (const [key, t] of Object.entries(schema)) {
    if (t.type === "array" && t.items === undefined) errors.push(`${key}: an array needs items`);
    if (t.type !== undefined && t.default !== undefined && !ofType(t.type, t.default)) errors.push(`${key}: default not of type ${t.type}`);
    const onStack = key in stack;
    if (!onStack && t.default === undefined && t.value === undefined) {
      errors.push(`missing configuration value '${key}'`);
      continue;
    }
    if (t.type === undefined) continue; // untyped keys are not validated
    const value = onStack ? stack[key] : t.default ?? t.value;
    const secure = onStack && isSecure(stack[key]);
    if (t.secret === true && !secure) errors.push(`configuration key '${key}' must be encrypted as it's secret`);
    if (!secure && !ofType(t.type, value)) errors.push(`configuration key '${key}' must be of type '${t.type}'`);
  }
  return errors;
}

test("project name, runtime and main", () => {
  assert.equal(project.name, "rancher-cdns");
  assert.equal(project.runtime.name, "nodejs");
  assert.equal(project.runtime.options?.typescript, true);
  assert.equal(project.main, "infra/");
});

test("every key the program reads is declared and described; nothing else is", () => {
  assert.deepEqual(Object.keys(declared).sort(), [...PROGRAM_KEYS].sort());
  for (const key of Object.keys(project.config)) assert.ok(key.startsWith("rancher-cdns:"), `${key} is namespaced by the project`);
  for (const [key, t] of Object.entries(declared)) {
    if (t.secret !== true) assert.ok(["array", "object"].includes(t.type ?? ""), `${key}: type ${t.type}`);
    assert.ok((t.description ?? "").length > 20, `${key}: needs a description`);
  }
});

test("every secret key is declared secret, untyped with an empty default, and is not required by the CLI", () => {
  for (const key of Object.values(SECRET_KEYS)) {
    const t = declared[key];
    assert.equal(t?.secret, true, `${key} is declared secret`);
    assert.equal(t?.type, undefined, `${key}: untyped (a typed secret key could have no default: mandatory in every stack)`);
    assert.equal(t?.default, "", `${key}: "" means unset`);
    assert.match(t?.description ?? "", new RegExp(`pulumi config set --secret ${key}`), `${key}: says how to set it`);
  }
  // Why untyped: with a type, the CLI writes the default into the stack in plain text and then refuses it.
  const typed = { vspherePassword: { type: "string", secret: true, default: "" } };
  assert.deepEqual(cliConfigErrors(typed, {}), ["configuration key 'vspherePassword' must be encrypted as it's secret"]);
  assert.deepEqual(cliConfigErrors({ vspherePassword: { type: "string", secret: true } }, {}), ["missing configuration value 'vspherePassword'"]);
});

for (const stack of STACKS) {
  test(`Pulumi.${stack}.yaml passes the CLI's checks and sets only declared keys`, () => {
    const config = stackConfig(stack);
    assert.deepEqual(cliConfigErrors(declared, config), []);
    for (const key of Object.keys(config)) assert.ok(key in declared, `Pulumi.${stack}.yaml sets undeclared ${key}`);
  });
}

test("the QA stack's secrets are secure: placeholders; the local stack holds no secret in its file", () => {
  const qa = stackConfig("qa");
  for (const key of ["vspherePassword", "rancherToken", "registryPassword", "haproxyStatsPassword"]) {
    assert.match(String((qa[key] as { secure?: string } | undefined)?.secure), /^v1:/, `${key} is a secure: placeholder`);
  }
  const local = stackConfig("local");
  for (const key of Object.values(SECRET_KEYS)) assert.equal(local[key], undefined, `Pulumi.local.yaml must not carry ${key}`);
});
