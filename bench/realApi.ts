/**
 * The sidecar on the real path: a real API server (the rig: kube-apiserver + etcd + kwok), the
 * bundled sidecar under plain node with the image's flags and a token of the chart's
 * ServiceAccount, realistic Ingresses (5-10 KB as stored), and a real dnsmasq answering.
 *
 * Measured, in one run (issues 9 and 14):
 * - propagation: an Ingress status PATCH returning -> the new set answered over UDP, at each size;
 * - node flip: the kwok NotReady label PATCH returning (kwok's own delay set to 0) -> the node's
 *   IP gone from every answer that had it, and back when the label goes, with dnsmasq's longest
 *   silence and the share of queries answered while the change is applied;
 * - a fresh pod: process start -> every name answered (dnsmasq started when /startupz passes, as
 *   the kubelet does), and the sidecar's RSS (and peak) after sync.
 */
import { DEFAULT_NAMESPACE } from "../lib/config/defaults";
import { startCluster, tokenKubeconfigYaml, type RigCluster } from "../rig/cluster";
import { chartRbacObjects } from "../test/rig/harness";
import { INGRESS_NODE, PRESET, controllerDaemonSet, controllerPods, controllerRbac, setPodReady, waitPods } from "../test/rig/controllerPods";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingressHosts, ingressName, loadIngresses, namespaceOf } from "../test/helpers/ingressLoad";
import type { RunningDnsmasq } from "../test/helpers/dnsmasq";
import { answeredShare, answerMatches, clock, ContinuousProber, longestGap, sweep } from "../test/helpers/prober";
import { startSidecarProcess, type SidecarProcess } from "../rig/sidecarProcess";
import { cappedSubset } from "../sidecar/src/subset";
import { DEFAULT_MAX_TARGETS } from "../sidecar/src/settings";
import { compareIPv4 } from "../lib/net/ipv4";
import { DEFAULT_HOSTS_SHARDS, shardOf } from "../sidecar/src/sink/shards";
import { startTrackedDnsmasq } from "./cleanup";
import { ANSWER_DEADLINE_MS } from "./dnsmasqChanges";
import { DnsPoller } from "./dnsPoller";
import { freePort, randomLoopback } from "../rig/ports";
import { RESPONDER_HOST } from "../lib/dns/responder";
import { summarize, type Summary } from "./stats";

export const REAL_API_ZONE = "apps.bench.example.com";

export type TargetShape = "2-8 IPs per name" | "one IP set (DaemonSet)";

export interface RealApiSize {
  readonly ingresses: number;
  readonly names: number;
  /** API PATCH of one Ingress's status returned -> the new set answered. */
  readonly propagation: Summary;
}

/** One kind of node change, over its samples. */
export interface RealApiFlip {
  /** The kwok label PATCH returned -> the node's IP gone from (back in) every answer that has it (probe names on every shard). */
  readonly visible: Summary;
  /** Longest time dnsmasq sent no answer to the continuous probes while the change was applied (worst sample). */
  readonly longestGapMs: number;
  /** Share of the probe queries sent while the change was applied that got an answer within 1 s (worst sample). */
  readonly answeredShare: number;
  /** Answers that were neither the old nor the new set of their name. */
  readonly wrong: number;
}

export interface RealApiResult {
  readonly nodes: number;
  readonly shape: TargetShape;
  readonly meanStoredKiB: number;
  readonly loadSeconds: number;
  readonly sizes: RealApiSize[];
  /** At the largest size: a node NotReady (kwok label, its delay set to 0), and Ready again. */
  readonly flipOut: RealApiFlip;
  readonly flipBack: RealApiFlip;
  /**
   * A fresh pod at the largest size, as the kubelet runs it: the sidecar process starts on an
   * empty hosts directory; dnsmasq starts when /startupz passes; then every name is asked.
   */
  readonly startupzMs: number;
  /** Process start -> dnsmasq's first answer: every name answered from then on (hosts files or responder). */
  readonly startAllNamesMs: number;
  /** Process start -> /readyz: the held shards written too, every name in dnsmasq's own hosts files. */
  readonly hostsCompleteMs: number;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  readonly listPages: number;
}

export interface RealApiOptions {
  readonly sizes: readonly number[];
  readonly nodes: number;
  readonly shape: TargetShape;
  readonly propagationSamples: number;
  readonly flipSamples: number;
  readonly log: (line: string) => void;
}

