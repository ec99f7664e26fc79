/**
 * 10,000 realistic Ingresses (5-10 KB each as stored: rules, TLS, Helm labels, the kubectl
 * last-applied copy, managedFields) on a real API server, read by the bundled sidecar running
 * with the image's node flags: the Ingresses come as one streamed list (the API server's WatchList,
 * on by default since Kubernetes 1.34; paging is streamedList.test.ts's), every name is served by dnsmasq, and the
 * sidecar's memory stays under the chart's container limit (DEFAULT_SIDECAR_RESOURCES).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SIDECAR_RESOURCES } from "../../lib/chart/cdnsChart";
import { DEFAULT_NAMESPACE } from "../../lib/config/defaults";
import { tokenKubeconfigYaml } from "../../rig/cluster";
import { ingressHosts, loadIngresses } from "../helpers/ingressLoad";
import { startSidecarProcess, type SidecarProcess } from "../../rig/sidecarProcess";
import { SidecarRig, WORKER, ZONE } from "./harness";

const COUNT = 10_000;
const NODES = 20;
const nodeIp = (n: number) => `10.0.1.${n + 1}`;
/** 2-8 of the nodes per Ingress, as a hostPort ingress controller's status lists them. */
const statusIps = (i: number) => Array.from({ length: 2 + (i % 7) }, (_, k) => nodeIp((i + k * 3) % NODES));

function mebibytes(q: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (m === null) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

describe("10,000 realistic Ingresses", () => {
  let rig: SidecarRig;
  let sidecar: SidecarProcess | undefined;
  before(async () => {
    rig = await SidecarRig.start({
      startSidecar: false,
      nodes: Array.from({ length: NODES }, (_, n) => ({ name: `w${n}`, ip: nodeIp(n), labels: WORKER })),
    });
  });
  after(async () => {
    await sidecar?.stop();
    await rig?.stop();
  });

  it("are listed as one stream, all served, within the sidecar's memory limit", async () => {
    const load = await loadIngresses(rig.cluster, { zone: ZONE, count: COUNT, statusIps });
    process.stdout.write(`# created ${COUNT} Ingresses with status in ${load.seconds.toFixed(1)} s; ${(load.meanStoredBytes / 1024).toFixed(1)} KiB each as stored\n`);
    assert.ok(load.meanStoredBytes >= 5 * 1024 && load.meanStoredBytes <= 10 * 1024, `mean stored size ${load.meanStoredBytes} B`);

    const token = await rig.cluster.serviceAccountToken(DEFAULT_NAMESPACE, "cdns");
    sidecar = await startSidecarProcess({
      kubeconfigYaml: tokenKubeconfigYaml(rig.cluster.server, rig.cluster.caPem, token, DEFAULT_NAMESPACE),
      args: [`--zones=${ZONE}`, `--hosts-dir=${rig.dns.hostsDir}`, "--log-level=warn"],
    });
    const readyMs = await sidecar.waitReady(120_000);
    // Every name answered, checked on a spread of them (plus the last).
    for (const i of [0, 1, 4, 999, 5000, 7777, COUNT - 1]) {
      for (const host of ingressHosts(i, ZONE)) await rig.waitAddresses(host, statusIps(i).filter((ip, k, a) => a.indexOf(ip) === k), 10_000);
    }
    const metrics = (await sidecar.get("/metrics")).body;
    const pages = Number(/^cdns_sidecar_list_pages_total\{kind="Ingress"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.equal(pages, 1, `Ingresses listed in ${pages} pages: one streamed list expected`);
    assert.match(metrics, new RegExp(`^cdns_sidecar_names_served ${COUNT + COUNT / 4}$`, "m"));

    // Memory after the sync settles, and the peak: both under the container limit.
    await new Promise((r) => setTimeout(r, 2000));
    const mem = sidecar.memory();
    const limit = mebibytes(DEFAULT_SIDECAR_RESOURCES.limits.memory);
    process.stdout.write(`# sidecar ready after ${(readyMs / 1000).toFixed(2)} s; RSS ${mem.rssMiB.toFixed(1)} MiB, peak ${mem.peakMiB.toFixed(1)} MiB; limit ${limit} MiB; ${pages} list pages\n`);
    assert.ok(mem.peakMiB < limit, `peak RSS ${mem.peakMiB.toFixed(1)} MiB must stay under the ${limit} MiB limit`);
  });
});
