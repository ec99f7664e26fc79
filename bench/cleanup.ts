/**
 * Every process the bench starts is registered here, so SIGINT/SIGTERM stop
 * them by pid before the bench exits (finally blocks do not run on a signal).
 */
import type { ChildProcess } from "node:child_process";
import { startDnsmasq, type RunningDnsmasq, type StartDnsmasqOptions } from "../test/helpers/dnsmasq";

const live = new Set<ChildProcess>();

export function track(p: ChildProcess): void {
  live.add(p);
  p.once("exit", () => live.delete(p));
}

/** startDnsmasq, tracked. */
export async function startTrackedDnsmasq(opts: StartDnsmasqOptions): Promise<RunningDnsmasq> {
  const d = await startDnsmasq(opts);
  track(d.process);
  return d;
}

export function installSignalCleanup(): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
      process.stderr.write(`bench: ${sig}, stopped ${live.size} child process(es)\n`);
      process.exit(130);
    });
  }
}