const nodeIp = (n: number) => `10.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;

function statusIpsFor(shape: TargetShape, nodes: number): (i: number) => string[] {
  if (shape === "one IP set (DaemonSet)") {
    // A hostPort DaemonSet on every node: every Ingress's status lists every node.
    const all = Array.from({ length: nodes }, (_, n) => nodeIp(n)).sort(compareIPv4);
    return () => all;
  }
  return (i) => [...new Set(Array.from({ length: 2 + (i % 7) }, (_, k) => nodeIp((i * 7 + k * 13) % nodes)))].sort(compareIPv4);
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** What the sidecar serves for Ingress i's first name with `down` nodes NotReady: the plan's own capped subset. */
function servedFor(i: number, statusIps: (i: number) => string[], down: ReadonlySet<string>): readonly string[] {
  const name = ingressHosts(i, REAL_API_ZONE)[0] as string;
  const listed = statusIps(i);
  return cappedSubset(name, shardOf(name, DEFAULT_HOSTS_SHARDS), listed, listed.filter((ip) => !down.has(ip)), DEFAULT_MAX_TARGETS, DEFAULT_HOSTS_SHARDS);
}

/** Where a pod's dnsmasq and the sidecar's responder listen, chosen before either starts (the pod's fixed ports). */
interface PodPorts {
  readonly dnsAddress: string;
  readonly dnsPort: number;
  readonly responderPort: number;
}

async function podPorts(): Promise<PodPorts> {
  const dnsAddress = randomLoopback();
  return { dnsAddress, dnsPort: await freePort(dnsAddress), responderPort: await freePort(RESPONDER_HOST) };
}

/** The sidecar as the chart runs it (forwarding mode: the responder on, dnsmasq's address for the barrier). */
async function sidecarFor(cluster: RigCluster, hostsDir: string, ports: PodPorts): Promise<SidecarProcess> {
  const token = await cluster.serviceAccountToken(DEFAULT_NAMESPACE, "cdns");
  return startSidecarProcess({
    kubeconfigYaml: tokenKubeconfigYaml(cluster.server, cluster.caPem, token, DEFAULT_NAMESPACE),
    args: [`--zones=${REAL_API_ZONE}`, `--hosts-dir=${hostsDir}`, "--log-level=warn",
      `--dnsmasq-address=${ports.dnsAddress}:${ports.dnsPort}`, `--responder-address=${RESPONDER_HOST}:${ports.responderPort}`],
  });
}

/**
 * A pod's start, in the kubelet's order: the sidecar (a native sidecar) first; dnsmasq once
 * /startupz passes, reading the hosts directory as the sidecar left it. Returns when dnsmasq
 * answers; the sidecar then adds what it held back (AtomicHostsWriter's fresh-start hold).
 */
async function startPod(cluster: RigCluster, hostsDir: string): Promise<{ sidecar: SidecarProcess; dnsmasq: RunningDnsmasq; startupzMs: number }> {
  const ports = await podPorts();
  const sidecar = await sidecarFor(cluster, hostsDir, ports);
  try {
    const startupzMs = await waitPath(sidecar, "/startupz", 180_000);
    const dnsmasq = await startTrackedDnsmasq({
      zones: [REAL_API_ZONE], ttlSeconds: 0, useHostsDir: hostsDir, address: ports.dnsAddress, port: ports.dnsPort, responderPort: ports.responderPort,
    });
    return { sidecar, dnsmasq, startupzMs };
  } catch (err) {
    await sidecar.stop();
    throw err;
  }
}

export async function measureRealApi(opts: RealApiOptions): Promise<RealApiResult> {
  const cluster = await startCluster({ noBuild: true, log: opts.log });
  // The chart's hosts emptyDir is in memory (medium: Memory): a tmpfs here too, where there is one.
  const podDir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "cdns-bench-pod-"));
  const hostsDir = join(podDir, "hosts.d");
  mkdirSync(hostsDir);
  let pod: { sidecar: SidecarProcess; dnsmasq: RunningDnsmasq; startupzMs: number } | undefined;
  let poller: DnsPoller | undefined;
  try {
    await cluster.apply(chartRbacObjects());
    for (let n = 0; n < opts.nodes; n++) await cluster.createNode({ name: `w${n}`, ip: nodeIp(n), labels: { "node-role.kubernetes.io/worker": "true" } });
    const statusIps = statusIpsFor(opts.shape, opts.nodes);
    const sizes: RealApiSize[] = [];
    let loaded = 0;
    let loadSeconds = 0;
    let storedBytes = 0;
    for (const size of opts.sizes) {
      opts.log(`real API: loading Ingresses ${loaded}..${size - 1} (${opts.shape})`);
      const load = await loadIngresses(cluster, { zone: REAL_API_ZONE, count: size, statusIps, startAt: loaded });
      loaded = size;
      loadSeconds += load.seconds;
      storedBytes = load.meanStoredBytes;
      pod ??= await startPod(cluster, hostsDir);
      poller ??= new DnsPoller({ server: pod.dnsmasq.address, port: pod.dnsmasq.port });
      await pod.sidecar.waitReady(180_000);
      const last = size - 1;
      await poller.waitFor(ingressHosts(last, REAL_API_ZONE)[0] as string, (a) => sameSet(a.addresses, servedFor(last, statusIps, new Set())), 120_000, 5);
      // The last name answering does not mean the load is digested (statuses arrive in any
      // order): measure single changes only once the sidecar has stopped writing.
      await settled(pod.sidecar, 1000, 120_000);
      opts.log(`real API: propagation at ${size}`);
      sizes.push({ ingresses: size, names: countNames(size), propagation: await propagation(cluster, poller, size, opts.propagationSamples) });
    }
    if (pod === undefined) throw new Error("real API: no sizes");
    const { dnsmasq } = pod;

    opts.log(`real API: node flips at ${loaded} (${opts.flipSamples} out and back, probes on every shard)`);
    const flips = await nodeFlips(cluster, dnsmasq, opts, statusIps, loaded);

    opts.log(`real API: a fresh pod at ${loaded}: sidecar first, dnsmasq once /startupz passes`);
    await pod.sidecar.stop();
    await pod.dnsmasq.stop();
    pod = undefined;
    const fresh = join(podDir, "fresh.d");
    mkdirSync(fresh);
    const t0 = performance.now();
    pod = await startPod(cluster, fresh);
    // Every name is answered from dnsmasq's first answer on: by its hosts files, or, for the names
    // the sidecar still holds back, by the responder dnsmasq forwards them to. A sweep of every
    // name checks that (its own duration is the client's, not the pod's).
    const startAllNamesMs = performance.now() - t0;
    const names = allNames(loaded);
    const answers = await sweep(pod.dnsmasq.address, pod.dnsmasq.port, names, { timeoutMs: 60_000 });
    const empty = [...answers.values()].filter((a) => a.ips.length === 0).length;
    if (empty > 0) throw new Error(`fresh start: ${empty} of ${names.length} names unanswered`);
    await pod.sidecar.waitReady(60_000);
    const hostsCompleteMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2000));
    const mem = pod.sidecar.memory();
    const pages = Number(/^cdns_sidecar_list_pages_total\{kind="Ingress"\} (\d+)$/m.exec((await pod.sidecar.get("/metrics")).body)?.[1] ?? NaN);
    return {
      nodes: opts.nodes, shape: opts.shape, meanStoredKiB: storedBytes / 1024, loadSeconds, sizes,
      flipOut: flips.out, flipBack: flips.back,
      startupzMs: pod.startupzMs, startAllNamesMs, hostsCompleteMs, rssMiB: mem.rssMiB, peakRssMiB: mem.peakMiB, listPages: pages,
    };
  } finally {
    await pod?.sidecar.stop();
    await pod?.dnsmasq.stop();
    poller?.close();
    await cluster.stop();
    rmSync(podDir, { recursive: true, force: true });
  }
}

function countNames(ingresses: number): number {
  let n = 0;
  for (let i = 0; i < ingresses; i++) n += ingressHosts(i, REAL_API_ZONE).length;
  return n;
}

function allNames(ingresses: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < ingresses; i++) out.push(...ingressHosts(i, REAL_API_ZONE));
  return out;
}

/** Resolves once the sidecar wrote nothing for `quietMs` (its writes counter in /metrics). */
async function settled(sidecar: SidecarProcess, quietMs: number, timeoutMs: number): Promise<void> {
  const writes = async () => /^cdns_sidecar_writes_total (\d+)$/m.exec((await sidecar.get("/metrics")).body)?.[1];
  const start = performance.now();
  let last = await writes();
  let since = performance.now();
  while (performance.now() - start < timeoutMs) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await writes();
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
  }
  throw new Error(`the sidecar kept writing for ${timeoutMs} ms`);
}

async function waitPath(sidecar: SidecarProcess, path: string, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    try {
      if ((await sidecar.get(path)).status === 200) return performance.now() - start;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${path} not 200 within ${timeoutMs} ms:\n${sidecar.output().slice(-2000)}`);
}

