/**
 * The sidecar against a real API server (the rig), with a real dnsmasq answering from the hosts
 * directory the sidecar writes: the production wiring (main.ts startWithTarget), run
 * in-process with a kubeconfig holding a token of the chart's own ServiceAccount, bound by the
 * chart's own ClusterRole.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { synthCdnsChart } from "../../lib/chart/cdnsChart";
import { DEFAULT_NAMESPACE } from "../../lib/config/defaults";
import { startCluster, tokenKubeconfigYaml, type FakeNodeSpec, type RigCluster } from "../../rig/cluster";
import type { RunningSidecar } from "../../sidecar/src/app";
import { createMemoryLogger } from "../../sidecar/src/log";

type MemoryLogger = ReturnType<typeof createMemoryLogger>;
import { startWithTarget } from "../../sidecar/src/main";
import { kubeconfigTarget, type KubeTarget } from "../../sidecar/src/source/kubeconfig";
import { validateSidecarSettings, type RawSettings } from "../../sidecar/src/settings";
import { query, type DnsAnswer } from "../helpers/dns";
import { startDnsmasq, type RunningDnsmasq } from "../helpers/dnsmasq";
import { freePort } from "../helpers/ports";

export const ZONE = "apps.rig.example.com";

/** The chart's Namespace, ServiceAccount, ClusterRole and binding, as synthesized. */
export function chartRbacObjects(sources: { services?: boolean; gatewayHttpRoutes?: boolean } = {}): Record<string, unknown>[] {
  const objs = synthCdnsChart({ zones: [ZONE], nodes: [{ index: 0, ip: "10.0.0.2" }], sidecarImage: "localhost/cdns-sidecar:test", dnsmasqImage: "localhost/cdns-dnsmasq:test", sources }).objs;
  return objs.filter((o) => ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"].includes(String(o.kind)));
}

export function ingressObject(namespace: string, name: string, hosts: readonly string[], extra: { className?: string; labels?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace, ...(extra.labels === undefined ? {} : { labels: extra.labels }) },
    spec: {
      ...(extra.className === undefined ? {} : { ingressClassName: extra.className }),
      rules: hosts.map((host) => ({ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } })),
    },
  };
}

export class SidecarRig {
  private constructor(
    readonly cluster: RigCluster,
    readonly dns: RunningDnsmasq,
    readonly logger: MemoryLogger,
    private sidecarRun: RunningSidecar | undefined,
    private readonly settingsRaw: RawSettings,
  ) {}

  /** `responder`: dnsmasq forwards the zone to the sidecar's DNS responder (the chart's forwarding mode: wildcard hosts). */
  static async start(opts: { cluster?: RigCluster; settings?: RawSettings; nodes?: readonly FakeNodeSpec[]; sources?: { services?: boolean; gatewayHttpRoutes?: boolean }; startSidecar?: boolean; responder?: boolean } = {}): Promise<SidecarRig> {
    const cluster = opts.cluster ?? (await startCluster({ noBuild: true }));
    let dns: RunningDnsmasq | undefined;
    try {
      await cluster.apply(chartRbacObjects(opts.sources));
      for (const n of opts.nodes ?? []) await cluster.createNode(n);
      const responderPort = opts.responder === true ? await freePort("127.0.0.1") : undefined;
      dns = await startDnsmasq({ zones: [ZONE], ttlSeconds: 0, ...(responderPort === undefined ? {} : { responderPort }) });
      const rig = new SidecarRig(cluster, dns, createMemoryLogger(), undefined, {
        zones: ZONE,
        ...(responderPort === undefined ? {} : { "responder-address": `127.0.0.1:${responderPort}`, "ttl-seconds": "0" }),
        "hosts-dir": dns.hostsDir,
        "debounce-ms": "50",
        "dnsmasq-address": `${dns.address}:${dns.port}`,
        "max-delay-ms": "250",
        ...(opts.settings ?? {}),
      });
      if (opts.startSidecar ?? true) await rig.startSidecar();
      return rig;
    } catch (err) {
      await dns?.stop();
      if (opts.cluster === undefined) await cluster.stop();
      throw err;
    }
  }

  get sidecar(): RunningSidecar {
    if (this.sidecarRun === undefined) throw new Error("sidecar not started");
    return this.sidecarRun;
  }

