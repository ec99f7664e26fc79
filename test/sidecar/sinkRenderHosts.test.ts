/** renderHostsFile(): layout, determinism, line splitting and rejection of unsafe data (pure). */
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

test("one line per IP: canonical name first, nodes names per zone, then hostnames sorted", () => {
  const text = renderHostsFile(data(
    { "web.apps.example.com": ["10.0.0.2", "10.0.0.10"], "api.svc.example.org": ["10.0.0.2"], "b.apps.example.com": ["10.0.0.2"] },
    ["10.0.0.10", "10.0.0.9"],
  ));
  assert.equal(text.split("\n")[0], HOSTS_FILE_HEADER);
  assert.ok(text.endsWith("\n"));
  assert.deepEqual(bodyLines(text), [
    "10.0.0.2 node-10-0-0-2.nodes.apps.example.com api.svc.example.org b.apps.example.com web.apps.example.com",
    "10.0.0.9 node-10-0-0-9.nodes.apps.example.com nodes.apps.example.com nodes.svc.example.org",
    "10.0.0.10 node-10-0-0-10.nodes.apps.example.com nodes.apps.example.com nodes.svc.example.org web.apps.example.com",
  ]);
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
      "control-plane.nodes.apps.example.com control-plane.nodes.svc.example.org web.apps.example.com",
    "10.0.1.5 node-10-0-1-5.nodes.apps.example.com control-plane.nodes.apps.example.com control-plane.nodes.svc.example.org",
  ]);
  assert.throws(() => renderHostsFile({ zones, records: new Map(), nodeIps: [], controlPlaneIps: ["10.0.1.999"] }), HostsDataError);
});

test("deterministic: insertion order of records, targets and node IPs does not change the bytes", () => {
  const a = renderHostsFile(data({ "x.apps.example.com": ["10.1.0.1", "10.1.0.2"], "y.apps.example.com": ["10.1.0.2"] }, ["10.1.0.3", "10.1.0.1"]));
  const b = renderHostsFile(data({ "y.apps.example.com": ["10.1.0.2"], "x.apps.example.com": ["10.1.0.2", "10.1.0.1"] }, ["10.1.0.1", "10.1.0.3"]));
  assert.equal(a, b);
  assert.doesNotMatch(a, /\d{4}-\d{2}-\d{2}/, "no timestamp: identical data must give identical bytes");
});

test("IPs sort numerically, not as strings", () => {
  const text = renderHostsFile(data({ "n.apps.example.com": ["10.0.0.100", "9.0.0.1", "10.0.0.20"] }));
  assert.deepEqual(bodyLines(text).map((l) => l.split(" ")[0]), ["9.0.0.1", "10.0.0.20", "10.0.0.100"]);
});

test("an IP with 2,000 names is split into lines under the cap, each starting with the canonical name", () => {
  const records: Record<string, string[]> = {};
  for (let i = 0; i < 2000; i++) records[`host-${String(i).padStart(4, "0")}.apps.example.com`] = ["10.9.0.1"];
  const lines = bodyLines(renderHostsFile(data(records, ["10.9.0.1"])));
  assert.ok(lines.length > 1, "expected the line to be split");
  for (const l of lines) {
    assert.ok(l.length <= HOSTS_LINE_MAX_CHARS, `line of ${l.length} chars`);
    assert.ok(l.startsWith("10.9.0.1 node-10-9-0-1.nodes.apps.example.com "), l.slice(0, 60));
  }
  const names = lines.flatMap((l) => l.split(" ").slice(2));
  assert.equal(names.length, 2002, "2,000 hostnames and 2 nodes names, each exactly once");
  assert.equal(new Set(names).size, 2002);
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
  assert.deepEqual(bodyLines(text), ["10.0.0.1 node-10-0-0-1.nodes.apps.example.com a.svc.example.org apps.example.com"]);
});

test("empty data renders only the header", () => {
  const text = renderHostsFile(data({}));
  assert.deepEqual(bodyLines(text), []);
  assert.match(text, /hostnames: 0; addresses: 0; nodes: 0/);
});
