// The Corefile blocks checked for structure and every directive (corednsServer.test.ts runs them on a real CoreDNS).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { COREDNS_CACHE_SECONDS, renderCorednsForward } from "../../lib/render/forwarding";

const zones = ["apps.example.com", "svc.example.org"];

/** Server blocks as { key, body lines }, checking that braces balance. */
function blocks(corefile: string): { key: string; body: string[] }[] {
  const out: { key: string; body: string[] }[] = [];
  let depth = 0;
  for (const raw of corefile.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (depth === 0) {
      assert.match(line, /^\S+ \{$/, `a server block opens with "key {": ${line}`);
      out.push({ key: line.slice(0, -2), body: [] });
    } else if (!(depth === 1 && line === "}")) {
      out[out.length - 1]?.body.push(line);
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    assert.ok(depth >= 0, "braces never close more than they opened");
  }
  assert.equal(depth, 0, "every brace is closed");
  return out;
}

test("CoreDNS: one server block per zone on :53, sequential forward to every cDNS address, short cache", () => {
  const parsed = blocks(renderCorednsForward({ zones, cdnsAddresses: ["192.0.2.10", "192.0.2.11"] }));
  assert.deepEqual(parsed.map((b) => b.key), ["apps.example.com:53", "svc.example.org:53"]);
  for (const b of parsed) {
    assert.deepEqual(b.body, [
      "forward . 192.0.2.10:53 192.0.2.11:53 {",
      "policy sequential",
      "}",
      `cache ${COREDNS_CACHE_SECONDS}`,
      "errors",
    ]);
  }
  assert.equal(COREDNS_CACHE_SECONDS, 5);
});

test("CoreDNS: the cDNS port goes on the targets, not on the server block; IPv6 targets are bracketed", () => {
  const text = renderCorednsForward({ zones: ["apps.example.com"], cdnsAddresses: ["127.0.0.9", "2001:db8::9"], port: 5353 });
  const [block] = blocks(text);
  assert.equal(block?.key, "apps.example.com:53");
  assert.equal(block?.body[0], "forward . 127.0.0.9:5353 [2001:db8::9]:5353 {");
  assert.throws(() => renderCorednsForward({ zones: [], cdnsAddresses: ["127.0.0.9"] }), /renderCorednsForward: zones must not be empty/);
});
