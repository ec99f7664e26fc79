/** A real dnsmasq on loopback fed by the real sink (renderHostsFile + AtomicHostsWriter), no k8s. */
import { rm } from "node:fs/promises";
import { startDnsmasq, type RunningDnsmasq, type StartDnsmasqOptions } from "../helpers/dnsmasq";
import { query, waitForAnswer, type DnsAnswer, type QueryOptions } from "../helpers/dns";
import { AtomicHostsWriter, type SinkLogger, type WriteResult } from "../../sidecar/src/sink/atomicWriter";
import type { HostsData } from "../../sidecar/src/model";

export const ZONES = ["apps.example.com", "svc.example.org"] as const;

export interface SinkRig {
  readonly dnsmasq: RunningDnsmasq;
  readonly writer: AtomicHostsWriter;
  readonly logs: string[];
  readonly pidFile: string | undefined;
  ask(name: string, opts?: Partial<QueryOptions>): Promise<DnsAnswer>;
  /** Writes `data`, then waits until `name` answers exactly `ips` (as a set; empty = NXDOMAIN). */
  writeAndWait(data: HostsData, name: string, ips: readonly string[]): Promise<WriteResult>;
  stop(): Promise<void>;
}

export function hostsData(records: Record<string, readonly string[]>, nodeIps: readonly string[] = [], zones: readonly string[] = ZONES): HostsData {
  return { zones, records: new Map(Object.entries(records)), nodeIps };
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((x, i) => x === sb[i]);
}

/**
 * Waits until every one of `names` answers as `matches` says. With sharded
 * hosts files dnsmasq re-reads one file per inotify event, so one name showing
 * the new state does not prove every file was re-read yet.
 */
export async function waitForAll(
  server: QueryOptions,
  names: readonly string[],
  matches: (name: string, a: DnsAnswer) => boolean,
  timeoutMs = 5000,
): Promise<void> {
  for (const name of names) await waitForAnswer(name, server, (a) => matches(name, a), timeoutMs, 1);
}

export function hasDuplicates(a: readonly string[]): boolean {
  return new Set(a).size !== a.length;
}

export async function startSinkRig(opts: Partial<StartDnsmasqOptions> & { pidFileName?: string } = {}): Promise<SinkRig> {
  const { pidFileName, ...rest } = opts;
  const logs: string[] = [];
  const log: SinkLogger = (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  // The pid file path must be known before dnsmasq starts; put it beside the
  // conf in a directory of its own.
  const pidFile = pidFileName === undefined ? undefined : `/tmp/cdns-pid-${process.pid}-${Math.random().toString(36).slice(2)}-${pidFileName}`;
  const dnsmasq = await startDnsmasq({ zones: [...ZONES], ttlSeconds: 5, ...rest, ...(pidFile === undefined ? {} : { pidFile }) });
  const writer = new AtomicHostsWriter({ dir: dnsmasq.hostsDir, log, ...(pidFile === undefined ? {} : { pidFile }) });
  const base = { server: dnsmasq.address, port: dnsmasq.port };
  return {
    dnsmasq,
    writer,
    logs,
    pidFile,
    ask: (name, o = {}) => query(name, { ...base, ...o }),
    async writeAndWait(data, name, ips) {
      const res = await writer.write(data);
      await waitForAnswer(name, base, (a) => (ips.length === 0 ? a.rcode === "NXDOMAIN" : sameSet(a.addresses, ips)), 5000, 5);
      return res;
    },
    async stop() {
      await dnsmasq.stop();
      if (pidFile !== undefined) await rm(pidFile, { force: true });
    },
  };
}
