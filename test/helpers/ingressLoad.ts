/**
 * Realistic Ingresses in bulk, for the scale test and the benchmark: 5-10 KB each as the API
 * server stores them (several rules and paths, TLS, Helm labels, controller annotations, the
 * `kubectl apply` copy of the object in an annotation, and the managedFields the API server adds
 * itself), created through the API with bounded concurrency, then given a status as an ingress
 * controller would.
 */
import { readFileSync } from "node:fs";
import * as https from "node:https";
import type { RigCluster } from "../../rig/cluster";
import { rng } from "./rng";

export interface IngressLoadOptions {
  readonly zone: string;
  /** Ingresses 0..count-1 exist afterwards. */
  readonly count: number;
  /** Create only from this index on (the ones before exist already). @default 0 */
  readonly startAt?: number;
  /** Namespaces to spread the objects over. @default 20 */
  readonly namespaces?: number;
  /** Status IPs of Ingress i. @default none (empty status) */
  readonly statusIps?: (i: number) => readonly string[];
  /** Requests in flight. @default 16 */
  readonly concurrency?: number;
  readonly seed?: number;
}

export function namespaceOf(i: number, namespaces = 20): string {
  return `load-${i % namespaces}`;
}

export function ingressName(i: number): string {
  return `app-${i}`;
}

/** The hostname(s) of Ingress i: the first is always `app-<i>.<zone>`. */
export function ingressHosts(i: number, zone: string): string[] {
  return i % 4 === 0 ? [`app-${i}.${zone}`, `app-${i}-api.${zone}`] : [`app-${i}.${zone}`];
}

/** One Ingress as a Helm chart would apply it: about 3-5 KB before the API server adds managedFields. */
export function realisticIngress(i: number, zone: string, namespaces = 20, seed = 1): Record<string, unknown> {
  const r = rng(seed * 100_003 + i);
  const ns = namespaceOf(i, namespaces);
  const name = ingressName(i);
  const hosts = ingressHosts(i, zone);
  const paths = 3 + Math.floor(r() * 5);
  const rules = hosts.map((host) => ({
    host,
    http: {
      paths: Array.from({ length: paths }, (_, p) => ({
        path: p === 0 ? "/" : `/${["api", "static", "auth", "v1", "v2", "graphql", "ws", "metrics"][p % 8]}/${p}`,
        pathType: p === 0 ? "Prefix" : "ImplementationSpecific",
        backend: { service: { name: `${name}-svc-${p % 3}`, port: { number: 8080 + (p % 3) } } },
      })),
    },
  }));
  const labels = {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": `${name}-release`,
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/version": `1.${i % 17}.${i % 5}`,
    "helm.sh/chart": `webapp-2.${i % 9}.0`,
    team: `team-${i % 13}`,
  };
  const spec = { ingressClassName: "nginx", tls: [{ hosts, secretName: `${name}-tls` }], rules };
  const annotations: Record<string, string> = {
    "meta.helm.sh/release-name": `${name}-release`,
    "meta.helm.sh/release-namespace": ns,
    "nginx.ingress.kubernetes.io/proxy-body-size": "64m",
    "nginx.ingress.kubernetes.io/proxy-read-timeout": "120",
    "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    "cert-manager.io/cluster-issuer": "internal-ca",
  };
  const applied = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { annotations: { ...annotations }, labels, name, namespace: ns }, spec };
  annotations["kubectl.kubernetes.io/last-applied-configuration"] = `${JSON.stringify(applied)}\n`;
  return { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name, namespace: ns, labels, annotations }, spec };
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

function keepAliveRequest(cluster: RigCluster, agent: https.Agent) {
  const ca = cluster.caPem;
  const { adminCert, adminKey } = cluster.pki;
  const cert = readFileSync(adminCert);
  const key = readFileSync(adminKey);
  return (method: string, path: string, body: unknown, contentType = "application/json"): Promise<number> =>
    new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = https.request({ host: "127.0.0.1", port: cluster.port, path, method, agent, ca, cert, key,
        headers: { "Content-Type": contentType, "Content-Length": Buffer.byteLength(data), Accept: "application/json" } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += String(c)));
        res.on("end", () => (res.statusCode !== undefined && res.statusCode < 300 ? resolve(res.statusCode) : reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`))));
      });
      req.on("error", reject);
      req.end(data);
    });
}

export interface LoadResult {
  readonly created: number;
  readonly seconds: number;
  /** Mean bytes per Ingress as the API server returns it (managedFields included), from a sample. */
  readonly meanStoredBytes: number;
}

/** Creates `count` Ingresses (and their statuses) through the API server. */
export async function loadIngresses(cluster: RigCluster, opts: IngressLoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const namespaces = opts.namespaces ?? 20;
  const agent = new https.Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 16 });
  const call = keepAliveRequest(cluster, agent);
  try {
    for (let n = 0; n < namespaces; n++) {
      const r = await cluster.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: namespaceOf(n, namespaces) } });
      if (r.status !== 201 && r.status !== 409) throw new Error(`namespace: ${r.status} ${r.body}`);
    }
    const from = opts.startAt ?? 0;
    const ids = Array.from({ length: opts.count - from }, (_, k) => from + k);
    await pool(ids, opts.concurrency ?? 16, async (i) => {
      const ns = namespaceOf(i, namespaces);
      await call("POST", `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses?fieldManager=helm`, realisticIngress(i, opts.zone, namespaces, opts.seed ?? 1));
      const ips = opts.statusIps?.(i) ?? [];
      if (ips.length > 0) {
        await call("PATCH", `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${ingressName(i)}/status?fieldManager=nginx-ingress-controller`,
          { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } }, "application/merge-patch+json");
      }
    });
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  let bytes = 0;
  const sample = Math.min(opts.count, 50);
  for (let k = 0; k < sample; k++) {
    const i = Math.floor((k * opts.count) / sample);
    const r = await cluster.call("GET", `/apis/networking.k8s.io/v1/namespaces/${namespaceOf(i, namespaces)}/ingresses/${ingressName(i)}`);
    bytes += Buffer.byteLength(r.body);
  }
  return { created: opts.count - (opts.startAt ?? 0), seconds, meanStoredBytes: bytes / sample };
}
