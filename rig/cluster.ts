/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok (which plays the kubelets of fake Nodes and runs their Pods), each
 * cluster in a fresh directory with its own certificates and etcd data. Ready in a few seconds
 * once the binaries are built (rig/binaries.ts).
 *
 * Measured pitfalls this module handles:
 * - kube-apiserver exits on 127.0.0.1 unless `--endpoint-reconciler-type=none`;
 * - the controller-manager dies on a forbidden extension-apiserver-authentication read when
 *   started before the API server's /readyz is 200: wait for it first;
 * - stop order: kwok, scheduler, controller-manager, API server, then etcd (etcd first hangs the
 *   API server's shutdown);
 * - kwok on old etcd data stalls pods on stale leases: every cluster gets fresh data;
 * - kwok reverts a direct status patch of a Node: NotReady is made with its
 *   `node-not-ready.stage.kwok.x-k8s.io=true` label (about 1.5 s; Ready again when it goes).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { stringify } from "yaml";
import { ensureBinaries, type BinaryPaths, type Log } from "./binaries";
import { makePki, type Pki } from "./pki";
import { freePort } from "./ports";
import { ManagedProcess, reapOrphans, removeRunRecord, writeRunRecord } from "./processes";

/** Annotation kwok manages nodes by (the rig starts kwok with this selector). */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
/** Label that makes kwok report a node NotReady while it is "true". */
export const KWOK_NOT_READY_LABEL = "node-not-ready.stage.kwok.x-k8s.io";
export const SERVICE_CIDR = "10.96.0.0/16";
export const SERVICE_IP = "10.96.0.1";
export const POD_CIDR = "10.244.0.0/16";

export interface ClusterOptions {
  /** Extra SANs on the API server certificate (IPs or DNS names). @default [] */
  readonly extraSans?: readonly string[];
  /** Progress lines. @default stderr with a "rig:" prefix */
  readonly log?: Log;
  /** Start the controller-manager, scheduler and kwok (pods, namespaces deletion, fake nodes). @default true */
  readonly workloads?: boolean;
  /** Fail instead of building missing binaries. @default false */
  readonly noBuild?: boolean;
  /** Extra kube-apiserver flags. @default [] */
  readonly apiServerArgs?: readonly string[];
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface FakeNodeSpec {
  readonly name: string;
  /** InternalIP of the node. */
  readonly ip: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
}

export interface ApiServerReplica {
  readonly port: number;
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
  json<T = unknown>(): T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, onTimeout: () => string = () => ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`rig: timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? "" : ` (last error: ${String(last)})`}\n${onTimeout()}`);
}

/** A one-context kubeconfig (rendered with the yaml package) for `server` and a user's credentials. */
function kubeconfig(server: string, caPem: string, user: Record<string, string>, namespace?: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "rig", cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: "user", user }],
    contexts: [{ name: "rig", context: { cluster: "rig", user: "user", ...(namespace === undefined ? {} : { namespace }) } }],
    "current-context": "rig",
  });
}

function adminKubeconfigYaml(server: string, pki: Pki): string {
  const b64 = (f: string) => readFileSync(f).toString("base64");
  return kubeconfig(server, readFileSync(pki.caCert, "utf8"), { "client-certificate-data": b64(pki.adminCert), "client-key-data": b64(pki.adminKey) });
}

/** A kubeconfig for a bearer token (a ServiceAccount's), against the same cluster. */
export function tokenKubeconfigYaml(server: string, caPem: string, token: string, namespace = "default"): string {
  return kubeconfig(server, caPem, { token }, namespace);
}

