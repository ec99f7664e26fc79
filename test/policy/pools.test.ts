import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  CLUSTER_V2_TYPE,
  cdnsPoolLabelsAndTaints,
  cdnsPoolSingleNode,
  isCdnsPool,
  poolLabelTaintProblems,
  poolQuantityProblems,
} from "../../policy/policies";
import { analyze } from "./engine";

/** A cDNS pool as CdnsMachinePool is meant to build it. */
function cdnsPool(index: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `cdns-${index}`,
    quantity: 1,
    workerRole: true,
    machineConfig: { kind: "VmwarevsphereConfig", name: `mc-cdns-${index}` },
    machineLabels: { purpose: "cdns", "cdns.rancher-cdns.io/index": String(index) },
    taints: [
      { key: "purpose", value: "cdns", effect: "NoSchedule" },
      { key: "purpose", value: "cdns", effect: "NoExecute" },
    ],
    rollingUpdate: { maxSurge: "0", maxUnavailable: "1" },
    ...overrides,
  };
}

const workers = { name: "workers", quantity: 3, workerRole: true, machineConfig: { kind: "VmwarevsphereConfig", name: "mc-w" } };

function cluster(...pools: Record<string, unknown>[]): Record<string, unknown> {
  return { name: "qa", kubernetesVersion: "v1.33.5+rke2r1", rkeConfig: { machinePools: pools } };
}

test("isCdnsPool: by label, taint or name; workers are not", () => {
  assert.equal(isCdnsPool(cdnsPool(0)), true);
  assert.equal(isCdnsPool({ name: "x", machineLabels: { purpose: "cdns" } }), true);
  assert.equal(isCdnsPool({ name: "x", taints: [{ key: "purpose", value: "cdns" }] }), true);
  assert.equal(isCdnsPool({ name: "qa-cdns-1" }), true);
  assert.equal(isCdnsPool(workers), false);
  assert.equal(isCdnsPool({ name: "cdnsish" }), false);
});

test("cdns-pool-single-node: quantity 1 passes, 2 or unset fails; other pools are ignored", async () => {
  assert.deepEqual(await analyze([cdnsPoolSingleNode], CLUSTER_V2_TYPE, cluster(workers, cdnsPool(0), cdnsPool(1))), []);
  const v = await analyze([cdnsPoolSingleNode], CLUSTER_V2_TYPE, cluster(workers, cdnsPool(0, { quantity: 2 }), cdnsPool(1, { quantity: undefined })));
  assert.deepEqual(v.map((x) => x.policy), ["cdns-pool-single-node", "cdns-pool-single-node"]);
  assert.match(v[0]?.message ?? "", /"cdns-0" has quantity 2/);
  assert.match(v[1]?.message ?? "", /"cdns-1" has quantity unset/);
  assert.equal(v[0]?.level, 1, "mandatory");
  // Not a ClusterV2: not looked at.
  assert.deepEqual(await analyze([cdnsPoolSingleNode], "rancher2:index/cluster:Cluster", cluster(cdnsPool(0, { quantity: 2 }))), []);
});

test("cdns-pool-labels-and-taints: complete pools pass", async () => {
  assert.deepEqual(await analyze([cdnsPoolLabelsAndTaints], CLUSTER_V2_TYPE, cluster(workers, cdnsPool(0), cdnsPool(1))), []);
  // A taint without effect is NoExecute (provider default).
  const implicit = cdnsPool(0, { taints: [{ key: "purpose", value: "cdns", effect: "NoSchedule" }, { key: "purpose", value: "cdns" }] });
  assert.deepEqual(poolLabelTaintProblems(cluster(implicit)), []);
});

test("cdns-pool-labels-and-taints: each missing label or taint is reported", async () => {
  const noPurpose = cdnsPool(0, { machineLabels: { "cdns.rancher-cdns.io/index": "0" } });
  const noIndex = cdnsPool(1, { machineLabels: { purpose: "cdns" } });
  const noNoExecute = cdnsPool(2, { taints: [{ key: "purpose", value: "cdns", effect: "NoSchedule" }] });
  const noTaints = cdnsPool(3, { taints: [] });
  const v = await analyze([cdnsPoolLabelsAndTaints], CLUSTER_V2_TYPE, cluster(noPurpose, noIndex, noNoExecute, noTaints));
  const messages = v.map((x) => x.message);
  assert.equal(v.every((x) => x.policy === "cdns-pool-labels-and-taints" && x.level === 1), true);
  assert.deepEqual(messages, [
    'cDNS machine pool "cdns-0" lacks machine label purpose=cdns',
    'cDNS machine pool "cdns-1" lacks machine label cdns.rancher-cdns.io/index=<index> (got undefined)',
    'cDNS machine pool "cdns-2" lacks taint purpose=cdns:NoExecute',
    'cDNS machine pool "cdns-3" lacks taint purpose=cdns:NoSchedule',
    'cDNS machine pool "cdns-3" lacks taint purpose=cdns:NoExecute',
  ]);
});

test("cdns-pool-labels-and-taints: two pools with one index are reported", () => {
  const problems = poolLabelTaintProblems(cluster(cdnsPool(0), cdnsPool(1, { machineLabels: { purpose: "cdns", "cdns.rancher-cdns.io/index": "0" } })));
  assert.deepEqual(problems, ['cDNS machine pools "cdns-0" and "cdns-1" share cdns.rancher-cdns.io/index=0']);
  assert.deepEqual(poolQuantityProblems(cluster()), []);
  assert.deepEqual(poolQuantityProblems({}), [], "a ClusterV2 without rkeConfig has no cDNS pool");
});

test("cdns-pool-labels-and-taints: a surge machine is refused (maxSurge must be 0)", async () => {
  const surge = cdnsPool(0, { rollingUpdate: { maxSurge: "1", maxUnavailable: "0" } });
  const unset = cdnsPool(1, { rollingUpdate: undefined });
  const v = await analyze([cdnsPoolLabelsAndTaints], CLUSTER_V2_TYPE, cluster(surge, unset, cdnsPool(2, { rollingUpdate: { maxSurge: 0 } })));
  assert.deepEqual(v.map((x) => x.message), [
    'cDNS machine pool "cdns-0" has rollingUpdate.maxSurge "1"; it must be 0 (a replacement must not boot beside the old node with the same IP)',
    'cDNS machine pool "cdns-1" has rollingUpdate.maxSurge "unset"; it must be 0 (a replacement must not boot beside the old node with the same IP)',
  ]);
});
