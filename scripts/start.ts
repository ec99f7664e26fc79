/**
 * `npm start`: the product, end to end, on this machine, in one command.
 *
 * 1. Builds the rig the first time (etcd, Kubernetes, kwok, the Pulumi CLI and its kubernetes
 *    plugin, from the Go module proxy; cached afterwards).
 * 2. Starts a loopback cluster: kube-apiserver + etcd, with kwok playing three worker nodes and
 *    the tainted cDNS node the local stack names (Pulumi.local.yaml).
 * 3. `pulumi up` of the local stack through the real engine (Automation API, inline program):
 *    the cDNS workload, its RBAC and ConfigMap; the Deployment becomes ready on the kwok node.
 * 4. Runs what the pod would run, as local processes with the pod's own configuration read back
 *    from the cluster: dnsmasq with the ConfigMap's dnsmasq.conf, the sidecar (the bundle, the
 *    image's node flags) with the Deployment's flags and a token of the chart's ServiceAccount.
 *    Only the paths of the two emptyDirs and the listening port and address change: port 53 on
 *    every interface becomes a high port on one 127.0.0.x address.
 * 5. Applies sample Ingresses, gives them a status as an ingress controller would, prints the
 *    answers rotating, marks a worker NotReady and shows it leave the answers and come back.
 * 6. Prints the stack outputs and the iDNS snippet, then stops everything it started.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { program } from "../infra/program";
import { ensureBinaries } from "../rig/binaries";
import { startCluster, tokenKubeconfigYaml, type RigCluster } from "../rig/cluster";
import { inlineStack, prepareEngine } from "../rig/engine";
import { ManagedProcess } from "../rig/processes";
import { freePort, randomLoopback } from "../rig/ports";
import { startSidecarProcess, type SidecarProcess } from "../rig/sidecarProcess";
import { localDnsmasqConf, localSidecarArgs } from "./localPod";
import { query } from "../test/helpers/dns";

const ROOT = join(__dirname, "..");
const STACK_FILE = join(ROOT, "Pulumi.local.yaml");
const PROJECT = "rancher-cdns";
const WORKERS = [
  { name: "worker-1", ip: "192.0.2.21" },
  { name: "worker-2", ip: "192.0.2.22" },
  { name: "worker-3", ip: "192.0.2.23" },
];

let step = 0;
const say = (text: string) => process.stdout.write(`\n[${++step}] ${text}\n`);
const info = (text: string) => process.stdout.write(`    ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LocalStackFile {
  zones: string[];
  nodes: { name: string; ip: string }[];
}

function readLocalStack(): LocalStackFile {
  const cfg = (parse(readFileSync(STACK_FILE, "utf8")) as { config: Record<string, unknown> }).config;
  const zones = cfg[`${PROJECT}:zones`] as string[];
  const nodes = (cfg[`${PROJECT}:existingCluster`] as { nodes: { name: string; ip: string }[] }).nodes;
  return { zones, nodes };
}

async function addresses(server: string, port: number, name: string): Promise<string[]> {
  return (await query(name, { server, port, timeoutMs: 1000 })).addresses;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (await check()) return performance.now() - start;
    await sleep(10);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** The engine's progress, one line per finished resource (the outputs are printed at the end). */
