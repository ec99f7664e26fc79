import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startSidecar } from "../../sidecar/src/app";
import { createMemoryLogger } from "../../sidecar/src/log";
import { validateSidecarSettings } from "../../sidecar/src/settings";
import { InMemoryWatch } from "../../sidecar/src/watch";
import { RecordingSink, ingress, node } from "./fakes";

async function get(port: number, path: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") ?? "" };
}

async function until(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("health and metrics HTTP server", () => {
  it("moves /readyz and /healthz through their states and serves Prometheus text", async () => {
    const result = validateSidecarSettings({ zones: "apps.example.com", "http-port": "1" });
    assert.ok(result.ok);
    const settings = { ...result.settings, httpPort: 0 };
    const ingresses = new InMemoryWatch("Ingress");
    const nodes = new InMemoryWatch("Node");
    nodes.failNextStarts = 1; // not synced until the first restart (500 ms)
    const sink = new RecordingSink();
    const sidecar = await startSidecar(settings, {
      logger: createMemoryLogger(),
      sink,
      watches: async () => [ingresses, nodes],
      httpHost: "127.0.0.1",
    });
    try {
      const { port } = sidecar;
      assert.equal((await get(port, "/readyz")).status, 503);
      assert.equal((await get(port, "/startupz")).status, 503, "nothing written yet");
      assert.equal((await get(port, "/healthz")).status, 200);
      sidecar.store.upsert("Node", node("w1", "10.0.0.1"));
      sidecar.store.upsert("Ingress", ingress("web", "a", ["a.apps.example.com", "x.other.org"], ["10.0.0.1"]));
      await until(async () => (await get(port, "/readyz")).status === 200);
      assert.equal((await get(port, "/startupz")).status, 200);
      assert.equal(sink.writes.length, 1);

      const m = await get(port, "/metrics");
      assert.equal(m.status, 200);
      assert.match(m.type, /text\/plain; version=0\.0\.4/);
      assert.match(m.body, /^cdns_sidecar_names_served 1$/m);
      assert.match(m.body, /^cdns_sidecar_records_served 1$/m);
      assert.match(m.body, /^cdns_sidecar_ignored_objects\{reason="outside_zones"\} 1$/m);
      assert.match(m.body, /^cdns_sidecar_watch_restarts_total\{kind="Node"\} 1$/m);
      assert.match(m.body, /^cdns_sidecar_write_duration_seconds_count 1$/m);
      assert.match(m.body, /^cdns_sidecar_write_errors_total 0$/m);
      assert.match(m.body, /^cdns_sidecar_last_sync_timestamp_seconds \d{10}$/m);
      assert.match(m.body, /^# TYPE cdns_sidecar_write_duration_seconds histogram$/m);

      // A watch down (an API outage) fails /readyz with the reason, never /healthz; recovery brings it back.
      ingresses.failNextStarts = 1000;
      ingresses.fail(new Error("connect ECONNREFUSED"));
      await until(async () => (await get(port, "/readyz")).status === 503);
      assert.match((await get(port, "/readyz")).body, /watch Ingress down for \d+ s: /);
      assert.equal((await get(port, "/startupz")).status, 200, "started stays started");
      assert.equal((await get(port, "/healthz")).status, 200);
      ingresses.failNextStarts = 0;
      await until(async () => (await get(port, "/readyz")).status === 200, 10_000);

      // A failing write fails /readyz until a retry succeeds (/healthz only after a minute of failures).
      sink.failNext = 1;
      sidecar.store.upsert("Ingress", ingress("web", "b", ["b.apps.example.com"], ["10.0.0.1"]));
      await until(async () => (await get(port, "/readyz")).status === 503);
      assert.match((await get(port, "/readyz")).body, /last hosts write failed/);
      assert.equal((await get(port, "/healthz")).status, 200);
      await until(async () => (await get(port, "/readyz")).status === 200);

      // A watch that claims to run but stays silent is stuck: /healthz fails, naming it.
      let last = 0;
      nodes.lastActivity = () => last;
      await until(async () => (await get(port, "/healthz")).status === 503);
      assert.match((await get(port, "/healthz")).body, /watch Node stuck/);
      last = Date.now();
      assert.equal((await get(port, "/healthz")).status, 200);
      assert.equal((await get(port, "/nope")).status, 404);
    } finally {
      await sidecar.stop();
    }
    assert.equal(sidecar.server.listening, false);
  });
});
