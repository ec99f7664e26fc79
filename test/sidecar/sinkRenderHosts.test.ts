/** renderHostsFile(): the two-block layout, determinism, line splitting and rejection of unsafe data (pure). */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { HOSTS_FILE_HEADER, HOSTS_LINE_MAX_CHARS, HostsDataError, renderHostsFile } from "../../sidecar/src/sink/renderHosts";
import type { HostsData } from "../../sidecar/src/model";

const zones = ["apps.example.com", "svc.example.org"];
const data = (records: Record<string, readonly string[]>, nodeIps: readonly string[] = []): HostsData => ({
  zones,
  records: new Map(Object.entries(records)),
  nodeIps,
});

function bodyLines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

test("canonical block first (every address, nodes names per zone), then one line per record, names sorted", () => {
  const text = renderHostsFile(data(
    { "web.apps.example.com": ["10.0.0.2", "10.0.0.10"], "api.svc.example.org": ["10.0.0.2"], "b.apps.example.com": ["10.0.0.2"] },
    ["10.0.0.10", "10.0.0.9"],
  ));
  assert.equal(text.split("\n")[0], HOSTS_FILE_HEADER);
  assert.ok(text.endsWith("\n"));
  assert.deepEqual(bodyLines(text), [
    "10.0.0.2 node-10-0-0-2.nodes.apps.example.com",
    "10.0.0.9 node-10-0-0-9.nodes.apps.example.com nodes.apps.example.com nodes.svc.example.org",
    "10.0.0.10 node-10-0-0-10.nodes.apps.example.com nodes.apps.example.com nodes.svc.example.org",
    "10.0.0.2 api.svc.example.org",
    "10.0.0.2 b.apps.example.com",
    "10.0.0.2 web.apps.example.com",
    "10.0.0.10 web.apps.example.com",
  ]);
});

test("every address a record uses gets its canonical line before any record line", () => {
  const lines = bodyLines(renderHostsFile(data({ "a.apps.example.com": ["192.0.2.7"], "z.apps.example.com": ["10.0.0.1", "192.0.2.7"] })));
  const firstRecord = lines.findIndex((l) => !l.split(" ")[1]!.startsWith("node-"));
  const canonicalIps = lines.slice(0, firstRecord).map((l) => l.split(" ")[0]);
  assert.deepEqual(canonicalIps, ["10.0.0.1", "192.0.2.7"]);
  for (const l of lines.slice(firstRecord)) assert.ok(canonicalIps.includes(l.split(" ")[0]), l);
});

test("control-plane.nodes.<zone> per zone on control-plane IPs, after the canonical name and nodes names", () => {
  const text = renderHostsFile({
    zones,
    records: new Map([["web.apps.example.com", ["10.0.0.2"]]]),
    nodeIps: ["10.0.0.2"],
    controlPlaneIps: ["10.0.0.2", "10.0.1.5"],
  });
  assert.deepEqual(bodyLines(text), [
    "10.0.0.2 node-10-0-0-2.nodes.apps.example.com nodes.apps.example.com nodes.svc.example.org " +
      "control-plane.nodes.apps.example.com control-plane.nodes.svc.example.org",
    "10.0.1.5 node-10-0-1-5.nodes.apps.example.com control-plane.nodes.apps.example.com control-plane.nodes.svc.example.org",
    "10.0.0.2 web.apps.example.com",
  ]);
  assert.throws(() => renderHostsFile({ zones, records: new Map(), nodeIps: [], controlPlaneIps: ["10.0.1.999"] }), HostsDataError);
});

