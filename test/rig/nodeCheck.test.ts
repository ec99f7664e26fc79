/**
 * The data-path check for real: kwok nodes carrying 127.0.0.x InternalIPs, a TCP listener per
 * node on that address standing in for the ingress controller's hostPort, the sidecar on the
 * real API server checking them, real dnsmasq answering. Nothing listening on a node's port:
 * the node leaves after the fall count; listening again: back after the rise count.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { SidecarRig, WORKER, ZONE } from "./harness";

const INTERVAL_MS = 200;
const FALL = 3;
const RISE = 2;
const IPS = ["127.0.0.21", "127.0.0.22", "127.0.0.23"];

function listen(ip: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => s.destroy());
    server.once("error", reject);
    server.listen(port, ip, () => resolve(server));
  });
}

const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

describe("the data-path check on a real API server", () => {
  let rig: SidecarRig;
  const servers = new Map<string, net.Server>();
  let port = 0;
  before(async () => {
    // One port for every node, as a hostPort is: the first listener picks it.
    const first = await listen(IPS[0] as string, 0);
    port = (first.address() as net.AddressInfo).port;
    servers.set(IPS[0] as string, first);
    for (const ip of IPS.slice(1)) servers.set(ip, await listen(ip, port));
    rig = await SidecarRig.start({
      nodes: IPS.map((ip, i) => ({ name: `w${i + 1}`, ip, labels: WORKER })),
      settings: {
        "node-check": "true",
        "node-check-ports": String(port),
        "node-check-interval-ms": String(INTERVAL_MS),
        "node-check-timeout-ms": "100",
        "node-check-fall": String(FALL),
        "node-check-rise": String(RISE),
      },
    });
    await rig.sidecar.started;
  });
  after(async () => {
    await rig?.stop();
    for (const s of servers.values()) await close(s);
  });

  it("nothing listening: the node leaves after the fall count; listening again: back after the rise count", async (t) => {
    const name = `web.${ZONE}`;
    await rig.createIngress("team-a", "web", [name], IPS);
    await rig.waitAddresses(name, IPS);
    await rig.waitAddresses(`nodes.${ZONE}`, IPS);
    const metricLine = (ip: string, node: string) => new RegExp(`^cdns_sidecar_node_check_up\\{ip="${ip.replace(/\./g, "\\.")}",node="${node}"\\} (\\d)$`, "m");
    // Checked (up) before anything changes.
    const since = Date.now();
    while (!metricLine("127.0.0.22", "w2").test((await rig.http("/metrics")).body)) {
      assert.ok(Date.now() - since < 5000, "w2 never checked");
      await new Promise((r) => setTimeout(r, 50));
    }

    await close(servers.get("127.0.0.22") as net.Server);
    const t0 = performance.now();
    const outMs = await rig.waitAddresses(name, ["127.0.0.21", "127.0.0.23"], 5000);
    const out = performance.now() - t0;
    // The first failing check comes within an interval of the close, the fall-th (FALL - 1) intervals later.
    assert.ok(out >= (FALL - 1) * INTERVAL_MS - 50, `left after ${out.toFixed(0)} ms: before ${FALL} failed checks could have happened`);
    assert.ok(out <= FALL * INTERVAL_MS + 1000, `left after ${out.toFixed(0)} ms (polled ${outMs.toFixed(0)} ms)`);
    assert.deepEqual(await rig.addresses(`nodes.${ZONE}`), ["127.0.0.21", "127.0.0.23"]);
    assert.equal(metricLine("127.0.0.22", "w2").exec((await rig.http("/metrics")).body)?.[1], "0");
    assert.match(JSON.stringify(rig.logger.lines), /node check down: leaving the answers/);

    servers.set("127.0.0.22", await listen("127.0.0.22", port));
    const t1 = performance.now();
    await rig.waitAddresses(name, IPS, 5000);
    const back = performance.now() - t1;
    assert.ok(back >= (RISE - 1) * INTERVAL_MS - 50, `back after ${back.toFixed(0)} ms: before ${RISE} good checks could have happened`);
    assert.ok(back <= RISE * INTERVAL_MS + 1000, `back after ${back.toFixed(0)} ms`);
    assert.equal(metricLine("127.0.0.22", "w2").exec((await rig.http("/metrics")).body)?.[1], "1");
    t.diagnostic(`listener closed -> out of the answers ${out.toFixed(0)} ms; listening again -> back ${back.toFixed(0)} ms (interval ${INTERVAL_MS} ms, fall ${FALL}, rise ${RISE})`);
  });
});
