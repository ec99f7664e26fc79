/** A server process the tests start: its output captured, stopped with SIGTERM then SIGKILL. */
import { spawn, type ChildProcess } from "node:child_process";

export interface ServerProcess {
  readonly process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnServer(bin: string, args: readonly string[]): ServerProcess {
  const proc = spawn(bin, [...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d) => (out += String(d)));
  proc.stderr?.on("data", (d) => (out += String(d)));
  const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  return {
    process: proc,
    output: () => out,
    exited,
    async stop(graceMs = 5000) {
      if (exited()) return;
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await gone;
      clearTimeout(killer);
    },
  };
}
