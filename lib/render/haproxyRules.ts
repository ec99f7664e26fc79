/**
 * The rules of the HAProxy options, in one place: the renderer's input check
 * (validateHaproxyCfgInput() in haproxyCfg.ts) and the stack config check
 * (validateHaproxySettings() in lib/config/validateHaproxy.ts) both call these,
 * so a value the stack accepts always renders, with the same message.
 */
import { nodesName } from "../dns/names";

/** Frontend (and backend) port for plain HTTP. */
export const HAPROXY_HTTP_PORT = 80;
/** Frontend (and backend) port for TLS. */
export const HAPROXY_HTTPS_PORT = 443;
/** Kubernetes API port on the control-plane nodes. */
export const HAPROXY_KUBE_API_PORT = 6443;
/**
 * EDNS payload size HAProxy announces. dnsmasq's `edns-packet-max` defaults to
 * 1232, so asking for more gains nothing; HAProxy's own default (512) would
 * cap the template at about 29 servers.
 */
export const HAPROXY_ACCEPTED_PAYLOAD_SIZE = 1232;
/**
 * The most A records one UDP answer from dnsmasq carries for a short name
 * (measured: about 74). The exact limit depends on the name: see
 * `udpMaxServers()`. HAProxy does not retry a truncated answer over TCP.
 */
export const HAPROXY_UDP_MAX_SERVERS = 74;

/** Characters HAProxy takes literally in an unquoted `uri` argument (no space, no `#`, no quotes, no `\`). */
const HTTP_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const DURATION = /^\d+(us|ms|s|m|h|d)?$/;
const STATS_USER = /^[A-Za-z0-9._-]{1,64}$/;

/** Wire length of a DNS name (labels with their length bytes plus the root). */
function wireLength(name: string): number {
  return name.replace(/\.$/, "").split(".").reduce((n, label) => n + 1 + Buffer.byteLength(label), 1);
}

/**
 * The most A records for `name` that fit one UDP answer of `payloadSize`
 * bytes: header (12) + question (name + 4) + 16 bytes per A record (the owner
 * name is a 2-byte pointer to the question). Measured on dnsmasq 2.90: it
 * drops its OPT record to fit one more, and HAProxy accepts that answer; one
 * record more and the answer is truncated, which HAProxy treats as an error:
 * it then follows no server at all (test/haproxy/haproxyCfg.test.ts).
 */
export function udpMaxServers(name: string, payloadSize = HAPROXY_ACCEPTED_PAYLOAD_SIZE): number {
  return Math.floor((payloadSize - 12 - (wireLength(name) + 4)) / 16);
}

/** True for a path usable in `http-check send ... uri <path>` unquoted. */
export function isHttpCheckPath(path: string): boolean {
  return HTTP_PATH.test(path) && path.length <= 1024;
}

/** Why `n` is not a TCP port, or undefined. */
export function portProblem(n: number): string | undefined {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? undefined : `must be an integer port 1-65535, got ${n}`;
}

/**
 * Why `n` is not a usable server-template size for the workers that follow
 * `nodes.<zone>`, or undefined.
 */
export function maxServersProblem(n: number, zone: string): string | undefined {
  if (!Number.isInteger(n) || n < 1) return `must be a positive integer, got ${n}`;
  const name = nodesName(zone);
  const limit = udpMaxServers(name);
  if (n > limit) {
    return `${n} is above ${limit}, the most A records for ${name} one UDP answer carries; HAProxy does not retry a truncated answer over TCP and then follows no worker at all`;
  }
  return undefined;
}

/** Problems of an HTTP health check against the workers, by field; `tlsPort` is the backend's TLS port. */
export function httpCheckProblems(check: { readonly port: number; readonly path: string }, tlsPort: number): { port?: string; path?: string } {
  const out: { port?: string; path?: string } = {};
  const port = portProblem(check.port);
  if (port !== undefined) out.port = port;
  else if (check.port === tlsPort) {
    out.port = `${tlsPort} is the TLS listener: a plain HTTP check against it always fails; use the ingress controller's health port (e.g. 10254) or 80`;
  }
  if (!isHttpCheckPath(check.path)) {
    out.path = `must be an absolute URL path such as "/healthz" (no spaces, quotes, "#" or "\\"), got ${JSON.stringify(check.path)}`;
  }
  return out;
}

/** Why `d` is not an HAProxy duration such as "5s", or undefined. */
export function durationProblem(d: string, example: string): string | undefined {
  return DURATION.test(d) ? undefined : `must be an HAProxy duration such as "${example}", got ${JSON.stringify(d)}`;
}

export function isStatsUser(user: string): boolean {
  return STATS_USER.test(user);
}
