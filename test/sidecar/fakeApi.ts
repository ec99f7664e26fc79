/**
 * A small fake Kubernetes API server on loopback: list and watch of Ingresses and Nodes. A watch
 * asking for its initial events (a streamed list) gets the 400 an API server with the WatchList
 * feature gate off sends, so the sidecar pages here; the rig tests cover streamed lists.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export type Obj = Record<string, unknown>;

export class FakeApiServer {
  ingresses = new Map<string, Obj>();
  nodes = new Map<string, Obj>();
  rv = 1;
  /** Status for the next watch requests of ingresses (200 = stream). */
  nextIngressWatchStatus: number[] = [];
  ingressWatches: http.ServerResponse[] = [];
  requests: string[] = [];
  readonly server = http.createServer((req, res) => this.handle(req, res));

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    return (this.server.address() as AddressInfo).port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    const watch = url.searchParams.get("watch") === "true";
    this.requests.push(`${watch ? "WATCH" : "LIST"} ${url.pathname}`);
    const kind = url.pathname === "/apis/networking.k8s.io/v1/ingresses" ? "ingresses" : url.pathname === "/api/v1/nodes" ? "nodes" : undefined;
    if (kind === undefined) {
      res.writeHead(404).end();
      return;
    }
    if (watch && url.searchParams.get("sendInitialEvents") === "true") {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 400, reason: "Invalid", message: "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled" }));
      return;
    }
    if (!watch) {
      const items = [...(kind === "ingresses" ? this.ingresses : this.nodes).values()];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: String(this.rv) }, items }));
      return;
    }
    if (kind === "ingresses") {
      const status = this.nextIngressWatchStatus.shift() ?? 200;
      if (status !== 200) {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", code: status }));
        return;
      }
      this.ingressWatches.push(res);
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
  }

  /** Sends a watch event to the open ingress watches. */
  event(type: "ADDED" | "MODIFIED" | "DELETED", obj: Obj): void {
    this.rv++;
    const meta = obj.metadata as Obj;
    const withRv = { ...obj, metadata: { ...meta, resourceVersion: String(this.rv) } };
    const key = `${String(meta.namespace)}/${String(meta.name)}`;
    if (type === "DELETED") this.ingresses.delete(key);
    else this.ingresses.set(key, withRv);
    for (const w of this.ingressWatches) w.write(JSON.stringify({ type, object: withRv }) + "\n");
  }

  /** Ends every open ingress watch (as an API server does after its timeout). */
  closeIngressWatches(): void {
    for (const w of this.ingressWatches.splice(0)) w.end();
  }

  async close(): Promise<void> {
    for (const w of this.ingressWatches.splice(0)) w.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A kubeconfig (JSON is YAML) pointing at the fake server, without credentials. */
export function fakeKubeconfig(port: number): string {
  return JSON.stringify({
    apiVersion: "v1", kind: "Config", "current-context": "c",
    clusters: [{ name: "fake", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
    users: [{ name: "u", user: {} }],
    contexts: [{ name: "c", context: { cluster: "fake", user: "u" } }],
  });
}
