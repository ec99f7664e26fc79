/**
 * The sidecar on the real path: a real API server (the rig: kube-apiserver + etcd + kwok), the
 * bundled sidecar under plain node with the image's flags and a token of the chart's
 * ServiceAccount, realistic Ingresses (5-10 KB as stored), and a real dnsmasq answering.
 *
 * Measured, in one run:
 * - propagation: an Ingress status PATCH returning -> the new set answered over UDP, at each size;
 * - node flip: the kwok NotReady label PATCH returning (kwok's own delay set to 0) -> the node's
 *   IP gone from a name's answer; and back when the label goes;
 * - process start -> every probed name answered, and the sidecar's RSS (and peak) after sync.
 */
import { DEFAULT_NAMESPACE } from "../lib/config/defaults";
import { startCluster, tokenKubeconfigYaml, type RigCluster } from "../rig/cluster";
import { chartRbacObjects } from "../test/rig/harness";
import { INGRESS_NODE, PRESET, controllerDaemonSet, controllerPods, controllerRbac, setPodReady, waitPods } from "../test/rig/controllerPods";
import { ingressHosts, ingressName, loadIngresses, namespaceOf } from "../test/helpers/ingressLoad";
import { startSidecarProcess, type SidecarProcess } from "../rig/sidecarProcess";
import { startTrackedDnsmasq } from "./cleanup";
import { DnsPoller, type PollAnswer } from "./dnsPoller";
import { summarize, type Summary } from "./stats";

export const REAL_API_ZONE = "apps.bench.example.com";

export type TargetShape = "2-8 IPs per name" | "one IP set (DaemonSet)";

export interface RealApiSize {
  readonly ingresses: number;
  readonly names: number;
  /** API PATCH of a status returned -> the new set answered. */
  readonly propagation: Summary;
}

export interface RealApiResult {
  readonly nodes: number;
  readonly shape: TargetShape;
  readonly meanStoredKiB: number;
  readonly loadSeconds: number;
  readonly sizes: RealApiSize[];
  /** At the largest size: kwok NotReady label PATCH returned -> IP out of a name's answer. */
  readonly flipOut: Summary;
  /** Label removed -> IP back. */
  readonly flipBack: Summary;
  /** Sidecar process start -> /readyz, and -> every probed name answered, at the largest size. */
  readonly startReadyMs: number;
  readonly startAllNamesMs: number;
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
    // A hostPort DaemonSet: every Ingress's status lists the same nodes (capped like the sidecar caps a name).
    const all = Array.from({ length: Math.min(nodes, 64) }, (_, n) => nodeIp(n));
    return () => all;
  }
  return (i) => [...new Set(Array.from({ length: 2 + (i % 7) }, (_, k) => nodeIp((i * 7 + k * 13) % nodes)))];
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

async function sidecarFor(cluster: RigCluster, hostsDir: string): Promise<SidecarProcess> {
  const token = await cluster.serviceAccountToken(DEFAULT_NAMESPACE, "cdns");
  return startSidecarProcess({
    kubeconfigYaml: tokenKubeconfigYaml(cluster.server, cluster.caPem, token, DEFAULT_NAMESPACE),
    args: [`--zones=${REAL_API_ZONE}`, `--hosts-dir=${hostsDir}`, "--log-level=warn"],
  });
}