/** The Ingress the k-th propagation sample changes. */
function propagationIndex(k: number, samples: number, size: number): number {
  return Math.floor(((k * 7919) % samples) * (size / samples));
}

/** Status PATCH returned -> answered, alternating between two address sets of one Ingress per sample. */
async function propagation(cluster: RigCluster, poller: DnsPoller, size: number, samples: number): Promise<Summary> {
  const xs: number[] = [];
  for (let k = 0; k < samples; k++) {
    const i = propagationIndex(k, samples, size);
    const ips = k % 2 === 0 ? ["10.9.0.1", `10.9.1.${1 + (k % 200)}`] : [`10.9.2.${1 + (k % 200)}`];
    const ns = namespaceOf(i);
    await cluster.call("PATCH", `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${ingressName(i)}/status`,
      { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } }, "application/merge-patch+json");
    const sent = performance.now();
    const at = await poller.waitFor(ingressHosts(i, REAL_API_ZONE)[0] as string, (a) => sameSet(a.addresses, ips), 10_000, 1);
    xs.push(at - sent);
  }
  return summarize(xs);
}

/**
 * Node flips with a prober asking, continuously, names that serve the node: up to 4 on each of
 * the sink's shards (every file the change rewrites), so "all probes show the new set" means the
 * IP is out of (back in) every answer. The probes skip the Ingresses the propagation samples
 * changed (their status no longer lists nodes).
 */
