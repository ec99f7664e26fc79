import { test } from "node:test";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { CONFIG_GROUP_TYPE, policies } from "../../policy/policies";
import { analyze } from "./engine";

test("the pack: six mandatory policies with unique names", () => {
  assert.deepEqual(policies.map((p) => p.name), [
    "cdns-pool-single-node",
    "cdns-pool-labels-and-taints",
    "cdns-deployment-single-replica-recreate",
    "cdns-deployment-host-port-53",
    "containers-have-liveness-probe",
    "no-plain-secret-outputs",
  ]);
  assert.ok(policies.every((p) => p.enforcementLevel === "mandatory" && p.description.length > 20));
});

test("policy/index.ts installs keepSecretMarkers before the PolicyPack serves", () => {
  // index.ts cannot be imported here (the PolicyPack constructor starts a server), so read it.
  const src = readFileSync(join(__dirname, "../../policy/index.ts"), "utf8");
  const install = src.indexOf("keepSecretMarkers();");
  const pack = src.indexOf("new PolicyPack(");
  assert.ok(install > 0 && pack > install, "keepSecretMarkers() must run before new PolicyPack()");
  assert.match(src, /policies,?\s*\n\s*\}\)/, "the pack serves the policies array");
});

test("objs unknown at preview: the SDK downgrades to an advisory, not a false pass or a crash", async () => {
  const v = await analyze(policies, CONFIG_GROUP_TYPE, { objs: unknownValue });
  assert.ok(v.length > 0);
  assert.ok(v.every((x) => x.level === 0 && /during preview/.test(x.message)), JSON.stringify(v));
});
