/** Starts a real dnsmasq on loopback with a conf from renderDnsmasqConf(). */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderDnsmasqConf, type DnsmasqConfInput } from "../../lib/render/dnsmasqConf";
import { healthName } from "../../lib/dns/names";
import { freePort, randomLoopback } from "./ports";
import { waitForAnswer } from "./dns";
import { spawnServer } from "./process";

// CDNS_DNSMASQ_BIN: run tests and benches against another dnsmasq build (to measure one); the packaged one by default.
export const DNSMASQ_BIN = process.env.CDNS_DNSMASQ_BIN ?? "/usr/sbin/dnsmasq";

export interface RunningDnsmasq {
  readonly address: string;
  readonly port: number;
  readonly hostsDir: string;
  readonly confPath: string;
  readonly dir: string;
  readonly process: ChildProcess;
  /** Everything dnsmasq printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export type StartDnsmasqOptions = Omit<DnsmasqConfInput, "hostsDir" | "port" | "listenAddress"> & {
  readonly address?: string;
  readonly port?: number;
  /** Files to put into the hosts directory before dnsmasq starts. */
  readonly initialHosts?: Readonly<Record<string, string>>;
  /** Serve this existing hosts directory (left in place on stop) instead of a new empty one. */
  readonly useHostsDir?: string;
};

export async function startDnsmasq(opts: StartDnsmasqOptions): Promise<RunningDnsmasq> {
  const dir = mkdtempSync(join(tmpdir(), "cdns-dnsmasq-"));
  const hostsDir = opts.useHostsDir ?? join(dir, "hosts.d");
  if (opts.useHostsDir === undefined) mkdirSync(hostsDir);
  for (const [file, text] of Object.entries(opts.initialHosts ?? {})) writeFileSync(join(hostsDir, file), text);
  const address = opts.address ?? randomLoopback();
  const port = opts.port ?? (await freePort(address));
  const confPath = join(dir, "dnsmasq.conf");
  writeFileSync(confPath, renderDnsmasqConf({ ...opts, hostsDir, port, listenAddress: address }));
  const server = spawnServer(DNSMASQ_BIN, [`--conf-file=${confPath}`]);
  const zone0 = opts.zones[0] as string;
  try {
    // Short per-query timeouts: a query sent before dnsmasq binds gets no answer at all, and would hold the start up.
    await waitForAnswer(healthName(zone0), { server: address, port, timeoutMs: 50 }, (a) => a.addresses.length > 0, 10_000, 5);
  } catch (err) {
    await server.stop(0);
    throw new Error(`dnsmasq did not start: ${String(err)}\n${server.output()}`);
  }
  return {
    address,
    port,
    hostsDir,
    confPath,
    dir,
    process: server.process,
    output: server.output,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