async function nodeFlips(cluster: RigCluster, dns: RunningDnsmasq, opts: RealApiOptions, statusIps: (i: number) => string[], loaded: number): Promise<{ out: RealApiFlip; back: RealApiFlip }> {
  const touched = new Set(opts.sizes.flatMap((size) => Array.from({ length: opts.propagationSamples }, (_, k) => propagationIndex(k, opts.propagationSamples, size))));
  const prober = new ContinuousProber(dns.address, dns.port, 2);
  const acc = { out: [] as number[], back: [] as number[], gapOut: 0, gapBack: 0, shareOut: 1, shareBack: 1, wrongOut: 0, wrongBack: 0 };
  try {
    for (let k = 0; k < opts.flipSamples; k++) {
      const n = (k * 37 + 11) % opts.nodes;
      const ip = nodeIp(n);
      const perShard = new Map<number, number[]>();
      for (let i = 0; i < loaded && perShard.size < DEFAULT_HOSTS_SHARDS * 4; i += 1) {
        if (touched.has(i) || !servedFor(i, statusIps, new Set()).includes(ip)) continue;
        if (statusIps(i).length < 2) continue; // a name losing its only node is held (keep-last): not this measurement
        const shard = shardOf(ingressHosts(i, REAL_API_ZONE)[0] as string, DEFAULT_HOSTS_SHARDS);
        const list = perShard.get(shard) ?? [];
        if (list.length < 4) perShard.set(shard, [...list, i]);
      }
      const probes = [...perShard.values()].flat();
      const nameOf = (i: number) => ingressHosts(i, REAL_API_ZONE)[0] as string;
      const before = Object.fromEntries(probes.map((i) => [nameOf(i), servedFor(i, statusIps, new Set())]));
      const after = Object.fromEntries(probes.map((i) => [nameOf(i), servedFor(i, statusIps, new Set([ip]))]));
      prober.setNames(probes.map(nameOf));
      await prober.firstMatches(before, clock(), 15_000);
      prober.clear();
      for (const dir of ["out", "back"] as const) {
        const want = dir === "out" ? after : before;
        const old = dir === "out" ? before : after;
        const sentAt = clock();
        if (dir === "out") {
          await cluster.call("PATCH", `/api/v1/nodes/w${n}`, {
            metadata: {
              labels: { "node-not-ready.stage.kwok.x-k8s.io": "true" },
              annotations: { "node-not-ready.stage.kwok.x-k8s.io/delay": "0s", "node-not-ready.stage.kwok.x-k8s.io/jitter-delay": "0s" },
            },
          }, "application/merge-patch+json");
        } else await cluster.setNodeNotReady(`w${n}`, false);
        const firsts = await prober.firstMatches(want, sentAt, 20_000);
        const doneAt = Math.max(...Object.values(firsts));
        // Queries sent just before doneAt may still be on their way back: judge "answered within
        // the deadline" only once the deadline has passed for every query in the window.
        await new Promise((r) => setTimeout(r, ANSWER_DEADLINE_MS));
        const log = await prober.dump();
        prober.clear();
        const { sent, answered } = answeredShare(log, sentAt, doneAt, ANSWER_DEADLINE_MS);
        const wrong = log.answers.filter((a) => a.at >= sentAt && a.at <= doneAt && !answerMatches(old[a.name], a) && !answerMatches(want[a.name], a)).length;
        acc[dir].push(doneAt - sentAt);
        const gap = longestGap(log.answers, sentAt, doneAt);
        if (dir === "out") {
          acc.gapOut = Math.max(acc.gapOut, gap);
          acc.shareOut = Math.min(acc.shareOut, sent === 0 ? 1 : answered / sent);
          acc.wrongOut += wrong;
        } else {
          acc.gapBack = Math.max(acc.gapBack, gap);
          acc.shareBack = Math.min(acc.shareBack, sent === 0 ? 1 : answered / sent);
          acc.wrongBack += wrong;
        }
      }
    }
  } finally {
    await prober.close();
  }
  return {
    out: { visible: summarize(acc.out), longestGapMs: acc.gapOut, answeredShare: acc.shareOut, wrong: acc.wrongOut },
    back: { visible: summarize(acc.back), longestGapMs: acc.gapBack, answeredShare: acc.shareBack, wrong: acc.wrongBack },
  };
}

