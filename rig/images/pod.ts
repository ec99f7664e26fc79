/**
 * A pod of a synthesized Deployment, run with podman the way the kubelet would run it.
 *
 * translatePod() is pure: manifest in, podman arguments and volume contents out. Every field of
 * the pod and its containers is either applied (securityContext, command/args, env, mounts,
 * volumes, limits, ports, probes, start order) or named as not applicable here (scheduling and
 * API-only fields); any other field throws, so nothing the chart adds is silently dropped.
 * PodRunner then plays the kubelet: volumes made like the kubelet makes them (emptyDir 0777,
 * ConfigMap and projected files read-only), init containers in order, a native sidecar's startup
 * probe awaited before the regular containers start, and probes run as the kubelet runs them
 * (exec inside the container, httpGet from outside against the pod's port).
 *
 * Not emulated: restarts (liveness failures, restartPolicy), probe scheduling, eviction on
 * emptyDir sizeLimit, cgroup QoS classes beyond limits and cpu shares.
 */
import { mkdirSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import * as http from "node:http";
import { join } from "node:path";
import type { Podman } from "./podman";

/** Synthesized manifests are plain JSON. */
type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${what}: expected an object`);
  return v as Obj;
}
function list(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list`);
  return v;
}
function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new Error(`${what}: expected a string`);
  return v;
}

/** Refuses fields the translator does not know: a new chart field must be handled here first. */
function onlyKnown(o: Obj, what: string, known: readonly string[]): void {
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`${what}: ${unknown.join(", ")} not supported by the pod translator (rig/images/pod.ts)`);
}

