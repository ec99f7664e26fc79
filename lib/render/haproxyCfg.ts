/**
 * haproxy.cfg for the optional HAProxy VM: TCP 80/443 (and optionally 6443)
 * spread over the workers. The backends are server templates that follow the
 * cDNS all-nodes name (`nodes.<zone>`, one A record per healthy worker), so
 * node churn needs no reconfiguration (measured in test/haproxy/traffic.test.ts: an added IP is picked up
 * within a resolve interval, a removed one after `hold obsolete`).
 *
 * The stats password, when given, ends up in this text: callers must only
 * ever hand the result to a secret output (see components/haproxyVm.ts).
 */
import { DEFAULT_DNS_PORT, DEFAULT_HAPROXY_MAX_SERVERS } from "../config/defaults";
import type { ConfigProblem, HaproxyConfig } from "../config/types";
import { controlPlaneName, nodesName } from "../dns/names";
import { isDnsName } from "../dns/syntax";
import { isIpv4 } from "../net/ipv4";
import {
  HAPROXY_ACCEPTED_PAYLOAD_SIZE,
  HAPROXY_HTTP_PORT,
  HAPROXY_HTTPS_PORT,
  HAPROXY_KUBE_API_PORT,
  durationProblem,
  httpCheckProblems,
  isStatsUser,
  maxServersProblem,
  portProblem,
  udpMaxServers,
} from "./haproxyRules";

// Moved to lib/dns/names.ts (the sidecar serves the name); re-exported for existing importers.
export { CONTROL_PLANE_LABEL, controlPlaneName } from "../dns/names";

// The option rules and their constants live in haproxyRules.ts; re-exported for existing importers.
export {
  HAPROXY_ACCEPTED_PAYLOAD_SIZE,
  HAPROXY_HTTP_PORT,
  HAPROXY_HTTPS_PORT,
  HAPROXY_KUBE_API_PORT,
  HAPROXY_UDP_MAX_SERVERS,
  isHttpCheckPath,
  udpMaxServers,
} from "./haproxyRules";
export { isIpv4 } from "../net/ipv4";
/** Port of the HTTP stats page. */
export const DEFAULT_HAPROXY_STATS_PORT = 8404;
/** Admin socket (Debian's package creates /run/haproxy). */
export const DEFAULT_HAPROXY_STATS_SOCKET = "/run/haproxy/admin.sock";
/** Syslog target; Debian's rsyslog/journald listen on /dev/log. */
export const DEFAULT_HAPROXY_LOG = "/dev/log";
export const DEFAULT_HAPROXY_MAXCONN = 20000;
/** The process drops to this user in this chroot after binding (Debian's package defaults). */
export const DEFAULT_HAPROXY_PROCESS = { user: "haproxy", group: "haproxy", chroot: "/var/lib/haproxy" } as const;
export interface HaproxyTimeouts {
  readonly connect: string;
  readonly client: string;
  readonly server: string;
  /** Idle timeout of an established TCP connection (long: websockets, kube watches). */
  readonly tunnel: string;
  readonly check: string;
}
export const DEFAULT_HAPROXY_TIMEOUTS: HaproxyTimeouts = { connect: "5s", client: "60s", server: "60s", tunnel: "1h", check: "5s" };

/** Resolver timings; see "hold" in HAProxy's configuration manual, section 5.3.2. */
export interface HaproxyResolverTimings {
  /** Interval between resolutions of the nodes name. */
  readonly resolve: string;
  /** Interval between retries when no valid answer came. */
  readonly retry: string;
  readonly resolveRetries: number;
  /** How long an IP missing from the answer stays a server. */
  readonly holdObsolete: string;
  readonly holdValid: string;
  /** NXDOMAIN: the sidecar publishes no node; drop the servers after this. */
  readonly holdNx: string;
  readonly holdRefused: string;
  readonly holdOther: string;
  /**
   * No answer at all (cDNS down, Rancher recreating its node): keep the last
   * known workers for this long. Health checks still remove dead ones, so a
   * long hold only keeps serving through a cDNS outage.
   */
  readonly holdTimeout: string;
}
export const DEFAULT_HAPROXY_RESOLVER_TIMINGS: HaproxyResolverTimings = {
  resolve: "1s",
  retry: "1s",
  resolveRetries: 3,
  holdObsolete: "0s",
  holdValid: "10s",
  holdNx: "30s",
  holdRefused: "30s",
  holdOther: "30s",
  holdTimeout: "1h",
};

