/**
 * The chart's own RBAC on a real API server: the sidecar runs with a TokenRequest token of the
 * chart's ServiceAccount. A ClusterRole missing one verb gives an error naming it, /readyz false,
 * and the answers already written stay (a restarted sidecar never blanks them).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { SidecarRig, WORKER, ZONE, chartRbacObjects } from "./harness";

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** The chart's ClusterRole with `verb` removed for `resource` only. */
function roleWithout(resource: string, verb: string): Record<string, unknown> {
  const role = structuredClone(chartRbacObjects().find((o) => o.kind === "ClusterRole")) as Record<string, unknown> & { rules: Rule[] };
  const rules: Rule[] = [];
  for (const r of role.rules) {
    if (!r.resources.includes(resource)) {
      rules.push(r);
      continue;
    }
    const others = r.resources.filter((x) => x !== resource);
    if (others.length > 0) rules.push({ ...r, resources: others });
    rules.push({ ...r, resources: [resource], verbs: r.verbs.filter((v) => v !== verb) });
  }
  return { ...role, rules };
}

describe("RBAC of the chart's ServiceAccount", () => {
  let rig: SidecarRig;
  const name = `app.${ZONE}`;
  before(async () => {
    rig = await SidecarRig.start({ nodes: [{ name: "w1", ip: "10.0.0.11", labels: WORKER }] });
    await rig.sidecar.started;
  });
  after(async () => {
    await rig?.stop();
  });

  it("works with exactly the chart's ClusterRole", async () => {
    const who = await rig.cluster.call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
    assert.ok(who.status >= 200);
    await rig.createIngress("apps", "app", [name], ["10.0.0.11"]);
    await rig.waitAddresses(name, ["10.0.0.11"]);
    assert.equal((await rig.http("/readyz")).status, 200);
  });

  // Only "watch" matters on an API server that streams lists (WatchList, Kubernetes >= 1.34): its
  // lists are watches. streamedList.test.ts covers paging, where "list" matters too.
  for (const [resource, verb] of [["nodes", "watch"], ["ingresses", "watch"]] as const) {
    it(`a role without "${verb}" on ${resource}: a restarted sidecar names it, is not ready, and keeps the last answers`, async () => {
      const filesBefore = readdirSync(rig.dns.hostsDir).sort();
      await rig.stopSidecar();
      await rig.cluster.apply([roleWithout(resource, verb)]);
      // The change a fresh sidecar should have served; it must not, without its watches.
      await rig.setIngressStatus("apps", "app", ["10.0.0.11", "10.0.0.99"]);
      await rig.startSidecar();
      const { body } = await rig.waitHttp("/readyz", 503, new RegExp(`cannot ${verb} resource "${resource}"`));
      assert.match(body, /watch (Node|Ingress) (not synced yet|down for \d+ s): .*forbidden: User "system:serviceaccount:cdns-system:cdns"/);
      assert.equal((await rig.http("/healthz")).status, 200, "missing RBAC is not fixed by a restart");
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(await rig.addresses(name), ["10.0.0.11"], "the last written answer stays");
      assert.deepEqual(readdirSync(rig.dns.hostsDir).sort(), filesBefore);
      const logged = rig.logger.lines.find((l) => l.msg === "watch failed, restarting" && String((l.fields as { error?: string }).error).includes(`cannot ${verb} resource "${resource}"`));
      assert.ok(logged, "the error is logged with the verb and resource");
      // Fixing the role heals it without a restart.
      await rig.cluster.apply(chartRbacObjects());
      await rig.waitHttp("/readyz", 200);
      await rig.waitAddresses(name, ["10.0.0.11", "10.0.0.99"]);
      await rig.setIngressStatus("apps", "app", ["10.0.0.11"]);
      await rig.waitAddresses(name, ["10.0.0.11"]);
    });
  }
});