/** What the kubelet and the cluster provide that is not in the manifest. */
export interface KubeletEnvironment {
  /** Environment the kubelet adds to every container (KUBERNETES_SERVICE_HOST/PORT). @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Token for projected serviceAccountToken sources (from the TokenRequest API). */
  readonly serviceAccountToken?: string;
  /** ConfigMaps of the cluster that the manifest does not hold, e.g. kube-root-ca.crt. */
  readonly configMaps?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface Publish {
  /** The hostPort, when the manifest publishes one; undefined for a port only probes reach. */
  readonly hostPort?: number;
  readonly containerPort: number;
  readonly protocol: "TCP" | "UDP";
}

export interface TranslateOptions {
  /** Every synthesized object (the ConfigMaps are looked up here). */
  readonly objects: readonly Obj[];
  /** Name of the Deployment whose pod template runs. */
  readonly deployment: string;
  /** Pod name (also the prefix of every podman name). */
  readonly podName: string;
  /** Host directory for the pod's volumes. */
  readonly workDir: string;
  /**
   * Host `address:port` for a pod port: every hostPort of the manifest, and every container port
   * an httpGet/tcpSocket probe targets (the kubelet reaches those on the pod IP).
   */
  readonly publish: (p: Publish) => string;
  /** podman network of the pod, e.g. `slirp4netns:allow_host_loopback=true`. */
  readonly network: string;
  readonly kubelet?: KubeletEnvironment;
}

export type ProbeAction =
  | { readonly kind: "exec"; readonly command: readonly string[] }
  | { readonly kind: "httpGet"; readonly address: string; readonly path: string }
  | { readonly kind: "tcpSocket"; readonly address: string };

export interface ProbePlan {
  readonly action: ProbeAction;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
}

export type ProbeKind = "startup" | "liveness" | "readiness";

export interface ContainerPlan {
  /** Name in the manifest. */
  readonly name: string;
  /** Name of the podman container. */
  readonly podmanName: string;
  readonly image: string;
  /** Init container with restartPolicy Always: runs beside the regular containers. */
  readonly nativeSidecar: boolean;
  /** Arguments of `podman` that create the container (not started). */
  readonly create: readonly string[];
  readonly probes: Readonly<Partial<Record<ProbeKind, ProbePlan>>>;
  /** runAsNonRoot without runAsUser: the image's user must be checked to be numeric and not 0. */
  readonly checkImageUserNonRoot: boolean;
}

export interface VolumePlan {
  readonly name: string;
  /** Host directory, or undefined for a tmpfs (Memory emptyDir). */
  readonly hostDir?: string;
  /** Mode of the directory (the kubelet makes emptyDirs 0777). */
  readonly mode: number;
  /** ConfigMap and projected volumes: the kubelet mounts them read-only whatever the mount says. */
  readonly readOnly: boolean;
  readonly files: readonly { readonly path: string; readonly content: string; readonly mode: number }[];
}

export interface PodPlan {
  readonly name: string;
  readonly namespace: string;
  /** Arguments of `podman` that create the pod. */
  readonly createPod: readonly string[];
  readonly volumes: readonly VolumePlan[];
  readonly initContainers: readonly ContainerPlan[];
  readonly containers: readonly ContainerPlan[];
}

/** Pod fields the translator applies, or that only matter to the API server and the scheduler. */
const POD_FIELDS = [
  "containers", "initContainers", "volumes", "securityContext", "terminationGracePeriodSeconds", "automountServiceAccountToken",
  "enableServiceLinks",
  // Scheduling and API-only: nothing to run.
  "serviceAccountName", "priorityClassName", "nodeSelector", "tolerations", "affinity",
];
const CONTAINER_FIELDS = [
  "name", "image", "imagePullPolicy", "command", "args", "env", "ports", "resources", "securityContext", "volumeMounts",
  "livenessProbe", "readinessProbe", "startupProbe", "restartPolicy",
];
const SECURITY_FIELDS = ["runAsNonRoot", "runAsUser", "runAsGroup", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "privileged", "capabilities"];

/** Kubernetes quantity -> number (cpu in cores, memory in bytes). */
export function parseQuantity(q: string): number {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (m === null) throw new Error(`quantity ${JSON.stringify(q)} not understood`);
  const n = Number(m[1]);
  const mult: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return n * (m[2] === undefined ? 1 : (mult[m[2]] as number));
}

function probePlan(p: unknown, what: string, c: Obj, publish: TranslateOptions["publish"]): ProbePlan | undefined {
  if (p === undefined) return undefined;
  const probe = obj(p, what);
  onlyKnown(probe, what, ["exec", "httpGet", "tcpSocket", "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold"]);
  const portOf = (port: unknown): number => {
    if (typeof port === "number") return port;
    const named = list(c["ports"], "ports").map((x) => obj(x, "port")).find((x) => x["name"] === port);
    if (named === undefined) throw new Error(`${what}: no container port named ${String(port)}`);
    return named["containerPort"] as number;
  };
  let action: ProbeAction;
  if (probe["exec"] !== undefined) {
    action = { kind: "exec", command: list(obj(probe["exec"], what)["command"], `${what}.exec.command`).map((x) => str(x, "command")) };
  } else if (probe["httpGet"] !== undefined) {
    const g = obj(probe["httpGet"], what);
    onlyKnown(g, `${what}.httpGet`, ["path", "port", "scheme"]);
    if ((g["scheme"] ?? "HTTP") !== "HTTP") throw new Error(`${what}: only HTTP probes are supported`);
    action = { kind: "httpGet", path: str(g["path"] ?? "/", "path"), address: publish({ containerPort: portOf(g["port"]), protocol: "TCP" }) };
  } else if (probe["tcpSocket"] !== undefined) {
    const t = obj(probe["tcpSocket"], what);
    onlyKnown(t, `${what}.tcpSocket`, ["port"]);
    action = { kind: "tcpSocket", address: publish({ containerPort: portOf(t["port"]), protocol: "TCP" }) };
  } else {
    throw new Error(`${what}: no exec, httpGet or tcpSocket`);
  }
  const num = (k: string, dflt: number) => (probe[k] === undefined ? dflt : (probe[k] as number));
  return {
    action,
    // Kubernetes' defaults.
    initialDelaySeconds: num("initialDelaySeconds", 0),
    periodSeconds: num("periodSeconds", 10),
    timeoutSeconds: num("timeoutSeconds", 1),
    failureThreshold: num("failureThreshold", 3),
    successThreshold: num("successThreshold", 1),
  };
}

/** The pod of `opts.deployment` as podman commands. Pure: writes nothing. */
export function translatePod(opts: TranslateOptions): PodPlan {
  const deployment = opts.objects.find((o) => o["kind"] === "Deployment" && obj(o["metadata"], "metadata")["name"] === opts.deployment);
  if (deployment === undefined) throw new Error(`no Deployment ${opts.deployment} in the manifest`);
  const namespace = str(obj(deployment["metadata"], "metadata")["namespace"] ?? "default", "namespace");
  const template = obj(obj(deployment["spec"], "spec")["template"], "template");
  const pod = obj(template["spec"], "pod spec");
  onlyKnown(pod, "pod spec", POD_FIELDS);
  const kubelet = opts.kubelet ?? {};
  const P = opts.podName;

  if (pod["automountServiceAccountToken"] !== false) {
    throw new Error("pod spec: automountServiceAccountToken must be false (the translator mounts only what the manifest names)");
  }
  // Pod-level securityContext: only the seccomp profile.
  const podSec = obj(pod["securityContext"] ?? {}, "pod securityContext");
  onlyKnown(podSec, "pod securityContext", ["seccompProfile"]);
  const seccomp = podSec["seccompProfile"] === undefined ? "RuntimeDefault" : str(obj(podSec["seccompProfile"], "seccompProfile")["type"], "seccompProfile.type");
  // podman's default profile is the container runtime's default, like containerd's RuntimeDefault.
  const seccompArgs = seccomp === "RuntimeDefault" ? [] : seccomp === "Unconfined" ? ["--security-opt", "seccomp=unconfined"] : undefined;
  if (seccompArgs === undefined) throw new Error(`seccompProfile ${seccomp} not supported`);

  const configMapData = (name: string): Readonly<Record<string, string>> => {
    const inManifest = opts.objects.find(
      (o) => o["kind"] === "ConfigMap" && obj(o["metadata"], "metadata")["name"] === name && (obj(o["metadata"], "metadata")["namespace"] ?? "default") === namespace,
    );
    const data = inManifest !== undefined ? (obj(inManifest["data"] ?? {}, "data") as Record<string, string>) : kubelet.configMaps?.[name];
    if (data === undefined) throw new Error(`ConfigMap ${name} is neither in the manifest nor given by the kubelet environment`);
    return data;
  };
  const items = (src: Obj, data: Readonly<Record<string, string>>, mode: number, what: string) => {
    const chosen = src["items"] === undefined
      ? Object.keys(data).map((k) => ({ key: k, path: k }))
      : list(src["items"], `${what}.items`).map((i) => ({ key: str(obj(i, "item")["key"], "key"), path: str(obj(i, "item")["path"], "path") }));
    return chosen.map(({ key, path }) => {
      const content = data[key];
      if (content === undefined) throw new Error(`${what}: key ${key} missing`);
      return { path, content, mode };
    });
  };

  // Which containers mount which volume (a Memory emptyDir can only be a tmpfs of one container).
  const allContainers = [...list(pod["initContainers"], "initContainers"), ...list(pod["containers"], "containers")].map((c) => obj(c, "container"));
  const mounters = (vol: string) => allContainers.filter((c) => list(c["volumeMounts"], "volumeMounts").some((m) => obj(m, "mount")["name"] === vol));

  const volumes: VolumePlan[] = [];
  const tmpfs = new Map<string, string>(); // volume name -> tmpfs options
  for (const v of list(pod["volumes"], "volumes").map((x) => obj(x, "volume"))) {
    const name = str(v["name"], "volume name");
    const what = `volume ${name}`;
    onlyKnown(v, what, ["name", "emptyDir", "configMap", "projected"]);
    const hostDir = join(opts.workDir, "volumes", name);
    if (v["emptyDir"] !== undefined) {
      const e = obj(v["emptyDir"], what);
      onlyKnown(e, what, ["medium", "sizeLimit"]);
      if (e["medium"] === "Memory" && mounters(name).length > 1) {
        // The kubelet mounts one tmpfs and binds it into each container; podman's tmpfs mounts
        // are per container, so a shared one is a host directory here (same files, same modes).
        volumes.push({ name, hostDir, mode: 0o777, readOnly: false, files: [] });
      } else if (e["medium"] === "Memory") {
        const size = e["sizeLimit"] === undefined ? "" : `,tmpfs-size=${Math.round(parseQuantity(str(e["sizeLimit"], "sizeLimit")))}`;
        tmpfs.set(name, `tmpfs-mode=0777${size}`);
        volumes.push({ name, mode: 0o777, readOnly: false, files: [] });
      } else {
        // sizeLimit is enforced by kubelet eviction, not by the mount: nothing to apply.
        volumes.push({ name, hostDir, mode: 0o777, readOnly: false, files: [] });
      }
    } else if (v["configMap"] !== undefined) {
      const cm = obj(v["configMap"], what);
      onlyKnown(cm, what, ["name", "items", "defaultMode"]);
      const mode = (cm["defaultMode"] as number | undefined) ?? 0o644;
      volumes.push({ name, hostDir, mode: 0o755, readOnly: true, files: items(cm, configMapData(str(cm["name"], "configMap.name")), mode, what) });
    } else if (v["projected"] !== undefined) {
      const pr = obj(v["projected"], what);
      onlyKnown(pr, what, ["sources", "defaultMode"]);
      const mode = (pr["defaultMode"] as number | undefined) ?? 0o644;
      const files: { path: string; content: string; mode: number }[] = [];
      for (const s of list(pr["sources"], `${what}.sources`).map((x) => obj(x, "source"))) {
        if (s["serviceAccountToken"] !== undefined) {
          const t = obj(s["serviceAccountToken"], what);
          onlyKnown(t, `${what}.serviceAccountToken`, ["path", "expirationSeconds", "audience"]);
          if (kubelet.serviceAccountToken === undefined) throw new Error(`${what}: a serviceAccountToken source needs kubelet.serviceAccountToken`);
          files.push({ path: str(t["path"], "path"), content: kubelet.serviceAccountToken, mode });
        } else if (s["configMap"] !== undefined) {
          const cm = obj(s["configMap"], what);
          files.push(...items(cm, configMapData(str(cm["name"], "configMap.name")), mode, `${what}.configMap`));
        } else if (s["downwardAPI"] !== undefined) {
          for (const it of list(obj(s["downwardAPI"], what)["items"], `${what}.downwardAPI.items`).map((x) => obj(x, "item"))) {
            const field = str(obj(it["fieldRef"], "fieldRef")["fieldPath"], "fieldPath");
            const value = { "metadata.namespace": namespace, "metadata.name": P, "spec.serviceAccountName": pod["serviceAccountName"] }[field];
            if (typeof value !== "string") throw new Error(`${what}: downwardAPI field ${field} not supported`);
            files.push({ path: str(it["path"], "path"), content: value, mode });
          }
        } else {
          throw new Error(`${what}: projected source ${Object.keys(s).join(",")} not supported`);
        }
      }
      volumes.push({ name, hostDir, mode: 0o755, readOnly: true, files });
    }
  }
  const volumeByName = new Map(volumes.map((v) => [v.name, v]));

  const publishArgs: string[] = [];
  const grace = pod["terminationGracePeriodSeconds"];

  const containerPlan = (c: Obj, init: boolean): ContainerPlan => {
    const name = str(c["name"], "container name");
    const what = `container ${name}`;
    onlyKnown(c, what, CONTAINER_FIELDS);
    const restart = c["restartPolicy"];
    if (restart !== undefined && !(init && restart === "Always")) throw new Error(`${what}: restartPolicy ${String(restart)} only exists on init containers as Always`);
    const nativeSidecar = init && restart === "Always";
    if (init && !nativeSidecar && (c["startupProbe"] ?? c["livenessProbe"] ?? c["readinessProbe"]) !== undefined) {
      throw new Error(`${what}: a plain init container cannot have probes`);
    }
    const pull = c["imagePullPolicy"] ?? "IfNotPresent";
    if (pull === "Always") throw new Error(`${what}: imagePullPolicy Always cannot be honoured here (no registry)`);
    const image = str(c["image"], `${what}.image`);
    const args: string[] = ["create", "--pod", P, "--name", `${P}-${name}`, "--pull=never", ...seccompArgs];
    if (typeof grace === "number") args.push("--stop-timeout", String(grace));

    // securityContext
    const sec = obj(c["securityContext"] ?? {}, `${what}.securityContext`);
    onlyKnown(sec, `${what}.securityContext`, SECURITY_FIELDS);
    if (sec["privileged"] === true) args.push("--privileged");
    // A read-only root as Kubernetes makes it: no tmpfs on /run, /tmp, /var/tmp (podman adds them by default).
    if (sec["readOnlyRootFilesystem"] === true) args.push("--read-only", "--read-only-tmpfs=false");
    if (sec["allowPrivilegeEscalation"] === false) args.push("--security-opt", "no-new-privileges");
    const caps = obj(sec["capabilities"] ?? {}, `${what}.capabilities`);
    onlyKnown(caps, `${what}.capabilities`, ["add", "drop"]);
    for (const d of list(caps["drop"], "drop")) args.push(`--cap-drop=${str(d, "cap")}`);
    for (const a of list(caps["add"], "add")) args.push(`--cap-add=${str(a, "cap")}`);
    const uid = sec["runAsUser"] as number | undefined;
    const gid = sec["runAsGroup"] as number | undefined;
    if (gid !== undefined && uid === undefined) throw new Error(`${what}: runAsGroup without runAsUser is not supported`);
    if (uid !== undefined) args.push("--user", gid === undefined ? String(uid) : `${uid}:${gid}`);
    if (sec["runAsNonRoot"] === true && uid === 0) throw new Error(`${what}: runAsNonRoot with runAsUser 0: the kubelet refuses to start it`);
    const checkImageUserNonRoot = sec["runAsNonRoot"] === true && uid === undefined;

    // resources: limits become cgroup limits; cpu requests become cpu shares, as the kubelet sets them.
    const res = obj(c["resources"] ?? {}, `${what}.resources`);
    onlyKnown(res, `${what}.resources`, ["requests", "limits"]);
    const limits = obj(res["limits"] ?? {}, "limits");
    const requests = obj(res["requests"] ?? {}, "requests");
    onlyKnown(limits, `${what}.limits`, ["cpu", "memory"]);
    onlyKnown(requests, `${what}.requests`, ["cpu", "memory"]);
    if (limits["cpu"] !== undefined) args.push(`--cpus=${parseQuantity(str(limits["cpu"], "cpu"))}`);
    if (limits["memory"] !== undefined) args.push(`--memory=${Math.round(parseQuantity(str(limits["memory"], "memory")))}`);
    if (requests["cpu"] !== undefined) args.push(`--cpu-shares=${Math.max(2, Math.round(parseQuantity(str(requests["cpu"], "cpu")) * 1024))}`);

    // env: the manifest's, then what the kubelet adds.
    for (const e of list(c["env"], "env").map((x) => obj(x, "env"))) {
      onlyKnown(e, `${what}.env`, ["name", "value"]);
      args.push("--env", `${str(e["name"], "env name")}=${str(e["value"] ?? "", "env value")}`);
    }
    for (const [k, v] of Object.entries(kubelet.env ?? {})) args.push("--env", `${k}=${v}`);

    // mounts
    for (const m of list(c["volumeMounts"], "volumeMounts").map((x) => obj(x, "mount"))) {
      onlyKnown(m, `${what}.volumeMounts`, ["name", "mountPath", "readOnly"]);
      const vol = volumeByName.get(str(m["name"], "mount name"));
      if (vol === undefined) throw new Error(`${what}: mounts unknown volume ${String(m["name"])}`);
      const path = str(m["mountPath"], "mountPath");
      const t = tmpfs.get(vol.name);
      if (t !== undefined) {
        if (m["readOnly"] === true) throw new Error(`${what}: a read-only Memory emptyDir is not supported`);
        args.push("--mount", `type=tmpfs,destination=${path},${t}`);
      } else {
        const ro = m["readOnly"] === true || vol.readOnly;
        args.push("--volume", `${vol.hostDir as string}:${path}${ro ? ":ro" : ""}`);
      }
    }

    // ports: hostPorts are published on the pod (the infra container holds the network namespace).
    for (const p of list(c["ports"], "ports").map((x) => obj(x, "port"))) {
      onlyKnown(p, `${what}.ports`, ["name", "containerPort", "hostPort", "protocol"]);
      if (p["hostPort"] === undefined) continue;
      const protocol = (p["protocol"] ?? "TCP") as "TCP" | "UDP";
      const containerPort = p["containerPort"] as number;
      publishArgs.push("--publish", `${opts.publish({ hostPort: p["hostPort"] as number, containerPort, protocol })}:${containerPort}/${protocol.toLowerCase()}`);
    }

    const probes: Partial<Record<ProbeKind, ProbePlan>> = {};
    for (const kind of ["startup", "liveness", "readiness"] as const) {
      const plan = probePlan(c[`${kind}Probe`], `${what}.${kind}Probe`, c, (p) => {
        const address = opts.publish(p);
        const arg = `${address}:${p.containerPort}/tcp`;
        if (!publishArgs.includes(arg)) publishArgs.push("--publish", arg);
        return address;
      });
      if (plan !== undefined) probes[kind] = plan;
    }

    // command replaces the image's entrypoint (and, as in Kubernetes, its CMD); args replace CMD.
    const command = list(c["command"], `${what}.command`).map((x) => str(x, "command"));
    const cargs = list(c["args"], `${what}.args`).map((x) => str(x, "args"));
    if (command.length > 0) args.push("--entrypoint", JSON.stringify(command));
    args.push(image, ...cargs);
    return { name, podmanName: `${P}-${name}`, image, nativeSidecar, create: args, probes, checkImageUserNonRoot };
  };

  const initContainers = list(pod["initContainers"], "initContainers").map((c) => containerPlan(obj(c, "init container"), true));
  const containers = list(pod["containers"], "containers").map((c) => containerPlan(obj(c, "container"), false));
  const createPod = ["pod", "create", "--name", P, "--hostname", P, "--network", opts.network, ...publishArgs];
  return { name: P, namespace, createPod, volumes, initContainers, containers };
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

function httpProbe(address: string, path: string, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const i = address.lastIndexOf(":");
  return new Promise((resolve) => {
    const req = http.get({ host: address.slice(0, i), port: Number(address.slice(i + 1)), path, timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        const s = res.statusCode ?? 0;
        // The kubelet's rule: 200 <= status < 400 is success.
        resolve({ ok: s >= 200 && s < 400, detail: `HTTP ${s} ${body.trim().slice(0, 200)}` });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on("error", (err) => resolve({ ok: false, detail: err.message }));
  });
}

/** Pod names the rig uses: `<prefix>-<pid>-<n>`, so pods of a process that died can be found. */
export function rigPodName(prefix: string, n: number): string {
  return `${prefix}-${process.pid}-${n}`;
}

/** Removes pods named by rigPodName() whose process is gone (killed before its cleanup ran). */
export async function reapOrphanPods(podman: Podman, prefix: string): Promise<string[]> {
  const out = await podman.ok(["pod", "ps", "--format", "{{.Name}}"]);
  const reaped: string[] = [];
  for (const name of out.split("\n").map((l) => l.trim())) {
    const m = new RegExp(`^${prefix}-(\\d+)-\\d+$`).exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === "EPERM";
    }
    if (!alive) {
      await podman.run(["pod", "rm", "--force", "--time", "1", name]);
      reaped.push(name);
    }
  }
  return reaped;
}

/** Runs a PodPlan: the kubelet's part, as far as one machine without a kubelet can play it. */
export class PodRunner {
  private created = false;

  constructor(readonly podman: Podman, readonly plan: PodPlan, readonly workDir: string) {}

  container(name: string): ContainerPlan {
    const c = [...this.plan.initContainers, ...this.plan.containers].find((x) => x.name === name);
    if (c === undefined) throw new Error(`no container ${name} in pod ${this.plan.name}`);
    return c;
  }

  /** Volumes made as the kubelet makes them, then the pod and its containers created (not started). */
  async create(): Promise<void> {
    for (const v of this.plan.volumes) {
      if (v.hostDir === undefined) continue;
      mkdirSync(v.hostDir, { recursive: true });
      chmodSync(v.hostDir, v.mode);
      for (const f of v.files) {
        const p = join(v.hostDir, f.path);
        mkdirSync(join(p, ".."), { recursive: true });
        writeFileSync(p, f.content);
        chmodSync(p, f.mode);
      }
    }
    this.created = true;
    await this.podman.ok([...this.plan.createPod]);
    for (const c of [...this.plan.initContainers, ...this.plan.containers]) {
      if (c.checkImageUserNonRoot) await this.verifyImageUserNonRoot(c);
      await this.podman.ok([...c.create]);
    }
  }

  /** The kubelet's runAsNonRoot check when no runAsUser is set: numeric and not 0. */
  private async verifyImageUserNonRoot(c: ContainerPlan): Promise<void> {
    const user = (await this.podman.ok(["image", "inspect", "--format", "{{.Config.User}}", c.image])).trim();
    const uid = user.split(":")[0] ?? "";
    if (!/^\d+$/.test(uid)) throw new Error(`container ${c.name}: runAsNonRoot and image user ${JSON.stringify(user)} is not numeric: the kubelet refuses it`);
    if (uid === "0") throw new Error(`container ${c.name}: runAsNonRoot and the image runs as root: the kubelet refuses it`);
  }

  async start(name: string): Promise<void> {
    await this.podman.ok(["start", this.container(name).podmanName]);
  }

  /**
   * The kubelet's start sequence: init containers in order (a native sidecar is started and its
   * startup probe awaited; a plain one must exit 0), then the regular containers.
   * `onStarted` is called after each start, e.g. to take timestamps.
   */
  async startAll(onStarted: (name: string) => void = () => {}): Promise<void> {
    for (const c of this.plan.initContainers) {
      await this.start(c.name);
      onStarted(c.name);
      if (c.nativeSidecar) {
        if (c.probes.startup !== undefined) {
          const r = await this.awaitProbe(c.name, "startup");
          if (!r.ok) throw new Error(`${c.name}: startup probe failed ${c.probes.startup.failureThreshold} times: ${r.detail}\n${await this.logs(c.name)}`);
        }
      } else {
        const code = (await this.podman.ok(["wait", c.podmanName])).trim();
        if (code !== "0") throw new Error(`init container ${c.name} exited ${code}: ${await this.logs(c.name)}`);
      }
    }
    for (const c of this.plan.containers) {
      await this.start(c.name);
      onStarted(c.name);
    }
  }

  /** One run of a probe, with its timeout. */
  async probe(name: string, kind: ProbeKind): Promise<ProbeResult> {
    const c = this.container(name);
    const p = c.probes[kind];
    if (p === undefined) throw new Error(`${name} has no ${kind} probe`);
    const t0 = performance.now();
    const timeoutMs = p.timeoutSeconds * 1000;
    let r: { ok: boolean; detail: string };
    if (p.action.kind === "exec") {
      // As the kubelet: the command runs in the container, exit 0 within the timeout passes.
      const run = this.podman.run(["exec", c.podmanName, ...p.action.command], { timeoutMs: timeoutMs + 5000 });
      const out = await run;
      const ms = performance.now() - t0;
      r = { ok: out.code === 0 && ms <= timeoutMs + 1000, detail: `exit ${String(out.code)} ${(out.stderr + out.stdout).trim().slice(0, 300)}` };
    } else if (p.action.kind === "httpGet") {
      r = await httpProbe(p.action.address, p.action.path, timeoutMs);
    } else {
      const [host, port] = [p.action.address.slice(0, p.action.address.lastIndexOf(":")), Number(p.action.address.slice(p.action.address.lastIndexOf(":") + 1))];
      const net = await import("node:net");
      r = await new Promise((resolve) => {
        const s = net.connect({ host, port, timeout: timeoutMs }, () => {
          s.destroy();
          resolve({ ok: true, detail: "connected" });
        });
        s.on("error", (err) => resolve({ ok: false, detail: err.message }));
        s.on("timeout", () => {
          s.destroy();
          resolve({ ok: false, detail: "timeout" });
        });
      });
    }
    return { ...r, ms: performance.now() - t0 };
  }

  /**
   * The kubelet's loop for one probe until it decides: success after successThreshold passes in a
   * row, failure after failureThreshold misses in a row, one run every periodSeconds.
   */
  async awaitProbe(name: string, kind: ProbeKind): Promise<ProbeResult & { runs: number }> {
    const p = this.container(name).probes[kind];
    if (p === undefined) throw new Error(`${name} has no ${kind} probe`);
    await new Promise((r) => setTimeout(r, p.initialDelaySeconds * 1000));
    let ok = 0;
    let bad = 0;
    let runs = 0;
    const t0 = performance.now();
    for (;;) {
      const started = performance.now();
      const r = await this.probe(name, kind);
      runs++;
      if (r.ok) {
        bad = 0;
        if (++ok >= p.successThreshold) return { ...r, ms: performance.now() - t0, runs };
      } else {
        ok = 0;
        if (++bad >= p.failureThreshold) return { ...r, ms: performance.now() - t0, runs };
      }
      const wait = p.periodSeconds * 1000 - (performance.now() - started);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
  }

  async exec(name: string, command: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return this.podman.run(["exec", this.container(name).podmanName, ...command]);
  }

  async logs(name: string): Promise<string> {
    const r = await this.podman.run(["logs", this.container(name).podmanName]);
    return (r.stdout + r.stderr).slice(-4000);
  }

  /** `podman inspect` of a container. */
  async inspect(name: string): Promise<Obj> {
    const out = await this.podman.ok(["container", "inspect", this.container(name).podmanName]);
    return (JSON.parse(out) as Obj[])[0] as Obj;
  }

  /** Stops and removes the pod and its containers, and the volumes' host directories. Idempotent. */
  async remove(): Promise<void> {
    if (this.created) await this.podman.run(["pod", "rm", "--force", "--time", "2", this.plan.name]);
    this.created = false;
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