export class RigCluster {
  readonly server: string;
  readonly caPem: string;
  readonly kubeconfigPath: string;
  readonly etcdUrl: string;
  private apiserver: ManagedProcess | undefined;
  private etcd: ManagedProcess | undefined;
  private readonly others: ManagedProcess[] = [];
  private readonly ca: Buffer;
  private readonly cert: Buffer;
  private readonly key: Buffer;
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly etcdPort: number,
    readonly pki: Pki,
    readonly binaries: BinaryPaths,
    private readonly opts: ClusterOptions,
  ) {
    this.server = `https://127.0.0.1:${port}`;
    this.etcdUrl = `http://127.0.0.1:${etcdPort}`;
    this.ca = readFileSync(pki.caCert);
    this.caPem = this.ca.toString();
    this.cert = readFileSync(pki.adminCert);
    this.key = readFileSync(pki.adminKey);
    this.kubeconfigPath = join(dir, "admin.kubeconfig");
    writeFileSync(this.kubeconfigPath, adminKubeconfigYaml(this.server, pki), { mode: 0o600 });
  }

  /** Builds what is missing, starts every process, and resolves once pods can be created. */
  static async start(opts: ClusterOptions = {}): Promise<RigCluster> {
    const log = opts.log ?? ((line: string) => process.stderr.write(`rig: ${line}\n`));
    reapOrphans(log);
    const workloads = opts.workloads ?? true;
    const binaries = await ensureBinaries(workloads ? ["etcd", "kubernetes", "kwok"] : ["etcd", "kubernetes"], { log, noBuild: opts.noBuild });
    const dir = mkdtempSync(join(tmpdir(), "rig-cluster-"));
    const started = Date.now();
    const cluster = new RigCluster(dir, await freePort(), await freePort(), makePki(dir, opts.extraSans), binaries, opts);
    try {
      await cluster.startEtcd();
      await cluster.startApiServer();
      if (workloads) await cluster.startWorkloadControllers();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    log(`cluster up at ${cluster.server} in ${((Date.now() - started) / 1000).toFixed(1)} s (${dir})`);
    return cluster;
  }

  private record(): void {
    const procs = [this.etcd, this.apiserver, ...this.others].filter((p): p is ManagedProcess => p !== undefined && p.pid !== undefined);
    writeRunRecord(basename(this.dir), { owner: process.pid, dir: this.dir, pids: procs.map((p) => ({ pid: p.pid as number, bin: p.bin })) });
  }

  private spawn(name: string, bin: string, args: string[]): ManagedProcess {
    const p = new ManagedProcess(name, bin, args, join(this.dir, `${name}.log`));
    return p;
  }

  private async startEtcd(): Promise<void> {
    const peer = await freePort();
    const data = join(this.dir, "etcd");
    mkdirSync(data, { mode: 0o700 });
    this.etcd = this.spawn("etcd", this.binaries.etcd as string, [
      "--name=rig",
      `--data-dir=${data}`,
      `--listen-client-urls=${this.etcdUrl}`,
      `--advertise-client-urls=${this.etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=rig=http://127.0.0.1:${peer}`,
      // Test data: durability is not the point, and fsync on a busy disk slows every write.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    this.record();
    const etcd = this.etcd;
    await until("etcd /health", 20_000, async () => {
      if (etcd.exited()) throw new Error(`etcd exited:\n${etcd.output()}`);
      const r = await httpGet(`${this.etcdUrl}/health`);
      return r.status === 200 && r.body.includes('"true"') ? true : undefined;
    }, () => etcd.output());
  }

  private apiServerArgs(port: number): string[] {
    const p = this.pki;
    return [
      `--etcd-servers=${this.etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--tls-cert-file=${p.serverCert}`,
      `--tls-private-key-file=${p.serverKey}`,
      `--client-ca-file=${p.caCert}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${p.saPub}`,
      `--service-account-signing-key-file=${p.saKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      "--authorization-mode=RBAC",
      // Without it the API server exits when it cannot reconcile endpoints on 127.0.0.1.
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true",
      "--profiling=false",
      ...(this.opts.apiServerArgs ?? []),
    ];
  }

  /** Starts (or restarts, after stopApiServer) the API server and waits for /readyz. */
  async startApiServer(): Promise<void> {
    this.apiserver = this.spawn("kube-apiserver", this.binaries["kube-apiserver"] as string, this.apiServerArgs(this.port));
    this.record();
    await this.waitApiServer(this.apiserver, this.port);
  }

  private async waitApiServer(api: ManagedProcess, port: number): Promise<void> {
    await until(`kube-apiserver /readyz on port ${port}`, 60_000, async () => {
      if (api.exited()) throw new Error(`kube-apiserver exited:\n${api.output()}`);
      const r = await this.request("GET", "/readyz", undefined, undefined, 30_000, port);
      return r.status === 200 ? true : undefined;
    }, () => api.output().slice(-4000));
  }

  /**
   * A second API server on the same etcd (another port, same certificates): lets a test change
   * objects while the first one, which the system under test talks to, is stopped.
   */
  async startApiServerReplica(): Promise<ApiServerReplica> {
    const port = await freePort();
    const proc = this.spawn(`kube-apiserver-${port}`, this.binaries["kube-apiserver"] as string, this.apiServerArgs(port));
    this.others.push(proc);
    this.record();
    await this.waitApiServer(proc, port);
    return {
      port,
      request: (method, path, body, contentType) => this.request(method, path, body, contentType, 30_000, port),
      stop: async () => {
        await proc.stop();
        this.others.splice(this.others.indexOf(proc), 1);
      },
    };
  }

  /** Stops the API server (etcd and the rest keep running); startApiServer() brings it back on the same port. */
  async stopApiServer(): Promise<void> {
    await this.apiserver?.stop();
    this.apiserver = undefined;
  }

  /** SIGSTOP the API server: connections stay open but nothing answers (a half-open watch). */
  freezeApiServer(): void {
    this.apiserver?.freeze();
  }

  thawApiServer(): void {
    this.apiserver?.thaw();
  }

  private async startWorkloadControllers(): Promise<void> {
    const kubeconfig = this.kubeconfigPath;
    this.others.push(this.spawn("kube-controller-manager", this.binaries["kube-controller-manager"] as string, [
      `--kubeconfig=${kubeconfig}`,
      "--leader-elect=false",
      // No serving port: parallel clusters would fight over 10257.
      "--secure-port=0",
      `--root-ca-file=${this.pki.caCert}`,
      `--service-account-private-key-file=${this.pki.saKey}`,
      `--cluster-cidr=${POD_CIDR}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
    ]));
    this.others.push(this.spawn("kube-scheduler", this.binaries["kube-scheduler"] as string, [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--leader-elect=false",
      "--secure-port=0",
    ]));
    this.others.push(this.spawn("kwok", this.binaries.kwok as string, [
      `--kubeconfig=${kubeconfig}`,
      `--config=${this.binaries["stages.yaml"] as string}`,
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      // kwok renews the node leases, so the controller-manager never sees a stale node.
      "--node-lease-duration-seconds=40",
      `--cidr=${POD_CIDR}`,
      "--server-address=",
    ]));
    this.record();
    // Pods need the namespace's default ServiceAccount, which the controller-manager creates.
    await until("the default ServiceAccount", 30_000, async () => {
      for (const p of this.others) if (p.exited()) throw new Error(`${p.name} exited:\n${p.output().slice(-4000)}`);
      const r = await this.request("GET", "/api/v1/namespaces/default/serviceaccounts/default");
      return r.status === 200 ? true : undefined;
    });
  }

  /** One request as the admin; the body is sent as JSON unless a content type is given. */
  request(method: string, path: string, body?: unknown, contentType = "application/json", timeoutMs = 30_000, port = this.port): Promise<ApiResponse> {
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: "127.0.0.1", port, path, method, ca: this.ca, cert: this.cert, key: this.key, timeout: timeoutMs,
          headers: { Accept: "application/json", ...(data === undefined ? {} : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(data) }) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            resolve({ status: res.statusCode ?? 0, body: text, json: <T>() => JSON.parse(text) as T });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on("error", reject);
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  /** Like request(), but throws unless the status is 2xx. */
  async call(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse> {
    const r = await this.request(method, path, body, contentType);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.body.slice(0, 500)}`);
    return r;
  }

  /** Applies manifests (JSON objects) with server-side apply as the admin. */
  async apply(objs: readonly Record<string, unknown>[], fieldManager = "rig"): Promise<void> {
    for (const obj of objs) await this.call("PATCH", `${resourcePath(obj)}?fieldManager=${fieldManager}&force=true`, obj, "application/apply-patch+yaml");
  }

  /** A fake Node kwok runs: Ready within about a second, with the given InternalIP, labels and taints. */
  async createNode(spec: FakeNodeSpec): Promise<void> {
    await this.call("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: spec.name, annotations: { [KWOK_NODE_ANNOTATION]: "fake" }, labels: { "kubernetes.io/hostname": spec.name, ...(spec.labels ?? {}) } },
      spec: { taints: spec.taints ?? [] },
      status: {
        addresses: [{ type: "InternalIP", address: spec.ip }, { type: "Hostname", address: spec.name }],
        allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
        capacity: { cpu: "32", memory: "256Gi", pods: "110" },
      },
    });
  }

  /** Makes kwok report the node NotReady (true) or Ready again (false). */
  async setNodeNotReady(name: string, notReady: boolean): Promise<void> {
    await this.call("PATCH", `/api/v1/nodes/${name}`, { metadata: { labels: { [KWOK_NOT_READY_LABEL]: notReady ? "true" : null } } }, "application/merge-patch+json");
  }

  /** Resolves once the node's Ready condition is `ready`. */
  async waitNodeReady(name: string, ready: boolean, timeoutMs = 30_000): Promise<void> {
    await until(`node ${name} Ready=${ready}`, timeoutMs, async () => {
      const r = await this.request("GET", `/api/v1/nodes/${name}`);
      if (r.status !== 200) return undefined;
      const node = r.json<{ status?: { conditions?: { type: string; status: string }[] } }>();
      const cond = node.status?.conditions?.find((c) => c.type === "Ready");
      return (cond?.status === "True") === ready ? true : undefined;
    });
  }

  /** A ServiceAccount token from the TokenRequest API (what the kubelet projects into a pod). */
  async serviceAccountToken(namespace: string, name: string, expirationSeconds = 3600): Promise<string> {
    const r = await this.call("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds },
    });
    return r.json<{ status: { token: string } }>().status.token;
  }

  /** kubectl against this cluster as the admin. */
  kubectl(args: readonly string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(this.binaries.kubectl as string, [`--kubeconfig=${this.kubeconfigPath}`, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`kubectl ${args.join(" ")}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /** etcd's current revision, from its JSON gateway. */
  async etcdRevision(): Promise<number> {
    const r = await httpPost(`${this.etcdUrl}/v3/kv/range`, { key: Buffer.from("/").toString("base64") });
    return Number((JSON.parse(r.body) as { header: { revision: string } }).header.revision);
  }

  /** Compacts etcd up to its current revision: older resourceVersions now get 410 Gone. */
  async compactEtcd(): Promise<number> {
    const revision = await this.etcdRevision();
    const r = await httpPost(`${this.etcdUrl}/v3/kv/compaction`, { revision: String(revision), physical: true });
    if (r.status !== 200) throw new Error(`etcd compaction failed: HTTP ${r.status} ${r.body}`);
    return revision;
  }

  /** Process logs, for failure messages. */
  logs(): string {
    return [this.etcd, this.apiserver, ...this.others]
      .filter((p): p is ManagedProcess => p !== undefined)
      .map((p) => `--- ${p.name}\n${p.output().slice(-3000)}`)
      .join("\n");
  }

  /** Stops everything in the safe order and removes the cluster's directory. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of [...this.others].reverse()) await p.stop(3000);
    await this.apiserver?.stop(5000);
    await this.etcd?.stop(5000);
    removeRunRecord(basename(this.dir));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The REST path of an object (core and named groups, namespaced or not) for server-side apply. */
export function resourcePath(obj: Record<string, unknown>): string {
  const apiVersion = String(obj.apiVersion);
  const kind = String(obj.kind);
  const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  const plural = PLURALS[kind];
  if (plural === undefined) throw new Error(`rig: no REST path known for kind ${kind}`);
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = meta.namespace !== undefined && !CLUSTER_SCOPED.has(kind) ? `/namespaces/${meta.namespace}` : "";
  return `${base}${ns}/${plural}/${meta.name}`;
}

const PLURALS: Record<string, string> = {
  Namespace: "namespaces", Node: "nodes", Pod: "pods", Service: "services", ConfigMap: "configmaps", Secret: "secrets",
  ServiceAccount: "serviceaccounts", Deployment: "deployments", DaemonSet: "daemonsets", Ingress: "ingresses",
  IngressClass: "ingressclasses", ClusterRole: "clusterroles", ClusterRoleBinding: "clusterrolebindings", Role: "roles",
  RoleBinding: "rolebindings", PriorityClass: "priorityclasses", CustomResourceDefinition: "customresourcedefinitions",
  HTTPRoute: "httproutes", Gateway: "gateways", GatewayClass: "gatewayclasses",
};
const CLUSTER_SCOPED = new Set(["Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "CustomResourceDefinition", "IngressClass", "GatewayClass"]);

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return httpCall("GET", url);
}

function httpPost(url: string, body: unknown): Promise<{ status: number; body: string }> {
  return httpCall("POST", url, JSON.stringify(body));
}

function httpCall(method: string, url: string, data?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: 5000, headers: data === undefined ? {} : { "Content-Type": "application/json" } }, (res) => {
      let body = "";
      res.on("data", (c) => (body += String(c)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`${url}: timeout`)));
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

/** A random DNS-label-safe suffix for object names in tests. */
export function randomSuffix(): string {
  return randomBytes(3).toString("hex");
}

export function startCluster(opts: ClusterOptions = {}): Promise<RigCluster> {
  return RigCluster.start(opts);
}
