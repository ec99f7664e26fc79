/**
 * The hand-written vSphere binding against the provider's own schema: every property the
 * binding sends exists with a compatible type, every schema-required input is sent, every
 * output read exists.
 *
 * The schema is a fixture in the repository, test/fixtures/pulumi-vsphere-v<VERSION>.schema.json
 * for VSPHERE_PROVIDER_VERSION (lib/vsphere/binding.ts): the Pulumi package schema of the
 * vsphere provider at v4.17.0 (github.com/pulumi/pulumi-vsphere keeps it as
 * provider/cmd/pulumi-resource-vsphere/schema.json), unchanged (sha256 fe1a5e1f...bf31e727).
 * Moving to another provider version means adding that version's schema beside it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  VIRTUAL_MACHINE_BINDING,
  VSPHERE_INVOKE_BINDINGS,
  VSPHERE_PROVIDER_BINDING,
  VSPHERE_PROVIDER_VERSION,
  type Binding,
  type FieldSet,
  type WireType,
} from "../../lib/vsphere";

const SCHEMA_PATH = join(__dirname, "..", "fixtures", `pulumi-vsphere-v${VSPHERE_PROVIDER_VERSION}.schema.json`);

interface SchemaProp {
  readonly type?: string;
  readonly $ref?: string;
  readonly items?: SchemaProp;
  readonly additionalProperties?: SchemaProp;
}
interface SchemaObject {
  readonly properties: Record<string, SchemaProp>;
  readonly required?: string[];
}
interface Schema {
  readonly types: Record<string, SchemaObject>;
  readonly resources: Record<string, { inputProperties: Record<string, SchemaProp>; requiredInputs?: string[]; properties: Record<string, SchemaProp> }>;
  readonly functions: Record<string, { inputs?: SchemaObject; outputs: SchemaObject }>;
  readonly provider: { inputProperties: Record<string, SchemaProp>; requiredInputs?: string[] };
}

const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as Schema;

function refType(ref: string): SchemaObject {
  const key = ref.replace(/^#\/types\//, "");
  const t = schema.types[key];
  if (t === undefined) throw new Error(`schema has no type ${key}`);
  return t;
}

/** Problems with `fields` against the schema's `props`/`required` at `path`. */
function check(path: string, fields: FieldSet, props: Record<string, SchemaProp>, required: readonly string[], direction: "in" | "out"): string[] {
  const problems: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    const prop = props[name];
    if (prop === undefined) {
      problems.push(`${path}.${name}: not in the schema`);
      continue;
    }
    problems.push(...compatible(`${path}.${name}`, field.type, prop, direction));
  }
  if (direction === "in") {
    for (const name of required) {
      if (fields[name]?.required !== true) problems.push(`${path}.${name}: required by the schema but not always sent`);
    }
  }
  return problems;
}

function compatible(path: string, t: WireType, prop: SchemaProp, direction: "in" | "out"): string[] {
  if (typeof t === "string") return prop.type === t ? [] : [`${path}: binding says ${t}, schema says ${prop.type ?? prop.$ref}`];
  if ("arrayOf" in t) {
    if (prop.type !== "array" || prop.items === undefined) return [`${path}: binding says array, schema says ${prop.type ?? prop.$ref}`];
    return compatible(`${path}[]`, t.arrayOf, prop.items, direction);
  }
  if ("mapOf" in t) {
    if (prop.type !== "object" || prop.additionalProperties === undefined) return [`${path}: binding says map, schema says ${prop.type ?? prop.$ref}`];
    return compatible(`${path}{}`, t.mapOf, prop.additionalProperties, direction);
  }
  if (prop.$ref === undefined) return [`${path}: binding says object, schema says ${prop.type}`];
  const obj = refType(prop.$ref);
  return check(path, t.object, obj.properties, obj.required ?? [], direction);
}

function checkResource(b: Binding): string[] {
  const r = schema.resources[b.token];
  if (r === undefined) return [`${b.token}: no such resource`];
  return [...check(b.token, b.inputs, r.inputProperties, r.requiredInputs ?? [], "in"), ...check(b.token, b.outputs, r.properties, [], "out")];
}

function checkInvoke(b: Binding): string[] {
  const f = schema.functions[b.token];
  if (f === undefined) return [`${b.token}: no such function`];
  return [
    ...check(b.token, b.inputs, f.inputs?.properties ?? {}, f.inputs?.required ?? [], "in"),
    ...check(b.token, b.outputs, f.outputs.properties, [], "out"),
  ];
}

test("VirtualMachine: every sent input and every read output is in the schema, every required input is sent", () => {
  assert.deepEqual(checkResource(VIRTUAL_MACHINE_BINDING), []);
  // The required inputs we rely on really are checked: the schema requires resourcePoolId.
  assert.ok(schema.resources[VIRTUAL_MACHINE_BINDING.token]?.requiredInputs?.includes("resourcePoolId"));
});

test("invokes: getDatacenter, getDatastore, getResourcePool, getNetwork, getVirtualMachine", () => {
  assert.deepEqual(
    VSPHERE_INVOKE_BINDINGS.map((b) => b.token.split(":").pop()).sort(),
    ["getDatacenter", "getDatastore", "getNetwork", "getResourcePool", "getVirtualMachine"],
  );
  for (const b of VSPHERE_INVOKE_BINDINGS) assert.deepEqual(checkInvoke(b), [], b.token);
});

test("provider: every sent setting is a provider input", () => {
  assert.deepEqual(check("provider", VSPHERE_PROVIDER_BINDING.inputs, schema.provider.inputProperties, schema.provider.requiredInputs ?? [], "in"), []);
});

test("the checker fails on a wrong name, a wrong type, a wrong nested field and a missing required input", () => {
  const bad: Binding = {
    token: VIRTUAL_MACHINE_BINDING.token,
    inputs: {
      numCpu: { type: "integer" },
      memory: { type: "string" },
      clone: { type: { object: { templateUUID: { type: "string" } } } },
      extraConfig: { type: { arrayOf: "string" } },
    },
    outputs: { ipAddress: { type: "string" } },
  };
  const problems = checkResource(bad);
  for (const want of ["numCpu: not in the schema", "memory: binding says string, schema says integer", "clone.templateUUID: not in the schema",
    "clone.templateUuid: required by the schema", "extraConfig: binding says array", "resourcePoolId: required by the schema", "ipAddress: not in the schema"]) {
    assert.ok(problems.some((p) => p.includes(want)), `expected a problem "${want}" in:\n${problems.join("\n")}`);
  }
  assert.deepEqual(checkInvoke({ token: "vsphere:index/getNetwork:getNetwork", inputs: {}, outputs: {} }), [
    "vsphere:index/getNetwork:getNetwork.name: required by the schema but not always sent",
  ]);
});
