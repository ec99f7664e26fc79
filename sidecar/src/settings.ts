/**
 * Sidecar settings from flags (`--zones a,b` or `--zones=a,b`) or environment
 * (`CDNS_ZONES`); a flag beats the environment, which beats the default.
 * `validateSidecarSettings()` is pure and lists every problem at once.
 */
import type { ConfigProblem } from "../../lib/config/types";
import {
  DEFAULT_FALLBACK_NODE_SELECTOR,
  DEFAULT_HOSTS_DIR,
  DEFAULT_HOSTS_FILE,
  DEFAULT_SIDECAR_HTTP_PORT,
} from "../../lib/config/defaults";
import { ALL_DROPPED_RULES, type AllDroppedRule } from "./plan";
import { isDnsLabel } from "../../lib/dns/syntax";
import { isIpv4 } from "../../lib/net/ipv4";
import { parseLabelSelector } from "../../lib/k8s/labelSelector";
import { INGRESS_CONTROLLER_PRESETS, NO_INGRESS_CONTROLLER, resolveIngressController, type IngressControllerSpec } from "../../lib/k8s/ingressControllers";
import {
  DEFAULT_NODE_CHECK_CONCURRENCY,
  DEFAULT_NODE_CHECK_FALL,
  DEFAULT_NODE_CHECK_INTERVAL_MS,
  DEFAULT_NODE_CHECK_PORTS,
  DEFAULT_NODE_CHECK_RISE,
  DEFAULT_NODE_CHECK_TIMEOUT_MS,
  type NodeCheckOptions,
} from "./source/nodeCheck";
import { isValidDnsName, normalizeHostname } from "./source/hostnames";
import { DEFAULT_PAGE_SIZE, DEFAULT_WATCH_TIMEOUT_SECONDS } from "./source/reflector";
import { DEFAULT_TTL_SECONDS } from "../../lib/config/defaults";
import { DEFAULT_RESPONDER_PORT, RESPONDER_HOST } from "../../lib/dns/responder";
import type { LogLevel } from "./log";

/** dnsmasq in the same pod: the pod's network namespace shares loopback. */
export const DEFAULT_DNSMASQ_ADDRESS = "127.0.0.1:53";
export const DEFAULT_OPT_OUT_LABEL = "cdns.rancher-cdns.io/ignore=true";
/**
 * Quiet time before a reconcile. Bursts (a relist, a controller updating many statuses) arrive
 * far closer together than this, and events that come while a reconcile or write runs wait for
 * it anyway, so a longer wait only adds to every single change: at 10,000 Ingresses one change
 * took p50 ~59 ms with 20 ms here and ~53 with 5 (real API server, my harness, 40 changes each).
 */
export const DEFAULT_DEBOUNCE_MS = 5;
export const DEFAULT_MAX_DELAY_MS = 250;
export const DEFAULT_ALL_DROPPED_RULE: AllDroppedRule = "keep-last";
/**
 * Addresses served per name, chosen by rendezvous hashing within a pool (subset.ts): enough to spread
 * and fail over, few enough that dnsmasq re-reads a node flip quickly when every Ingress lists
 * every node (10,000 names x 8 = 80,000 records instead of 640,000 at 64).
 */
export const DEFAULT_MAX_TARGETS = 8;
/** The ~74 A records that fit dnsmasq's 1232-byte EDNS answer (measured; test/dnsmasq/answerSize.test.ts), with room to spare. */
export const MAX_MAX_TARGETS = 64;

