/**
 * Reads the stack configuration from Pulumi config (project `rancher-cdns`)
 * and validates it before any resource is registered: a bad stack fails with
 * ONE error listing every problem, each with its full config key.
 *
 * Secrets are read with getSecret/requireSecret so they stay Outputs marked
 * secret. Their presence is checked by key only; no message ever contains a
 * secret's value.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConfigProblem, StackConfig, StackSecrets } from "../lib/config/types";
import { formatProblems, RAW_CONFIG_KEYS, type RawStackConfig, validateStackConfig } from "../lib/config/validate";

export const PROJECT_NAME = "rancher-cdns";

/** Names of the secret config keys. */
export const SECRET_KEYS = {
  vspherePassword: "vspherePassword",
  rancherToken: "rancherToken",
  registryPassword: "registryPassword",
  haproxyStatsPassword: "haproxyStatsPassword",
} as const;

export interface LoadedStackConfig {
  readonly config: StackConfig;
  readonly secrets: StackSecrets;
}

/** Raw config values as parsed objects, plus problems for values that are not valid JSON/YAML structures. */
export function readRawStackConfig(cfg: pulumi.Config): { raw: RawStackConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const raw: Record<string, unknown> = {};
  for (const key of RAW_CONFIG_KEYS) {
    try {
      raw[key] = cfg.getObject<unknown>(key);
    } catch {
      // getObject fails on a plain string; these keys are never secrets, but keep the message value-free anyway.
      problems.push({ key, message: "must be a structured value (a YAML list or map in Pulumi.<stack>.yaml, or JSON via `pulumi config set --path`)" });
    }
  }
  return { raw, problems };
}

/** True when the raw config names a prebuilt sidecar image (so nothing is built or pushed). */
function hasPrebuiltImage(raw: RawStackConfig): boolean {
  const sidecar = raw.sidecar;
  if (typeof sidecar !== "object" || sidecar === null) return false;
  const image: unknown = (sidecar as Record<string, unknown>).image;
  return image !== undefined && image !== null;
}

/** A secret config key counts as set when present and non-empty (Pulumi.yaml declares the optional ones with default ""). */
function isSet(cfg: pulumi.Config, key: string): boolean {
  const value = cfg.get(key);
  return value !== undefined && value !== "";
}

/**
 * The validated stack config and its secrets. Throws one Error listing every
 * problem (`rancher-cdns:<key>: <message>`) when anything is wrong; logs
 * warnings (e.g. a sidecar image without a digest).
 */
export function loadStackConfig(cfg: pulumi.Config = new pulumi.Config(PROJECT_NAME)): LoadedStackConfig {
  const { raw, problems } = readRawStackConfig(cfg);
  const result = validateStackConfig(raw);
  const all: ConfigProblem[] = [...problems];
  if (!result.ok) {
    // Keys that failed to parse were reported above; their "is required" would be noise.
    all.push(...result.problems.filter((p) => !problems.some((q) => q.key === p.key)));
  }

  const missing = (key: string, why: string): void => {
    all.push({ key, message: `is required${why}: set it with \`pulumi config set --secret ${key}\`` });
  };
  if (!isSet(cfg, SECRET_KEYS.vspherePassword)) missing(SECRET_KEYS.vspherePassword, " (the vCenter password)");
  if (!isSet(cfg, SECRET_KEYS.rancherToken)) missing(SECRET_KEYS.rancherToken, " (a Rancher API token)");
  if (!hasPrebuiltImage(raw) && !isSet(cfg, SECRET_KEYS.registryPassword)) {
    missing(SECRET_KEYS.registryPassword, " when sidecar.image is not set (to push the built sidecar image)");
  }

  if (!result.ok || all.length > 0) {
    throw new Error(formatProblems(all, `${PROJECT_NAME}:`));
  }
  for (const w of result.warnings) pulumi.log.warn(`${PROJECT_NAME}:${w.key}: ${w.message}`);

  const registryPassword = isSet(cfg, SECRET_KEYS.registryPassword) ? cfg.requireSecret(SECRET_KEYS.registryPassword) : undefined;
  const haproxyStatsPassword = isSet(cfg, SECRET_KEYS.haproxyStatsPassword) ? cfg.requireSecret(SECRET_KEYS.haproxyStatsPassword) : undefined;
  const secrets: StackSecrets = {
    vspherePassword: cfg.requireSecret(SECRET_KEYS.vspherePassword),
    rancherToken: cfg.requireSecret(SECRET_KEYS.rancherToken),
    ...(registryPassword !== undefined ? { registryPassword } : {}),
    ...(haproxyStatsPassword !== undefined ? { haproxyStatsPassword } : {}),
  };
  return { config: result.config, secrets };
}
