/**
 * The rancher-cdns policies: pure checks on plain data, wrapped as @pulumi/policy policies.
 * Nothing here starts a server (policy/index.ts builds the PolicyPack), so tests import this file.
 *
 * What they guard is the design in DEVELOPERS.md: a cDNS node is a Rancher machine pool of
 * exactly one labelled, tainted node; its pod is a single-replica Recreate Deployment with
 * hostPort 53 on UDP and TCP; every container has a liveness probe; secrets never reach
 * plain stack outputs.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { CDNS_APP_NAME, CDNS_INDEX_LABEL, CDNS_PURPOSE_KEY, CDNS_PURPOSE_VALUE, DEFAULT_DNS_PORT } from "../lib/config/defaults";
import { isSecretMarker, pathKey, recordedSecretPaths, type ValuePath } from "./keepSecrets";

export const CLUSTER_V2_TYPE = "rancher2:index/clusterV2:ClusterV2";
export const DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment";
export const CONFIG_GROUP_TYPE = "kubernetes:yaml/v2:ConfigGroup";
export const STACK_TYPE = "pulumi:pulumi:Stack";
/** Resource types that carry a pod template (or are a pod), by the Kubernetes kind they hold. */
export const WORKLOAD_TYPES: Readonly<Record<string, string>> = {
  [DEPLOYMENT_TYPE]: "Deployment",
  "kubernetes:apps/v1:StatefulSet": "StatefulSet",
  "kubernetes:apps/v1:DaemonSet": "DaemonSet",
  "kubernetes:apps/v1:ReplicaSet": "ReplicaSet",
  "kubernetes:core/v1:Pod": "Pod",
};

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

// ---------------------------------------------------------------------------------------------
// Machine pools (inputs of rancher2 ClusterV2: rkeConfig.machinePools[])

/** A pool is a cDNS pool when anything about it says so: its labels, its taints or its name. */
export function isCdnsPool(pool: unknown): boolean {
  const p = obj(pool);
  return (
    obj(p["machineLabels"])[CDNS_PURPOSE_KEY] === CDNS_PURPOSE_VALUE ||
    list(p["taints"]).some((t) => obj(t)["key"] === CDNS_PURPOSE_KEY && obj(t)["value"] === CDNS_PURPOSE_VALUE) ||
    /(^|[-_.])cdns([-_.]|$)/.test(String(p["name"] ?? ""))
  );
}

function cdnsPools(clusterProps: unknown): Json[] {
  return list(obj(obj(clusterProps)["rkeConfig"])["machinePools"]).filter(isCdnsPool).map(obj);
}

/** Quantity must be exactly 1: the pool owns one static IP. */
export function poolQuantityProblems(clusterProps: unknown): string[] {
  return cdnsPools(clusterProps).flatMap((p) =>
    p["quantity"] === 1 ? [] : [`cDNS machine pool "${String(p["name"])}" has quantity ${String(p["quantity"] ?? "unset")}; it must be 1 (one node per static IP)`],
  );
}

