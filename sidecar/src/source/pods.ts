/**
 * Ingress controller pods -> where the controller runs and where it is Ready. Pure; never throws.
 *
 * The sidecar watches only the configured controller's pods (its namespace and label selector,
 * see informers.ts). A pod counts for the node in `spec.nodeName`:
 * - scheduled there at all (any phase, Ready or not, terminating or not): the node is a
 *   candidate target of the controller's Ingresses with an empty status (store.ts);
 * - Ready: its Ready condition is "True", it is not being deleted (metadata.deletionTimestamp:
 *   the kubelet is stopping it and kube-proxy already took it out of Services) and its phase is
 *   Running. Only then does the plan keep the node's IPs for the controller's names.
 * A pod not scheduled yet (no nodeName) counts for no node.
 */
import { isObj, readMeta, str } from "./objects";

export interface ControllerPodState {
  /** spec.nodeName. */
  readonly node: string;
  readonly ready: boolean;
}

export type ControllerPodRead =
  | { readonly kind: "malformed" }
  | { readonly kind: "unscheduled" }
  | { readonly kind: "scheduled"; readonly state: ControllerPodState };

export function controllerPodState(pod: unknown): ControllerPodRead {
  const meta = readMeta(pod);
  if (meta === undefined || !isObj(pod)) return { kind: "malformed" };
  const spec = isObj(pod.spec) ? pod.spec : {};
  const node = str(spec.nodeName);
  if (node === undefined || node === "") return { kind: "unscheduled" };
  const status = isObj(pod.status) ? pod.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const readyCondition = conditions.some((c) => isObj(c) && c.type === "Ready" && c.status === "True");
  return { kind: "scheduled", state: { node, ready: readyCondition && !meta.deleting && status.phase === "Running" } };
}
