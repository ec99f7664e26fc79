/**
 * Where the API server is and how to authenticate to it: the pod's ServiceAccount (in-cluster),
 * or a kubeconfig file. Our own small loader rather than client-node's: that library (and its
 * dependencies) made up 1.5 of the bundle's 1.9 MB and about 20 MiB of the sidecar's memory,
 * for a sidecar that needs a URL, a CA, and a token or a client certificate.
 *
 * Supported: `certificate-authority(-data)`, `insecure-skip-tls-verify`, `token`, `tokenFile`,
 * `client-certificate(-data)` + `client-key(-data)`, `current-context` (or a named context).
 * Not supported, with a clear error: exec credential plugins and auth providers (a sidecar in a
 * pod uses its ServiceAccount).
 *
 * Token files are re-read at most every minute, as client-go does: the kubelet rotates the
 * projected ServiceAccount token well before it expires.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { isObj, str } from "./objects";

/** The in-cluster ServiceAccount files the kubelet projects (the chart mounts them into the sidecar only). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const TOKEN_REREAD_MS = 60_000;

export interface KubeTarget {
  /** API server URL, e.g. https://10.96.0.1:443. */
  readonly server: string;
  /** TLS options for node's https (ca, cert, key, rejectUnauthorized). */
  readonly tls: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer; readonly rejectUnauthorized: boolean };
  /** The Authorization header value, when the credential is a token (re-read from its file when due). */
  authorization(): string | undefined;
}

function tokenSource(token: string | undefined, tokenFile: string | undefined, now: () => number): () => string | undefined {
  if (token !== undefined) return () => `Bearer ${token}`;
  if (tokenFile === undefined) return () => undefined;
  let value = readFileSync(tokenFile, "utf8").trim();
  let readAt = now();
  return () => {
    if (now() - readAt > TOKEN_REREAD_MS) {
      try {
        value = readFileSync(tokenFile, "utf8").trim();
        readAt = now();
      } catch {
        // Keep the last token: the file is swapped atomically by the kubelet, a failed read is transient.
      }
    }
    return `Bearer ${value}`;
  };
}

/** The pod's own ServiceAccount: KUBERNETES_SERVICE_HOST/PORT and the projected token and CA. */
export function inClusterTarget(env: Readonly<Record<string, string | undefined>> = process.env, dir = SERVICE_ACCOUNT_DIR, now: () => number = Date.now): KubeTarget {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (host === undefined || host === "" || port === undefined || port === "") {
    throw new Error("not in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set (give --kubeconfig outside a pod)");
  }
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return { server, tls: { ca: readFileSync(join(dir, "ca.crt")), rejectUnauthorized: true }, authorization: tokenSource(undefined, join(dir, "token"), now) };
}

function named(list: unknown, name: string, what: string, file: string): Record<string, unknown> {
  const item = Array.isArray(list) ? list.find((x) => isObj(x) && x.name === name) : undefined;
  const body = isObj(item) ? item[what] : undefined;
  if (!isObj(body)) throw new Error(`${file}: no ${what} named ${JSON.stringify(name)}`);
  return body as Record<string, unknown>;
}

/** A kubeconfig file's current (or the named) context. Relative paths are relative to the file, as kubectl reads them. */
export function kubeconfigTarget(file: string, context?: string, now: () => number = Date.now): KubeTarget {
  const doc: unknown = parse(readFileSync(file, "utf8"));
  if (!isObj(doc)) throw new Error(`${file}: not a kubeconfig`);
  const ctxName = context ?? str(doc["current-context"]);
  if (ctxName === undefined || ctxName === "") throw new Error(`${file}: no current-context`);
  const ctx = named(doc.contexts, ctxName, "context", file);
  const cluster = named(doc.clusters, str(ctx.cluster) ?? "", "cluster", file);
  const user = str(ctx.user) === undefined ? {} : named(doc.users, str(ctx.user) as string, "user", file);
  const base = dirname(file);
  const path = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const bytes = (data: unknown, ref: unknown): Buffer | undefined => {
    if (typeof data === "string") return Buffer.from(data, "base64");
    if (typeof ref === "string") return readFileSync(path(ref));
    return undefined;
  };
  if (user.exec !== undefined || user["auth-provider"] !== undefined) {
    throw new Error(`${file}: user of context ${JSON.stringify(ctxName)} uses an exec plugin or auth provider, which the sidecar does not run; use a token, a token file or a client certificate`);
  }
  const server = str(cluster.server);
  if (server === undefined) throw new Error(`${file}: cluster of context ${JSON.stringify(ctxName)} has no server`);
  const token = str(user.token);
  const tokenFile = str(user.tokenFile);
  return {
    server,
    tls: {
      ca: bytes(cluster["certificate-authority-data"], cluster["certificate-authority"]),
      cert: bytes(user["client-certificate-data"], user["client-certificate"]),
      key: bytes(user["client-key-data"], user["client-key"]),
      rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
    },
    authorization: tokenSource(token, tokenFile === undefined ? undefined : path(tokenFile), now),
  };
}