export interface HaproxyHealthCheckTimings {
  readonly inter: string;
  /** Failed checks before a server is marked down. */
  readonly fall: number;
  /** Passed checks before it is marked up again. */
  readonly rise: number;
}
export const DEFAULT_HAPROXY_HEALTH: HaproxyHealthCheckTimings = { inter: "2s", fall: 3, rise: 2 };

export interface HaproxyPorts {
  readonly http: number;
  readonly https: number;
  readonly kubeApi: number;
}
export const DEFAULT_HAPROXY_PORTS: HaproxyPorts = {
  http: HAPROXY_HTTP_PORT,
  https: HAPROXY_HTTPS_PORT,
  kubeApi: HAPROXY_KUBE_API_PORT,
};

export interface HaproxyCfgInput {
  /** Zone whose all-nodes name (`nodes.<zone>`) the worker backends follow. */
  readonly zone: string;
  /** cDNS addresses, one `nameserver` each. At least one. */
  readonly cdnsAddresses: readonly string[];
  /** Port of the cDNS nameservers. @default DEFAULT_DNS_PORT */
  readonly dnsPort?: number;
  /** Size of each server template. @default DEFAULT_HAPROXY_MAX_SERVERS */
  readonly maxServers?: number;
  /** Address the frontends bind. @default undefined (all IPv4 addresses) */
  readonly bindAddress?: string;
  /** Frontend ports. @default DEFAULT_HAPROXY_PORTS */
  readonly frontendPorts?: Partial<HaproxyPorts>;
  /** Ports on the nodes the backends connect to. @default DEFAULT_HAPROXY_PORTS */
  readonly backendPorts?: Partial<HaproxyPorts>;
  /**
   * Balance the Kubernetes API over the control-plane nodes, following `name`
   * (TCP connect check). @default undefined (no 6443 frontend)
   */
  readonly kubeApi?: {
    /** @default controlPlaneName(zone) */
    readonly name?: string;
    /** @default 9 (three times a 3-node control plane, for rolling replacements) */
    readonly maxServers?: number;
  };
  /**
   * Send PROXY protocol v2 to the workers (80/443 only). The stack never sets it: the
   * workers' 80/443 also serve clients that come straight from the round-robin DNS
   * answers and send no PROXY header (see readHaproxy() in lib/config). Only for a
   * setup whose backend ports take proxied traffic alone. @default false
   */
  readonly proxyProtocol?: boolean;
  /** HTTP health check on the workers instead of a TCP connect on the traffic port. @default undefined */
  readonly httpCheck?: { readonly port: number; readonly path: string };
  /**
   * The HTTP stats page. Without credentials it binds to 127.0.0.1 only;
   * with them it binds `bindAddress` and requires basic auth.
   */
  readonly stats?: {
    /** @default DEFAULT_HAPROXY_STATS_PORT */
    readonly port?: number;
    /** @default "admin" when a password is given */
    readonly user?: string;
    /** A secret: the rendered text then contains it. @default undefined (localhost only, no auth) */
    readonly password?: string;
  };
  /** Admin socket path. @default DEFAULT_HAPROXY_STATS_SOCKET */
  readonly statsSocket?: string;
  /** Syslog target, or "stdout" (foreground runs and tests). @default DEFAULT_HAPROXY_LOG */
  readonly log?: string;
  /** Global and per-frontend connection limit. @default DEFAULT_HAPROXY_MAXCONN */
  readonly maxconn?: number;
  /** User, group and chroot the process drops to; `null` keeps the starting user. @default DEFAULT_HAPROXY_PROCESS */
  readonly process?: { readonly user: string; readonly group: string; readonly chroot: string } | null;
  /** @default DEFAULT_HAPROXY_TIMEOUTS */
  readonly timeouts?: Partial<HaproxyTimeouts>;
  /** @default DEFAULT_HAPROXY_RESOLVER_TIMINGS */
  readonly resolver?: Partial<HaproxyResolverTimings>;
  /** @default DEFAULT_HAPROXY_HEALTH */
  readonly health?: Partial<HaproxyHealthCheckTimings>;
}