export interface SidecarSettings {
  readonly zones: readonly string[];
  readonly hostsDir: string;
  readonly hostsFile: string;
  readonly httpPort: number;
  readonly ingressClass?: string;
  readonly namespaces: readonly string[];
  readonly fallbackNodeSelector: string;
  readonly optOutLabel: string;
  readonly debounceMs: number;
  readonly maxDelayMs: number;
  /** Server-side watch timeout; a dead API server is noticed within it plus 10 s. */
  readonly watchTimeoutS: number;
  /** Objects per list page. */
  readonly listPageSize: number;
  readonly allDroppedRule: AllDroppedRule;
  readonly maxTargets: number;
  readonly enableServices: boolean;
  readonly enableHttpRoutes: boolean;
  /** The ingress controller whose Ready pods decide the targets of its Ingresses; undefined = node health only. */
  readonly ingressController?: IngressControllerSpec;
  /** The active data-path check (TCP connects to every target node's ingress ports); undefined = off. */
  readonly nodeCheck?: NodeCheckOptions;
  /** dnsmasq's pid file: when set, the sink sends SIGHUP after each write. */
  readonly pidFile?: string;
  /** Where dnsmasq answers, for pacing writes to its re-reads (sink/dnsBarrier.ts); undefined: unpaced. */
  readonly dnsmasqAddress?: { readonly host: string; readonly port: number };
  /**
   * Where the DNS responder listens (UDP and TCP): dnsmasq forwards the zones' names it does not
   * hold there (wildcards, negative answers). undefined: off, wildcard hosts are not served.
   */
  readonly responder?: { readonly host: string; readonly port: number };
  /** TTL of the responder's answers and of its SOA (dnsmasq.conf's local-ttl is the same value). */
  readonly ttlSeconds: number;
  /** Kubeconfig path; unset = in-cluster service account. */
  readonly kubeconfig?: string;
  readonly logLevel: LogLevel;
}

interface FlagSpec {
  readonly flag: string;
  readonly env: string;
  readonly help: string;
  readonly boolean?: boolean;
}

