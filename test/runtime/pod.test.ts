/**
 * The cDNS pod as the chart writes it, run for real: both images built from the repository's
 * Dockerfiles (rig/images.ts), each container created by rig/images/pod.ts from the synthesized
 * Deployment (securityContext, mounts, args, probes: nothing retyped here), started in the
 * kubelet's order, with the sidecar talking to a real API server (rig/cluster.ts) with a
 * ServiceAccount token.
 *
 * Network: each pod gets its own slirp4netns network namespace, so dnsmasq binds port 53 inside
 * it exactly as in the pod, and the pod's hostPort 53 is published on a free 127.0.0.1 high port;
 * nothing leaves loopback and the machine's port 53 is never touched. `allow_host_loopback`
 * makes the host's 127.0.0.1 reachable from the pod as 10.0.2.2: the API server (which listens on
 * 127.0.0.1 only) is given that address as a SAN, and the pod gets KUBERNETES_SERVICE_HOST=10.0.2.2
 * as the kubelet would give it the service address. Host networking was the alternative; it
 * would need dnsmasq.conf edited off port 53, and the test would no longer run the pod's own conf.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DNSMASQ_CONF_KEY, SIDECAR_UID, synthCdnsChart } from "../../lib/chart/cdnsChart";
import { DEFAULT_NAMESPACE } from "../../lib/config/defaults";
import { HEALTH_ADDRESS, healthName } from "../../lib/dns/names";
import { startCluster, type RigCluster } from "../../rig/cluster";
import type { Images } from "../../rig/images";
import { PodRunner, reapOrphanPods, rigPodName, translatePod, type Publish } from "../../rig/images/pod";
import { query, type DnsAnswer } from "../helpers/dns";
import { freePort } from "../helpers/ports";
import { runtimeImages } from "./harness";

/** Synthesized manifests are untyped JSON; `any` lets the test walk and edit them. */
type Obj = any;

const ZONE = "apps.example.com";
const NS = DEFAULT_NAMESPACE;
const WEB = `web.${ZONE}`;
const WORKERS = [
  { name: "worker-1", ip: "10.0.0.11" },
  { name: "worker-2", ip: "10.0.0.12" },
];
const WORKER_IPS = WORKERS.map((w) => w.ip).sort();
/** The host's 127.0.0.1 as a slirp4netns network with allow_host_loopback sees it. */
const HOST_FROM_POD = "10.0.2.2";
const NETWORK = "slirp4netns:allow_host_loopback=true";
const POD_PREFIX = "cdns-rt";

let images: Images;
let cluster: RigCluster;
let apiPort: number;
let token: string;
let rootCa: string;
let chartObjs: Obj[];
const runners: PodRunner[] = [];
let podCount = 0;

function ingress(name: string, host: string): Obj {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: "default" },
    spec: { rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
  };
}

before(async () => {
  images = await runtimeImages();
  await reapOrphanPods(images.podman, POD_PREFIX);
  cluster = await startCluster({ extraSans: [HOST_FROM_POD] });
  apiPort = Number(new URL(cluster.server).port);
  chartObjs = synthCdnsChart({
    zones: [ZONE],
    nodes: [{ index: 0, ip: "192.0.2.10" }],
    sidecarImage: images.sidecar.ref,
    dnsmasqImage: images.dnsmasq.ref,
  }).objs;
  // The chart's API objects (namespace, ServiceAccount, RBAC, ...); the pods run in podman, not kwok.
  await cluster.apply(chartObjs.filter((o) => o.kind !== "Deployment"));
  for (const w of WORKERS) await cluster.createNode({ name: w.name, ip: w.ip, labels: { "node-role.kubernetes.io/worker": "true" } });
  for (const w of WORKERS) await cluster.waitNodeReady(w.name, true);
  await cluster.call("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", ingress("web", WEB));
  token = await cluster.serviceAccountToken(NS, "cdns");
  // What the kubelet projects as ca.crt: the controller-manager's kube-root-ca.crt in the namespace.
  const t0 = Date.now();
  for (;;) {
    const r = await cluster.request("GET", `/api/v1/namespaces/${NS}/configmaps/kube-root-ca.crt`);
    if (r.status === 200) {
      rootCa = r.json<{ data: Record<string, string> }>().data["ca.crt"] as string;
      break;
    }
    if (Date.now() - t0 > 20_000) throw new Error(`kube-root-ca.crt never appeared in ${NS}: HTTP ${r.status}`);
    await new Promise((res) => setTimeout(res, 200));
  }
});

after(async () => {
  for (const r of runners) await r.remove();
  await cluster?.stop();
});

interface StartedPod {
  readonly runner: PodRunner;
  readonly dnsPort: number;
  readonly httpPort: number;
}

