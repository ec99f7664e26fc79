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
import { parseLabelSelector } from "../../lib/k8s/labelSelector";
import { isValidDnsName, normalizeHostname } from "./source/hostnames";
import { DEFAULT_WATCH_TIMEOUT_SECONDS } from "./source/reflector";
import type { LogLevel } from "./log";

export const DEFAULT_OPT_OUT_LABEL = "cdns.rancher-cdns.io/ignore=true";
export const DEFAULT_DEBOUNCE_MS = 50;
export const DEFAULT_MAX_DELAY_MS = 250;
export const DEFAULT_ALL_DROPPED_RULE: AllDroppedRule = "keep-last";
/** Below the ~74 A records that fit dnsmasq's 1232-byte EDNS answer (FACTS.md). */
export const DEFAULT_MAX_TARGETS = 64;

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
  readonly allDroppedRule: AllDroppedRule;
  readonly maxTargets: number;
  readonly enableServices: boolean;
  readonly enableHttpRoutes: boolean;
  /** dnsmasq's pid file: when set, the sink sends SIGHUP after each write. */
  readonly pidFile?: string;
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
  { flag: "watch-timeout-s", env: "CDNS_WATCH_TIMEOUT_S", help: `Each watch is renewed this often; an unresponsive API server is noticed within it plus 10 s. Default ${DEFAULT_WATCH_TIMEOUT_SECONDS}` },
  { flag: "all-dropped-rule", env: "CDNS_ALL_DROPPED_RULE", help: `When every target of a name is unhealthy: ${ALL_DROPPED_RULES.join(" | ")}. Default ${DEFAULT_ALL_DROPPED_RULE}` },
  { flag: "max-targets", env: "CDNS_MAX_TARGETS", help: `Most IPs served per name. Default ${DEFAULT_MAX_TARGETS}` },
  { flag: "enable-services", env: "CDNS_ENABLE_SERVICES", help: "Also serve annotated LoadBalancer Services. Default false", boolean: true },
  { flag: "enable-httproutes", env: "CDNS_ENABLE_HTTPROUTES", help: "Also serve Gateway API HTTPRoutes (when the CRD exists). Default false", boolean: true },
  { flag: "pid-file", env: "CDNS_PID_FILE", help: "dnsmasq pid file; SIGHUP after each write. Default: none" },
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

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

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
  for (const ns of namespaces) if (!NAMESPACE.test(ns)) bad("namespaces", `"${ns}" is not a valid namespace name`);
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
  const rule = (raw["all-dropped-rule"] ?? DEFAULT_ALL_DROPPED_RULE) as AllDroppedRule;
  if (!ALL_DROPPED_RULES.includes(rule)) bad("all-dropped-rule", `must be one of ${ALL_DROPPED_RULES.join(", ")}, got "${rule}"`);
  const maxTargets = int("max-targets", DEFAULT_MAX_TARGETS, 1, 1000);
  const enableServices = bool("enable-services");
  const enableHttpRoutes = bool("enable-httproutes");
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
      debounceMs, maxDelayMs, watchTimeoutS, allDroppedRule: rule, maxTargets, enableServices,
      enableHttpRoutes, pidFile, kubeconfig, logLevel,
    },
  };
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  return `invalid settings (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
    problems.map((p) => `  ${p.key}: ${p.message}`).join("\n") + "\n";
}
