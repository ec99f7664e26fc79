/**
 * Real iDNS servers for the forwarding tests: BIND and Unbound on a random
 * 127.0.0.x and port, every file in a temp dir, plus the config checkers.
 * Each start waits until the server answers a name it owns, so a test never
 * races the server's start-up, and collects its output for failure messages.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForAnswer, type DnsAnswer } from "../helpers/dns";
import { freePort, randomLoopback } from "../helpers/ports";
import { DNSMASQ_BIN } from "../helpers/dnsmasq";
import { spawnServer } from "../helpers/process";

export const NAMED_BIN = "/usr/sbin/named";
export const UNBOUND_BIN = "/usr/sbin/unbound";

export interface CheckResult {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs a checker; ok is its exit status 0, output its stdout and stderr. */
export function runCheck(bin: string, args: readonly string[]): CheckResult {
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 20_000 });
  if (r.error !== undefined) throw r.error;
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export function tempDir(prefix: string): { dir: string; write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RunningServer {
  readonly address: string;
  readonly port: number;
  readonly dir: string;
  output(): string;
  stop(): Promise<void>;
}

interface StartOptions {
  readonly bin: string;
  readonly args: (confPath: string) => string[];
  /** Full config text, given the temp dir, address and port. */
  readonly conf: (dir: string, address: string, port: number) => string;
  readonly confName: string;
  /** A name the server answers by itself once it is up. */
  readonly readyName: string;
  readonly ready: (a: DnsAnswer) => boolean;
  readonly address?: string;
  readonly port?: number;
}

async function startServer(opts: StartOptions): Promise<RunningServer> {
  const tmp = tempDir("cdns-idns-");
  const address = opts.address ?? randomLoopback();
  const port = opts.port ?? (await freePort(address));
  const confPath = tmp.write(opts.confName, opts.conf(tmp.dir, address, port));
  const server = spawnServer(opts.bin, opts.args(confPath));
  const stop = async (): Promise<void> => {
    await server.stop();
    tmp.remove();
  };
  try {
    await waitForAnswer(opts.readyName, { server: address, port, timeoutMs: 500 }, opts.ready, 10_000, 50);
  } catch (err) {
    const tail = server.output().split("\n").slice(-25).join("\n");
    await stop();
    throw new Error(`${opts.bin} did not start: ${String(err)}\n${tail}`);
  }
  return { address, port, dir: tmp.dir, output: server.output, stop };
}

export interface NamedOptions {
  /** Statements inside options { }, after the ones that keep BIND in its temp dir. */
  readonly options?: string;
  /** Top-level statements: zones, trust anchors. */
  readonly body: string;
  /** Files to write into the temp dir (zone files), name → text. */
  readonly files?: Readonly<Record<string, string>>;
  readonly address?: string;
  readonly port?: number;
}

/**
 * BIND listens only on addresses configured on an interface, and lo carries
 * just 127.0.0.1 (the rest of 127/8 is routed, not assigned), so every BIND
 * shares 127.0.0.1 and differs by port. dnsmasq and Unbound bind any 127.0.0.x.
 */
export const NAMED_ADDRESS = "127.0.0.1";

/** Name of the zone every started BIND serves itself, used to tell when it is up. */
export const NAMED_READY_ZONE = "idns-ready.test";

/**
 * A named.conf around `body` that keeps every file in `dir`, listens only on
 * address:port, recurses for loopback clients and has no rndc channel.
 */
export function namedConf(dir: string, address: string, port: number, options: string, body: string): string {
  return `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  dump-file "${dir}/named_dump.db";
  statistics-file "${dir}/named.stats";
  listen-on port ${port} { ${address}; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { 127.0.0.0/8; };
  allow-recursion { 127.0.0.0/8; };
${options}
};
controls { };
zone "." { type hint; file "root.hint"; };
zone "${NAMED_READY_ZONE}" { type primary; file "ready.zone"; };
${body}
`;
}

/**
 * Root hints pointing at an unused loopback address, so a name nothing else
 * covers fails at once on loopback instead of reaching for the real root servers.
 */
export const LOOPBACK_ROOT_HINTS = `. 3600000 NS a.root.invalid.
a.root.invalid. 3600000 A 127.0.0.254
`;

export const READY_ZONE_FILE = `$TTL 60
@ IN SOA ns.${NAMED_READY_ZONE}. hostmaster.${NAMED_READY_ZONE}. 1 60 60 600 60
@ IN NS ns.${NAMED_READY_ZONE}.
ns IN A 127.0.0.1
`;

/** `named -g` in the foreground, as the current user (no -u: nothing to drop to in a temp dir). */
export function startNamed(opts: NamedOptions): Promise<RunningServer> {
  return startServer({
    bin: NAMED_BIN,
    confName: "named.conf",
    args: (conf) => ["-g", "-4", "-c", conf],
    conf: (dir, address, port) => {
      for (const [name, text] of Object.entries({ "ready.zone": READY_ZONE_FILE, "root.hint": LOOPBACK_ROOT_HINTS, ...(opts.files ?? {}) })) {
        writeFileSync(join(dir, name), text);
      }
      return namedConf(dir, address, port, opts.options ?? "", opts.body);
    },
    readyName: `ns.${NAMED_READY_ZONE}`,
    ready: (a) => a.addresses.includes("127.0.0.1"),
    address: opts.address ?? NAMED_ADDRESS,
    ...(opts.port === undefined ? {} : { port: opts.port }),
  });
}

export interface UnboundOptions {
  /** Lines inside the test's own server: clause. */
  readonly serverLines?: string;
  /** The snippet under test, appended as is. */
  readonly snippet: string;
}

/** A name the test's own Unbound or dnsmasq iDNS answers by itself. */
export const IDNS_READY_NAME = "ready.idns.test";

/**
 * An unbound.conf that keeps Unbound in the foreground, in `dir`, on
 * address:port, serving loopback clients. `do-not-query-localhost: no` is a
 * test-only need: the cDNS under test lives on 127.0.0.x, which Unbound
 * refuses to query by default.
 */
export function unboundConf(dir: string, address: string, port: number, serverLines: string, snippet: string): string {
  return `server:
    interface: ${address}
    port: ${port}
    do-ip6: no
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "${dir}"
    pidfile: "${dir}/unbound.pid"
    logfile: ""
    use-syslog: no
    verbosity: 1
    access-control: 127.0.0.0/8 allow
    root-hints: "${dir}/root.hints"
    do-not-query-localhost: no
    local-zone: "idns.test." static
    local-data: "${IDNS_READY_NAME}. 60 IN A 127.0.0.1"
${serverLines}
${snippet}
`;
}

export function startUnbound(opts: UnboundOptions): Promise<RunningServer> {
  return startServer({
    bin: UNBOUND_BIN,
    confName: "unbound.conf",
    args: (conf) => ["-d", "-c", conf],
    conf: (dir, address, port) => {
      writeFileSync(join(dir, "root.hints"), LOOPBACK_ROOT_HINTS);
      return unboundConf(dir, address, port, opts.serverLines ?? "", opts.snippet);
    },
    readyName: IDNS_READY_NAME,
    ready: (a) => a.addresses.includes("127.0.0.1"),
  });
}

export { DNSMASQ_BIN };

/**
 * dnsmasq as the iDNS (not the cDNS: that one comes from test/helpers/dnsmasq.ts
 * with our own dnsmasq.conf): a plain resolver config around `snippet`.
 */
export function startIdnsDnsmasq(opts: { readonly lines: string; readonly snippet: string }): Promise<RunningServer> {
  return startServer({
    bin: DNSMASQ_BIN,
    confName: "dnsmasq.conf",
    args: (conf) => [`--conf-file=${conf}`],
    conf: (dir, address, port) =>
      [
        "keep-in-foreground",
        "log-facility=-",
        "user=root",
        `pid-file=${dir}/dnsmasq.pid`,
        `port=${port}`,
        `listen-address=${address}`,
        "bind-interfaces",
        "no-hosts",
        "no-resolv",
        `host-record=${IDNS_READY_NAME},127.0.0.1`,
        opts.lines,
        opts.snippet,
      ].join("\n") + "\n",
    readyName: IDNS_READY_NAME,
    ready: (a) => a.addresses.includes("127.0.0.1"),
  });
}
