/**
 * Reads the stack configuration from Pulumi config (project `rancher-cdns`) and validates
 * it before any resource is registered: a bad stack fails with ONE error listing every
 * problem, each with its full config key.
 *
 * Secrets are read with requireSecret so they stay Outputs marked secret. For each secret
 * key only two facts reach the validator: whether it is set, and whether Pulumi holds it as
 * a secret (a value set without `--secret` is stored in plain text in Pulumi.<stack>.yaml and
 * is rejected). No message ever contains a secret's value.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConfigProblem, StackConfig, StackSecrets } from "../lib/config/types";
import { formatProblems, RAW_CONFIG_KEYS, type RawStackConfig, validateStackConfig } from "../lib/config/validate";
import { SECRET_KEYS, type SecretKey, type SecretPresence } from "../lib/config/secrets";

export { SECRET_KEYS } from "../lib/config/secrets";

export const PROJECT_NAME = "rancher-cdns";

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

interface RuntimeConfigModule {
  isConfigSecret: (fullKey: string) => boolean;
}

/**
 * Whether the engine passed `fullKey` as a secret. The SDK marks this function internal
 * (it is left out of the type declarations), hence require and a local interface; if it is
 * gone, fail loudly rather than accept plain-text secrets.
 */
function isConfigSecret(fullKey: string): boolean {
  const mod = require("@pulumi/pulumi/runtime/config") as Partial<RuntimeConfigModule>;
  if (typeof mod.isConfigSecret !== "function") {
    throw new Error("@pulumi/pulumi no longer exposes runtime.isConfigSecret: rancher-cdns cannot tell secret config from plain text");
  }
  return mod.isConfigSecret(fullKey);
}

/** A secret key counts as set when present and non-empty (Pulumi.yaml defaults every one of them to ""). */
function isSet(cfg: pulumi.Config, key: string): boolean {
  const value = cfg.get(key);
  return value !== undefined && value !== "";
}

/** For each secret key: unset (absent), set as a Pulumi secret, or set in plain text. */
export function readSecretPresence(cfg: pulumi.Config): SecretPresence {
  const presence: { [K in SecretKey]?: "secret" | "plaintext" } = {};
  for (const key of Object.keys(SECRET_KEYS) as SecretKey[]) {
    if (isSet(cfg, key)) presence[key] = isConfigSecret(`${cfg.name}:${key}`) ? "secret" : "plaintext";
  }
  return presence;
}

/**
 * The validated stack config and its secrets. Throws one Error listing every problem
 * (`rancher-cdns:<key>: <message>`) when anything is wrong; logs warnings (e.g. an image
 * without a digest).
 */
export function loadStackConfig(cfg: pulumi.Config = new pulumi.Config(PROJECT_NAME)): LoadedStackConfig {
  const { raw, problems } = readRawStackConfig(cfg);
  const result = validateStackConfig(raw, readSecretPresence(cfg));
  if (!result.ok || problems.length > 0) {
    // Keys that failed to parse were reported above; their "is required" would be noise.
    const rest = result.ok ? [] : result.problems.filter((p) => !problems.some((q) => q.key === p.key));
    throw new Error(formatProblems([...problems, ...rest], `${PROJECT_NAME}:`));
  }
  for (const w of result.warnings) pulumi.log.warn(`${PROJECT_NAME}:${w.key}: ${w.message}`);

  const secret = (key: SecretKey): { [k: string]: pulumi.Output<string> } =>
    isSet(cfg, key) ? { [key]: cfg.requireSecret(key) } : {};
  const secrets: StackSecrets = {
    ...secret("vspherePassword"),
    ...secret("rancherToken"),
    ...secret("kubeconfig"),
    ...secret("registryPassword"),
    ...secret("haproxyStatsPassword"),
  };
  return { config: result.config, secrets };
}
