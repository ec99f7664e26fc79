/**
 * Synthetic cluster for the bench: 20 worker nodes and N Ingresses shaped like
 * what the informers deliver (metadata with uid/resourceVersion/managedFields,
 * rules with paths, TLS, a load-balancer status). Deterministic (seeded PRNG),
 * so two runs load the same data and a size's hosts file is the same bytes.
 *
 * Shape: each Ingress has 1 host (2 for every third one) and its status lists
 * a subset of the 20 node IPs (2..8 of them), so IP sets overlap the way they
 * do when several ingress classes or node pools share workers.
 */
import { rng } from "../test/helpers/rng";

export { rng };
export const BENCH_ZONE = "apps.example.com";
export const NODE_COUNT = 20;
export const MIN_TARGETS = 2;
export const MAX_TARGETS = 8;


export function nodeIp(i: number): string {
  return `10.40.0.${i + 11}`;
}

export const NODE_IPS: readonly string[] = Array.from({ length: NODE_COUNT }, (_, i) => nodeIp(i));

export function nodeObject(i: number): Record<string, unknown> {
  const name = `worker-${String(i).padStart(2, "0")}`;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, uid: `node-uid-${i}`, resourceVersion: String(1000 + i), labels: { "node-role.kubernetes.io/worker": "true", "kubernetes.io/hostname": name } },
    spec: {},
    status: {
      conditions: [{ type: "Ready", status: "True" }],
      addresses: [{ type: "InternalIP", address: nodeIp(i) }, { type: "Hostname", address: name }],
    },
  };
}

/** A subset of the node IPs, sorted numerically (the source sorts too). */
export function pickTargets(r: () => number): string[] {
  const n = MIN_TARGETS + Math.floor(r() * (MAX_TARGETS - MIN_TARGETS + 1));
  const idx = Array.from({ length: NODE_COUNT }, (_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
  }
  return idx.slice(0, n).sort((a, b) => a - b).map(nodeIp);
}

export interface IngressSpec {
  readonly namespace: string;
  readonly name: string;
  readonly hosts: readonly string[];
  readonly targets: readonly string[];
  /** Bumped on each change, as the API server does. */
  readonly generation: number;
}

export function ingressSpec(i: number, r: () => number, generation = 1, prefix = "app"): IngressSpec {
  const base = `${prefix}-${i}`;
  const hosts = i % 3 === 0 ? [`${base}.${BENCH_ZONE}`, `${base}-alt.${BENCH_ZONE}`] : [`${base}.${BENCH_ZONE}`];
  return { namespace: `team-${i % 50}`, name: `${base}`, hosts, targets: pickTargets(r), generation };
}

/** The Ingress object as an informer hands it over. */
export function ingressObject(s: IngressSpec): Record<string, unknown> {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid: `uid-${s.namespace}-${s.name}`,
      resourceVersion: String(100_000 + s.generation),
      generation: s.generation,
      creationTimestamp: "2025-01-01T00:00:00Z",
      labels: { "app.kubernetes.io/name": s.name, "app.kubernetes.io/part-of": s.namespace },
      annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "8m" },
      managedFields: [
        { manager: "helm", operation: "Update", apiVersion: "networking.k8s.io/v1", time: "2025-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:rules": {} } } },
      ],
    },
    spec: {
      ingressClassName: "nginx",
      tls: [{ hosts: [...s.hosts], secretName: `${s.name}-tls` }],
      rules: s.hosts.map((host) => ({
        host,
        http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: s.name, port: { number: 8080 } } } }] },
      })),
    },
    status: { loadBalancer: { ingress: s.targets.map((ip) => ({ ip })) } },
  };
}

/** N ingress specs from one seed: the same N always gives the same cluster. */
export function makeIngresses(n: number, seed = 7): IngressSpec[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ingressSpec(i, r));
}