export const DEFAULT_KUBE_API_MAX_SERVERS = 9;
export const DEFAULT_HAPROXY_STATS_USER = "admin";

/** Problems with a renderer input (keys are paths inside HaproxyCfgInput). Pure; collects all. */
export function validateHaproxyCfgInput(input: HaproxyCfgInput): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: string, message: string | undefined): void => {
    if (message !== undefined) problems.push({ key, message });
  };
  const port = (key: string, n: number): boolean => {
    const problem = portProblem(n);
    add(key, problem);
    return problem === undefined;
  };
  const r = resolved(input);

  if (!isDnsName(input.zone)) add("zone", `must be a lowercase DNS name, got ${JSON.stringify(input.zone)}`);
  if (input.cdnsAddresses.length === 0) add("cdnsAddresses", "at least one cDNS address is required: HAProxy finds the workers through it");
  input.cdnsAddresses.forEach((a, i) => {
    if (!isIpv4(a)) add(`cdnsAddresses[${i}]`, `must be an IPv4 address, got ${JSON.stringify(a)}`);
  });
  port("dnsPort", r.dnsPort);
  if (input.bindAddress !== undefined && !isIpv4(input.bindAddress)) {
    add("bindAddress", `must be an IPv4 address, got ${JSON.stringify(input.bindAddress)}`);
  }

  add("maxServers", maxServersProblem(r.maxServers, input.zone));

  // Every port HAProxy listens on must be distinct.
  const listeners: Array<[string, number]> = [["frontendPorts.http", r.frontend.http], ["frontendPorts.https", r.frontend.https]];
  if (r.kubeApi !== undefined) listeners.push(["frontendPorts.kubeApi", r.frontend.kubeApi]);
  listeners.push(["stats.port", r.statsPort]);
  const seen = new Map<number, string>();
  for (const [key, p] of listeners) {
    if (!port(key, p)) continue;
    const other = seen.get(p);
    if (other !== undefined) add(key, `port ${p} is already used by ${other}`);
    else seen.set(p, key);
  }
  port("backendPorts.http", r.backend.http);
  port("backendPorts.https", r.backend.https);
  if (r.kubeApi !== undefined) {
    port("backendPorts.kubeApi", r.backend.kubeApi);
    if (!isDnsName(r.kubeApi.name)) add("kubeApi.name", `must be a lowercase DNS name, got ${JSON.stringify(r.kubeApi.name)}`);
    const cpLimit = udpMaxServers(r.kubeApi.name);
    if (!Number.isInteger(r.kubeApi.maxServers) || r.kubeApi.maxServers < 1 || r.kubeApi.maxServers > cpLimit) {
      add("kubeApi.maxServers", `must be an integer 1-${cpLimit}, got ${r.kubeApi.maxServers}`);
    }
  }

  if (input.httpCheck !== undefined) {
    const check = httpCheckProblems(input.httpCheck, r.backend.https);
    add("httpCheck.port", check.port);
    add("httpCheck.path", check.path);
  }

  if (input.stats?.password !== undefined) {
    if (input.stats.password.length === 0) add("stats.password", "must not be empty");
    if (!isStatsUser(r.statsUser)) add("stats.user", `must be 1-64 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(r.statsUser)}`);
  } else if (input.stats?.user !== undefined) {
    add("stats.user", "a stats user without a password: set the password too, or neither");
  }

  if (!Number.isInteger(r.maxconn) || r.maxconn < 1) add("maxconn", `must be a positive integer, got ${r.maxconn}`);
  for (const [k, v] of Object.entries(r.timeouts)) add(`timeouts.${k}`, durationProblem(v, "5s"));
  for (const [k, v] of Object.entries(r.resolver)) {
    if (k === "resolveRetries") {
      if (!Number.isInteger(v) || (v as number) < 1) add(`resolver.${k}`, `must be a positive integer, got ${String(v)}`);
    } else add(`resolver.${k}`, durationProblem(String(v), "1s"));
  }
  add("health.inter", durationProblem(r.health.inter, "2s"));
  for (const k of ["fall", "rise"] as const) {
    if (!Number.isInteger(r.health[k]) || r.health[k] < 1) add(`health.${k}`, `must be a positive integer, got ${r.health[k]}`);
  }
  return problems;
}

