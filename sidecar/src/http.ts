/**
 * /healthz, /readyz, /startupz and /metrics on node:http. The handlers only read the
 * controller's state: no request can change anything.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { HealthReport } from "./controller";

export interface HttpServerDeps {
  readonly health: () => HealthReport;
  readonly metrics: () => string;
}

export function createHttpServer(deps: HttpServerDeps): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const text = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (path === "/healthz") {
      const h = deps.health();
      text(h.live ? 200 : 503, h.live ? "ok\n" : h.liveProblems.join("\n") + "\n");
    } else if (path === "/readyz") {
      const h = deps.health();
      text(h.ready ? 200 : 503, h.ready ? "ready\n" : `not ready:\n${h.readyProblems.map((p) => `  ${p}`).join("\n")}\n`);
    } else if (path === "/startupz") {
      const h = deps.health();
      text(h.started ? 200 : 503, h.started ? "started\n" : `not started:\n${h.readyProblems.map((p) => `  ${p}`).join("\n")}\n`);
    } else if (path === "/metrics") {
      text(200, deps.metrics(), "text/plain; version=0.0.4; charset=utf-8");
    } else {
      text(404, "not found\n");
    }
  });
}

/** Listens and resolves with the bound port (useful with port 0). */
export function listen(server: http.Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the server, dropping idle keep-alive connections so close() does not wait on them. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
