/**
 * Real list+watch through @kubernetes/client-node informers, adapted to the
 * controller's WatchSource. The only module (with main.ts) that talks to an
 * API server; everything it receives goes into the SourceStore.
 *
 * Watched: networking.k8s.io/v1 Ingresses and core/v1 Nodes always; core/v1
 * Services when enabled; gateway.networking.k8s.io/v1 HTTPRoutes and Gateways
 * when enabled AND discovery shows the group serves v1 (no CRD, no watch: a
 * watch on a missing resource would fail forever and fail /healthz).
 */
import {
  ADD,
  ApisApi,
  CoreV1Api,
  CustomObjectsApi,
  DELETE,
  ERROR,
  NetworkingV1Api,
  UPDATE,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCallback,
} from "@kubernetes/client-node";
import type { Logger } from "../log";
import type { WatchSource } from "../watch";
import type { SourceStore, WatchedKind } from "./store";

export const GATEWAY_GROUP = "gateway.networking.k8s.io";

export interface KubeWatchOptions {
  readonly enableServices: boolean;
  readonly enableHttpRoutes: boolean;
  readonly logger: Logger;
}

function adapt<T extends KubernetesObject>(kind: WatchedKind, informer: Informer<T>, store: SourceStore): WatchSource {
  const upsert = (obj: T) => store.upsert(kind, obj);
  informer.on(ADD, upsert);
  informer.on(UPDATE, upsert);
  informer.on(DELETE, (obj: T) => store.remove(kind, obj));
  return {
    name: kind,
    start: () => informer.start(),
    stop: () => informer.stop(),
    // The Informer interface types every callback as an object callback; the
    // ListWatch behind it calls error callbacks with the error.
    onError: (cb) => informer.on(ERROR, cb as unknown as ObjectCallback<T>),
  };
}

/** True when the API server serves `group` at `version` (API discovery, allowed to every authenticated user). */
export async function apiGroupServed(kc: KubeConfig, group: string, version: string): Promise<boolean> {
  const list = await kc.makeApiClient(ApisApi).getAPIVersions();
  return list.groups.some((g) => g.name === group && g.versions.some((v) => v.version === version));
}

export async function createKubeWatches(kc: KubeConfig, store: SourceStore, opts: KubeWatchOptions): Promise<WatchSource[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);
  const watches: WatchSource[] = [
    adapt("Ingress", makeInformer(kc, "/apis/networking.k8s.io/v1/ingresses", () => networking.listIngressForAllNamespaces()), store),
    adapt("Node", makeInformer(kc, "/api/v1/nodes", () => core.listNode()), store),
  ];
  if (opts.enableServices) {
    watches.push(adapt("Service", makeInformer(kc, "/api/v1/services", () => core.listServiceForAllNamespaces()), store));
  }
  if (opts.enableHttpRoutes) {
    let served = false;
    try {
      served = await apiGroupServed(kc, GATEWAY_GROUP, "v1");
    } catch (err) {
      opts.logger.warn("API discovery failed; HTTPRoutes not watched", { error: err instanceof Error ? err.message : String(err) });
    }
    if (served) {
      const custom = kc.makeApiClient(CustomObjectsApi);
      // listClusterCustomObject is typed `any`: the list of a CRD has no generated model.
      const list = (plural: string) => () =>
        custom.listClusterCustomObject({ group: GATEWAY_GROUP, version: "v1", plural }) as Promise<KubernetesListObject<KubernetesObject>>;
      watches.push(adapt("HTTPRoute", makeInformer(kc, `/apis/${GATEWAY_GROUP}/v1/httproutes`, list("httproutes")), store));
      watches.push(adapt("Gateway", makeInformer(kc, `/apis/${GATEWAY_GROUP}/v1/gateways`, list("gateways")), store));
    } else {
      opts.logger.warn("HTTPRoutes enabled but gateway.networking.k8s.io/v1 is not served; not watching them");
    }
  }
  return watches;
}