export async function measureRealApi(opts: RealApiOptions): Promise<RealApiResult> {
  const cluster = await startCluster({ noBuild: true, log: opts.log });
  const dnsmasq = await startTrackedDnsmasq({ zones: [REAL_API_ZONE], ttlSeconds: 0 });
  const poller = new DnsPoller({ server: dnsmasq.address, port: dnsmasq.port });
  let sidecar: SidecarProcess | undefined;
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
      sidecar ??= await sidecarFor(cluster, dnsmasq.hostsDir);
      await sidecar.waitReady(180_000);
      const last = size - 1;
      await poller.waitFor(ingressHosts(last, REAL_API_ZONE)[0] as string, (a) => sameSet(a.addresses, statusIps(last)), 120_000, 5);
      opts.log(`real API: propagation at ${size}`);
      sizes.push({ ingresses: size, names: ingressHosts(0, REAL_API_ZONE).length === 2 ? size + Math.ceil(size / 4) : size, propagation: await propagation(cluster, poller, size, opts.propagationSamples) });
    }

    opts.log(`real API: node flips at ${loaded}`);
    const { flipOut, flipBack } = await nodeFlips(cluster, poller, opts, statusIps);

    opts.log(`real API: fresh sidecar start at ${loaded}`);
    await sidecar?.stop();
    sidecar = undefined;
    // The data a restarted sidecar finds: dnsmasq is restarted on an empty directory, so every answer comes from the new process.
    const fresh = await startTrackedDnsmasq({ zones: [REAL_API_ZONE], ttlSeconds: 0 });
    const freshPoller = new DnsPoller({ server: fresh.address, port: fresh.port });
    try {
      const t0 = performance.now();
      sidecar = await sidecarFor(cluster, fresh.hostsDir);
      const startReadyMs = await sidecar.waitReady(180_000);
      const probes = [0, 1, Math.floor(loaded / 2), loaded - 1];
      let allAt = 0;
      for (const i of probes) allAt = Math.max(allAt, await freshPoller.waitFor(ingressHosts(i, REAL_API_ZONE)[0] as string, (a: PollAnswer) => a.addresses.length > 0, 60_000, 2));
      await new Promise((r) => setTimeout(r, 2000));
      const mem = sidecar.memory();
      const pages = Number(/^cdns_sidecar_list_pages_total\{kind="Ingress"\} (\d+)$/m.exec((await sidecar.get("/metrics")).body)?.[1] ?? NaN);
      return {
        nodes: opts.nodes,
        shape: opts.shape,
        meanStoredKiB: storedBytes / 1024,
        loadSeconds,
        sizes,
        flipOut,
        flipBack,
        startReadyMs,
        startAllNamesMs: allAt - t0,
        rssMiB: mem.rssMiB,
        peakRssMiB: mem.peakMiB,
        listPages: pages,
      };
    } finally {
      freshPoller.close();
      await fresh.stop();
    }
  } finally {
    await sidecar?.stop();
    poller.close();
    await dnsmasq.stop();
    await cluster.stop();
  }
}

/** Status PATCH returned -> answered, alternating between two address sets of one Ingress per sample. */
async function propagation(cluster: RigCluster, poller: DnsPoller, size: number, samples: number): Promise<Summary> {
  const xs: number[] = [];
  for (let k = 0; k < samples; k++) {
    const i = Math.floor(((k * 7919) % samples) * (size / samples));
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

async function nodeFlips(cluster: RigCluster, poller: DnsPoller, opts: RealApiOptions, statusIps: (i: number) => string[]): Promise<{ flipOut: Summary; flipBack: Summary }> {
  const out: number[] = [];
  const back: number[] = [];
  for (let k = 0; k < opts.flipSamples; k++) {
    // An Ingress (untouched by the propagation samples) and one of its nodes.
    const i = 3 + k * 11;
    const ips = statusIps(i);
    const ip = ips[k % ips.length] as string;
    const n = Array.from({ length: opts.nodes }, (_, x) => x).find((x) => nodeIp(x) === ip) as number;
    const name = ingressHosts(i, REAL_API_ZONE)[0] as string;
    await cluster.call("PATCH", `/api/v1/nodes/w${n}`, {
      metadata: {
        labels: { "node-not-ready.stage.kwok.x-k8s.io": "true" },
        annotations: { "node-not-ready.stage.kwok.x-k8s.io/delay": "0s", "node-not-ready.stage.kwok.x-k8s.io/jitter-delay": "0s" },
      },
    }, "application/merge-patch+json");
    let sent = performance.now();
    out.push((await poller.waitFor(name, (a) => a.addresses.length > 0 && !a.addresses.includes(ip), 15_000, 1)) - sent);
    await cluster.setNodeNotReady(`w${n}`, false);
    sent = performance.now();
    back.push((await poller.waitFor(name, (a) => a.addresses.includes(ip), 15_000, 1)) - sent);
  }
  return { flipOut: summarize(out), flipBack: summarize(back) };
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
