/**
 * The chart against the real parts it drives: the sidecar's own flag parser accepts the
 * chart's args, and the image's probe script, given the chart's probe name (server and port
 * moved to a loopback dnsmasq running the chart's own dnsmasq.conf), passes.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, validateSidecarSettings } from "../../sidecar/src/settings";
import { DEFAULT_HOSTS_DIR } from "../../lib/config/defaults";
import { waitForAnswer } from "../helpers/dns";
import { DNSMASQ_BIN } from "../helpers/dnsmasq";
import { freePort, randomLoopback } from "../helpers/ports";
import { baseProps, container, one, synth } from "./fixtures";

const PROBE = join(__dirname, "../../images/dnsmasq/probe.sh");

test("the sidecar's settings parser accepts the chart's args and reads back the same settings", () => {
  const objs = synth({ ...baseProps, ingressClass: "nginx", namespaces: ["team-a", "team-b"], sources: { services: true, gatewayHttpRoutes: true } });
  const args: string[] = container(one(objs, "Deployment", "cdns-0"), "sidecar").args;
  const parsed = parseArgs(args, {});
  assert.deepEqual(parsed.problems, []);
  const result = validateSidecarSettings(parsed.raw);
  assert.ok(result.ok, JSON.stringify(result));
  const s = result.settings;
  assert.deepEqual(s.zones, baseProps.zones);
  assert.equal(s.hostsDir, DEFAULT_HOSTS_DIR);
  assert.equal(s.httpPort, container(one(objs, "Deployment", "cdns-0"), "sidecar").ports[0].containerPort);
  assert.equal(s.ingressClass, "nginx");
  assert.deepEqual(s.namespaces, ["team-a", "team-b"]);
  assert.equal(s.enableServices, true);
  assert.equal(s.enableHttpRoutes, true);
  const plain = validateSidecarSettings(parseArgs(container(one(synth(), "Deployment", "cdns-0"), "sidecar").args, {}).raw);
  assert.ok(plain.ok && !plain.settings.enableServices && !plain.settings.enableHttpRoutes && plain.settings.ingressClass === undefined);
});

test("the image's probe script passes with the chart's probe name against dnsmasq running the chart's own conf", async () => {
  const objs = synth();
  const probe: string[] = container(one(objs, "Deployment", "cdns-0"), "dnsmasq").livenessProbe.exec.command;
  const [, name, server, port] = probe;
  assert.equal(server, "127.0.0.1");
  assert.equal(port, "53");
  // The ConfigMap's dnsmasq.conf with only the port, paths and bind address moved to the test's own.
  const dir = mkdtempSync(join(tmpdir(), "cdns-chart-conf-"));
  mkdirSync(join(dir, "hosts.d"));
  const address = randomLoopback();
  const testPort = await freePort(address);
  const conf = (one(objs, "ConfigMap").data["dnsmasq.conf"] as string)
    .replace(/^port=53$/m, `port=${testPort}`)
    .replace(/^hostsdir=.*$/m, `hostsdir=${join(dir, "hosts.d")}`)
    .replace(/^pid-file=.*$/m, `pid-file=${join(dir, "dnsmasq.pid")}`)
    .concat(`listen-address=${address}\nbind-interfaces\n`);
  assert.notEqual(conf, one(objs, "ConfigMap").data["dnsmasq.conf"], "the edits applied");
  writeFileSync(join(dir, "dnsmasq.conf"), conf);
  const proc = spawn(DNSMASQ_BIN, [`--conf-file=${join(dir, "dnsmasq.conf")}`], { stdio: "ignore" });
  try {
    await waitForAnswer(name as string, { server: address, port: testPort }, (a) => a.addresses.length > 0, 5000);
    const run = (n: string) => spawnSync("sh", [PROBE, n, address, String(testPort)], { encoding: "utf8", timeout: 10_000 });
    const ok = run(name as string);
    assert.equal(ok.status, 0, ok.stderr);
    const wrong = run("cdns-health.other.example.net");
    assert.equal(wrong.status, 1, "a name dnsmasq does not own fails the probe");
  } finally {
    proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
});
