/**
 * images/dnsmasq: probe.sh run for real (under /bin/sh, dash on Debian) against
 * a loopback dnsmasq; check-version.sh run for real; the Dockerfile's promises
 * checked as text here (test/runtime builds and runs the image itself with podman).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HEALTH_ADDRESS, healthName } from "../../lib/dns/names";
import { renderDnsmasqConf } from "../../lib/render/dnsmasqConf";
import { DNSMASQ_BIN } from "../helpers/dnsmasq";
import { hostsData, startSinkRig, ZONES } from "./harness";

const IMAGE_DIR = join(__dirname, "..", "..", "images", "dnsmasq");
const PROBE = join(IMAGE_DIR, "probe.sh");
const CHECK_VERSION = join(IMAGE_DIR, "check-version.sh");
const Z0 = ZONES[0];

function probe(args: string[], env: Record<string, string> = {}): { code: number | null; stderr: string; ms: number } {
  const t = performance.now();
  const r = spawnSync("/bin/sh", [PROBE, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 10_000 });
  return { code: r.status, stderr: r.stderr, ms: performance.now() - t };
}

test("probe.sh passes while dnsmasq answers the health record and fails once it is down", async () => {
  const rig = await startSinkRig();
  let stopped = false;
  try {
    const { address, port } = rig.dnsmasq;
    await rig.writeAndWait(hostsData({ [`web.${Z0}`]: ["10.9.0.1"] }, ["10.9.0.1"]), `web.${Z0}`, ["10.9.0.1"]);
    const ok = probe([healthName(Z0), address, String(port)]);
    assert.equal(ok.code, 0, ok.stderr);

    // Same, configured through the environment as a Deployment may do it.
    const viaEnv = probe([], { CDNS_PROBE_NAME: healthName(Z0), CDNS_PROBE_SERVER: address, CDNS_PROBE_PORT: String(port) });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);

    // Answers that must not pass: NXDOMAIN, NOERROR with no data (the nslookup
    // trap: nodes.<zone> is an empty non-terminal when no node is healthy but
    // canonical names exist below it), another address, REFUSED.
    await rig.writeAndWait(hostsData({ [`web.${Z0}`]: ["10.9.0.1"], [`gen.${Z0}`]: ["10.250.0.1"] }, []), `gen.${Z0}`, ["10.250.0.1"]);
    const nodata = await rig.ask(`nodes.${Z0}`);
    assert.equal(nodata.rcode, "NOERROR", "nodes.<zone> should be NOERROR/no data here");
    assert.deepEqual(nodata.addresses, []);
    for (const [name, why] of [[`nope.${Z0}`, "NXDOMAIN"], [`nodes.${Z0}`, "no data"], [`web.${Z0}`, "wrong address"], ["example.net", "REFUSED"]] as const) {
      const r = probe([name, address, String(port)]);
      assert.equal(r.code, 1, `${why}: probe for ${name} exited ${r.code}`);
      assert.match(r.stderr, /cdns-probe: /);
    }
    const wrongExpect = probe([healthName(Z0), address, String(port)], { CDNS_PROBE_EXPECT: "127.0.0.2" });
    assert.equal(wrongExpect.code, 1);

    await rig.dnsmasq.stop();
    stopped = true;
    const down = probe([healthName(Z0), address, String(port)]);
    assert.equal(down.code, 1, `probe passed with dnsmasq down: ${down.stderr}`);
    assert.match(down.stderr, /no answer from/);
    assert.ok(down.ms < 5000, `a dead server must fail within about one timeout, took ${down.ms.toFixed(0)} ms`);
  } finally {
    if (!stopped) await rig.stop();
  }
});

test("probe.sh without a name is a usage error (exit 2)", () => {
  const r = probe([]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no name/);
});

test("check-version.sh: passes for this dnsmasq (2.90), fails for 2.87 and for unreadable output", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cdns-ver-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fake = (name: string, line: string): string => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\necho '${line}'\n`, { mode: 0o755 });
    return p;
  };
  const run = (...args: string[]) => spawnSync("/bin/sh", [CHECK_VERSION, ...args], { encoding: "utf8" });
  assert.equal(run("2.88", DNSMASQ_BIN).status, 0);
  assert.equal(run("2.91", DNSMASQ_BIN).status, 1, "the floor must be able to reject the local 2.90");
  assert.equal(run("2.88", fake("old", "Dnsmasq version 2.87  Copyright (c) 2000-2022 Simon Kelley")).status, 1);
  assert.equal(run("2.88", fake("new", "Dnsmasq version 2.100  Copyright (c) 2000-2030 Simon Kelley")).status, 0, "2.100 is newer than 2.88");
  assert.equal(run("2.88", fake("three", "Dnsmasq version 3.0  Copyright")).status, 0);
  assert.equal(run("2.88", fake("junk", "something else")).status, 1);
});

test("Dockerfile: pinned base, dnsmasq and dig installed, version floor enforced, probe included, user consistent with the conf", () => {
  const text = readFileSync(join(IMAGE_DIR, "Dockerfile"), "utf8");
  const lines = text.split("\n").filter((l) => !l.trim().startsWith("#"));
  const from = lines.filter((l) => /^FROM\s/i.test(l));
  assert.equal(from.length, 1);
  const image = (from[0] as string).split(/\s+/)[1] as string;
  const tag = image.split("@")[0]?.split(":")[1] ?? "";
  assert.ok(tag !== "" && !["latest", "stable", "bookworm", "bookworm-slim", "12", "12-slim", "slim"].includes(tag), `base ${image} is not pinned`);
  assert.match(tag, /\d{8}|\d+\.\d+\.\d+/, `base tag ${tag} carries no date or patch version`);

  const body = lines.join("\n");
  assert.match(body, /apt-get install -y --no-install-recommends[^\n]*\bdnsmasq-base\b/);
  assert.match(body, /\bbind9-dnsutils\b/, "dig (bind9-dnsutils) is what probe.sh uses");
  assert.match(body, /rm -rf \/var\/lib\/apt\/lists/);
  assert.match(body, /ARG DNSMASQ_MIN_VERSION=2\.88/);
  assert.match(body, /RUN \/usr\/local\/lib\/cdns\/check-version\.sh "\$\{DNSMASQ_MIN_VERSION\}" \/usr\/sbin\/dnsmasq/);
  assert.match(body, /COPY --chmod=0755 check-version\.sh /);
  assert.match(body, /COPY --chmod=0755 probe\.sh \/usr\/local\/bin\/cdns-probe/);
  assert.match(body, /ENTRYPOINT \["\/usr\/sbin\/dnsmasq"\]/);
  assert.match(body, /CMD \["--conf-file=\/etc\/cdns\/dnsmasq\.conf"\]/);
  assert.match(body, /EXPOSE 53\/udp 53\/tcp/);

  // The image runs dnsmasq as root only because the conf says `user=root` and
  // `group=` (it must bind :53 with CAP_NET_BIND_SERVICE alone and never switch
  // ids); if the conf ever drops that, the image should drop root too.
  const user = lines.filter((l) => /^USER\s/.test(l)).map((l) => l.split(/\s+/)[1]);
  assert.equal(user.length, 1, "the image must declare its user explicitly");
  const conf = renderDnsmasqConf({ zones: [Z0], ttlSeconds: 5 }).split("\n");
  assert.equal(["0", "0:0", "root"].includes(user[0] as string), conf.includes("user=root") && conf.includes("group="));
  assert.equal(HEALTH_ADDRESS, "127.0.0.1", "probe.sh's default CDNS_PROBE_EXPECT mirrors HEALTH_ADDRESS");
  assert.match(readFileSync(PROBE, "utf8"), /CDNS_PROBE_EXPECT:-127\.0\.0\.1/);
});