/** The input with every default applied, once. */
function resolved(input: HaproxyCfgInput) {
  const password = input.stats?.password;
  return {
    dnsPort: input.dnsPort ?? DEFAULT_DNS_PORT,
    maxServers: input.maxServers ?? DEFAULT_HAPROXY_MAX_SERVERS,
    frontend: { ...DEFAULT_HAPROXY_PORTS, ...input.frontendPorts },
    backend: { ...DEFAULT_HAPROXY_PORTS, ...input.backendPorts },
    kubeApi: input.kubeApi === undefined ? undefined : {
      name: input.kubeApi.name ?? controlPlaneName(input.zone),
      maxServers: input.kubeApi.maxServers ?? DEFAULT_KUBE_API_MAX_SERVERS,
    },
    statsPort: input.stats?.port ?? DEFAULT_HAPROXY_STATS_PORT,
    statsUser: input.stats?.user ?? DEFAULT_HAPROXY_STATS_USER,
    statsPassword: password,
    statsSocket: input.statsSocket ?? DEFAULT_HAPROXY_STATS_SOCKET,
    log: input.log ?? DEFAULT_HAPROXY_LOG,
    maxconn: input.maxconn ?? DEFAULT_HAPROXY_MAXCONN,
    process: input.process === undefined ? DEFAULT_HAPROXY_PROCESS : input.process,
    timeouts: { ...DEFAULT_HAPROXY_TIMEOUTS, ...input.timeouts },
    resolver: { ...DEFAULT_HAPROXY_RESOLVER_TIMINGS, ...input.resolver },
    health: { ...DEFAULT_HAPROXY_HEALTH, ...input.health },
  };
}

/**
 * One HAProxy config word in double quotes: `"`, `\` and `$` (environment
 * expansion) are escaped, anything outside printable ASCII becomes `\xNN`, so
 * no value can end the line or start a comment.
 */
export function haproxyQuote(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (c === '"' || c === "\\" || c === "$") out += `\\${c}`;
    else if (byte >= 0x20 && byte < 0x7f) out += c;
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"`;
}