/** Translates the Deployment's pod of `objs` and creates it (nothing started yet). */
async function createPod(objs: Obj[], opts: { apiPort?: number } = {}): Promise<StartedPod> {
  const dnsPort = await freePort();
  const httpPort = await freePort();
  const name = rigPodName(POD_PREFIX, podCount++);
  const workDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const plan = translatePod({
    objects: objs,
    deployment: "cdns-0",
    podName: name,
    workDir,
    network: NETWORK,
    publish: (p: Publish) => {
      if (p.hostPort === 53) return `127.0.0.1:${dnsPort}`;
      if (p.hostPort === undefined && p.containerPort === 8080) return `127.0.0.1:${httpPort}`;
      throw new Error(`unexpected port ${JSON.stringify(p)}`);
    },
    kubelet: {
      env: { KUBERNETES_SERVICE_HOST: HOST_FROM_POD, KUBERNETES_SERVICE_PORT: String(opts.apiPort ?? apiPort) },
      serviceAccountToken: token,
      configMaps: { "kube-root-ca.crt": { "ca.crt": rootCa } },
    },
  });
  const runner = new PodRunner(images.podman, plan, workDir);
  runners.push(runner);
  await runner.create();
  return { runner, dnsPort, httpPort };
}

interface Observation {
  readonly ms: number;
  readonly answer?: DnsAnswer;
  readonly error?: string;
}

