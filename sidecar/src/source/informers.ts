/**
 * The sidecar's watches on a real API server: one Reflector (reflector.ts) per watched kind,
 * feeding the SourceStore. With main.ts, the only module that talks to an API server.
 *
 * Watched: networking.k8s.io/v1 Ingresses and core/v1 Nodes always; core/v1 Services and
 * gateway.networking.k8s.io/v1 HTTPRoutes and Gateways when enabled; the configured ingress
 * controller's core/v1 Pods, in its namespace and by its label selector only (what a namespaced
 * Role allows, and no other pod reaches the sidecar). An enabled kind whose API is
 * not served (the Gateway API CRDs not installed) is a failing watch like any other: retried with
 * backoff, named by /readyz, and picked up as soon as the CRDs appear, without a restart.
 */
import type { WatchSource } from "../watch";
import { decodeIngress } from "./ingressProto";
import { Reflector, type ReflectorObserver, type ReflectorOptions } from "./reflector";
import type { SourceStore } from "./store";
import type { KubeTransport } from "./transport";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

/**
 * Sources the first write does not wait for beyond a short grace (Controller): a missing or
 * forbidden optional API must not leave every Ingress name unserved. Ingresses, Nodes and the
 * ingress controller's Pods decide which answers are right, so they are always waited for.
 */
export const OPTIONAL_KINDS: ReadonlySet<string> = new Set(["Service", "HTTPRoute", "Gateway"]);

export interface KubeWatchOptions {
  readonly enableServices: boolean;
  readonly enableHttpRoutes: boolean;
  /** The ingress controller's pods to watch. @default undefined (none) */
  readonly controllerPods?: { readonly namespace: string; readonly labelSelector: string };
  /** Passed to every reflector (timeouts, page size). @default the reflector's defaults */
  readonly reflector?: Partial<Pick<ReflectorOptions, "pageSize" | "watchTimeoutSeconds" | "watchGraceMs" | "requestTimeoutMs">>;
}

/**
 * Kinds listed in pages even where the API server streams lists: the Gateway API's, which come
 * and go with their CRDs. With streamed lists the rig test that deletes those CRDs under a
 * running sidecar failed 2 times in 7 (a CRD not gone within 30 s, once; the absent-CRD case,
 * once) and I did not find why; they are few objects, so paging costs nothing that matters.
 */
const PAGED_KINDS: ReadonlySet<string> = new Set(["HTTPRoute", "Gateway"]);

/**
 * Kinds watched in the API server's protobuf encoding: the one there are thousands of. The
 * others are few (Nodes, the controller's Pods) or have no protobuf (CRDs).
 */
const PROTOBUF_DECODERS: Readonly<Partial<Record<string, ReflectorOptions["protobuf"]>>> = { Ingress: decodeIngress };

export function createKubeWatches(transport: KubeTransport, store: SourceStore, opts: KubeWatchOptions, observer?: ReflectorObserver): WatchSource[] {
  const make = (kind: ReflectorOptions["kind"], path: string, query?: Record<string, string>) =>
    new Reflector(
      {
        kind, path, optional: OPTIONAL_KINDS.has(kind),
        ...(PAGED_KINDS.has(kind) ? { watchList: false } : {}),
        ...(PROTOBUF_DECODERS[kind] === undefined ? {} : { protobuf: PROTOBUF_DECODERS[kind] }),
        ...(query === undefined ? {} : { query }), ...(opts.reflector ?? {}),
      },
      transport, store, observer,
    );
  const watches: WatchSource[] = [make("Ingress", "/apis/networking.k8s.io/v1/ingresses"), make("Node", "/api/v1/nodes")];
  if (opts.enableServices) watches.push(make("Service", "/api/v1/services"));
  if (opts.enableHttpRoutes) {
    watches.push(make("HTTPRoute", `/apis/${GATEWAY_GROUP}/v1/httproutes`));
    watches.push(make("Gateway", `/apis/${GATEWAY_GROUP}/v1/gateways`));
  }
  if (opts.controllerPods !== undefined) {
    const { namespace, labelSelector } = opts.controllerPods;
    watches.push(make("Pod", `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, { labelSelector }));
  }
  return watches;
}