test("deterministic: insertion order of records, targets and node IPs does not change the bytes", () => {
  const a = renderHostsFile(data({ "x.apps.example.com": ["10.1.0.1", "10.1.0.2"], "y.apps.example.com": ["10.1.0.2"] }, ["10.1.0.3", "10.1.0.1"]));
  const b = renderHostsFile(data({ "y.apps.example.com": ["10.1.0.2"], "x.apps.example.com": ["10.1.0.2", "10.1.0.1"] }, ["10.1.0.1", "10.1.0.3"]));
  assert.equal(a, b);
  assert.doesNotMatch(a, /\d{4}-\d{2}-\d{2}/, "no timestamp: identical data must give identical bytes");
});

test("IPs sort numerically, not as strings, in both blocks", () => {
  const lines = bodyLines(renderHostsFile(data({ "n.apps.example.com": ["10.0.0.100", "9.0.0.1", "10.0.0.20"] })));
  assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["9.0.0.1", "10.0.0.20", "10.0.0.100", "9.0.0.1", "10.0.0.20", "10.0.0.100"]);
});

test("a long canonical line (many zones) is split under the cap, each part starting with the canonical name", () => {
  const many = Array.from({ length: 80 }, (_, i) => `zone-${String(i).padStart(2, "0")}.example.com`);
  const lines = bodyLines(renderHostsFile({ zones: many, records: new Map(), nodeIps: ["10.9.0.1"], controlPlaneIps: ["10.9.0.1"] }));
  assert.ok(lines.length > 1, "expected the line to be split");
  for (const l of lines) {
    assert.ok(l.length <= HOSTS_LINE_MAX_CHARS, `line of ${l.length} chars`);
    assert.ok(l.startsWith("10.9.0.1 node-10-9-0-1.nodes.zone-00.example.com "), l.slice(0, 60));
  }
  const names = lines.flatMap((l) => l.split(" ").slice(2));
  assert.equal(names.length, 160, "80 nodes names and 80 control-plane names, each exactly once");
  assert.equal(new Set(names).size, 160);
});

test("unsafe data is rejected with every problem listed, nothing rendered", () => {
  const bad: HostsData = {
    zones,
    records: new Map<string, readonly string[]>([
      ["evil.example.net", ["10.0.0.1"]],
      ["nodes.apps.example.com", ["10.0.0.1"]],
      ["cdns-health.apps.example.com", ["10.0.0.1"]],
      ["two words.apps.example.com", ["10.0.0.1"]],
      ["x#y.apps.example.com", ["10.0.0.1"]],
      ["empty.apps.example.com", []],
      ["v6.apps.example.com", ["fd00::1"]],
      ["zero.apps.example.com", ["10.0.0.01"]],
    ]),
    nodeIps: ["300.1.1.1"],
  };
  assert.throws(() => renderHostsFile(bad), (err: unknown) => {
    assert.ok(err instanceof HostsDataError);
    const all = err.problems.join("\n");
    for (const want of ["evil.example.net\" is outside the zones", "nodes.apps.example.com\" is reserved", "cdns-health.apps.example.com\" is reserved",
      "two words", "x#y", "empty.apps.example.com\" has no targets", "fd00::1", "10.0.0.01", "300.1.1.1"]) {
      assert.ok(all.includes(want), `missing problem about ${want}:\n${all}`);
    }
    assert.equal(err.problems.length, 9);
    return true;
  });
  assert.throws(() => renderHostsFile({ zones: [], records: new Map(), nodeIps: [] }), HostsDataError);
});

test("the zone apex and names in the second zone are accepted; duplicate targets collapse", () => {
  const text = renderHostsFile(data({ "apps.example.com": ["10.0.0.1"], "a.svc.example.org": ["10.0.0.1", "10.0.0.1"] }));
  assert.deepEqual(bodyLines(text), ["10.0.0.1 node-10-0-0-1.nodes.apps.example.com", "10.0.0.1 a.svc.example.org", "10.0.0.1 apps.example.com"]);
});

test("empty data renders only the header", () => {
  const text = renderHostsFile(data({}));
  assert.deepEqual(bodyLines(text), []);
  assert.match(text, /hostnames: 0; addresses: 0; nodes: 0/);
});