  /** A kubeconfig file holding a fresh token of the chart's ServiceAccount (TokenRequest), loaded as the sidecar loads --kubeconfig. */
  async serviceAccountTarget(): Promise<KubeTarget> {
    const token = await this.cluster.serviceAccountToken(DEFAULT_NAMESPACE, "cdns");
    const file = join(this.dns.dir, "sidecar.kubeconfig");
    writeFileSync(file, tokenKubeconfigYaml(this.cluster.server, this.cluster.caPem, token, DEFAULT_NAMESPACE), { mode: 0o600 });
    return kubeconfigTarget(file);
  }

  async startSidecar(extra: RawSettings = {}): Promise<RunningSidecar> {
    const result = validateSidecarSettings({ ...this.settingsRaw, ...extra });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    mkdirSync(this.dns.hostsDir, { recursive: true });
    // Port 0: a free port picked at listen time (the flag itself insists on a real port).
    this.sidecarRun = await startWithTarget({ ...result.settings, httpPort: 0 }, await this.serviceAccountTarget(), this.logger, "127.0.0.1");
    return this.sidecarRun;
  }

  async stopSidecar(): Promise<void> {
    await this.sidecarRun?.stop();
    this.sidecarRun = undefined;
  }

  async createIngress(namespace: string, name: string, hosts: readonly string[], statusIps: readonly string[] = [], extra: { className?: string } = {}): Promise<void> {
    await this.ensureNamespace(namespace);
    await this.cluster.call("POST", `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses`, ingressObject(namespace, name, hosts, extra));
    if (statusIps.length > 0) await this.setIngressStatus(namespace, name, statusIps);
  }

  /** What an ingress controller does: patch `.status.loadBalancer.ingress` through the status subresource. */
  async setIngressStatus(namespace: string, name: string, ips: readonly string[]): Promise<void> {
    await this.cluster.call("PATCH", `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${name}/status`,
      { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } }, "application/merge-patch+json");
  }

  private readonly namespaces = new Set<string>(["default"]);

  async ensureNamespace(namespace: string): Promise<void> {
    if (this.namespaces.has(namespace)) return;
    const r = await this.cluster.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    if (r.status !== 201 && r.status !== 409) throw new Error(`create namespace ${namespace}: ${r.status} ${r.body}`);
    this.namespaces.add(namespace);
  }

  async answer(name: string, tcp = false, type: "A" | "AAAA" = "A"): Promise<DnsAnswer> {
    return query(name, { server: this.dns.address, port: this.dns.port, tcp, timeoutMs: 1000, type });
  }

  /** Sorted A records of `name` ([] for NXDOMAIN or no data). */
  async addresses(name: string): Promise<string[]> {
    return [...(await this.answer(name)).addresses].sort();
  }

  /** Polls every 10 ms until the sorted addresses equal `want`; returns the ms it took. */
  async waitAddresses(name: string, want: readonly string[], timeoutMs = 5000): Promise<number> {
    const start = performance.now();
    const expected = [...want].sort().join(",");
    let last = "";
    while (performance.now() - start < timeoutMs) {
      try {
        last = (await this.addresses(name)).join(",");
        if (last === expected) return performance.now() - start;
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${name}: wanted [${expected}] within ${timeoutMs} ms, last [${last}]\nsidecar log:\n${this.logger.lines.slice(-15).map((l) => JSON.stringify(l)).join("\n")}`);
  }

  /**
   * Polls the sidecar's `path` every 100 ms until it answers `status` with a body matching `body`;
   * resolves with that body and the ms it took.
   */
  async waitHttp(path: string, status: number, body: RegExp = /./, timeoutMs = 20_000): Promise<{ body: string; ms: number }> {
    const start = performance.now();
    let last = { status: 0, body: "" };
    while (performance.now() - start < timeoutMs) {
      last = await this.http(path);
      if (last.status === status && body.test(last.body)) return { body: last.body, ms: performance.now() - start };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${path} did not become ${status} matching ${body} within ${timeoutMs} ms: ${last.status} ${last.body}`);
  }

  async http(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${this.sidecar.port}${path}`);
    return { status: res.status, body: await res.text() };
  }

  async stop(ownCluster = true): Promise<void> {
    await this.stopSidecar();
    await this.dns.stop();
    if (ownCluster) await this.cluster.stop();
  }
}

/** Worker labels as Rancher sets them. */
export const WORKER = { "node-role.kubernetes.io/worker": "true" };
export const CDNS_TAINTS = [
  { key: "purpose", value: "cdns", effect: "NoSchedule" as const },
  { key: "purpose", value: "cdns", effect: "NoExecute" as const },
];

export function hostsDirOf(rig: SidecarRig): string {
  return join(rig.dns.hostsDir);
}
