/** Helpers for the HAProxy tests: a real haproxy in the foreground, tiny TCP backends, the stats socket. */
import { spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, fsyncSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer } from "../helpers/process";

export const HAPROXY_BIN = "/usr/sbin/haproxy";

/** `haproxy -c -f` on a config text; returns the exit status and output. */
export function haproxyCheck(cfg: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "cdns-haproxy-c-"));
  try {
    const path = join(dir, "haproxy.cfg");
    writeFileSync(path, cfg);
    const r = spawnSync(HAPROXY_BIN, ["-c", "-f", path], { encoding: "utf8", timeout: 20_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunningHaproxy {
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `haproxy -db -f cfg` and waits until `readyPort` on `readyHost` accepts connections. */
export async function startHaproxy(cfgPath: string, readyHost: string, readyPort: number): Promise<RunningHaproxy> {
  const server = spawnServer(HAPROXY_BIN, ["-db", "-f", cfgPath]);
  const stop = (): Promise<void> => server.stop(3000);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (server.exited()) break;
    if (await canConnect(readyHost, readyPort)) return { process: server.process, output: server.output, stop };
    await sleep(20);
  }
  await stop();
  throw new Error(`haproxy did not start:\n${server.output()}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** A backend that writes its id and closes; counts the connections it accepted. */
export interface Backend {
  readonly id: string;
  readonly address: string;
  connections: number;
  /** Stops listening and drops open sockets: a dead node. */
  kill(): Promise<void>;
}

export async function startBackend(id: string, address: string, port: number): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    backend.connections++;
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => undefined);
    sock.end(id);
  });
  const backend: Backend = {
    id,
    address,
    connections: 0,
    kill: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => resolve());
  });
  return backend;
}

/** One client connection through HAProxy: the id of the backend that answered ("" when none did). */
export function fetchId(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let data = "";
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on("data", (d) => (data += String(d)));
    s.on("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
    s.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Sends one command to the admin socket and returns the whole answer. */
export function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let data = "";
    s.on("connect", () => s.write(`${command}\n`));
    s.on("data", (d) => (data += String(d)));
    s.on("end", () => resolve(data));
    s.on("error", reject);
  });
}

export interface ServerStat {
  readonly backend: string;
  readonly server: string;
  readonly status: string;
  readonly addr: string;
  /** Sessions the server has taken in total. */
  readonly stot: number;
}

/** Servers of `show stat`, parsed from its CSV. */
export async function serverStats(socketPath: string): Promise<ServerStat[]> {
  const text = await adminCommand(socketPath, "show stat");
  const [header, ...rows] = text.trim().split("\n");
  if (header === undefined || !header.startsWith("# ")) throw new Error(`unexpected show stat answer: ${text}`);
  const cols = header.slice(2).split(",");
  const col = (name: string): number => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`show stat has no column ${name}`);
    return i;
  };
  const [px, sv, st, ad, so] = [col("pxname"), col("svname"), col("status"), col("addr"), col("stot")];
  return rows
    .map((r) => r.split(","))
    .filter((f) => f[sv] !== "FRONTEND" && f[sv] !== "BACKEND")
    .map((f) => ({
      backend: f[px] ?? "",
      server: f[sv] ?? "",
      status: f[st] ?? "",
      addr: f[ad] ?? "",
      stot: Number(f[so] ?? "0"),
    }));
}

/** Replaces `file` in `dir` atomically: dot-prefixed temp file (dnsmasq ignores it), fsync, rename. */
export function writeAtomic(dir: string, file: string, text: string): void {
  const tmp = join(dir, `.${file}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, file));
}

/** Polls `check` every `intervalMs` until it holds; returns the elapsed ms, throws after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 20): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (await check()) return performance.now() - start;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
