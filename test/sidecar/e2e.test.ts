/**
 * End to end in one process: Ingress and Node objects fed to the source ->
 * controller -> the real atomic writer -> a real dnsmasq on loopback, asked
 * over UDP. No API server: the objects go in through the store, exactly as the
 * informer handlers put them there.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_HOSTS_FILE } from "../../lib/config/defaults";
import { nodesName } from "../../lib/dns/names";
import { startSidecar } from "../../sidecar/src/app";
import { createMemoryLogger } from "../../sidecar/src/log";
import { validateSidecarSettings } from "../../sidecar/src/settings";
import { AtomicHostsWriter } from "../../sidecar/src/sink/atomicWriter";
import { InMemoryWatch } from "../../sidecar/src/watch";
import { query, waitForAnswer } from "../helpers/dns";
import { startDnsmasq } from "../helpers/dnsmasq";
import { ingress, node } from "./fakes";

const ZONE = "apps.example.com";
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

describe("sidecar -> real sink -> real dnsmasq", () => {
  it("serves an ingress, removes it on deletion, and drops a NotReady node's IP within 1 s", async () => {
    const dnsmasq = await startDnsmasq({ zones: [ZONE], ttlSeconds: 5 });
    const result = validateSidecarSettings({ zones: ZONE, "hosts-dir": dnsmasq.hostsDir });
    assert.ok(result.ok);
    const settings = { ...result.settings, httpPort: 0 };
    const sidecar = await startSidecar(settings, {
      logger: createMemoryLogger(),
      sink: new AtomicHostsWriter({ dir: dnsmasq.hostsDir, fileName: DEFAULT_HOSTS_FILE, log: () => {} }),
      watches: async () => [new InMemoryWatch("Ingress"), new InMemoryWatch("Node")],
      httpHost: "127.0.0.1",
    });
    const dns = { server: dnsmasq.address, port: dnsmasq.port };
    try {
      const { store } = sidecar;
      for (const [name, ip] of [["w1", "10.9.0.1"], ["w2", "10.9.0.2"], ["w3", "10.9.0.3"]] as const) store.upsert("Node", node(name, ip));
      store.upsert("Ingress", ingress("web", "shop", ["shop.apps.example.com"], ["10.9.0.1", "10.9.0.2", "10.9.0.3"]));
      store.upsert("Ingress", ingress("web", "blog", ["Blog.Apps.Example.com."], [])); // empty status: fallback workers
      store.upsert("Ingress", ingress("web", "evil", ["evil.other.org"], ["10.9.0.1"]));
      const all = ["10.9.0.1", "10.9.0.2", "10.9.0.3"];
      await waitForAnswer("shop.apps.example.com", dns, (a) => sameSet(a.addresses, all));
      await waitForAnswer("blog.apps.example.com", dns, (a) => sameSet(a.addresses, all));
      assert.ok(sameSet((await query(nodesName(ZONE), dns)).addresses, all));
      assert.equal((await query("evil.other.org", dns)).rcode, "REFUSED");

      // Deletion removes the name.
      store.remove("Ingress", ingress("web", "blog", []));
      await waitForAnswer("blog.apps.example.com", dns, (a) => a.rcode === "NXDOMAIN");

      // A node going NotReady leaves the real answers within 1 s.
      const t0 = performance.now();
      store.upsert("Node", node("w2", "10.9.0.2", { ready: false }));
      const ms = await waitForAnswer("shop.apps.example.com", dns, (a) => sameSet(a.addresses, ["10.9.0.1", "10.9.0.3"]), 2000, 5);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed < 1000, `NotReady took ${elapsed.toFixed(0)} ms (${ms.toFixed(0)} ms polling)`);
      assert.ok(sameSet((await query(nodesName(ZONE), dns)).addresses, ["10.9.0.1", "10.9.0.3"]));

      // Recovery brings it back.
      store.upsert("Node", node("w2", "10.9.0.2"));
      await waitForAnswer("shop.apps.example.com", dns, (a) => sameSet(a.addresses, all));
      assert.equal(sidecar.controller.health().ready, true);
    } finally {
      await sidecar.stop();
      await dnsmasq.stop();
    }
  });
});
