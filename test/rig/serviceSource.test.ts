/**
 * `sidecar.sources.services` on a real API server with real dnsmasq: the chart is synthesized
 * from a stack config with the key (stackSources.ts), its RBAC applied, and the sidecar runs
 * with the chart's flags and a token of the chart's ServiceAccount. A LoadBalancer Service is served for the names in its
 * `cdns.rancher-cdns.io/hostname` annotation (sidecar/src/source/service.ts), with the IPv4
 * addresses its load balancer writes into `.status.loadBalancer.ingress` (the fallback nodes
 * while it has none). Without the key the chart grants nothing on Services, and a sidecar asked
 * to read them anyway is not ready, names the missing permission and keeps its answers.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SERVICE_HOSTNAME_ANNOTATION } from "../../sidecar/src/source/service";
import { DEFAULT_NAMESPACE } from "../../lib/config/defaults";
import { type SidecarRig, ZONE } from "./harness";
import { startWithStackSources, stackSourcesChart, type StackSourcesChart } from "./stackSources";

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

function clusterRoleRules(chart: StackSourcesChart): Rule[] {
  return (chart.rbac.find((o) => o.kind === "ClusterRole") as { rules: Rule[] }).rules;
}

function service(namespace: string, name: string, type: "LoadBalancer" | "ClusterIP", hostnames: string | undefined): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, ...(hostnames === undefined ? {} : { annotations: { [SERVICE_HOSTNAME_ANNOTATION]: hostnames } }) },
    spec: { type, selector: { app: name }, ports: [{ name: "https", port: 443, targetPort: 8443 }] },
  };
}

/** Whether the chart's ServiceAccount may `verb` Services cluster-wide, as the API server's authorizer says. */
async function saMay(rig: SidecarRig, verb: string): Promise<boolean> {
  const r = await rig.cluster.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: {
      user: `system:serviceaccount:${DEFAULT_NAMESPACE}:cdns`,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${DEFAULT_NAMESPACE}`, "system:authenticated"],
      resourceAttributes: { group: "", resource: "services", verb },
    },
  });
  return r.json<{ status: { allowed: boolean } }>().status.allowed;
}

describe("LoadBalancer Services with the chart's RBAC", () => {
  let rig: SidecarRig;
  const lb = `lb.${ZONE}`;
  const lb2 = `lb2.${ZONE}`;
  const shared = `shared.${ZONE}`;
  const internal = `internal.${ZONE}`;
  const on = stackSourcesChart({ services: true });
  const off = stackSourcesChart(undefined);

  before(async () => {
    rig = await startWithStackSources(on);
    await rig.sidecar.started;
  });
  after(async () => {
    await rig?.stop();
  });

  it("the key gives the sidecar its flag and read-only Services; without it neither, and nothing else differs", async () => {
    assert.deepEqual(on.sourceFlags, { "enable-services": "true" });
    assert.deepEqual(off.sourceFlags, {});
    const onRules = clusterRoleRules(on);
    const offRules = clusterRoleRules(off);
    assert.deepEqual(onRules.find((r) => r.apiGroups.includes("") && r.resources.includes("services"))?.verbs, ["get", "list", "watch"]);
    assert.ok(!offRules.some((r) => r.resources.includes("services")), "no rule on services without the source");
    const withoutServices = onRules.map((r) => ({ ...r, resources: r.resources.filter((x) => x !== "services") }));
    assert.deepEqual(withoutServices, offRules, "the source adds services to the core rule and nothing else");
    assert.deepEqual(on.rbac.filter((o) => o.kind !== "ClusterRole"), off.rbac.filter((o) => o.kind !== "ClusterRole"));
    for (const verb of ["get", "list", "watch"]) assert.equal(await saMay(rig, verb), true, verb);
    for (const verb of ["create", "update", "patch", "delete"]) assert.equal(await saMay(rig, verb), false, verb);
  });

  it("an annotated LoadBalancer Service answers with its load balancer's addresses, merged with an Ingress of the same name", async () => {
    await rig.ensureNamespace("team-a");
    await rig.cluster.call("POST", "/api/v1/namespaces/team-a/services", service("team-a", "lb", "LoadBalancer", `${lb}, ${lb2}`));
    // No load balancer address yet: the fallback nodes, as for an Ingress with an empty status.
    await rig.waitAddresses(lb, ["10.0.0.11", "10.0.0.12"]);
    // What a load-balancer controller (kube-vip, MetalLB) does: the address through the status subresource.
    const setStatus = (name: string, ips: readonly string[]) => rig.cluster.call("PATCH", `/api/v1/namespaces/team-a/services/${name}/status`,
      { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } }, "application/merge-patch+json");
    await setStatus("lb", ["10.0.0.60"]);
    await rig.waitAddresses(lb, ["10.0.0.60"]);
    await rig.waitAddresses(lb2, ["10.0.0.60"]);
    await setStatus("lb", ["10.0.0.60", "10.0.0.61"]);
    await rig.waitAddresses(lb2, ["10.0.0.60", "10.0.0.61"]);

    // The same name from a Service and an Ingress: one answer with both target sets.
    await rig.cluster.call("POST", "/api/v1/namespaces/team-a/services", service("team-a", "shared", "LoadBalancer", shared));
    await setStatus("shared", ["10.0.0.62"]);
    await rig.createIngress("team-b", "shared", [shared], ["10.0.0.11"]);
    await rig.waitAddresses(shared, ["10.0.0.11", "10.0.0.62"]);

    // Not a LoadBalancer: not ours, whatever its annotation says. The next change on the same
    // watch (Services arrive in resourceVersion order) is served only after it has been seen.
    await rig.cluster.call("POST", "/api/v1/namespaces/team-a/services", service("team-a", "internal", "ClusterIP", internal));
    await setStatus("shared", ["10.0.0.62", "10.0.0.63"]);
    await rig.waitAddresses(shared, ["10.0.0.11", "10.0.0.62", "10.0.0.63"]);
    assert.deepEqual(await rig.addresses(internal), []);

    await rig.cluster.call("DELETE", "/api/v1/namespaces/team-a/services/lb");
    await rig.waitAddresses(lb, []);
    await rig.waitAddresses(lb2, []);
    assert.deepEqual(await rig.addresses(shared), ["10.0.0.11", "10.0.0.62", "10.0.0.63"]);
    assert.match((await rig.http("/metrics")).body, /^cdns_sidecar_watch_up\{kind="Service"\} 1$/m);
  });

  it("without the key the chart grants nothing on Services: a sidecar reading them anyway is not ready, names it, keeps its answers", async () => {
    await rig.stopSidecar();
    await rig.cluster.apply(off.rbac);
    for (const verb of ["get", "list", "watch"]) assert.equal(await saMay(rig, verb), false, `${verb} after the ClusterRole without the source`);
    await rig.startSidecar();
    const { body } = await rig.waitHttp("/readyz", 503, /watch Service not synced yet: .*services is forbidden: User "system:serviceaccount:cdns-system:cdns" cannot (list|watch) resource "services"/);
    assert.doesNotMatch(body, /watch (Ingress|Node)/, "Ingresses and Nodes are still allowed");
    assert.equal((await rig.http("/healthz")).status, 200, "missing RBAC is not fixed by a restart");
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await rig.addresses(shared), ["10.0.0.11", "10.0.0.62", "10.0.0.63"], "the answers written before stay");
    // And the sidecar of the stack without the key runs with that ClusterRole.
    await rig.stopSidecar();
    await rig.startSidecar({ "enable-services": off.sourceFlags["enable-services"] ?? "false" });
    await rig.waitHttp("/readyz", 200, /ready/);
    await rig.waitAddresses(shared, ["10.0.0.11"]);
  });
});