export const FLAGS: readonly FlagSpec[] = [
  { flag: "zones", env: "CDNS_ZONES", help: "Comma-separated zones to serve (required), e.g. apps.example.com,apps.example.org" },
  { flag: "hosts-dir", env: "CDNS_HOSTS_DIR", help: `Directory dnsmasq watches (--hostsdir). Default ${DEFAULT_HOSTS_DIR}` },
  { flag: "hosts-file", env: "CDNS_HOSTS_FILE", help: `File written inside it. Default ${DEFAULT_HOSTS_FILE}` },
  { flag: "http-port", env: "CDNS_HTTP_PORT", help: `Port of /healthz, /readyz, /metrics. Default ${DEFAULT_SIDECAR_HTTP_PORT}` },
  { flag: "ingress-class", env: "CDNS_INGRESS_CLASS", help: "Only Ingresses of this class. Default: all" },
  { flag: "namespaces", env: "CDNS_NAMESPACES", help: "Comma-separated namespaces to serve. Default: all" },
  { flag: "fallback-node-selector", env: "CDNS_FALLBACK_NODE_SELECTOR", help: `Label selector of the nodes used when an Ingress has no status (nodes tainted purpose=cdns never are). Default ${DEFAULT_FALLBACK_NODE_SELECTOR}` },
  { flag: "opt-out-label", env: "CDNS_OPT_OUT_LABEL", help: `Label selector: objects it matches are not served. Default ${DEFAULT_OPT_OUT_LABEL}` },
  { flag: "debounce-ms", env: "CDNS_DEBOUNCE_MS", help: `Quiet time before a reconcile. Default ${DEFAULT_DEBOUNCE_MS}` },
  { flag: "max-delay-ms", env: "CDNS_MAX_DELAY_MS", help: `Longest delay of a reconcile under a constant event stream. Default ${DEFAULT_MAX_DELAY_MS}` },
  { flag: "list-page-size", env: "CDNS_LIST_PAGE_SIZE", help: `Objects per list page (smaller pages: less memory while listing, more requests). Default ${DEFAULT_PAGE_SIZE}` },
  { flag: "watch-timeout-s", env: "CDNS_WATCH_TIMEOUT_S", help: `Each watch is renewed this often; an unresponsive API server is noticed within it plus 10 s. Default ${DEFAULT_WATCH_TIMEOUT_SECONDS}` },
  { flag: "all-dropped-rule", env: "CDNS_ALL_DROPPED_RULE", help: `When every target of a name is unhealthy: ${ALL_DROPPED_RULES.join(" | ")}. Default ${DEFAULT_ALL_DROPPED_RULE}` },
  { flag: "max-targets", env: "CDNS_MAX_TARGETS", help: `Most IPs served per name, a per-name subset when there are more (1-${MAX_MAX_TARGETS}). Default ${DEFAULT_MAX_TARGETS}` },
  { flag: "enable-services", env: "CDNS_ENABLE_SERVICES", help: "Also serve annotated LoadBalancer Services. Default false", boolean: true },
  { flag: "enable-httproutes", env: "CDNS_ENABLE_HTTPROUTES", help: "Also serve Gateway API HTTPRoutes (when the CRD exists). Default false", boolean: true },
  { flag: "ingress-controller", env: "CDNS_INGRESS_CONTROLLER", help: `Ingress controller whose Ready pods decide the targets of its Ingresses: ${Object.keys(INGRESS_CONTROLLER_PRESETS).join(" | ")} | ${NO_INGRESS_CONTROLLER}. Default ${NO_INGRESS_CONTROLLER}` },
  { flag: "ingress-controller-namespace", env: "CDNS_INGRESS_CONTROLLER_NAMESPACE", help: "Namespace of its pods. Default: the preset's" },
  { flag: "ingress-controller-selector", env: "CDNS_INGRESS_CONTROLLER_SELECTOR", help: "Label selector of its pods. Default: the preset's" },
  { flag: "ingress-controller-classes", env: "CDNS_INGRESS_CONTROLLER_CLASSES", help: "Comma-separated IngressClass names it serves, or * for every Ingress. Default: the preset's" },
  { flag: "node-check", env: "CDNS_NODE_CHECK", help: "TCP-connect to every target node's ingress ports each interval; a node failing it leaves the answers. Default false", boolean: true },
  { flag: "node-check-ports", env: "CDNS_NODE_CHECK_PORTS", help: `Comma-separated ports every target node must accept. Default ${DEFAULT_NODE_CHECK_PORTS.join(",")}` },
  { flag: "node-check-interval-ms", env: "CDNS_NODE_CHECK_INTERVAL_MS", help: `Check interval. Default ${DEFAULT_NODE_CHECK_INTERVAL_MS}` },
  { flag: "node-check-timeout-ms", env: "CDNS_NODE_CHECK_TIMEOUT_MS", help: `Per connect, at most the interval. Default ${DEFAULT_NODE_CHECK_TIMEOUT_MS}` },
  { flag: "node-check-rise", env: "CDNS_NODE_CHECK_RISE", help: `Successes in a row that bring a node back. Default ${DEFAULT_NODE_CHECK_RISE}` },
  { flag: "node-check-fall", env: "CDNS_NODE_CHECK_FALL", help: `Failures in a row that take a node out. Default ${DEFAULT_NODE_CHECK_FALL}` },
  { flag: "node-check-concurrency", env: "CDNS_NODE_CHECK_CONCURRENCY", help: `Node IPs checked at once. Default ${DEFAULT_NODE_CHECK_CONCURRENCY}` },
  { flag: "pid-file", env: "CDNS_PID_FILE", help: "dnsmasq pid file; SIGHUP after each write. Default: none" },
  { flag: "responder-address", env: "CDNS_RESPONDER_ADDRESS", help: `Where the DNS responder listens (ADDRESS:PORT, UDP and TCP) for what dnsmasq forwards (server=/zone/ADDRESS#PORT): wildcard hosts and the zones' negative answers; "none": off, wildcard hosts are not served. Default none (the chart sets ${RESPONDER_HOST}:${DEFAULT_RESPONDER_PORT} in forwarding mode)` },
  { flag: "ttl-seconds", env: "CDNS_TTL_SECONDS", help: `TTL of the responder's answers; the same as dnsmasq's local-ttl. Default ${DEFAULT_TTL_SECONDS}` },
  { flag: "dnsmasq-address", env: "CDNS_DNSMASQ_ADDRESS", help: `Where dnsmasq answers (ADDRESS:PORT), to pace hosts-file writes to its re-reads; "none" writes unpaced. Default ${DEFAULT_DNSMASQ_ADDRESS}` },
  { flag: "kubeconfig", env: "KUBECONFIG", help: "Kubeconfig file. Default: in-cluster service account" },
  { flag: "log-level", env: "CDNS_LOG_LEVEL", help: "debug | info | warn | error. Default info" },
];