export interface ControllerFlipOptions {
  readonly ingresses: number;
  readonly nodes: number;
  readonly samples: number;
  readonly log: (line: string) => void;
}

export interface ControllerFlipResult {
  readonly ingresses: number;
  readonly nodes: number;
  readonly loadSeconds: number;
  /** The controller pod's status PATCH (Ready=False, what its kubelet sends) returned -> its node's IP out of a name's answer. */
  readonly flipOut: Summary;
  /** Ready=True PATCH returned -> the IP back. */
  readonly flipBack: Summary;
  /** For comparison, in the same run on the same names: the node itself NotReady (kwok label, delay 0) -> IP out. */
  readonly nodeFlipOut: Summary;
  /** Mean time of the sidecar's hosts writes during the pod samples (its /metrics), dnsmasq's re-read not included. */
  readonly meanWriteMs: number;
}

/**
 * Issue 13: the ingress controller's pod on one node turning NotReady at `ingresses` Ingresses,
 * through the real path: RKE2's ingress-nginx as a DaemonSet on every node (kwok runs its pods),
 * the bundled sidecar with `--ingress-controller=rke2-ingress-nginx` and the chart's Role,
 * realistic Ingresses of class nginx whose statuses list 2-8 node IPs each (a 64-IP DaemonSet
 * status does not fit the poller's plain 512-byte UDP answer), real dnsmasq answering.
 */
