/**
 * Ingresses from a real API server (kube-apiserver + etcd, the rig) read two ways at once: as
 * the sidecar reads them (a streamed list and watch in protobuf, ingressProto.ts) and in JSON,
 * trimmed (trim.ts). The two stores must be equal, for realistic Ingresses (managedFields, the
 * `kubectl apply` copy), one being deleted (deletionTimestamp), a rule without a host,
 * hostname-only status entries, and after changes and deletions arriving through the watch.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type RigCluster } from "../../rig/cluster";
import { decodeIngress } from "../../sidecar/src/source/ingressProto";
import { kubeconfigTarget } from "../../sidecar/src/source/kubeconfig";
import { Reflector } from "../../sidecar/src/source/reflector";
import type { WatchedKind } from "../../sidecar/src/source/store";
import { kubeTransport } from "../../sidecar/src/source/transport";
import { loadIngresses } from "../helpers/ingressLoad";

const ZONE = "apps.example.com";
const COUNT = 40;
const PATH = "/apis/networking.k8s.io/v1/ingresses";
const keyOf = (o: unknown) => {
  const m = (o as { metadata: { namespace: string; name: string } }).metadata;
  return `${m.namespace}/${m.name}`;
};

/** A reflector into a map, and the content types its watches got. */
function reflectorInto(cluster: RigCluster, protobuf: boolean) {
  const stored = new Map<string, unknown>();
  const contentTypes: string[] = [];
  const transport = kubeTransport(kubeconfigTarget(cluster.kubeconfigPath));
  const reflector = new Reflector(
    { kind: "Ingress", path: PATH, ...(protobuf ? { protobuf: decodeIngress } : {}) },
    {
      get: async (path, opts) => {
        const res = await transport.get(path, opts);
        contentTypes.push(String(res.headers["content-type"]));
        return res;
      },
    },
    { upsert: (_k: WatchedKind, o: unknown) => void stored.set(keyOf(o), o), remove: (_k: WatchedKind, o: unknown) => void stored.delete(keyOf(o)) },
  );
  const errors: unknown[] = [];
  reflector.onError((e) => errors.push(e));
  return { stored, contentTypes, reflector, errors };
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("Ingresses in protobuf from a real API server", () => {
  let cluster: RigCluster;
  before(async () => {
    cluster = await startCluster({ noBuild: true });
  });
  after(async () => {
    await cluster?.call("PATCH", "/apis/networking.k8s.io/v1/namespaces/load-0/ingresses/odd", { metadata: { finalizers: null } }, "application/merge-patch+json").catch(() => undefined);
    await cluster?.stop();
  });

  it("store exactly what their JSON gives after trimming, listed and then watched", async () => {
    await loadIngresses(cluster, { zone: ZONE, count: COUNT, statusIps: (i) => (i % 5 === 0 ? [] : [`10.0.0.${1 + (i % 3)}`, `10.0.1.${1 + (i % 7)}`]) });
    const odd = {
      apiVersion: "networking.k8s.io/v1", kind: "Ingress",
      metadata: { name: "odd", namespace: "load-0", finalizers: ["example.com/hold"], labels: { empty: "" }, annotations: { "kubernetes.io/ingress.class": "nginx" } },
      spec: { rules: [{ host: `odd.${ZONE}` }, { http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "s", port: { number: 80 } } } }] } }] },
    };
    await cluster.call("POST", "/apis/networking.k8s.io/v1/namespaces/load-0/ingresses", odd);
    await cluster.call("PATCH", "/apis/networking.k8s.io/v1/namespaces/load-0/ingresses/odd/status",
      { status: { loadBalancer: { ingress: [{ hostname: "lb.example.net" }, { ip: "10.0.0.9", ports: [{ port: 443, protocol: "TCP" }] }] } } }, "application/merge-patch+json");
    // Deleted but held by its finalizer: it keeps a deletionTimestamp.
    await cluster.call("DELETE", "/apis/networking.k8s.io/v1/namespaces/load-0/ingresses/odd");

    const pb = reflectorInto(cluster, true);
    const json = reflectorInto(cluster, false);
    await Promise.all([pb.reflector.start(), json.reflector.start()]);
    try {
      assert.equal(pb.reflector.streamsLists, true);
      assert.match(pb.contentTypes[0] ?? "", /^application\/vnd\.kubernetes\.protobuf;stream=watch/);
      assert.match(json.contentTypes[0] ?? "", /^application\/json/);
      assert.equal(pb.stored.size, COUNT + 1);
      const oddStored = pb.stored.get("load-0/odd") as { metadata: Record<string, unknown>; status: unknown };
      assert.ok(oddStored.metadata.deletionTimestamp !== undefined);
      assert.deepStrictEqual(oddStored.status, { loadBalancer: { ingress: [{ hostname: "lb.example.net" }, { ip: "10.0.0.9" }] } });
      assert.deepStrictEqual(pb.stored, json.stored);

      // Through the watch: a status change, a new Ingress, a deletion, and the held one let go.
      await cluster.call("PATCH", "/apis/networking.k8s.io/v1/namespaces/load-1/ingresses/app-1/status",
        { status: { loadBalancer: { ingress: [{ ip: "10.0.2.1" }] } } }, "application/merge-patch+json");
      await cluster.call("POST", "/apis/networking.k8s.io/v1/namespaces/load-0/ingresses",
        { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "late", namespace: "load-0" }, spec: { rules: [{ host: `late.${ZONE}` }] } });
      await cluster.call("DELETE", "/apis/networking.k8s.io/v1/namespaces/load-2/ingresses/app-2");
      await cluster.call("PATCH", "/apis/networking.k8s.io/v1/namespaces/load-0/ingresses/odd", { metadata: { finalizers: null } }, "application/merge-patch+json");
      const settled = (s: Map<string, unknown>) => s.has("load-0/late") && !s.has("load-0/odd") && !s.has("load-2/app-2")
        && JSON.stringify((s.get("load-1/app-1") as { status: unknown } | undefined)?.status) === JSON.stringify({ loadBalancer: { ingress: [{ ip: "10.0.2.1" }] } });
      await until("both stores see the changes", () => settled(pb.stored) && settled(json.stored));
      assert.deepStrictEqual(pb.stored, json.stored);
      assert.deepEqual([...pb.errors, ...json.errors], []);
    } finally {
      await pb.reflector.stop();
      await json.reflector.stop();
    }
  });
});
