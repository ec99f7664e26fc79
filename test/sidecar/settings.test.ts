import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_HOSTS_DIR, DEFAULT_SIDECAR_HTTP_PORT } from "../../lib/config/defaults";
import { formatProblems, helpText, parseArgs, validateSidecarSettings } from "../../sidecar/src/settings";

describe("sidecar settings", () => {
  it("applies defaults", () => {
    const r = validateSidecarSettings({ zones: "Apps.Example.com." });
    assert.ok(r.ok);
    assert.deepEqual(r.settings.zones, ["apps.example.com"]);
    assert.equal(r.settings.hostsDir, DEFAULT_HOSTS_DIR);
    assert.equal(r.settings.httpPort, DEFAULT_SIDECAR_HTTP_PORT);
    assert.equal(r.settings.allDroppedRule, "keep-last");
    assert.equal(r.settings.maxTargets, 8);
    assert.equal(r.settings.enableServices, false);
    assert.equal(r.settings.kubeconfig, undefined);
  });

  it("reads flags in both forms and lets a flag beat the environment", () => {
    const p = parseArgs(
      ["--zones", "a.example.com,b.example.org", "--http-port=9000", "--enable-services", "--namespaces=web, shop", "--all-dropped-rule", "drop"],
      { CDNS_ZONES: "ignored.example.com", CDNS_MAX_TARGETS: "10", CDNS_ENABLE_HTTPROUTES: "true" },
    );
    assert.deepEqual(p.problems, []);
    const r = validateSidecarSettings(p.raw);
    assert.ok(r.ok);
    assert.deepEqual(r.settings.zones, ["a.example.com", "b.example.org"]);
    assert.equal(r.settings.httpPort, 9000);
    assert.equal(r.settings.maxTargets, 10);
    assert.equal(r.settings.enableServices, true);
    assert.equal(r.settings.enableHttpRoutes, true);
    assert.deepEqual(r.settings.namespaces, ["web", "shop"]);
    assert.equal(r.settings.allDroppedRule, "drop");
  });

  it("lists every problem at once", () => {
    const r = validateSidecarSettings({
      "hosts-dir": "relative/dir",
      "hosts-file": ".hidden",
      "http-port": "70000",
      namespaces: "Bad_NS",
      "fallback-node-selector": "=x",
      "debounce-ms": "100",
      "max-delay-ms": "50",
      "all-dropped-rule": "sometimes",
      "max-targets": "0",
      "enable-services": "maybe",
      "pid-file": "dnsmasq.pid",
      "log-level": "loud",
    });
    assert.equal(r.ok, false);
    if (r.ok) return;
    const keys = r.problems.map((p) => p.key);
    assert.deepEqual(keys, [
      "--zones", "--hosts-dir", "--hosts-file", "--http-port", "--namespaces", "--fallback-node-selector",
      "--max-delay-ms", "--all-dropped-rule", "--max-targets", "--enable-services", "--pid-file", "--log-level",
    ]);
    const text = formatProblems(r.problems);
    assert.match(text, /12 problems/);
    assert.match(text, /--hosts-file: .*dnsmasq|--hosts-file: must be a plain file name/);
  });

  it("rejects invalid and duplicate zones, unknown flags and missing values", () => {
    const r = validateSidecarSettings({ zones: "a.example.com,A.example.com.,bad_zone,com" });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.problems.filter((p) => p.key === "--zones").length, 3);
    const p = parseArgs(["--what", "--zones"], {});
    assert.deepEqual(p.problems.map((x) => x.key), ["--what", "--zones"]);
    assert.equal(parseArgs(["--help"], {}).help, true);
    assert.match(helpText(), /--all-dropped-rule VALUE/);
  });
});

it("--dnsmasq-address: the pod's dnsmasq by default, any IPV4:PORT, or none", () => {
  const ok = (v?: string) => {
    const r = validateSidecarSettings({ zones: "apps.example.com", ...(v === undefined ? {} : { "dnsmasq-address": v }) });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.settings.dnsmasqAddress;
  };
  assert.deepEqual(ok(), { host: "127.0.0.1", port: 53 });
  assert.deepEqual(ok("127.0.0.9:15353"), { host: "127.0.0.9", port: 15353 });
  assert.equal(ok("none"), undefined);
  for (const bad of ["127.0.0.1", "localhost:53", "127.0.0.1:0", "127.0.0.1:70000", "300.0.0.1:53"]) {
    const r = validateSidecarSettings({ zones: "apps.example.com", "dnsmasq-address": bad });
    assert.ok(!r.ok && r.problems.some((p) => p.key === "--dnsmasq-address"), bad);
  }
});
