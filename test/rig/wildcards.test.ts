/**
 * Wildcard hosts on a real API server: an Ingress with `*.preview.<zone>` answers every name one
 * label under it through dnsmasq and the sidecar's DNS responder (the chart's forwarding mode:
 * dnsmasq forwards the zone's names it does not hold); an exact name under it wins; deleting the
 * Ingress removes the wildcard. dnsmasq's TTL is 0 here, so nothing is cached and every change
 * shows at once; test/dnsmasq/wildcards.test.ts covers caching under load.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SidecarRig, WORKER, ZONE } from "./harness";

describe("wildcard hosts on a real API server", () => {
  let rig: SidecarRig;
  before(async () => {
    rig = await SidecarRig.start({
      responder: true,
      nodes: [
        { name: "w1", ip: "10.0.0.11", labels: WORKER },
        { name: "w2", ip: "10.0.0.12", labels: WORKER },
      ],
    });
    await rig.sidecar.started;
  });
  after(async () => {
    await rig?.stop();
  });

  it("an Ingress with a wildcard host answers the names under it; an exact name under it wins; deleted, the wildcard is gone", async () => {
    const covered = `branch-1.preview.${ZONE}`;
    // SERVFAIL (quick, not a timeout) until the sidecar's first plan reaches the responder.
    const t0 = performance.now();
    let first = (await rig.answer(covered)).rcode;
    while (first === "SERVFAIL" && performance.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 20));
      first = (await rig.answer(covered)).rcode;
    }
    assert.equal(first, "NXDOMAIN");
    await rig.createIngress("qa", "preview", [`*.preview.${ZONE}`], ["10.0.0.11", "10.0.0.12"]);
    const ms = await rig.waitAddresses(covered, ["10.0.0.11", "10.0.0.12"]);
    await rig.waitAddresses(`branch-2.preview.${ZONE}`, ["10.0.0.11", "10.0.0.12"]);
    // One label only, as the Ingress API matches: neither the base nor deeper names.
    assert.equal((await rig.answer(`a.branch-1.preview.${ZONE}`)).rcode, "NXDOMAIN");
    const base = await rig.answer(`preview.${ZONE}`);
    assert.deepEqual([base.rcode, base.addresses], ["NOERROR", []], "the base exists (names below it) but has no address");
    // Other types of a covered name: NODATA with the zone's SOA.
    const aaaa = await rig.answer(covered, false, "AAAA");
    assert.deepEqual([aaaa.rcode, aaaa.addresses, aaaa.authorities.map((r) => r.type)], ["NOERROR", [], ["SOA"]]);

    // An exact name under the wildcard, with its own target: it wins at once (the responder answers
    // it until the hosts files take it, a hold later) and keeps winning from the hosts files.
    await rig.createIngress("qa", "api", [`api.preview.${ZONE}`], ["10.0.0.12"]);
    await rig.waitAddresses(`api.preview.${ZONE}`, ["10.0.0.12"]);
    await rig.waitAddresses(covered, ["10.0.0.11", "10.0.0.12"]);
    const held = await rig.http("/metrics");
    assert.match(held.body, /cdns_sidecar_wildcards_served 1/);
    const start = performance.now();
    while (!(rig.sidecar.controller.lastWritten?.records.has(`api.preview.${ZONE}`) ?? false) && performance.now() - start < 5000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(rig.sidecar.controller.lastWritten?.records.has(`api.preview.${ZONE}`), "in the hosts files after its hold");
    assert.deepEqual(await rig.addresses(`api.preview.${ZONE}`), ["10.0.0.12"]);

    // A node going NotReady leaves the wildcard's answers like any name's.
    await rig.cluster.setNodeNotReady("w1", true);
    await rig.waitAddresses(covered, ["10.0.0.12"], 3000);
    await rig.cluster.setNodeNotReady("w1", false);
    await rig.waitAddresses(covered, ["10.0.0.11", "10.0.0.12"], 3000);

    await rig.cluster.call("DELETE", "/apis/networking.k8s.io/v1/namespaces/qa/ingresses/preview");
    await rig.waitAddresses(covered, []);
    assert.equal((await rig.answer(covered)).rcode, "NXDOMAIN");
    assert.deepEqual(await rig.addresses(`api.preview.${ZONE}`), ["10.0.0.12"], "the exact name stays");
    const metrics = await rig.http("/metrics");
    assert.match(metrics.body, /cdns_sidecar_wildcards_served 0/);
    assert.match(metrics.body, /cdns_sidecar_responder_queries_total\{answer="wildcard",rcode="NOERROR"\} [1-9]/);
    assert.equal((await rig.http("/readyz")).status, 200);
    console.log(`wildcard Ingress created -> answered in ${ms.toFixed(0)} ms`);
  });

  it("a wildcard outside the zones or on a reserved name is not served, and says why", async () => {
    await rig.createIngress("qa", "bad", [`*.nodes.${ZONE}`, "*.example.net"], ["10.0.0.11"]);
    await rig.waitAddresses(`x.nodes.${ZONE}`, []);
    const deadline = performance.now() + 3000;
    let metrics = "";
    while (performance.now() < deadline) {
      metrics = (await rig.http("/metrics")).body;
      if (/ignored_objects\{reason="reserved_name"\} [1-9]/.test(metrics) && /ignored_objects\{reason="outside_zones"\} [1-9]/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(metrics, /cdns_sidecar_ignored_objects\{reason="reserved_name"\} [1-9]/);
    assert.match(metrics, /cdns_sidecar_ignored_objects\{reason="outside_zones"\} [1-9]/);
    assert.equal((await rig.answer(`x.nodes.${ZONE}`)).rcode, "NXDOMAIN");
  });
});
