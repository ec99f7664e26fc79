/**
 * Prometheus text exposition (format 0.0.4), hand-written: a few counters,
 * gauges and one histogram do not justify a dependency in the image.
 */
type Labels = Readonly<Record<string, string>>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(",")}}`;
}

function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isNaN(v) ? "NaN" : String(v);
}

interface Metric {
  render(): string[];
}

class LabelledValues {
  protected readonly values = new Map<string, { labels: Labels; value: number }>();
  protected slot(labels: Labels) {
    const key = labelText(labels);
    let s = this.values.get(key);
    if (s === undefined) this.values.set(key, (s = { labels, value: 0 }));
    return s;
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  /** Removes one labelled series (a node that is no longer checked). */
  delete(labels: Labels): void {
    this.values.delete(labelText(labels));
  }
}

export class Counter extends LabelledValues implements Metric {
  /** `labelled` false: the single series exists from the start, so it reads 0 rather than being absent. */
  constructor(readonly name: string, readonly help: string, labelled = false) {
    super();
    if (!labelled) this.slot({});
  }
  inc(labels: Labels = {}, by = 1): void {
    this.slot(labels).value += by;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, s] of this.values) lines.push(`${this.name}${key} ${num(s.value)}`);
    return lines;
  }
}

export class Gauge extends LabelledValues implements Metric {
  /** `labelled` false: the single series exists from the start, so it reads 0 rather than being absent. */
  constructor(readonly name: string, readonly help: string, labelled = false) {
    super();
    if (!labelled) this.slot({});
  }
  set(value: number, labels: Labels = {}): void {
    this.slot(labels).value = value;
  }
  /** Replaces every labelled value at once (labels absent from `values` go to 0, so they stay visible). */
  setAll(values: ReadonlyMap<string, number>, labelName: string): void {
    for (const s of this.values.values()) s.value = 0;
    for (const [v, n] of values) this.set(n, { [labelName]: v });
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [key, s] of this.values) lines.push(`${this.name}${key} ${num(s.value)}`);
    return lines;
  }
}

export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
    });
  }
  get total(): number {
    return this.count;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${num(b)}"} ${this.counts[i] ?? 0}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${num(this.sum)}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

/** Every metric the sidecar exports. */
export class SidecarMetrics {
  readonly namesServed = new Gauge("cdns_sidecar_names_served", "Hostnames currently in the hosts data.");
  readonly recordsServed = new Gauge("cdns_sidecar_records_served", "A records (hostname, IP pairs) currently in the hosts data.");
  readonly nodeIpsServed = new Gauge("cdns_sidecar_node_ips_served", "Healthy node IPs served as nodes.<zone>.");
  readonly ignored = new Gauge("cdns_sidecar_ignored_objects", "Objects or hostnames currently not served, by reason.", true);
  readonly heldNames = new Gauge("cdns_sidecar_held_names", "Names whose targets are all unhealthy, served by the all-dropped rule.");
  readonly lastSync = new Gauge("cdns_sidecar_last_sync_timestamp_seconds", "Unix time of the last reconcile with every watch up and the hosts data written or already current.");
  readonly watchUp = new Gauge("cdns_sidecar_watch_up", "1 when the watch of this kind is running, 0 while it is down.", true);
  readonly watchRestarts = new Counter("cdns_sidecar_watch_restarts_total", "Watch restarts after an error, by kind.", true);
  readonly listPages = new Counter("cdns_sidecar_list_pages_total", "List pages read from the API server, by kind (a streamed list counts as one page).", true);
  readonly relists = new Counter("cdns_sidecar_relists_total", "Full relists after a 410 Gone (resourceVersion too old), by kind.", true);
  readonly reconciles = new Counter("cdns_sidecar_reconciles_total", "Reconciles run.");
  readonly writes = new Counter("cdns_sidecar_writes_total", "Successful hosts data writes.");
  readonly writesSkipped = new Counter("cdns_sidecar_writes_skipped_total", "Reconciles that found the hosts data unchanged.");
  readonly writeErrors = new Counter("cdns_sidecar_write_errors_total", "Failed hosts data writes.");
  readonly controllerReadyNodes = new Gauge("cdns_sidecar_controller_ready_nodes", "Nodes running a Ready pod of the configured ingress controller.");
  readonly nodeCheckUp = new Gauge("cdns_sidecar_node_check_up", "Data-path check of a target node IP: 1 up, 0 down (every ingress port must accept a TCP connection; rise/fall counts apply).", true);
  readonly nodeChecks = new Counter("cdns_sidecar_node_checks_total", "Data-path checks of one node IP (all its ports), by result.", true);
  readonly nodeCheckPassIntervals = new Gauge("cdns_sidecar_node_check_pass_intervals", "Check intervals the last pass over every target took (1 when all fit in one interval).");
  readonly wildcardsServed = new Gauge("cdns_sidecar_wildcards_served", "Wildcard hosts (*.sub.zone) the DNS responder answers.");
  readonly stagedNames = new Gauge("cdns_sidecar_staged_names", "Exact names under a wildcard held out of the hosts files while dnsmasq may still cache a wildcard answer for them (the responder answers them meanwhile).");
  readonly responderQueries = new Counter("cdns_sidecar_responder_queries_total", "Queries the DNS responder answered (what dnsmasq forwarded), by rcode and by what answered (exact, wildcard, soa, negative, refused, not_ready, formerr, notimp).", true);
  readonly responderUncached = new Counter("cdns_sidecar_responder_uncacheable_total", "Responder answers sent with TTL 0 (or NODATA without SOA) because dnsmasq was handed half its cache-size within one TTL: a flood of distinct names under a wildcard.");
  readonly writeSeconds = new Histogram("cdns_sidecar_write_duration_seconds", "Time to write the hosts data.", [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  ]);

  render(): string {
    const all: Metric[] = [
      this.namesServed, this.recordsServed, this.nodeIpsServed, this.ignored, this.heldNames, this.lastSync,
      this.watchUp, this.watchRestarts, this.listPages, this.relists, this.reconciles, this.writes, this.writesSkipped, this.writeErrors, this.writeSeconds,
      this.controllerReadyNodes, this.nodeCheckUp, this.nodeChecks, this.nodeCheckPassIntervals,
      this.wildcardsServed, this.stagedNames, this.responderQueries, this.responderUncached,
    ];
    return all.flatMap((m) => m.render()).join("\n") + "\n";
  }
}
