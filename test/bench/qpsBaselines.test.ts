/** The bench's qps baselines: the same records written by hand, and the tiny same-answer-size file (pure). */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { benchHostsData, minimalHostsFor, tinyHostsFor } from "../../bench/qps";
import { median } from "../../bench/stats";

test("minimal: exactly one `IP name` line per record of the data, nothing else", () => {
  const data = benchHostsData(30);
  const lines = minimalHostsFor(data).trimEnd().split("\n");
  const want = [...data.records].flatMap(([name, ips]) => ips.map((ip) => `${ip} ${name}`));
  assert.deepEqual(lines, want);
  assert.ok(lines.every((l) => /^\d+\.\d+\.\d+\.\d+ [a-z0-9.-]+$/.test(l)), "no comments, canonical or nodes names");
  assert.ok(want.length > 60, "30 Ingresses give more than 60 records");
});

test("tiny: size-K answers exactly K distinct addresses, and queries follow the sample's sizes", () => {
  const { hosts, queries } = tinyHostsFor([3, 8, 2, 8]);
  const answers = new Map<string, string[]>();
  for (const line of hosts.trimEnd().split("\n")) {
    const [ip, ...names] = line.split(" ") as [string, ...string[]];
    for (const n of names) answers.set(n, [...(answers.get(n) ?? []), ip]);
  }
  for (const k of [2, 3, 8]) {
    const ips = answers.get(`size-${k}.apps.example.com`) ?? [];
    assert.equal(ips.length, k);
    assert.equal(new Set(ips).size, k);
  }
  assert.equal(answers.size, 3);
  assert.deepEqual(queries, ["size-3", "size-8", "size-2", "size-8"].map((q) => `${q}.apps.example.com`));
});

test("median: middle value, mean of the middle two for an even count", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
