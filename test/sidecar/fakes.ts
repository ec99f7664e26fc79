/** Test doubles for the sidecar: a hand-driven clock, a recording sink, object builders. */
import type { Clock, TimerHandle } from "../../sidecar/src/clock";
import type { HostsSink } from "../../sidecar/src/model";
import type { HostsData } from "../../sidecar/src/model";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t = 1_700_000_000_000;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Moves time forward, running due timers in order (and timers they schedule). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = due.at;
      due.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
}

/** Lets promise callbacks and queued microtasks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

export class RecordingSink implements HostsSink {
  readonly writes: Array<{ at: number; data: HostsData }> = [];
  /** The next N writes reject. */
  failNext = 0;
  /** The next N writes report `held` (only part written, as the writer's fresh-start hold does). */
  holdNext = 0;
  constructor(private readonly now: () => number = () => performance.now()) {}
  async write(data: HostsData): Promise<{ held: boolean }> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("disk full (simulated)");
    }
    this.writes.push({ at: this.now(), data });
    if (this.holdNext > 0) {
      this.holdNext--;
      return { held: true };
    }
    return { held: false };
  }
  get last(): HostsData | undefined {
    return this.writes.at(-1)?.data;
  }
}

export function ingress(
  ns: string,
  name: string,
  hosts: readonly unknown[],
  ips: readonly unknown[] = [],
  extra: { labels?: Record<string, string>; annotations?: Record<string, string>; className?: string } = {},
): Record<string, unknown> {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { namespace: ns, name, labels: extra.labels, annotations: extra.annotations },
    spec: { ingressClassName: extra.className, rules: hosts.map((host) => ({ host })) },
    status: { loadBalancer: { ingress: ips.map((ip) => (typeof ip === "string" ? { ip } : ip)) } },
  };
}

export function node(
  name: string,
  ip: string,
  opts: { ready?: boolean; cordoned?: boolean; deleting?: boolean; labels?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    kind: "Node",
    metadata: {
      name,
      labels: opts.labels ?? { "node-role.kubernetes.io/worker": "true" },
      ...(opts.deleting === true ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    spec: { unschedulable: opts.cordoned === true ? true : undefined },
    status: {
      conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }],
      addresses: [
        { type: "InternalIP", address: ip },
        { type: "Hostname", address: name },
      ],
    },
  };
}

/** An ingress controller pod as the API server returns it (kube-system, the rke2-ingress-nginx labels). */
export function pod(
  name: string,
  nodeName: string | undefined,
  opts: { ready?: boolean; deleting?: boolean; phase?: string; ns?: string } = {},
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: opts.ns ?? "kube-system",
      labels: { "app.kubernetes.io/name": "rke2-ingress-nginx", "app.kubernetes.io/component": "controller" },
      managedFields: [{ manager: "kubelet", fieldsV1: { "f:status": {} } }],
      ...(opts.deleting === true ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
    },
    spec: {
      ...(nodeName === undefined ? {} : { nodeName }),
      containers: [{ name: "controller", image: "rancher/nginx-ingress-controller:v1.14.5-hardened1", ports: [{ containerPort: 80, hostPort: 80 }] }],
    },
    status: {
      phase: opts.phase ?? "Running",
      conditions: [
        { type: "Initialized", status: "True" },
        { type: "Ready", status: opts.ready === false ? "False" : "True", lastTransitionTime: "2025-01-01T00:00:00Z" },
      ],
      containerStatuses: [{ name: "controller", ready: opts.ready !== false }],
    },
  };
}