/** Asks `name` over UDP every ~20 ms from now until stop(); keeps every outcome with its time. */
function observe(name: string, port: number): { results: Observation[]; stop: () => Promise<void> } {
  const results: Observation[] = [];
  let running = true;
  const t0 = performance.now();
  const loop = (async () => {
    while (running) {
      try {
        results.push({ ms: performance.now() - t0, answer: await query(name, { server: "127.0.0.1", port, timeoutMs: 250 }) });
      } catch (err) {
        results.push({ ms: performance.now() - t0, error: err instanceof Error ? err.message : String(err) });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    results,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const answers = (port: number, name: string, tcp = false) => query(name, { server: "127.0.0.1", port, tcp, timeoutMs: 1000 });
const sorted = (a: readonly string[]) => [...a].sort();

test("dnsmasq under the pod's securityContext: without the conf's empty group= it exits 5 (setgid needs a dropped capability)", async () => {
  // The chart's objects with only that one line removed from the ConfigMap.
  const objs: Obj[] = structuredClone(chartObjs);
  const cm = objs.find((o) => o.kind === "ConfigMap");
  const conf: string = cm.data[DNSMASQ_CONF_KEY];
  assert.ok(conf.split("\n").includes("group="));
  cm.data[DNSMASQ_CONF_KEY] = conf.split("\n").filter((l) => l !== "group=").join("\n");
  const { runner } = await createPod(objs);
  await runner.start("dnsmasq");
  const code = (await images.podman.ok(["wait", runner.container("dnsmasq").podmanName])).trim();
  assert.equal(code, "5", await runner.logs("dnsmasq"));
  assert.match(await runner.logs("dnsmasq"), /failed to change group-id to dip: Operation not permitted/);
  await runner.remove();
});

test("control: dnsmasq started beside the sidecar (the old layout) answers without the names until the first write", async () => {
  // The chart's pod with the sidecar moved back among the regular containers, after dnsmasq.
  const objs: Obj[] = structuredClone(chartObjs);
  const pod = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "cdns-0").spec.template.spec;
  const sidecar = pod.initContainers[0];
  delete sidecar.restartPolicy;
  delete sidecar.startupProbe;
  pod.containers = [...pod.containers, sidecar];
  delete pod.initContainers;
  const { runner, dnsPort } = await createPod(objs);
  const seen = observe(WEB, dnsPort);
  await runner.startAll();
  await until("the sidecar's first write is served", 30_000, async () => seen.results.some((r) => r.answer?.addresses.length === 2));
  await seen.stop();
  // NXDOMAIN with local=/zone/; with the zone forwarded to the sidecar's responder, SERVFAIL until
  // its first plan, or no answer at all while its port is not bound yet (dnsmasq's forward gets nothing back).
  const nx = seen.results.filter((r) => r.answer?.rcode === "NXDOMAIN" || r.answer?.rcode === "SERVFAIL" || r.error !== undefined);
  assert.ok(nx.length > 0, `the window this layout has must be visible to the observer: ${JSON.stringify(seen.results.slice(0, 5))}`);
  await runner.remove();
});

let main: StartedPod;

test("the chart's pod: sidecar first, dnsmasq only after its /startupz startup probe; no NXDOMAIN from the first query on", async () => {
  main = await createPod(chartObjs);
  const { runner, dnsPort } = main;
  const seen = observe(WEB, dnsPort);
  const started: Record<string, number> = {};
  const t0 = performance.now();
  await runner.startAll((name) => (started[name] = performance.now() - t0));
  await until("dnsmasq answers", 10_000, async () => seen.results.some((r) => r.answer !== undefined));
  await new Promise((r) => setTimeout(r, 500));
  await seen.stop();

  assert.deepEqual(Object.keys(started), ["sidecar", "dnsmasq"], "start order");
  const answered = seen.results.filter((r) => r.answer !== undefined);
  assert.ok(answered.length >= 5, `answers seen: ${answered.length}`);
  for (const r of answered) {
    assert.equal(r.answer?.rcode, "NOERROR", `at ${r.ms.toFixed(0)} ms: ${JSON.stringify(r.answer)}`);
    assert.deepEqual(sorted(r.answer?.addresses ?? []), WORKER_IPS, `at ${r.ms.toFixed(0)} ms the very first answers already carry the workers`);
  }
  // Before dnsmasq started nothing answered at all (a resolver then asks the other cDNS node).
  assert.ok(seen.results.filter((r) => r.ms < (started.dnsmasq as number) - 50).every((r) => r.answer === undefined));
  process.stderr.write(`runtime: sidecar started, startup probe passed after ${((started.dnsmasq as number) - (started.sidecar as number)).toFixed(0)} ms; first answer at ${answered[0]?.ms.toFixed(0)} ms\n`);
});

test("dnsmasq answers its health record and the ingress names over UDP and TCP on the pod's port; a new Ingress follows", async () => {
  const { dnsPort } = main;
  for (const tcp of [false, true]) {
    const health = await answers(dnsPort, healthName(ZONE), tcp);
    assert.deepEqual(health.addresses, [HEALTH_ADDRESS], `health over ${tcp ? "TCP" : "UDP"}`);
    const web = await answers(dnsPort, WEB, tcp);
    assert.equal(web.rcode, "NOERROR");
    assert.deepEqual(sorted(web.addresses), WORKER_IPS, `web over ${tcp ? "TCP" : "UDP"}`);
    assert.equal((await answers(dnsPort, `nope.${ZONE}`, tcp)).rcode, "NXDOMAIN");
    assert.equal((await answers(dnsPort, "example.net", tcp)).rcode, "REFUSED");
  }
  // API -> sidecar (token) -> hosts volume -> dnsmasq (inotify), all for real.
  await cluster.call("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", ingress("shop", `shop.${ZONE}`));
  const ms = await until("shop is served", 15_000, async () => (await answers(dnsPort, `shop.${ZONE}`)).addresses.length === 2);
  process.stderr.write(`runtime: new Ingress served by the pod's dnsmasq after ${ms.toFixed(0)} ms\n`);
  const files = readdirSync(main.runner.plan.volumes.find((v) => v.name === "hosts")?.hostDir as string);
  assert.ok(files.length > 0, "the sidecar wrote into the shared hosts volume");
});

test("each container runs exactly as the manifest says", async () => {
  const { runner } = main;
  const status = async (name: string) => {
    const pid = ((await runner.inspect(name)) as Obj).State.Pid as number;
    return Object.fromEntries(readFileSync(`/proc/${pid}/status`, "utf8").split("\n").map((l) => l.split(":\t")).filter((p) => p.length === 2)) as Record<string, string>;
  };
  const dnsmasq = await status("dnsmasq");
  assert.match(dnsmasq.Uid ?? "", /^0\t0\t0\t0$/, "dnsmasq runs as root");
  assert.equal(dnsmasq.CapEff, "0000000000000400", "dnsmasq's only capability is NET_BIND_SERVICE (bit 10)");
  assert.equal(dnsmasq.CapBnd, "0000000000000400");
  assert.equal(dnsmasq.NoNewPrivs, "1");
  assert.equal(dnsmasq.Seccomp, "2", "seccomp filter (RuntimeDefault)");
  const sidecar = await status("sidecar");
  assert.match(sidecar.Uid ?? "", new RegExp(`^${SIDECAR_UID}\\t${SIDECAR_UID}\\t`), "the sidecar runs as its non-root user");
  assert.match(sidecar.Gid ?? "", new RegExp(`^${SIDECAR_UID}\\t`));
  assert.equal(sidecar.CapEff, "0000000000000000");
  assert.equal(sidecar.CapBnd, "0000000000000000");
  assert.equal(sidecar.NoNewPrivs, "1");

  for (const name of ["dnsmasq", "sidecar"]) {
    assert.equal(((await runner.inspect(name)) as Obj).HostConfig.ReadonlyRootfs, true, `${name}: read-only root`);
  }
  const write = await runner.exec("sidecar", ["/nodejs/bin/node", "-e", "require('fs').writeFileSync('/app/x', '')"]);
  assert.notEqual(write.code, 0);
  assert.match(write.stderr, /EROFS/);
  const tokenWrite = await runner.exec("sidecar", ["/nodejs/bin/node", "-e", "require('fs').writeFileSync('/var/run/secrets/kubernetes.io/serviceaccount/token', '')"]);
  assert.match(tokenWrite.stderr, /EROFS|EACCES/, "the token volume is read-only");
  const dnsmasqWrite = await runner.exec("dnsmasq", ["sh", "-c", "echo x > /etc/x"]);
  assert.notEqual(dnsmasqWrite.code, 0, "dnsmasq's root is read-only too");
  const noToken = await runner.exec("dnsmasq", ["ls", "/var/run/secrets/kubernetes.io/serviceaccount"]);
  assert.notEqual(noToken.code, 0, "dnsmasq gets no API token");
});

test("probes from the manifest: dnsmasq's exec probes pass, and fail while dnsmasq hangs; the sidecar's pass", async () => {
  const { runner } = main;
  for (const kind of ["liveness", "readiness"] as const) {
    const r = await runner.probe("dnsmasq", kind);
    assert.ok(r.ok, `dnsmasq ${kind}: ${r.detail}`);
  }
  for (const kind of ["startup", "liveness", "readiness"] as const) {
    const r = await runner.probe("sidecar", kind);
    assert.ok(r.ok, `sidecar ${kind}: ${r.detail}`);
  }
  // A hung dnsmasq (stopped from the host: signals from inside cannot stop a namespace's init).
  const pid = ((await runner.inspect("dnsmasq")) as Obj).State.Pid as number;
  process.kill(pid, "SIGSTOP");
  try {
    for (const kind of ["liveness", "readiness"] as const) {
      const r = await runner.probe("dnsmasq", kind);
      assert.ok(!r.ok, `dnsmasq ${kind} passed while dnsmasq was stopped`);
      assert.match(r.detail, /no answer|timed out/);
    }
    const decided = await runner.awaitProbe("dnsmasq", "liveness");
    assert.ok(!decided.ok);
    assert.equal(decided.runs, runner.container("dnsmasq").probes.liveness?.failureThreshold, "the kubelet would restart it after failureThreshold misses");
  } finally {
    process.kill(pid, "SIGCONT");
  }
  const again = await runner.awaitProbe("dnsmasq", "readiness");
  assert.ok(again.ok, again.detail);
});

test("the sidecar without the API: startup (/startupz) and readiness (/readyz) fail, so dnsmasq is never started; liveness holds", async () => {
  const closed = await freePort();
  const { runner } = await createPod(chartObjs, { apiPort: closed });
  await runner.start("sidecar");
  await until("the sidecar serves HTTP", 20_000, async () => (await runner.probe("sidecar", "liveness")).ok);
  for (let i = 0; i < 3; i++) {
    for (const kind of ["startup", "readiness"] as const) {
      const r = await runner.probe("sidecar", kind);
      assert.ok(!r.ok, `${kind} passed with no API server`);
      assert.match(r.detail, /^HTTP 503/);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  // An unreachable API server is not something a restart fixes.
  assert.ok((await runner.probe("sidecar", "liveness")).ok);
  const state = ((await runner.inspect("dnsmasq")) as Obj).State.Status as string;
  assert.equal(state, "created", "dnsmasq waits for the sidecar's startup probe");
  await runner.remove();
});

test("hosts writes failing: readiness fails at once, liveness after its threshold; dnsmasq keeps the last good answers", async () => {
  const { runner, dnsPort } = main;
  const hostsDir = runner.plan.volumes.find((v) => v.name === "hosts")?.hostDir as string;
  chmodSync(hostsDir, 0o555); // the non-root sidecar can no longer create files there
  try {
    await cluster.call("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", ingress("blog", `blog.${ZONE}`));
    await until("readiness fails", 15_000, async () => !(await runner.probe("sidecar", "readiness")).ok);
    assert.ok((await runner.probe("sidecar", "liveness")).ok, "one failed write is not a restart yet");
    const ms = await until("liveness fails", 100_000, async () => !(await runner.probe("sidecar", "liveness")).ok);
    process.stderr.write(`runtime: /healthz failed ${(ms / 1000).toFixed(0)} s after writes began to fail\n`);
    const web = await answers(dnsPort, WEB);
    assert.deepEqual(sorted(web.addresses), WORKER_IPS, "the answers already written stay served");
    assert.ok((await runner.probe("dnsmasq", "readiness")).ok);
  } finally {
    chmodSync(hostsDir, 0o777);
  }
  await until("blog is served once writes work again", 30_000, async () => (await answers(dnsPort, `blog.${ZONE}`)).addresses.length === 2);
  await until("the sidecar is ready again", 10_000, async () => (await runner.probe("sidecar", "readiness")).ok);
});
