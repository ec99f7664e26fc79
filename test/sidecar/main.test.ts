/**
 * The real entry point as a child process: kubeconfig -> fake API server on
 * loopback -> hosts file on disk; /readyz turns 200; SIGTERM exits 0 promptly.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers/ports";
import { FakeApiServer, fakeKubeconfig } from "./fakeApi";
import { isHostsFileName } from "../../sidecar/src/sink/shards";
import { ingress, node } from "./fakes";

describe("sidecar main", () => {
  it("syncs from the API server, writes the hosts file, becomes ready and exits 0 on SIGTERM", async () => {
    const api = new FakeApiServer();
    const apiPort = await api.listen();
    api.ingresses.set("web/shop", ingress("web", "shop", ["shop.apps.example.com"], ["10.7.0.1"]));
    api.nodes.set("w1", node("w1", "10.7.0.1"));
    const dir = mkdtempSync(join(tmpdir(), "cdns-sidecar-main-"));
    writeFileSync(join(dir, "kubeconfig"), fakeKubeconfig(apiPort));
    const httpPort = await freePort();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(__dirname, "..", "..", "sidecar", "src", "main.ts"),
        "--zones", "apps.example.com", "--kubeconfig", join(dir, "kubeconfig"), "--hosts-dir", dir, "--http-port", String(httpPort)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (out += String(d)));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const end = Date.now() + 20_000;
      let ready = false;
      while (!ready && Date.now() < end && child.exitCode === null) {
        ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status === 200, () => false);
        if (!ready) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(ready, `never ready:\n${out}`);
      // The default layout shards the data over ingress.hosts.nodes and ingress.hosts.<i>: read them all.
      const files = readdirSync(dir).filter((f) => isHostsFileName("ingress.hosts", f));
      assert.ok(files.length > 0, `no hosts file in ${readdirSync(dir).join(", ")}`);
      const hosts = files.map((f) => readFileSync(join(dir, f), "utf8")).join("");
      assert.match(hosts, /^10\.7\.0\.1 .*\bshop\.apps\.example\.com\b/m);
      // Every log line is one JSON object with time, level and msg.
      for (const line of out.trim().split("\n")) {
        const j = JSON.parse(line) as Record<string, unknown>;
        assert.equal(typeof j.time, "string");
        assert.equal(typeof j.msg, "string");
      }
      const t0 = Date.now();
      child.kill("SIGTERM");
      assert.equal(await exited, 0, out);
      assert.ok(Date.now() - t0 < 5000, "stops promptly");
      assert.match(out, /"msg":"shutting down","signal":"SIGTERM"/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await api.close();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
  });
});
