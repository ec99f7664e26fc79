import { strict as assert } from "node:assert";
import { test } from "node:test";
import { formatLabelSelector, parseLabelSelector, selectorMatches } from "../../lib/k8s/labelSelector";

function parse(s: string) {
  const r = parseLabelSelector(s);
  if (!r.ok) throw new Error(r.error);
  return r.requirements;
}

test("every operator of the Kubernetes grammar parses to its requirement", () => {
  assert.deepEqual(parse("a"), [{ key: "a", operator: "exists", values: [] }]);
  assert.deepEqual(parse("!a"), [{ key: "a", operator: "notexists", values: [] }]);
  assert.deepEqual(parse("a=b"), [{ key: "a", operator: "=", values: ["b"] }]);
  assert.deepEqual(parse("a==b"), [{ key: "a", operator: "=", values: ["b"] }]);
  assert.deepEqual(parse("a!=b"), [{ key: "a", operator: "!=", values: ["b"] }]);
  assert.deepEqual(parse("a in (x, y)"), [{ key: "a", operator: "in", values: ["x", "y"] }]);
  assert.deepEqual(parse("a notin (x)"), [{ key: "a", operator: "notin", values: ["x"] }]);
  assert.deepEqual(parse("a="), [{ key: "a", operator: "=", values: [""] }]);
  assert.deepEqual(parse(""), []);
});

test("purpose!=cdns is key purpose, not key purpose! (the bug two grammars had)", () => {
  const reqs = parse("node-role.kubernetes.io/worker=true,purpose!=cdns");
  assert.deepEqual(reqs[1], { key: "purpose", operator: "!=", values: ["cdns"] });
  assert.equal(selectorMatches({ "node-role.kubernetes.io/worker": "true" }, reqs), true);
  assert.equal(selectorMatches({ "node-role.kubernetes.io/worker": "true", purpose: "cdns" }, reqs), false);
  assert.equal(selectorMatches({ "node-role.kubernetes.io/worker": "true", purpose: "web" }, reqs), true);
});

test("matching follows the API server's rules: != and notin match absent labels, in and = do not", () => {
  const labels = { env: "qa", tier: "" };
  const cases: [string, boolean][] = [
    ["env", true], ["!env", false], ["missing", false], ["!missing", true],
    ["env=qa", true], ["env==prod", false], ["env!=prod", true], ["missing!=x", true],
    ["env in (qa,prod)", true], ["env in (prod)", false], ["missing in (x)", false],
    ["env notin (prod)", true], ["env notin (qa)", false], ["missing notin (x)", true],
    ["tier=", true], ["tier", true], ["env=qa,tier in (a,)", true], ["env=qa,!tier", false],
    ["", true],
  ];
  for (const [sel, want] of cases) assert.equal(selectorMatches(labels, parse(sel)), want, sel);
});

test("bad selectors are rejected with every problem named", () => {
  const bad = ["a b", "=b", "a in ()", "a in (x", "a,,b", "a,", "-a=b", "a=b c", "Prefix.Upper/a=b", "a=-x", `a=${"x".repeat(64)}`, "a!", "a in x"];
  for (const s of bad) {
    const r = parseLabelSelector(s);
    assert.equal(r.ok, false, s);
  }
  const r = parseLabelSelector("a=-x,=b");
  assert.ok(!r.ok && r.error.includes("-x") && r.error.includes("=b"), JSON.stringify(r));
});

test("formatLabelSelector round-trips", () => {
  const s = "a,!b,c=d,e!=f,g in (h,i),j notin (k)";
  assert.equal(formatLabelSelector(parse(s)), s);
  assert.deepEqual(parse(formatLabelSelector(parse(s))), parse(s));
});
