/**
 * `sidecar.sources.gatewayHttpRoutes` on a real API server with real dnsmasq: the chart is
 * synthesized from a stack config with the key (stackSources.ts), its RBAC applied, and the
 * sidecar runs with the chart's flags and a token of the chart's ServiceAccount, against the
 * Gateway API's own standard-channel CRDs (gatewayApiCrds.ts).
 *
 * - CRDs absent: the enabled HTTPRoute and Gateway watches fail with the API server's 404 and
 *   are retried; /readyz names them, /healthz stays 200. As for any watch, nothing is written
 *   before every enabled watch has synced once (sidecar/src/controller.ts), so at a first start
 *   no name is answered until the CRDs exist.
 * - CRDs applied: picked up without a restart; an HTTPRoute's hostnames answer with the
 *   addresses in its parent Gateways' status (another namespace too), the fallback nodes while
 *   no parent has one, and leave when the route goes.
 * - CRDs deleted while running: the routes' names leave, the watch is down in /readyz, liveness
 *   holds, and the Ingress answers stay and still follow their Ingresses.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type SidecarRig, ZONE } from "./harness";
import { gatewayApiCrds, installGatewayApi, uninstallGatewayApi } from "./gatewayApiCrds";
import { startWithStackSources, stackSourcesChart, type StackSourcesChart } from "./stackSources";

const GROUP = "gateway.networking.k8s.io";
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

function clusterRoleRules(chart: StackSourcesChart): Rule[] {
  return (chart.rbac.find((o) => o.kind === "ClusterRole") as { rules: Rule[] }).rules;
}

function gateway(namespace: string, name: string): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: "Gateway",
    metadata: { name, namespace },
    spec: { gatewayClassName: "example", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
  };
}

function httpRoute(namespace: string, name: string, hostnames: readonly string[], parent: { name: string; namespace?: string }): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: "HTTPRoute",
    metadata: { name, namespace },
    spec: { parentRefs: [parent], hostnames, rules: [{ backendRefs: [{ name: "web", port: 80 }] }] },
  };
}

describe("Gateway API HTTPRoutes with the chart's RBAC and the real CRDs", () => {
  let rig: SidecarRig;
  const crds = gatewayApiCrds();
  const ingressName = `ing.${ZONE}`;
  const routeName = `route.${ZONE}`;
  const route2Name = `route2.${ZONE}`;
  const on = stackSourcesChart({ gatewayHttpRoutes: true });
  const off = stackSourcesChart(undefined);

  before(async () => {
    rig = await startWithStackSources(on);
  });
  after(async () => {
    await rig?.stop();
  });

  it("the key gives the sidecar its flag and read-only HTTPRoutes and Gateways; without it nothing of the group", () => {
    assert.deepEqual(on.sourceFlags, { "enable-httproutes": "true" });
    assert.deepEqual(off.sourceFlags, {});
    const onRules = clusterRoleRules(on);
    const offRules = clusterRoleRules(off);
    assert.deepEqual(onRules.filter((r) => r.apiGroups.includes(GROUP)), [{ apiGroups: [GROUP], resources: ["httproutes", "gateways"], verbs: ["get", "list", "watch"] }]);
    assert.deepEqual(offRules.filter((r) => r.apiGroups.includes(GROUP)), []);
    assert.deepEqual(onRules.filter((r) => !r.apiGroups.includes(GROUP)), offRules, "the source adds that rule and nothing else");
  });

  it("CRDs absent: /readyz names the missing API, /healthz stays 200; the Ingress names are served after the optional-source grace", async (t) => {
    assert.equal((await rig.cluster.request("GET", `/apis/${GROUP}/v1`)).status, 404, "the rig has no Gateway API yet");
    await rig.createIngress("team-a", "ing", [ingressName], ["10.0.0.11"]);
    const { body } = await rig.waitHttp("/readyz", 503, /watch HTTPRoute not synced yet: .*404/);
    assert.match(body, /watch Gateway not synced yet: .*404/);
    assert.doesNotMatch(body, /watch (Ingress|Node)/, "the other watches are fine");
    t.diagnostic(`/readyz: ${body.trim().replace(/\n\s*/g, " | ")}`);
    // Retried for a while (several backoff rounds), liveness holds throughout.
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      assert.equal((await rig.http("/healthz")).status, 200);
      await new Promise((r) => setTimeout(r, 250));
    }
    const restarts = /^cdns_sidecar_watch_restarts_total\{kind="HTTPRoute"\} (\d+)$/m.exec((await rig.http("/metrics")).body);
    assert.ok(restarts !== null && Number(restarts[1]) >= 2, `HTTPRoute watch retried: ${restarts?.[1]}`);
    assert.deepEqual(await rig.addresses(ingressName), [], "within the grace, nothing is written yet");
    assert.equal((await rig.http("/startupz")).status, 503);
    // Optional sources get 10 s: then the Ingress names are written without them (the pod's startup probe passes).
    await rig.waitAddresses(ingressName, ["10.0.0.11"], 15_000);
    assert.equal((await rig.http("/startupz")).status, 200);
    assert.match((await rig.http("/readyz")).body, /watch HTTPRoute not synced yet/, "still not ready: the optional source is missing");
  });

  it("CRDs applied: picked up without a restart; a route answers with its parent Gateways' addresses", async (t) => {
    const t0 = performance.now();
    await installGatewayApi(rig.cluster, crds);
    await rig.waitHttp("/readyz", 200, /ready/);
    t.diagnostic(`CRDs applied -> /readyz 200 in ${(performance.now() - t0).toFixed(0)} ms (watch backoff at most 8 s)`);
    await rig.waitAddresses(ingressName, ["10.0.0.11"]);

    await rig.ensureNamespace("infra");
    await rig.cluster.call("POST", `/apis/${GROUP}/v1/namespaces/infra/gateways`, gateway("infra", "edge"));
    await rig.ensureNamespace("team-b");
    await rig.cluster.call("POST", `/apis/${GROUP}/v1/namespaces/team-b/httproutes`, httpRoute("team-b", "web", [routeName], { name: "edge", namespace: "infra" }));
    // No address on the parent yet: the fallback nodes, as for an Ingress with an empty status.
    await rig.waitAddresses(routeName, ["10.0.0.11", "10.0.0.12"]);

    // What a Gateway controller does: addresses through the status subresource.
    const setAddresses = (ips: readonly string[]) => rig.cluster.call("PATCH", `/apis/${GROUP}/v1/namespaces/infra/gateways/edge/status`,
      { status: { addresses: ips.map((value) => ({ type: "IPAddress", value })) } }, "application/merge-patch+json");
    await setAddresses(["10.0.0.50"]);
    await rig.waitAddresses(routeName, ["10.0.0.50"]);
    await setAddresses(["10.0.0.50", "10.0.0.51"]);
    await rig.waitAddresses(routeName, ["10.0.0.50", "10.0.0.51"]);

    // A second route in the Gateway's own namespace, parentRef without a namespace.
    await rig.cluster.call("POST", `/apis/${GROUP}/v1/namespaces/infra/httproutes`, httpRoute("infra", "web2", [route2Name], { name: "edge" }));
    await rig.waitAddresses(route2Name, ["10.0.0.50", "10.0.0.51"]);
    await rig.cluster.call("DELETE", `/apis/${GROUP}/v1/namespaces/infra/httproutes/web2`);
    await rig.waitAddresses(route2Name, []);
    assert.deepEqual(await rig.addresses(routeName), ["10.0.0.50", "10.0.0.51"]);
    assert.match((await rig.http("/metrics")).body, /^cdns_sidecar_watch_up\{kind="HTTPRoute"\} 1$/m);
  });

  it("CRDs deleted while running: the routes leave, /readyz names the watch, liveness holds, Ingresses still served", async () => {
    await uninstallGatewayApi(rig.cluster, crds);
    await rig.waitAddresses(routeName, [], 10_000);
    await rig.waitHttp("/readyz", 503, /watch (HTTPRoute|Gateway) down for \d+ s/);
    assert.equal((await rig.http("/healthz")).status, 200);
    assert.deepEqual(await rig.addresses(ingressName), ["10.0.0.11"]);
    // Once synced, one watch down does not freeze the others: an Ingress change is still served.
    await rig.setIngressStatus("team-a", "ing", ["10.0.0.11", "10.0.0.12"]);
    await rig.waitAddresses(ingressName, ["10.0.0.11", "10.0.0.12"]);
  });
});
