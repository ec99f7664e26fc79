/**
 * The data that flows between the sidecar's layers, external-dns style:
 *
 *   source (informers -> entriesFromIngress, node health)  ->  plan (pure)  ->  sink (hosts file)
 *
 * The plan hands the sink a complete `HostsData` each time; the sink renders it
 * with `renderHostsFile()` and writes it atomically. Everything here is plain
 * data so each layer can be tested alone.
 */

/** What the source extracted from one object (an Ingress, a LoadBalancer Service, an HTTPRoute). */
export interface SourceEntry {
  /** Lowercase, no trailing dot, inside one of the configured zones; `*.<base>` for a wildcard host. */
  readonly hostname: string;
  /** IPv4 targets from the object's status (or the fallback nodes when the status is empty). */
  readonly targets: readonly string[];
  /** "Ingress/namespace/name": for logs, metrics and the conflict rule. */
  readonly owner: string;
  /**
   * The object is served by the configured ingress controller (an Ingress of its class): a target
   * IP that a known node owns is served only while a Ready controller pod runs on that node.
   * @default false
   */
  readonly viaController?: boolean;
}

/** A node as the source sees it. */
export interface NodeState {
  readonly name: string;
  /** InternalIP / ExternalIP addresses (IPv4 only). */
  readonly addresses: readonly string[];
  /** Ready, not cordoned, not being deleted. */
  readonly healthy: boolean;
  /** Carries the fallback label (a candidate target when an Ingress has no status). */
  readonly fallback: boolean;
  /** Carries `node-role.kubernetes.io/control-plane` ("true" or ""): listed as `control-plane.nodes.<zone>`. */
  readonly controlPlane: boolean;
  /**
   * A pod of the configured ingress controller is scheduled here (any state) and the node is not
   * a cDNS node: a candidate target of the controller's Ingresses with an empty status.
   * Undefined when no controller is configured.
   */
  readonly controllerPod?: boolean;
  /** One of the controller's pods here is Ready and not terminating. Undefined when no controller is configured. */
  readonly controllerReady?: boolean;
  /** Addresses of this node the active data-path check reports down (see source/nodeCheck.ts). @default [] */
  readonly checkFailed?: readonly string[];
}

/** The complete desired content of the hosts data, as the plan computed it. */
export interface HostsData {
  /** Zones in config order; the canonical per-node names live in the first. */
  readonly zones: readonly string[];
  /** hostname -> IPv4 targets (non-empty, deduplicated). Hostnames are lowercase and in a zone. */
  readonly records: ReadonlyMap<string, readonly string[]>;
  /** Healthy target-node IPs, served as `nodes.<zone>` for every zone (HAProxy follows it). */
  readonly nodeIps: readonly string[];
  /**
   * Healthy control-plane node IPs, served as `control-plane.nodes.<zone>` for
   * every zone (HAProxy's kube API backend follows it). @default [] (the plan always sets it)
   */
  readonly controlPlaneIps?: readonly string[];
  /**
   * Wildcard names (`*.sub.zone`, lowercase, base in a zone) -> IPv4 targets, planned like any
   * name. Not written to the hosts files (they hold exact names only): the sidecar's DNS
   * responder answers them (responder/). @default none
   */
  readonly wildcards?: ReadonlyMap<string, readonly string[]>;
}

/** Why an object or a hostname was not served; the label of the `ignored` metric. */
export type IgnoreReason =
  | "outside_zones"
  | "invalid_hostname"
  | "reserved_name"
  | "wildcard_unsupported"
  | "no_targets"
  | "non_ipv4_target"
  | "too_many_targets"
  | "filtered_class"
  | "filtered_namespace"
  | "opted_out"
  | "malformed_object";

/**
 * Where the hosts data goes: the sink's contract, as the controller uses it. The real one is the
 * atomic writer in sink/ (its write() resolves with a WriteResult the controller does not need);
 * tests and the benchmark record or time the writes.
 */
export interface HostsSink {
  /** Resolves once written; `held`: only part was written, waiting for dnsmasq (write again soon). */
  write(data: HostsData): Promise<SinkOutcome | void>;
}

/** What a write tells the controller (for its log; only `held` changes what it does). */
export interface SinkOutcome {
  readonly held?: boolean;
  /** Files replaced. */
  readonly written?: readonly string[];
  /** ms spent rendering, and waiting for dnsmasq to re-read each file (the barrier). */
  readonly renderMs?: number;
  readonly appliedMs?: number;
}
