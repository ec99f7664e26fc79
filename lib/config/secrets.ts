/**
 * The secret config keys and how the stack needs them, by mode. Pure: infra/config.ts
 * reports, for each key, whether it is set and whether Pulumi holds it as a secret, and
 * validateStackConfig() decides what is missing, misplaced or stored in plain text.
 */

/** Names of the secret config keys (`rancher-cdns:<name>`). */
export const SECRET_KEYS = {
  vspherePassword: "vspherePassword",
  rancherToken: "rancherToken",
  kubeconfig: "kubeconfig",
  registryPassword: "registryPassword",
  haproxyStatsPassword: "haproxyStatsPassword",
} as const;

export type SecretKey = keyof typeof SECRET_KEYS;

/** How a secret key is set: as a Pulumi secret, or (wrongly) in plain text. Absent: unset. */
export type SecretState = "secret" | "plaintext";

/** What infra/config.ts found in the stack's config for each secret key; an absent key is unset. */
export type SecretPresence = Partial<Record<SecretKey, SecretState>>;

/** What each secret is, for messages. */
export const SECRET_PURPOSE: Readonly<Record<SecretKey, string>> = {
  vspherePassword: "the vCenter password",
  rancherToken: "a Rancher API token",
  kubeconfig: "the existing cluster's kubeconfig",
  registryPassword: "the password of sidecar.registry.username, to push the built images",
  haproxyStatsPassword: "the HAProxy stats page password",
};

/** The command that sets a secret key. */
export function setSecretCommand(key: SecretKey): string {
  return key === "kubeconfig"
    ? "pulumi config set --secret kubeconfig < path/to/kubeconfig"
    : `pulumi config set --secret ${key}`;
}
