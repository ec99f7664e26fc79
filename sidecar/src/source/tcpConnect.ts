/** The node check's real connector (nodeCheck.ts): a plain TCP connect, closed as soon as it is established. */
import * as net from "node:net";
import type { Connect } from "./nodeCheck";

export const tcpConnect: Connect = (ip, port, timeoutMs) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: ip, port });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    // A silent host (a dropped SYN) would otherwise wait for the kernel's retries, minutes long.
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
