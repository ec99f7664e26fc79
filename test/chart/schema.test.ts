/** Every synthesized object against the Kubernetes OpenAPI schema (kubernetes-models). */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Deployment } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1";
import { ConfigMap, Namespace, ServiceAccount } from "kubernetes-models/v1";
import { baseProps, one, synth, type Obj } from "./fixtures";

/** `new Model(obj).validate()` throws on an object the schema rejects. */
const models: Record<string, (obj: Obj) => void> = {
  "apps/v1/Deployment": (o) => new Deployment(o).validate(),
  "rbac.authorization.k8s.io/v1/ClusterRole": (o) => new ClusterRole(o).validate(),
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": (o) => new ClusterRoleBinding(o).validate(),
  "scheduling.k8s.io/v1/PriorityClass": (o) => new PriorityClass(o).validate(),
  "v1/ConfigMap": (o) => new ConfigMap(o).validate(),
  "v1/Namespace": (o) => new Namespace(o).validate(),
  "v1/ServiceAccount": (o) => new ServiceAccount(o).validate(),
};

function validate(obj: Obj): void {
  const check = models[`${obj.apiVersion}/${obj.kind}`];
  if (check === undefined) throw new Error(`no schema model for ${obj.apiVersion} ${obj.kind}: add one`);
  check(obj);
}

const variants: Record<string, Obj[]> = {
  default: synth(),
  everything: synth({
    ...baseProps,
    ingressClass: "nginx",
    namespaces: ["a"],
    sources: { services: true, gatewayHttpRoutes: true },
    apexAddresses: ["192.0.2.80"],
    authoritative: { hostmaster: "hostmaster.apps.example.com" },
  }),
};

for (const [name, objs] of Object.entries(variants)) {
  test(`schema: every object of the ${name} chart validates`, () => {
    assert.ok(objs.length >= 8);
    for (const o of objs) {
      assert.doesNotThrow(() => validate(o), `${o.kind} ${o.metadata.name}`);
    }
  });
}

test("schema: a broken Deployment is rejected", () => {
  const good = one(synth(), "Deployment", "cdns-0");
  assert.doesNotThrow(() => validate(good));
  const wrongType = structuredClone(good);
  wrongType.spec.template.spec.containers[0].ports[0].hostPort = "53";
  assert.throws(() => validate(wrongType));
  const missing = structuredClone(good);
  delete missing.spec.template.spec.initContainers[0].name;
  assert.throws(() => validate(missing));
  const noSelector = structuredClone(good);
  delete noSelector.spec.selector;
  assert.throws(() => validate(noSelector));
});

test("schema: a ClusterRole rule without verbs and an unknown kind are rejected", () => {
  const role = structuredClone(one(synth(), "ClusterRole"));
  delete role.rules[0].verbs;
  assert.throws(() => validate(role));
  assert.throws(() => validate({ apiVersion: "v1", kind: "Pod", metadata: { name: "x" } }), /no schema model/);
});