export async function measureControllerFlip(opts: ControllerFlipOptions): Promise<ControllerFlipResult> {
  const cluster = await startCluster({ noBuild: true, log: opts.log });
  const dnsmasq = await startTrackedDnsmasq({ zones: [REAL_API_ZONE], ttlSeconds: 0 });
  const poller = new DnsPoller({ server: dnsmasq.address, port: dnsmasq.port });
  let sidecar: SidecarProcess | undefined;
  try {
    await cluster.apply([...chartRbacObjects(), ...controllerRbac(REAL_API_ZONE)]);
    for (let n = 0; n < opts.nodes; n++) await cluster.createNode({ name: `w${n}`, ip: nodeIp(n), labels: { "node-role.kubernetes.io/worker": "true", ...INGRESS_NODE } });
    await cluster.apply([controllerDaemonSet()]);
    await waitPods(cluster, (ps) => ps.length === opts.nodes && ps.every((p) => p.ready), `${opts.nodes} Ready controller pods`, 120_000);
    const podOf = new Map((await controllerPods(cluster)).map((p) => [p.node, p.name]));
    const statusIps = statusIpsFor("2-8 IPs per name", opts.nodes);
    opts.log(`controller flip: loading ${opts.ingresses} Ingresses`);
    const load = await loadIngresses(cluster, { zone: REAL_API_ZONE, count: opts.ingresses, statusIps });
    const token = await cluster.serviceAccountToken(DEFAULT_NAMESPACE, "cdns");
    sidecar = await startSidecarProcess({
      kubeconfigYaml: tokenKubeconfigYaml(cluster.server, cluster.caPem, token, DEFAULT_NAMESPACE),
      args: [`--zones=${REAL_API_ZONE}`, `--hosts-dir=${dnsmasq.hostsDir}`, "--log-level=warn", "--ingress-controller=rke2-ingress-nginx"],
    });
    await sidecar.waitReady(180_000);
    const last = opts.ingresses - 1;
    await poller.waitFor(ingressHosts(last, REAL_API_ZONE)[0] as string, (a) => sameSet(a.addresses, statusIps(last)), 120_000, 5);
    opts.log(`controller flip: ${opts.samples} samples at ${opts.ingresses} Ingresses (${PRESET.podSelector})`);
    const writes = async () => {
      const body = (await (sidecar as SidecarProcess).get("/metrics")).body;
      const num = (m: string) => Number(new RegExp(`^cdns_sidecar_write_duration_seconds_${m} (\\S+)$`, "m").exec(body)?.[1] ?? NaN);
      return { sum: num("sum"), count: num("count") };
    };
    const sample = (k: number) => {
      const i = 5 + k * 13;
      const ips = statusIps(i);
      const ip = ips[k % ips.length] as string;
      const node = `w${Array.from({ length: opts.nodes }, (_, x) => x).find((x) => nodeIp(x) === ip) as number}`;
      return { ip, node, name: ingressHosts(i, REAL_API_ZONE)[0] as string };
    };
    const out: number[] = [];
    const back: number[] = [];
    const w0 = await writes();
    for (let k = 0; k < opts.samples; k++) {
      const { ip, node, name } = sample(k);
      const pod = podOf.get(node);
      if (pod === undefined) throw new Error(`no controller pod on ${node}`);
      await setPodReady(cluster, pod, false);
      let sent = performance.now();
      out.push((await poller.waitFor(name, (a) => a.addresses.length > 0 && !a.addresses.includes(ip), 15_000, 1)) - sent);
      await setPodReady(cluster, pod, true);
      sent = performance.now();
      back.push((await poller.waitFor(name, (a) => a.addresses.includes(ip), 15_000, 1)) - sent);
    }
    const w1 = await writes();
    opts.log(`controller flip: the same names, node NotReady instead (kwok), for comparison`);
    const nodeOut: number[] = [];
    for (let k = 0; k < opts.samples; k++) {
      const { ip, node, name } = sample(k);
      await cluster.call("PATCH", `/api/v1/nodes/${node}`, {
        metadata: {
          labels: { "node-not-ready.stage.kwok.x-k8s.io": "true" },
          annotations: { "node-not-ready.stage.kwok.x-k8s.io/delay": "0s", "node-not-ready.stage.kwok.x-k8s.io/jitter-delay": "0s" },
        },
      }, "application/merge-patch+json");
      const sent = performance.now();
      nodeOut.push((await poller.waitFor(name, (a) => a.addresses.length > 0 && !a.addresses.includes(ip), 15_000, 1)) - sent);
      await cluster.setNodeNotReady(node, false);
      await poller.waitFor(name, (a) => a.addresses.includes(ip), 15_000, 1);
    }
    return {
      ingresses: opts.ingresses,
      nodes: opts.nodes,
      loadSeconds: load.seconds,
      flipOut: summarize(out),
      flipBack: summarize(back),
      nodeFlipOut: summarize(nodeOut),
      meanWriteMs: ((w1.sum - w0.sum) / Math.max(1, w1.count - w0.count)) * 1000,
    };
  } finally {
    await sidecar?.stop();
    poller.close();
    await dnsmasq.stop();
    await cluster.stop();
  }
}