function engineProgress(chunk: string): void {
  for (const line of chunk.split("\n")) {
    const l = line.trimEnd();
    if (/\b(created|updated|deleted|replaced)\b \(/.test(l) || /^\s*(warning|error):/.test(l) || /^\s+[+~-] \d+ \w+$/.test(l) || /^Duration:/.test(l)) process.stdout.write(`    | ${l.trim()}\n`);
  }
}

async function main(): Promise<void> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    process.stdout.write("\ninterrupted: stopping everything\n");
    void cleanup().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const stackFile = readLocalStack();
    const zone = stackFile.zones[0] as string;

    say("Building the rig the first time (cached afterwards)");
    const built = Date.now();
    await ensureBinaries(["etcd", "kubernetes", "kwok", "pulumi", "pulumi-kubernetes"], { log: (l) => info(l) });
    info(`rig binaries ready (${((Date.now() - built) / 1000).toFixed(0)} s)`);

    say("Starting a loopback Kubernetes cluster (kube-apiserver, etcd, kwok)");
    const cluster: RigCluster = await startCluster({ log: (l) => info(l) });
    cleanups.push(() => cluster.stop());
    for (const w of WORKERS) await cluster.createNode({ name: w.name, ip: w.ip, labels: { "node-role.kubernetes.io/worker": "true" } });
    for (const n of stackFile.nodes) {
      // A cDNS node as Rancher makes it: worker role, tainted purpose=cdns (the program labels it).
      await cluster.createNode({
        name: n.name,
        ip: n.ip,
        labels: { "node-role.kubernetes.io/worker": "true" },
        taints: [{ key: "purpose", value: "cdns", effect: "NoSchedule" }, { key: "purpose", value: "cdns", effect: "NoExecute" }],
      });
    }
    for (const n of [...WORKERS, ...stackFile.nodes]) await cluster.waitNodeReady(n.name, true);
    info(`nodes: ${[...WORKERS, ...stackFile.nodes].map((n) => `${n.name} ${n.ip}`).join(", ")}`);

    say("pulumi up of the local stack (Pulumi.local.yaml) through the real engine");
    const engine = await prepareEngine({ log: (l) => info(l) });
    cleanups.push(() => engine.dispose());
    const { stack, dispose } = await inlineStack({
      engine,
      projectName: PROJECT,
      stackName: "local",
      program,
      projectFiles: [join(ROOT, "Pulumi.yaml"), STACK_FILE],
    });
    cleanups.push(dispose);
    await stack.setConfig(`${PROJECT}:kubeconfig`, { value: readFileSync(cluster.kubeconfigPath, "utf8"), secret: true });
    const up = await stack.up({ onOutput: engineProgress });
    info(`up: ${up.summary.result}, ${JSON.stringify(up.summary.resourceChanges)}`);

    say("Running the pod's containers as local processes, with the pod's configuration from the cluster");
    const dep = await cluster.call("GET", "/apis/apps/v1/namespaces/cdns-system/deployments/cdns-0");
    const podSpec = dep.json<{ spec: { template: { spec: { initContainers?: { name: string; args?: string[] }[]; volumes?: { name: string; configMap?: { name: string } }[] } } } }>().spec.template.spec;
    const cmName = podSpec.volumes?.find((v) => v.name === "config")?.configMap?.name as string;
    const cm = await cluster.call("GET", `/api/v1/namespaces/cdns-system/configmaps/${cmName}`);
    const conf = (cm.json<{ data: Record<string, string> }>()).data["dnsmasq.conf"] as string;
    const sidecarArgs = podSpec.initContainers?.find((c) => c.name === "sidecar")?.args ?? [];
    const dir = mkdtempSync(join(tmpdir(), "cdns-start-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const hostsDir = join(dir, "hosts.d");
    mkdirSync(hostsDir);
    const address = randomLoopback();
    const port = await freePort(address);
    // The pod's loopback is its own; here the responder needs a port free on this machine's.
    const responderPort = await freePort("127.0.0.1");
    writeFileSync(join(dir, "dnsmasq.conf"), localDnsmasqConf(conf, { port, address, hostsDir, pidFile: join(dir, "dnsmasq.pid"), responderPort }));
    const token = await cluster.serviceAccountToken("cdns-system", "cdns");
    const sidecar: SidecarProcess = await startSidecarProcess({
      kubeconfigYaml: tokenKubeconfigYaml(cluster.server, cluster.caPem, token, "cdns-system"),
      args: localSidecarArgs(sidecarArgs, { hostsDir, dnsmasq: `${address}:${port}`, responderPort }),
    });
    cleanups.push(() => sidecar.stop());
    info(`sidecar flags from Deployment cdns-0: ${sidecarArgs.join(" ")}`);
    const readyMs = await sidecar.waitReady(60_000);
    info(`sidecar ready (first sync and write) after ${(readyMs / 1000).toFixed(1)} s; its /readyz gates dnsmasq, as the pod's startup probe does`);
    // dnsmasq starts once the hosts data is in: no NXDOMAIN window.
    const dnsmasq = new ManagedProcess("dnsmasq", "/usr/sbin/dnsmasq", [`--conf-file=${join(dir, "dnsmasq.conf")}`], join(dir, "dnsmasq.log"));
    cleanups.push(() => dnsmasq.stop());
    await waitFor(async () => (await addresses(address, port, `cdns-health.${zone}`).catch(() => [])).length > 0, 10_000);
    info(`dnsmasq answers on ${address}:${port} (the pod: every address, port 53)`);

    say("Sample Ingresses; an ingress controller sets their status");
    const shop = `shop.${zone}`;
    const api = `api.${zone}`;
    for (const [name, host] of [["shop", shop], ["api", api]] as const) {
      await cluster.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: `demo-${name}` } });
      await cluster.call("POST", `/apis/networking.k8s.io/v1/namespaces/demo-${name}/ingresses`, {
        apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name },
        spec: { rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name, port: { number: 80 } } } }] } }] },
      });
    }
    await cluster.call("PATCH", "/apis/networking.k8s.io/v1/namespaces/demo-shop/ingresses/shop/status",
      { status: { loadBalancer: { ingress: WORKERS.map((w) => ({ ip: w.ip })) } } }, "application/merge-patch+json");
    info(`${shop}: status lists ${WORKERS.map((w) => w.ip).join(", ")}`);
    info(`${api}: empty status (the fallback: Ready worker nodes, never the cDNS node)`);
    await waitFor(async () => (await addresses(address, port, shop)).length === WORKERS.length, 10_000);
    await waitFor(async () => (await addresses(address, port, api)).length === WORKERS.length, 10_000);
    for (let k = 0; k < 3; k++) info(`dig ${shop} -> ${(await addresses(address, port, shop)).join(" ")}`);
    info(`dig ${api} -> ${(await addresses(address, port, api)).join(" ")}`);
    info("(round robin: dnsmasq rotates the order on every answer)");

    say(`Worker ${WORKERS[1]?.name} goes NotReady`);
    const gone = WORKERS[1] as { name: string; ip: string };
    await cluster.call("PATCH", `/api/v1/nodes/${gone.name}`, {
      metadata: { labels: { "node-not-ready.stage.kwok.x-k8s.io": "true" }, annotations: { "node-not-ready.stage.kwok.x-k8s.io/delay": "0s", "node-not-ready.stage.kwok.x-k8s.io/jitter-delay": "0s" } },
    }, "application/merge-patch+json");
    const leftMs = await waitFor(async () => !(await addresses(address, port, shop)).includes(gone.ip), 10_000);
    info(`${gone.ip} left the answers ${leftMs.toFixed(0)} ms after the node was marked NotReady`);
    info(`dig ${shop} -> ${(await addresses(address, port, shop)).join(" ")}`);
    await cluster.setNodeNotReady(gone.name, false);
    const backMs = await waitFor(async () => (await addresses(address, port, shop)).includes(gone.ip), 10_000);
    info(`Ready again: back in the answers after ${backMs.toFixed(0)} ms`);

    say("Stack outputs (what the iDNS is configured from)");
    const outputs = await stack.outputs();
    info(`cdnsAddresses: ${JSON.stringify(outputs.cdnsAddresses?.value)}`);
    info(`zones: ${JSON.stringify(outputs.zones?.value)}`);
    const cmds = outputs.cdnsNodeCommands?.value as string[] | undefined;
    if (cmds !== undefined) for (const c of cmds) info(`cdnsNodeCommands: ${c}`);
    info("forwarding.bind (pulumi stack output forwarding --json | jq -r .bind):");
    const bind = (outputs.forwarding?.value as { bind?: string } | undefined)?.bind ?? "";
    for (const line of bind.trimEnd().split("\n")) info(`  ${line}`);

    say("Stopping everything");
  } finally {
    await cleanup();
  }
  process.stdout.write("\ndone. `npm test` runs every test; README.md explains the stack keys for your own cluster.\n");
}

if (require.main === module) {
  // dnsmasq is a Debian package; the rest comes from npm and the Go proxy.
  if (spawnSync("test", ["-x", "/usr/sbin/dnsmasq"]).status !== 0) {
    process.stderr.write("npm start needs /usr/sbin/dnsmasq (scripts/install-deps.sh installs it)\n");
    process.exit(1);
  }
  main().then(() => process.exit(0), (err: unknown) => {
    process.stderr.write(`\nnpm start failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
