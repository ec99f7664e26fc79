import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createJsonLogger } from "../../sidecar/src/log";
import { SidecarMetrics } from "../../sidecar/src/metrics";

describe("JSON logger", () => {
  it("writes one JSON object per line with time, level, msg and fields, redacting secret-looking keys", () => {
    const lines: string[] = [];
    const log = createJsonLogger({ write: (l) => lines.push(l), now: () => 0, level: "info" });
    log.debug("hidden");
    log.info("hello", { kind: "Ingress", headers: { Authorization: "Bearer abc" }, token: "abc", err: new Error("boom") });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith("\n"));
    const j = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.deepEqual(j, { time: "1970-01-01T00:00:00.000Z", level: "info", msg: "hello", kind: "Ingress", headers: { Authorization: "[redacted]" }, token: "[redacted]", err: "boom" });
    assert.ok(!lines[0]?.includes("abc"));
  });
});

describe("metrics text", () => {
  it("renders counters, labelled gauges and a cumulative histogram", () => {
    const m = new SidecarMetrics();
    m.writeSeconds.observe(0.003);
    m.writeSeconds.observe(0.2);
    m.ignored.set(2, { reason: 'we"ird' });
    const text = m.render();
    assert.match(text, /^cdns_sidecar_write_duration_seconds_bucket\{le="0.0025"\} 0$/m);
    assert.match(text, /^cdns_sidecar_write_duration_seconds_bucket\{le="0.005"\} 1$/m);
    assert.match(text, /^cdns_sidecar_write_duration_seconds_bucket\{le="0.25"\} 2$/m);
    assert.match(text, /^cdns_sidecar_write_duration_seconds_bucket\{le="\+Inf"\} 2$/m);
    assert.match(text, /^cdns_sidecar_write_duration_seconds_sum 0.203$/m);
    assert.match(text, /^cdns_sidecar_ignored_objects\{reason="we\\"ird"\} 2$/m);
    assert.match(text, /^cdns_sidecar_writes_total 0$/m);
    assert.ok(text.endsWith("\n"));
  });
});