/** Renders haproxy.cfg; throws with every problem listed when the input is invalid. */
export function renderHaproxyCfg(input: HaproxyCfgInput): string {
  const problems = validateHaproxyCfgInput(input);
  if (problems.length > 0) {
    throw new Error(`renderHaproxyCfg: invalid input:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join("\n")}`);
  }
  const r = resolved(input);
  const bind = (port: number): string => `${input.bindAddress ?? ""}:${port}`;
  const logLine = r.log === "stdout" ? "log stdout format raw local0" : `log ${r.log} local0`;
  const out: string[] = ["# Generated by rancher-cdns. Do not edit: change the stack config instead."];

  out.push("global", `    ${logLine}`, `    maxconn ${r.maxconn}`);
  if (r.process !== null) out.push(`    chroot ${r.process.chroot}`, `    user ${r.process.user}`, `    group ${r.process.group}`);
  out.push(`    stats socket ${r.statsSocket} mode 660 level admin`, "    stats timeout 30s", "");

  const t = r.timeouts;
  out.push(
    "defaults",
    "    mode tcp",
    "    log global",
    "    option tcplog",
    "    option dontlognull",
    // A failed connect to a node that just died is retried on another server.
    "    retries 2",
    "    option redispatch",
    `    maxconn ${r.maxconn}`,
    `    timeout connect ${t.connect}`,
    `    timeout client ${t.client}`,
    `    timeout server ${t.server}`,
    `    timeout tunnel ${t.tunnel}`,
    `    timeout check ${t.check}`,
    "",
  );

  const res = r.resolver;
  out.push("resolvers cdns");
  input.cdnsAddresses.forEach((ip, i) => out.push(`    nameserver cdns${i} ${ip}:${r.dnsPort}`));
  out.push(
    `    accepted_payload_size ${HAPROXY_ACCEPTED_PAYLOAD_SIZE}`,
    `    resolve_retries ${res.resolveRetries}`,
    `    timeout resolve ${res.resolve}`,
    `    timeout retry ${res.retry}`,
    `    hold valid ${res.holdValid}`,
    `    hold obsolete ${res.holdObsolete}`,
    `    hold nx ${res.holdNx}`,
    `    hold refused ${res.holdRefused}`,
    `    hold other ${res.holdOther}`,
    `    hold timeout ${res.holdTimeout}`,
    "",
  );

  const h = r.health;
  const workers = nodesName(input.zone);
  const workerBackend = (name: string, port: number): void => {
    out.push(`backend ${name}`, "    balance roundrobin");
    const defaults = [`inter ${h.inter}`, `fall ${h.fall}`, `rise ${h.rise}`];
    if (input.httpCheck !== undefined) {
      out.push(
        "    option httpchk",
        `    http-check send meth GET uri ${input.httpCheck.path} ver HTTP/1.1 hdr Host localhost`,
        "    http-check expect status 200",
      );
      defaults.push(`port ${input.httpCheck.port}`);
      // A check on a traffic port that expects PROXY must send the header too.
      const checkOnTrafficPort = input.httpCheck.port === r.backend.http || input.httpCheck.port === r.backend.https;
      if (input.proxyProtocol === true && checkOnTrafficPort) defaults.push("check-send-proxy");
    }
    if (input.proxyProtocol === true) defaults.push("send-proxy-v2");
    out.push(`    default-server ${defaults.join(" ")}`);
    out.push(`    server-template node ${r.maxServers} ${workers}:${port} check resolvers cdns init-addr none resolve-prefer ipv4`, "");
  };

  out.push("frontend http", `    bind ${bind(r.frontend.http)}`, "    default_backend workers_http", "");
  out.push("frontend https", `    bind ${bind(r.frontend.https)}`, "    default_backend workers_https", "");
  workerBackend("workers_http", r.backend.http);
  workerBackend("workers_https", r.backend.https);

  if (r.kubeApi !== undefined) {
    out.push(
      "frontend kube_api",
      `    bind ${bind(r.frontend.kubeApi)}`,
      "    default_backend control_plane",
      "",
      "backend control_plane",
      // Long watches: send new connections where the fewest are open.
      "    balance leastconn",
      `    default-server inter ${h.inter} fall ${h.fall} rise ${h.rise}`,
      `    server-template cp ${r.kubeApi.maxServers} ${r.kubeApi.name}:${r.backend.kubeApi} check resolvers cdns init-addr none resolve-prefer ipv4`,
      "",
    );
  }

  out.push("listen stats", "    mode http");
  if (r.statsPassword === undefined) {
    out.push(`    bind 127.0.0.1:${r.statsPort}`);
  } else {
    out.push(`    bind ${bind(r.statsPort)}`);
  }
  out.push("    stats enable", "    stats uri /", "    stats refresh 10s");
  if (r.statsPassword !== undefined) {
    out.push(`    stats auth ${haproxyQuote(`${r.statsUser}:${r.statsPassword}`)}`, "    stats realm HAProxy");
  }
  return out.join("\n") + "\n";
}

/**
 * The renderer's input for a validated `haproxy` stack block, with production
 * defaults for everything the stack does not configure. Shared by the
 * HaproxyVm component and `npm run synth`.
 */
export function haproxyCfgInputFromConfig(
  h: HaproxyConfig,
  zone: string,
  cdnsAddresses: readonly string[],
  stats?: { readonly user: string; readonly password: string },
): HaproxyCfgInput {
  return {
    zone,
    cdnsAddresses,
    maxServers: h.maxServers,
    kubeApi: h.kubeApi ? { name: controlPlaneName(zone) } : undefined,
    httpCheck: h.httpCheck,
    stats,
  };
}
