/**
 * GET requests to the API server with the credentials of a KubeTarget (kubeconfig.ts: TLS, a
 * bearer token re-read from its file every minute, or a client certificate), over one
 * keep-alive agent, with the two timeouts a list+watch needs and node's defaults lack:
 * - `headersTimeoutMs`: a frozen or half-open API server accepts the TCP connection (the
 *   kernel does that) and never answers; without a bound the request waits forever;
 * - the caller bounds the body itself (a watch is long on purpose).
 */
import type { IncomingMessage } from "node:http";
import * as https from "node:https";
import * as http from "node:http";
import type { KubeTarget } from "./kubeconfig";
import { decodeStatus, isProtobuf, unwrap } from "./protobuf";

export interface GetOptions {
  readonly headersTimeoutMs: number;
  readonly signal: AbortSignal;
  /** The Accept header. @default "application/json" */
  readonly accept?: string;
}

export interface KubeTransport {
  /** Resolves with the response once its headers arrive; rejects on timeout, abort or a socket error. */
  get(path: string, opts: GetOptions): Promise<IncomingMessage>;
}

/** An error from the API server, carrying its HTTP status and the Status message. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Reads a whole (small) response body. */
export async function readBody(res: IncomingMessage, limitBytes = 1 << 20): Promise<string> {
  return (await readBodyBytes(res, limitBytes)).toString();
}

function readBodyBytes(res: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= limitBytes) chunks.push(c);
    });
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("response aborted")));
  });
}

/** The ApiError for a non-2xx response: the Status object's message when there is one. */
export async function apiErrorOf(res: IncomingMessage, what: string): Promise<ApiError> {
  const bytes = await readBodyBytes(res, 1 << 20).catch(() => Buffer.alloc(0));
  let status: { message?: unknown; reason?: unknown } | undefined;
  let message: string;
  if (isProtobuf(res.headers["content-type"])) {
    // Asked for protobuf (a watch of Ingresses), the API server sends its Status in protobuf too.
    message = `${bytes.length} bytes of protobuf`;
    try {
      const { kind, object } = unwrap(bytes);
      if (kind === "Status") status = decodeStatus(object);
    } catch {
      // not a Status object: say so by its size
    }
  } else {
    const body = bytes.toString();
    message = body.trim().slice(0, 500);
    try {
      status = JSON.parse(body) as { message?: unknown; reason?: unknown };
    } catch {
      // not a Status object: keep the text
    }
  }
  let reason: string | undefined;
  if (typeof status?.message === "string") message = status.message;
  if (typeof status?.reason === "string") reason = status.reason;
  return new ApiError(res.statusCode ?? 0, `${what}: HTTP ${res.statusCode}${message === "" ? "" : `: ${message}`}`, reason);
}

export function kubeTransport(target: KubeTarget): KubeTransport {
  const base = new URL(target.server);
  const secure = base.protocol === "https:";
  const prefix = base.pathname.replace(/\/$/, "");
  const agent = secure ? new https.Agent({ keepAlive: true, ...target.tls }) : new http.Agent({ keepAlive: true });
  return {
    get(path, { headersTimeoutMs, signal, accept }) {
      const auth = target.authorization();
      const opts: https.RequestOptions = {
        protocol: base.protocol,
        hostname: base.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: base.port === "" ? (secure ? 443 : 80) : Number(base.port),
        path: `${prefix}${path}`,
        method: "GET",
        agent,
        signal,
        headers: { Accept: accept ?? "application/json", ...(auth === undefined ? {} : { Authorization: auth }) },
      };
      return new Promise<IncomingMessage>((resolve, reject) => {
        const req = (secure ? https : http).request(opts, (res) => {
          clearTimeout(timer);
          resolve(res);
        });
        const timer = setTimeout(() => req.destroy(new Error(`GET ${path}: no response headers within ${headersTimeoutMs} ms`)), headersTimeoutMs);
        req.on("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
        req.end();
      });
    },
  };
}