export function helpText(): string {
  const lines = ["Usage: cdns-sidecar [flags]", "", "Keeps dnsmasq's hosts directory equal to the cluster's ingress hostnames.", ""];
  for (const f of FLAGS) lines.push(`  --${f.flag}${f.boolean === true ? "" : " VALUE"}`.padEnd(34) + `${f.help} [$${f.env}]`);
  lines.push("  --help".padEnd(34) + "Show this text");
  return lines.join("\n") + "\n";
}

/** Raw values by flag name, before validation. */
export type RawSettings = Readonly<Record<string, string | undefined>>;

export interface ParsedArgs {
  readonly raw: RawSettings;
  readonly help: boolean;
  readonly problems: readonly ConfigProblem[];
}

export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  const raw: Record<string, string | undefined> = {};
  const problems: ConfigProblem[] = [];
  for (const f of FLAGS) if (env[f.env] !== undefined && env[f.env] !== "") raw[f.flag] = env[f.env];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    const spec = m === null ? undefined : FLAGS.find((f) => f.flag === m[1]);
    if (m === null || spec === undefined) {
      problems.push({ key: arg, message: "unknown argument (see --help)" });
      continue;
    }
    if (m[2] !== undefined) raw[spec.flag] = m[2];
    else if (spec.boolean === true) raw[spec.flag] = "true";
    else if (i + 1 < argv.length) raw[spec.flag] = argv[++i];
    else problems.push({ key: `--${spec.flag}`, message: "needs a value" });
  }
  return { raw, help, problems };
}

