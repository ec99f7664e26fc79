/** What every entriesFrom*() function gets besides the object, and what it returns. */
import type { IgnoreReason, NodeState, SourceEntry } from "../model";
import type { SelectorRequirement } from "../../../lib/k8s/labelSelector";

export interface SourceContext {
  /** Zones served, lowercase, no trailing dot. */
  readonly zones: readonly string[];
  /** Current nodes; the `fallback` ones are the targets of objects with an empty status. */
  readonly nodes: readonly NodeState[];
  /** Only this ingress class; undefined = every class (and Ingresses without one). */
  readonly ingressClass?: string;
  /** Only these namespaces; empty = all. */
  readonly namespaces: readonly string[];
  /** Objects this label selector matches are skipped (`opted_out`). */
  readonly optOut?: readonly SelectorRequirement[];
  /**
   * Most targets one object may contribute (a sanity bound, MAX_OBJECT_TARGETS in the sidecar);
   * how many a name serves is the plan's per-name subset.
   */
  readonly maxTargets: number;
  /**
   * IngressClass names the configured ingress controller serves (`*` alone: every Ingress);
   * undefined when no controller is configured. Its Ingresses' entries are `viaController`, and
   * with an empty status they target the nodes running a controller pod instead of the fallback nodes.
   */
  readonly controllerClasses?: readonly string[];
  /** Wildcard hosts (`*.sub.zone`) give entries (the DNS responder answers them). @default false: `wildcard_unsupported` */
  readonly wildcards?: boolean;
}

/** One thing not served. `host` is "" when the whole object (or all its targets) is concerned. */
export interface Ignored {
  readonly owner: string;
  readonly host: string;
  readonly reason: IgnoreReason;
  readonly detail: string;
}

export interface SourceResult {
  readonly entries: SourceEntry[];
  readonly ignored: Ignored[];
}
