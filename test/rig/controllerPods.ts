/**
 * An ingress controller on the rig, as RKE2 runs ingress-nginx: a hostPort DaemonSet in
 * kube-system with the rke2-ingress-nginx preset's pod labels, its pods run by kwok, and the
 * chart's Role for the sidecar to watch them. Used by test/rig/ingressController.test.ts and
 * the benchmark.
 *
 * kwok makes a new pod Ready (its pod-ready stage matches only Pending pods); a Running pod's
 * Ready condition patched through the status subresource, as a kubelet does when a readiness
 * probe fails, stays as patched: that is how one pod is made NotReady and Ready again.
 */
import { synthCdnsChart } from "../../lib/chart/cdnsChart";
import { INGRESS_CONTROLLER_PRESETS } from "../../lib/k8s/ingressControllers";
import type { RigCluster } from "../../rig/cluster";

export const PRESET = INGRESS_CONTROLLER_PRESETS["rke2-ingress-nginx"];
export const NS = PRESET.namespace;
export const POD_LABELS = { "app.kubernetes.io/name": "rke2-ingress-nginx", "app.kubernetes.io/instance": "rke2-ingress-nginx", "app.kubernetes.io/component": "controller" };
export const INGRESS_NODE = { "ingress-ready": "true" };

/** The chart's Role and RoleBinding for the controller's pods, as synthesized with the prop. */
export function controllerRbac(zone: string): Record<string, unknown>[] {
  const objs = synthCdnsChart({ zones: [zone], nodes: [{ index: 0, ip: "10.0.0.2" }], sidecarImage: "localhost/cdns-sidecar:test", dnsmasqImage: "localhost/cdns-dnsmasq:test", ingressController: PRESET }).objs;
  return objs.filter((o) => o.kind === "Role" || o.kind === "RoleBinding");
}

/** The controller as RKE2 runs it: a DaemonSet with hostPorts; it tolerates every taint, so it lands on the cDNS node too. */
export function controllerDaemonSet(): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "rke2-ingress-nginx-controller", namespace: NS, labels: POD_LABELS },
    spec: {
      selector: { matchLabels: POD_LABELS },
      template: {
        metadata: { labels: POD_LABELS },
        spec: {
          nodeSelector: INGRESS_NODE,
          tolerations: [{ operator: "Exists" }],
          containers: [{ name: "rke2-ingress-nginx-controller", image: "rancher/nginx-ingress-controller:v1.14.5-hardened1", ports: [{ containerPort: 80, hostPort: 80 }, { containerPort: 443, hostPort: 443 }] }],
        },
      },
    },
  };
}

export interface PodInfo {
  readonly name: string;
  readonly node: string;
  readonly ready: boolean;
}

export async function controllerPods(cluster: RigCluster): Promise<PodInfo[]> {
  const sel = encodeURIComponent(PRESET.podSelector);
  const r = await cluster.call("GET", `/api/v1/namespaces/${NS}/pods?labelSelector=${sel}`);
  const items = r.json<{ items: Array<{ metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { conditions?: Array<{ type: string; status: string }> } }> }>().items;
  return items.map((p) => ({
    name: p.metadata.name,
    node: p.spec.nodeName ?? "",
    ready: p.metadata.deletionTimestamp === undefined && p.status.conditions?.find((c) => c.type === "Ready")?.status === "True",
  }));
}

export async function waitPods(cluster: RigCluster, want: (pods: PodInfo[]) => boolean, what: string, timeoutMs = 30_000): Promise<PodInfo[]> {
  const end = Date.now() + timeoutMs;
  let last: PodInfo[] = [];
  while (Date.now() < end) {
    last = await controllerPods(cluster);
    if (want(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`controller pods: ${what} not reached within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** What a kubelet does when the readiness probe fails (or passes again). */
export async function setPodReady(cluster: RigCluster, pod: string, ready: boolean): Promise<void> {
  const status = ready ? "True" : "False";
  await cluster.call("PATCH", `/api/v1/namespaces/${NS}/pods/${pod}/status`, {
    status: { conditions: [{ type: "Ready", status }, { type: "ContainersReady", status }] },
  }, "application/strategic-merge-patch+json");
}
