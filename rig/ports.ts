/** Free loopback ports for the servers the rig, the tests and the benchmark start, so they can run in parallel. */
import * as dgram from "node:dgram";
import * as net from "node:net";

/** A port free on both TCP and UDP at `host` right now. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once("error", reject);
      srv.listen(0, host, () => {
        const addr = srv.address() as net.AddressInfo;
        srv.close(() => resolve(addr.port));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket("udp4");
      s.once("error", () => resolve(false));
      s.bind(port, host, () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error("freePort: no port free on both TCP and UDP");
}

/** A random 127.0.0.x address (x in 2..250) so parallel servers do not collide. */
export function randomLoopback(): string {
  return `127.0.0.${2 + Math.floor(Math.random() * 249)}`;
}