function list(v: string | undefined): string[] {
  return (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

export type SettingsResult =
  | { readonly ok: true; readonly settings: SidecarSettings }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

export function validateSidecarSettings(raw: RawSettings): SettingsResult {
  const problems: ConfigProblem[] = [];
  const bad = (flag: string, message: string) => problems.push({ key: `--${flag}`, message });
  const int = (flag: string, def: number, min: number, max: number): number => {
    const v = raw[flag];
    if (v === undefined) return def;
    const n = Number(v.trim());
    if (!/^[0-9]+$/.test(v.trim()) || n < min || n > max) bad(flag, `must be an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };
  const bool = (flag: string): boolean => {
    const v = raw[flag]?.trim().toLowerCase();
    if (v === undefined) return false;
    if (v === "true" || v === "1" || v === "yes") return true;
    if (v !== "false" && v !== "0" && v !== "no") bad(flag, `must be true or false, got "${raw[flag]}"`);
    return false;
  };

  const zones = list(raw["zones"]).map(normalizeHostname);
  if (zones.length === 0) bad("zones", "at least one zone is required");
  for (const z of zones) if (!isValidDnsName(z)) bad("zones", `"${z}" is not a valid DNS name`);
  const dup = zones.filter((z, i) => zones.indexOf(z) !== i);
  if (dup.length > 0) bad("zones", `listed twice: ${[...new Set(dup)].join(", ")}`);

  const hostsDir = raw["hosts-dir"] ?? DEFAULT_HOSTS_DIR;
  if (!hostsDir.startsWith("/")) bad("hosts-dir", `must be an absolute path, got "${hostsDir}"`);
  const hostsFile = raw["hosts-file"] ?? DEFAULT_HOSTS_FILE;
  // dnsmasq ignores dotfiles in --hostsdir: a dot name would never be served.
  if (hostsFile === "" || hostsFile.includes("/") || hostsFile.startsWith(".")) {
    bad("hosts-file", `must be a plain file name not starting with ".", got "${hostsFile}"`);
  }
  const httpPort = int("http-port", DEFAULT_SIDECAR_HTTP_PORT, 1, 65535);
  const namespaces = list(raw["namespaces"]);
  for (const ns of namespaces) if (!isDnsLabel(ns)) bad("namespaces", `"${ns}" is not a valid namespace name`);
  const ingressClass = raw["ingress-class"]?.trim() || undefined;
  const fallbackNodeSelector = raw["fallback-node-selector"] ?? DEFAULT_FALLBACK_NODE_SELECTOR;
  const fallbackParse = parseLabelSelector(fallbackNodeSelector);
  if (!fallbackParse.ok) bad("fallback-node-selector", `must be a label selector: ${fallbackParse.error}`);
  const optOutLabel = raw["opt-out-label"] ?? DEFAULT_OPT_OUT_LABEL;
  const optOutParse = parseLabelSelector(optOutLabel);
  if (!optOutParse.ok || optOutLabel.trim() === "") bad("opt-out-label", `must be a non-empty label selector${optOutParse.ok ? "" : `: ${optOutParse.error}`}`);
  const debounceMs = int("debounce-ms", DEFAULT_DEBOUNCE_MS, 0, 10_000);
  const maxDelayMs = int("max-delay-ms", DEFAULT_MAX_DELAY_MS, 1, 60_000);
  if (maxDelayMs < debounceMs) bad("max-delay-ms", `must be at least --debounce-ms (${debounceMs}), got ${maxDelayMs}`);
  const watchTimeoutS = int("watch-timeout-s", DEFAULT_WATCH_TIMEOUT_SECONDS, 5, 600);
  const listPageSize = int("list-page-size", DEFAULT_PAGE_SIZE, 10, 5000);
  const rule = (raw["all-dropped-rule"] ?? DEFAULT_ALL_DROPPED_RULE) as AllDroppedRule;
  if (!ALL_DROPPED_RULES.includes(rule)) bad("all-dropped-rule", `must be one of ${ALL_DROPPED_RULES.join(", ")}, got "${rule}"`);
  const maxTargets = int("max-targets", DEFAULT_MAX_TARGETS, 1, MAX_MAX_TARGETS);
  const enableServices = bool("enable-services");
  const enableHttpRoutes = bool("enable-httproutes");
  const controllerResult = resolveIngressController(
    {
      preset: raw["ingress-controller"],
      namespace: raw["ingress-controller-namespace"],
      podSelector: raw["ingress-controller-selector"],
      classes: raw["ingress-controller-classes"] === undefined ? undefined : list(raw["ingress-controller-classes"]),
    },
    { preset: "--ingress-controller", namespace: "--ingress-controller-namespace", podSelector: "--ingress-controller-selector", classes: "--ingress-controller-classes" },
  );
  if (!controllerResult.ok) problems.push(...controllerResult.problems);
  const nodeCheck = nodeCheckSettings(raw, bool("node-check"), int, bad);
  const dnsmasqRaw = (raw["dnsmasq-address"] ?? DEFAULT_DNSMASQ_ADDRESS).trim();
  let dnsmasqAddress: { host: string; port: number } | undefined;
  if (dnsmasqRaw !== "none") {
    const m = /^([^:]+):(\d{1,5})$/.exec(dnsmasqRaw);
    const port = m === null ? NaN : Number(m[2]);
    if (m === null || !isIpv4(m[1] as string) || port < 1 || port > 65535) bad("dnsmasq-address", `must be IPV4:PORT or "none", got "${dnsmasqRaw}"`);
    else dnsmasqAddress = { host: m[1] as string, port };
  }
  // Off unless asked for: it must match dnsmasq.conf's server= lines, which only the chart renders.
  const responderRaw = (raw["responder-address"] ?? "none").trim();
  let responder: { host: string; port: number } | undefined;
  if (responderRaw !== "none") {
    const m = /^([^:]+):(\d{1,5})$/.exec(responderRaw);
    const port = m === null ? NaN : Number(m[2]);
    if (m === null || !isIpv4(m[1] as string) || port < 1 || port > 65535) bad("responder-address", `must be IPV4:PORT or "none", got "${responderRaw}"`);
    else responder = { host: m[1] as string, port };
  }
  const ttlSeconds = int("ttl-seconds", DEFAULT_TTL_SECONDS, 0, 3600);
  const pidFile = raw["pid-file"]?.trim() || undefined;
  if (pidFile !== undefined && !pidFile.startsWith("/")) bad("pid-file", `must be an absolute path, got "${pidFile}"`);
  const kubeconfig = raw["kubeconfig"]?.trim() || undefined;
  const logLevel = (raw["log-level"] ?? "info") as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(logLevel)) bad("log-level", `must be debug, info, warn or error, got "${logLevel}"`);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    settings: {
      zones, hostsDir, hostsFile, httpPort, ingressClass, namespaces, fallbackNodeSelector, optOutLabel,
      debounceMs, maxDelayMs, watchTimeoutS, listPageSize, allDroppedRule: rule, maxTargets, enableServices,
      enableHttpRoutes, pidFile, dnsmasqAddress, ttlSeconds, kubeconfig, logLevel,
      ...(responder === undefined ? {} : { responder }),
      ...(controllerResult.ok && controllerResult.controller !== undefined ? { ingressController: controllerResult.controller } : {}),
      ...(nodeCheck === undefined ? {} : { nodeCheck }),
    },
  };
}

const NODE_CHECK_FLAGS = ["node-check-ports", "node-check-interval-ms", "node-check-timeout-ms", "node-check-rise", "node-check-fall", "node-check-concurrency"];

/** The node check's settings when enabled; its other flags without --node-check are a mistake worth naming. */
function nodeCheckSettings(
  raw: RawSettings,
  enabled: boolean,
  int: (flag: string, def: number, min: number, max: number) => number,
  bad: (flag: string, message: string) => void,
): NodeCheckOptions | undefined {
  if (!enabled) {
    for (const f of NODE_CHECK_FLAGS) if (raw[f] !== undefined) bad(f, "has no effect without --node-check");
    return undefined;
  }
  const ports: number[] = [];
  const portList = raw["node-check-ports"] === undefined ? DEFAULT_NODE_CHECK_PORTS.map(String) : list(raw["node-check-ports"]);
  if (portList.length === 0 || portList.length > 8) bad("node-check-ports", `must list 1 to 8 ports, got "${raw["node-check-ports"] ?? ""}"`);
  for (const p of portList) {
    const n = Number(p);
    if (!/^[0-9]+$/.test(p) || n < 1 || n > 65535) bad("node-check-ports", `"${p}" is not a port (1-65535)`);
    else if (ports.includes(n)) bad("node-check-ports", `${n} listed twice`);
    else ports.push(n);
  }
  const intervalMs = int("node-check-interval-ms", DEFAULT_NODE_CHECK_INTERVAL_MS, 100, 600_000);
  const timeoutMs = int("node-check-timeout-ms", DEFAULT_NODE_CHECK_TIMEOUT_MS, 10, 60_000);
  // Every check of an interval ends before the next interval starts (nodeCheck.ts).
  if (timeoutMs > intervalMs) bad("node-check-timeout-ms", `must be at most --node-check-interval-ms (${intervalMs}), got ${timeoutMs}`);
  const rise = int("node-check-rise", DEFAULT_NODE_CHECK_RISE, 1, 100);
  const fall = int("node-check-fall", DEFAULT_NODE_CHECK_FALL, 1, 100);
  const concurrency = int("node-check-concurrency", DEFAULT_NODE_CHECK_CONCURRENCY, 1, 1024);
  return { ports, intervalMs, timeoutMs, rise, fall, concurrency };
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  return `invalid settings (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
    problems.map((p) => `  ${p.key}: ${p.message}`).join("\n") + "\n";
}
