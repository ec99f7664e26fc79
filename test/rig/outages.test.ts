/**
 * API server outages against a running sidecar, with real dnsmasq answering throughout:
 * killed and restarted, frozen (SIGSTOP: connections stay open, nothing answers), and etcd
 * compacted past the watch's resourceVersion while the sidecar was away (410 -> relist).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type RigCluster } from "../../rig/cluster";
import { SidecarRig, WORKER, ZONE, ingressObject } from "./harness";

/** Queries `name` every 20 ms until stopped; counts answers that differ from `want`. */
function pollAnswers(rig: SidecarRig, name: string, want: readonly string[]) {
  const expected = [...want].sort().join(",");
  let stop = false;
  let total = 0;
  const wrong: string[] = [];
  const done = (async () => {
    while (!stop) {
      total++;
      try {
        const got = (await rig.addresses(name)).join(",");
        if (got !== expected) wrong.push(got);
      } catch (err) {
        wrong.push(String(err));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async finish() {
      stop = true;
      await done;
      return { total, wrong };
    },
  };
}

describe("API server outages", () => {
  let rig: SidecarRig;
  const name = `steady.${ZONE}`;
  before(async () => {
    // A 5 s watch timeout keeps the freeze test short: detection bound 5 + 10 = 15 s (default 30 + 10 = 40 s).
    rig = await SidecarRig.start({ nodes: [{ name: "w1", ip: "10.0.0.11", labels: WORKER }, { name: "w2", ip: "10.0.0.12", labels: WORKER }], settings: { "watch-timeout-s": "5" } });
    await rig.sidecar.started;
    await rig.createIngress("apps", "steady", [name], ["10.0.0.11", "10.0.0.12"]);
    await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.12"]);
  });
  after(async () => {
    await rig?.stop();
  });

  it("killed and restarted: answers keep coming, the watches recover without a sidecar restart", async () => {
    const sidecar = rig.sidecar;
    const poll = pollAnswers(rig, name, ["10.0.0.11", "10.0.0.12"]);
    await rig.cluster.stopApiServer();
    await rig.waitHttp("/readyz", 503, /./, 20_000);
    assert.match((await rig.http("/readyz")).body, /watch (Ingress|Node) down/);
    assert.equal((await rig.http("/healthz")).status, 200, "an API outage must not fail liveness");
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await rig.http("/healthz")).status, 200);
    await rig.cluster.startApiServer();
    const recovered = (await rig.waitHttp("/readyz", 200, /./, 20_000)).ms;
    const { total, wrong } = await poll.finish();
    assert.equal(rig.sidecar, sidecar, "same sidecar");
    assert.ok(total > 100, `polled ${total} times`);
    assert.deepEqual(wrong, [], "every answer during the outage was the last good one");
    // The recovered watches follow changes again.
    await rig.createIngress("apps", "after-restart", [`after.${ZONE}`], ["10.0.0.12"]);
    await rig.waitAddresses(`after.${ZONE}`, ["10.0.0.12"]);
    assert.ok(recovered < 20_000);
  });

  it("frozen (SIGSTOP, half-open): noticed within the bound, /healthz stays 200, watches come back after SIGCONT", async () => {
    const poll = pollAnswers(rig, name, ["10.0.0.11", "10.0.0.12"]);
    const frozenAt = performance.now();
    rig.cluster.freezeApiServer();
    let detectedMs: number;
    try {
      // Bound: watch timeout (5 s here) + the reflector's 10 s grace, plus one readiness poll.
      detectedMs = (await rig.waitHttp("/readyz", 503, /./, 20_000)).ms;
      assert.equal((await rig.http("/healthz")).status, 200);
      assert.match((await rig.http("/readyz")).body, /unresponsive|no response headers|still open/);
    } finally {
      rig.cluster.thawApiServer();
    }
    assert.ok(detectedMs <= 16_000, `detected after ${detectedMs.toFixed(0)} ms`);
    await rig.waitHttp("/readyz", 200, /./, 20_000);
    const { wrong } = await poll.finish();
    assert.deepEqual(wrong, []);
    await rig.setIngressStatus("apps", "after-restart", ["10.0.0.11"]);
    await rig.waitAddresses(`after.${ZONE}`, ["10.0.0.11"]);
    process.stdout.write(`# frozen API server noticed after ${(detectedMs / 1000).toFixed(1)} s (since freeze: ${((performance.now() - frozenAt) / 1000).toFixed(1)} s to recovery)\n`);
  });
});

describe("etcd compaction past the watch's resourceVersion", () => {
  let cluster: RigCluster;
  let rig: SidecarRig;
  before(async () => {
    // No watch cache: watches go to etcd, so only a compaction (not a restart) makes a resourceVersion too old.
    cluster = await startCluster({ noBuild: true, apiServerArgs: ["--watch-cache=false"] });
    rig = await SidecarRig.start({ cluster, nodes: [{ name: "w1", ip: "10.0.0.11", labels: WORKER }] });
    await rig.sidecar.started;
  });
  after(async () => {
    await rig?.stop(false);
    await cluster?.stop();
  });

  it("gets 410 on the re-watch, relists, and serves exactly what the cluster holds", async () => {
    await rig.createIngress("apps", "gone", [`gone.${ZONE}`], ["10.0.0.11"]);
    await rig.createIngress("apps", "kept", [`kept.${ZONE}`], ["10.0.0.11"]);
    await rig.waitAddresses(`gone.${ZONE}`, ["10.0.0.11"]);
    await rig.waitAddresses(`kept.${ZONE}`, ["10.0.0.11"]);
    const replica = await cluster.startApiServerReplica();
    try {
      await cluster.stopApiServer();
      await rig.waitHttp("/readyz", 503, /./, 20_000);
      // Changes the sidecar cannot see, made through the replica, then etcd compacted past them.
      const del = await replica.request("DELETE", "/apis/networking.k8s.io/v1/namespaces/apps/ingresses/gone");
      assert.equal(del.status, 200, del.body);
      const add = await replica.request("POST", "/apis/networking.k8s.io/v1/namespaces/apps/ingresses", ingressObject("apps", "new", [`new.${ZONE}`]));
      assert.equal(add.status, 201, add.body);
      const st = await replica.request("PATCH", "/apis/networking.k8s.io/v1/namespaces/apps/ingresses/new/status",
        { status: { loadBalancer: { ingress: [{ ip: "10.0.0.11" }] } } }, "application/merge-patch+json");
      assert.equal(st.status, 200, st.body);
      const revision = await cluster.compactEtcd();
      assert.ok(revision > 0);
      assert.deepEqual(await rig.addresses(`gone.${ZONE}`), ["10.0.0.11"], "still the last good answer while the API is down");
      await cluster.startApiServer();
      await rig.waitAddresses(`gone.${ZONE}`, [], 20_000);
      await rig.waitAddresses(`new.${ZONE}`, ["10.0.0.11"]);
      await rig.waitAddresses(`kept.${ZONE}`, ["10.0.0.11"]);
      await rig.waitHttp("/readyz", 200, /./, 20_000);
      // The relist came from a 410 on the re-watch, in the same sidecar.
      const metrics = (await rig.http("/metrics")).body;
      assert.match(metrics, /^cdns_sidecar_relists_total\{kind="Ingress"\} [1-9]\d*$/m);
    } finally {
      await replica.stop();
    }
  });
});
