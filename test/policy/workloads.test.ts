import { test } from "node:test";
import * as assert from "node:assert/strict";
import { synthCdnsManifests } from "../../lib/chart/cdnsChart";
import {
  CONFIG_GROUP_TYPE,
  DEPLOYMENT_TYPE,
  cdnsDeploymentHostPort53,
  cdnsDeploymentSingleReplicaRecreate,
  containersHaveLivenessProbe,
  policies,
} from "../../policy/policies";
import { analyze } from "./engine";

/** Synthesized manifests are untyped JSON; `any` lets the test mutate them. */
type Obj = any;

const IMAGE = `registry.example.com/cdns-sidecar:1@sha256:${"12".repeat(32)}`;
const chartObjs = (): Obj[] => synthCdnsManifests({ zones: ["apps.example.com"], nodes: [{ index: 0, ip: "192.0.2.10" }], sidecarImage: IMAGE, dnsmasqImage: `registry.example.com/cdns-dnsmasq:1@sha256:${"34".repeat(32)}` });
const cdnsDeployment = (): Obj => chartObjs().find((o) => o.kind === "Deployment");

/** A Deployment that is not cDNS: two replicas, rolling update, no host port. */
function webDeployment(): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "nginx:1.27", livenessProbe: { httpGet: { path: "/", port: 80 } } }] },
      },
    },
  };
}

test("the chart's own Deployment passes every policy, as a Deployment and inside the ConfigGroup", async () => {
  assert.deepEqual(await analyze(policies, DEPLOYMENT_TYPE, cdnsDeployment()), []);
  assert.deepEqual(await analyze(policies, CONFIG_GROUP_TYPE, { objs: chartObjs() }), []);
});

test("cdns-deployment-single-replica-recreate: 2 replicas or RollingUpdate fail; other Deployments are ignored", async () => {
  const d = cdnsDeployment();
  d.spec.replicas = 2;
  d.spec.strategy = { type: "RollingUpdate" };
  const v = await analyze([cdnsDeploymentSingleReplicaRecreate], DEPLOYMENT_TYPE, d);
  assert.deepEqual(v.map((x) => x.message), [
    "Deployment cdns-0: replicas is 2; a cDNS Deployment must set 1",
    "Deployment cdns-0: strategy is RollingUpdate; a cDNS Deployment must use Recreate",
  ]);
  assert.equal(v[0]?.level, 1);
  const unset = cdnsDeployment();
  delete unset.spec.replicas;
  delete unset.spec.strategy;
  assert.equal((await analyze([cdnsDeploymentSingleReplicaRecreate], DEPLOYMENT_TYPE, unset)).length, 2, "unset is not 1/Recreate");
  assert.deepEqual(await analyze([cdnsDeploymentSingleReplicaRecreate], DEPLOYMENT_TYPE, webDeployment()), []);
});

test("cdns-deployment-single-replica-recreate: recognised by nodeSelector too, and inside a ConfigGroup", async () => {
  const byNode = webDeployment();
  byNode.spec.template.spec.nodeSelector = { purpose: "cdns" };
  assert.equal((await analyze([cdnsDeploymentSingleReplicaRecreate], DEPLOYMENT_TYPE, byNode)).length, 2);
  const objs = chartObjs();
  objs.find((o) => o.kind === "Deployment").spec.replicas = 3;
  const v = await analyze([cdnsDeploymentSingleReplicaRecreate], CONFIG_GROUP_TYPE, { objs });
  assert.deepEqual(v.map((x) => x.message), ["Deployment cdns-0: replicas is 3; a cDNS Deployment must set 1"]);
});

test("cdns-deployment-host-port-53: UDP and TCP both required", async () => {
  const noUdp = cdnsDeployment();
  const dnsmasq = noUdp.spec.template.spec.containers[0];
  dnsmasq.ports = dnsmasq.ports.filter((p: Obj) => p.protocol !== "UDP");
  assert.deepEqual((await analyze([cdnsDeploymentHostPort53], DEPLOYMENT_TYPE, noUdp)).map((x) => x.message), [
    "Deployment cdns-0: no container publishes hostPort 53/UDP",
  ]);
  const noHostPort = cdnsDeployment();
  for (const p of noHostPort.spec.template.spec.containers[0].ports) delete p.hostPort;
  assert.deepEqual((await analyze([cdnsDeploymentHostPort53], DEPLOYMENT_TYPE, noHostPort)).map((x) => x.message), [
    "Deployment cdns-0: no container publishes hostPort 53/UDP",
    "Deployment cdns-0: no container publishes hostPort 53/TCP",
  ]);
  const wrongPort = cdnsDeployment();
  for (const p of wrongPort.spec.template.spec.containers[0].ports) p.hostPort = 5353;
  assert.equal((await analyze([cdnsDeploymentHostPort53], DEPLOYMENT_TYPE, wrongPort)).length, 2);
  assert.deepEqual(await analyze([cdnsDeploymentHostPort53], DEPLOYMENT_TYPE, webDeployment()), [], "not a cDNS Deployment");
});

test("containers-have-liveness-probe: any workload kind, any container, native sidecars too", async () => {
  assert.deepEqual(await analyze([containersHaveLivenessProbe], DEPLOYMENT_TYPE, webDeployment()), []);
  assert.deepEqual(await analyze([containersHaveLivenessProbe], DEPLOYMENT_TYPE, cdnsDeployment()), [], "the chart's pod as it is");
  const d = cdnsDeployment();
  // The chart runs the sidecar as a native sidecar: an init container with restartPolicy Always.
  const sidecar = d.spec.template.spec.initContainers.find((c: Obj) => c.name === "sidecar");
  assert.equal(sidecar.restartPolicy, "Always");
  delete sidecar.livenessProbe;
  delete d.spec.template.spec.containers[0].livenessProbe;
  assert.deepEqual((await analyze([containersHaveLivenessProbe], DEPLOYMENT_TYPE, d)).map((x) => x.message), [
    'Deployment cdns-0: container "dnsmasq" has no livenessProbe',
    'Deployment cdns-0: native sidecar "sidecar" has no livenessProbe',
  ]);
  // A plain init container runs to completion: no liveness probe needed (nor allowed).
  const withInit = webDeployment();
  withInit.spec.template.spec.initContainers = [{ name: "migrate", image: "busybox" }];
  assert.deepEqual(await analyze([containersHaveLivenessProbe], DEPLOYMENT_TYPE, withInit), []);
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox" }] } };
  assert.deepEqual((await analyze([containersHaveLivenessProbe], "kubernetes:core/v1:Pod", pod)).map((x) => x.message), [
    'Pod p: container "c" has no livenessProbe',
  ]);
  const ds = webDeployment();
  ds.kind = "DaemonSet";
  delete ds.spec.template.spec.containers[0].livenessProbe;
  assert.equal((await analyze([containersHaveLivenessProbe], "kubernetes:apps/v1:DaemonSet", ds)).length, 1);
  const objs = [...chartObjs(), ds];
  assert.deepEqual((await analyze([containersHaveLivenessProbe], CONFIG_GROUP_TYPE, { objs })).map((x) => x.message), [
    'DaemonSet web: container "web" has no livenessProbe',
  ]);
  assert.deepEqual(await analyze([containersHaveLivenessProbe], "kubernetes:core/v1:ConfigMap", { data: {} }), []);
});