/** Labels purpose=cdns and a unique index; taints purpose=cdns:NoSchedule and :NoExecute; rollingUpdate.maxSurge 0. */
export function poolLabelTaintProblems(clusterProps: unknown): string[] {
  const problems: string[] = [];
  const seenIndex = new Map<string, string>();
  for (const p of cdnsPools(clusterProps)) {
    const name = String(p["name"]);
    const labels = obj(p["machineLabels"]);
    if (labels[CDNS_PURPOSE_KEY] !== CDNS_PURPOSE_VALUE) {
      problems.push(`cDNS machine pool "${name}" lacks machine label ${CDNS_PURPOSE_KEY}=${CDNS_PURPOSE_VALUE}`);
    }
    const index = labels[CDNS_INDEX_LABEL];
    if (typeof index !== "string" || !/^(0|[1-9][0-9]*)$/.test(index)) {
      problems.push(`cDNS machine pool "${name}" lacks machine label ${CDNS_INDEX_LABEL}=<index> (got ${JSON.stringify(index)})`);
    } else if (seenIndex.has(index)) {
      problems.push(`cDNS machine pools "${seenIndex.get(index)}" and "${name}" share ${CDNS_INDEX_LABEL}=${index}`);
    } else {
      seenIndex.set(index, name);
    }
    for (const effect of ["NoSchedule", "NoExecute"]) {
      const has = list(p["taints"]).some((t) => {
        const taint = obj(t);
        // The rancher2 provider defaults a taint's effect to NoExecute (its schema: "Default: NoExecute").
        const e = taint["effect"] ?? "NoExecute";
        return taint["key"] === CDNS_PURPOSE_KEY && taint["value"] === CDNS_PURPOSE_VALUE && e === effect;
      });
      if (!has) problems.push(`cDNS machine pool "${name}" lacks taint ${CDNS_PURPOSE_KEY}=${CDNS_PURPOSE_VALUE}:${effect}`);
    }
    // One static IP: a surge machine would boot beside the old one with the same address.
    const maxSurge = obj(p["rollingUpdate"])["maxSurge"];
    if (maxSurge !== "0" && maxSurge !== 0) {
      problems.push(`cDNS machine pool "${name}" has rollingUpdate.maxSurge ${JSON.stringify(maxSurge ?? "unset")}; it must be 0 (a replacement must not boot beside the old node with the same IP)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes workloads (a kubernetes:* resource's inputs are the object itself)

/** The Kubernetes objects of `kind` a resource holds: itself, or a ConfigGroup's `objs`. */
export function objectsOfKind(type: string, props: unknown, kinds: readonly string[]): Json[] {
  const p = obj(props);
  if (type === CONFIG_GROUP_TYPE) return list(p["objs"]).map(obj).filter((o) => kinds.includes(String(o["kind"])));
  const kind = WORKLOAD_TYPES[type];
  if (kind === undefined || !kinds.includes(kind)) return [];
  return [p["kind"] === undefined ? { ...p, kind } : p];
}

function podSpec(workload: Json): Json {
  const spec = obj(workload["spec"]);
  return workload["kind"] === "Pod" ? spec : obj(obj(spec["template"])["spec"]);
}

function nameOf(o: Json): string {
  return `${String(o["kind"] ?? "object")} ${String(obj(o["metadata"])["name"] ?? "(unnamed)")}`;
}

/** cDNS Deployments carry our app label, or select cDNS nodes. */
export function isCdnsDeployment(deployment: unknown): boolean {
  const d = obj(deployment);
  const labels = obj(obj(d["metadata"])["labels"]);
  const nodeSelector = obj(podSpec(d)["nodeSelector"]);
  return labels["app.kubernetes.io/name"] === CDNS_APP_NAME || nodeSelector[CDNS_PURPOSE_KEY] === CDNS_PURPOSE_VALUE;
}

/** replicas 1 and Recreate: a second pod could never bind hostPort 53 on the same node. */
export function cdnsReplicaStrategyProblems(deployment: unknown): string[] {
  const d = obj(deployment);
  if (!isCdnsDeployment(d)) return [];
  const spec = obj(d["spec"]);
  const problems: string[] = [];
  if (spec["replicas"] !== 1) problems.push(`${nameOf(d)}: replicas is ${String(spec["replicas"] ?? "unset (defaults to 1)")}; a cDNS Deployment must set 1`);
  const strategy = obj(spec["strategy"])["type"];
  if (strategy !== "Recreate") problems.push(`${nameOf(d)}: strategy is ${String(strategy ?? "unset (RollingUpdate)")}; a cDNS Deployment must use Recreate`);
  return problems;
}

/** Some container must publish port 53 on the node for UDP and for TCP. */
export function cdnsHostPortProblems(deployment: unknown): string[] {
  const d = obj(deployment);
  if (!isCdnsDeployment(d)) return [];
  const published = new Set(
    list(podSpec(d)["containers"]).flatMap((c) =>
      list(obj(c)["ports"])
        .map(obj)
        .filter((p) => p["hostPort"] === DEFAULT_DNS_PORT)
        .map((p) => String(p["protocol"] ?? "TCP")),
    ),
  );
  return ["UDP", "TCP"].filter((proto) => !published.has(proto)).map((proto) => `${nameOf(d)}: no container publishes hostPort ${DEFAULT_DNS_PORT}/${proto}`);
}

/**
 * Every long-running container needs a livenessProbe: a hung process must be restarted. That is
 * each of `containers`, and each native sidecar (an init container with `restartPolicy: Always`,
 * Kubernetes >= 1.29: the cDNS pod's sidecar is one). Plain init containers run to completion
 * and cannot have a liveness probe.
 */
export function livenessProbeProblems(workload: unknown): string[] {
  const w = obj(workload);
  const spec = podSpec(w);
  const missing = (c: Json) => c["livenessProbe"] === undefined || c["livenessProbe"] === null;
  const containers = list(spec["containers"]).map(obj).filter(missing)
    .map((c) => `${nameOf(w)}: container "${String(c["name"])}" has no livenessProbe`);
  const sidecars = list(spec["initContainers"]).map(obj).filter((c) => c["restartPolicy"] === "Always").filter(missing)
    .map((c) => `${nameOf(w)}: native sidecar "${String(c["name"])}" has no livenessProbe`);
  return [...containers, ...sidecars];
}

// ---------------------------------------------------------------------------------------------
// Stack outputs

/** Output names (or keys inside outputs) whose values must only ever be secret. */
export const SECRET_NAME = /kubeconfig|password|passwd|secret|token|private[-_]?key|credential|api[-_]?key/i;
/** ...unless the name says it is about a secret, not one: `registrySecretName`, `tokenTtlSeconds`. */
export const NOT_SECRET_NAME = /(Name|Names|Ref|Id|Ttl|Seconds|Enabled|Length|Path)$/;

function secretName(key: string): boolean {
  return SECRET_NAME.test(key) && !NOT_SECRET_NAME.test(key);
}

/** Values that are secrets whatever they are called. */
export function looksLikeSecretValue(s: string): boolean {
  return (
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s) ||
    /^\s*kind:\s*Config\b/m.test(s) && /^\s*(token|client-key-data|password):/m.test(s) ||
    /"kind"\s*:\s*"Config"/.test(s) && /"(token|client-key-data|password)"\s*:/.test(s)
  );
}

/**
 * Paths (dotted, for messages) of plain values that look secret: by the nearest key naming
 * them (an output's name or a key inside it), or by the value itself. A value is secret when
 * its path, or any path above it, is in `secretPaths` (see keepSecrets.ts), or when it is a
 * secret marker.
 */
export function plainSecretOutputs(outputs: Readonly<Record<string, unknown>>, secretPaths: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const walk = (v: unknown, path: ValuePath, namedSecret: boolean): void => {
    if (secretPaths.has(pathKey(path)) || isSecretMarker(v) || v === undefined || v === null || v === "") return;
    // Unknown during preview: whether it will be secret is not known yet.
    if (v === unknownValue) return;
    const label = path.join(".");
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      if (namedSecret || typeof v === "string" && looksLikeSecretValue(v)) found.push(label);
      return;
    }
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((e, i) => [i, e]) : Object.entries(obj(v));
    // Array elements inherit their list's name; object members are named by their own key.
    for (const [k, e] of entries) walk(e, [...path, k], typeof k === "number" ? namedSecret : secretName(k));
  };
  for (const [k, v] of Object.entries(outputs)) walk(v, [k], secretName(k));
  return found;
}

/** The object a policy proxy wraps (@pulumi/policy wraps props in proxies; keepSecrets keys on the target). */
export function unwrapPolicyProxy(props: object): object {
  let target = props;
  for (let i = 0; i < 4; i++) {
    const inner = (target as Record<string, unknown>)["__getSpecialProxyTarget"];
    if (typeof inner !== "object" || inner === null || inner === target) break;
    target = inner;
  }
  return target;
}

// ---------------------------------------------------------------------------------------------
// The policies

function reportAll(problems: readonly string[], report: ReportViolation): void {
  for (const p of problems) report(p);
}

function clusterPolicy(check: (props: unknown) => string[]) {
  return (args: ResourceValidationArgs, report: ReportViolation): void => {
    if (args.type === CLUSTER_V2_TYPE) reportAll(check(args.props), report);
  };
}

function kubernetesPolicy(kinds: readonly string[], check: (o: unknown) => string[]) {
  return (args: ResourceValidationArgs, report: ReportViolation): void => {
    reportAll(objectsOfKind(args.type, args.props, kinds).flatMap(check), report);
  };
}

export const cdnsPoolSingleNode: ResourceValidationPolicy = {
  name: "cdns-pool-single-node",
  description: "A cDNS machine pool (machine label purpose=cdns) must have quantity 1: it owns one static IP.",
  enforcementLevel: "mandatory",
  validateResource: clusterPolicy(poolQuantityProblems),
};

export const cdnsPoolLabelsAndTaints: ResourceValidationPolicy = {
  name: "cdns-pool-labels-and-taints",
  description: "A cDNS machine pool must label its node purpose=cdns and its index, and taint it purpose=cdns:NoSchedule and NoExecute.",
  enforcementLevel: "mandatory",
  validateResource: clusterPolicy(poolLabelTaintProblems),
};

export const cdnsDeploymentSingleReplicaRecreate: ResourceValidationPolicy = {
  name: "cdns-deployment-single-replica-recreate",
  description: "A cDNS Deployment must have 1 replica and the Recreate strategy (hostPort 53 on one node).",
  enforcementLevel: "mandatory",
  validateResource: kubernetesPolicy(["Deployment"], cdnsReplicaStrategyProblems),
};

export const cdnsDeploymentHostPort53: ResourceValidationPolicy = {
  name: "cdns-deployment-host-port-53",
  description: "A cDNS Deployment must publish hostPort 53 on both UDP and TCP.",
  enforcementLevel: "mandatory",
  validateResource: kubernetesPolicy(["Deployment"], cdnsHostPortProblems),
};

export const containersHaveLivenessProbe: ResourceValidationPolicy = {
  name: "containers-have-liveness-probe",
  description: "Every container and native sidecar of a Deployment, StatefulSet, DaemonSet, ReplicaSet or Pod must have a livenessProbe.",
  enforcementLevel: "mandatory",
  validateResource: kubernetesPolicy(Object.values(WORKLOAD_TYPES), livenessProbeProblems),
};

/** The stack's own resource carries its outputs as props. */
export function validatePlainSecretOutputs(args: Pick<StackValidationArgs, "resources">, report: ReportViolation): void {
  for (const r of args.resources.filter((x: PolicyResource) => x.type === STACK_TYPE)) {
    const raw = unwrapPolicyProxy(r.props);
    const secret = recordedSecretPaths(raw) ?? new Set<string>();
    for (const path of plainSecretOutputs(raw as Record<string, unknown>, secret)) {
      report(`stack output "${path}" looks like a secret but is not a Pulumi secret: wrap it in pulumi.secret()`, r.urn);
    }
  }
}

export const noPlainSecretOutputs: StackValidationPolicy = {
  name: "no-plain-secret-outputs",
  description: "Stack outputs that look like secrets (kubeconfig, passwords, tokens, private keys) must be Pulumi secrets.",
  enforcementLevel: "mandatory",
  validateStack: validatePlainSecretOutputs,
};

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  cdnsPoolSingleNode,
  cdnsPoolLabelsAndTaints,
  cdnsDeploymentSingleReplicaRecreate,
  cdnsDeploymentHostPort53,
  containersHaveLivenessProbe,
  noPlainSecretOutputs,
];
