/** Worker-thread entry of ContinuousProber (prober.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { ProberCore } from "./prober";

const port = parentPort;
if (port === null) throw new Error("proberWorker.ts runs only as a worker thread");
const { server, port: dnsPort, perTick, rd } = workerData as { server: string; port: number; perTick: number; rd?: boolean };
const core = new ProberCore(server, dnsPort, perTick, (r) => port.postMessage(r), rd === true);
port.on("message", (c: Parameters<ProberCore["handle"]>[0]) => {
  core.handle(c);
  if (c.cmd === "stop") port.close();
});
