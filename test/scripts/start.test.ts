/**
 * `npm start`, the README's first command, end to end (scripts/start.ts with the rig already
 * built): it must finish, show the product working, and leave nothing running.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

function run(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(__dirname, "..", "..", "scripts", "start.ts")], { timeout: 300_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, out: `${stdout}${stderr}` });
    });
  });
}

/** Processes whose command line names one of `dirs` (the run's cluster and pod directories). */
function processesUsing(dirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (cmd.some((a) => dirs.some((d) => a.includes(d)))) out.push(`${pid}: ${cmd.join(" ")}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test("npm start shows the product working and stops everything it started", async () => {
  const { code, out } = await run();
  assert.equal(code, 0, out.slice(-3000));
  assert.match(out, /up: succeeded/);
  const orders = [...out.matchAll(/dig shop\.apps\.local\.example\.com -> ([\d. ]+)\n/g)].map((m) => (m[1] as string).trim());
  assert.ok(orders.length >= 3, out);
  assert.equal(new Set(orders.slice(0, 3)).size, 3, `the three answers rotate: ${orders.slice(0, 3).join(" | ")}`);
  assert.match(out, /192\.0\.2\.22 left the answers \d+ ms after the node was marked NotReady/);
  assert.match(out, /zone "apps\.local\.example\.com" \{ type forward; forward only; forwarders \{ 192\.0\.2\.10; \}; \};/);
  // Other test files run clusters of their own meanwhile: look for this run's directories only.
  const dirs = [...out.matchAll(/\((\/tmp\/rig-cluster-[A-Za-z0-9]+)\)/g)].map((m) => m[1] as string);
  assert.equal(dirs.length, 1, "the cluster directory is printed");
  assert.deepEqual(processesUsing(dirs), [], "nothing left running");
});
