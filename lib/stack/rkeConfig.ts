/**
 * The cluster-wide RKE2 settings a created cluster gets through `ClusterV2.rkeConfig`:
 * the CNI and the API certificate's extra names (server arguments, `machineGlobalConfig`),
 * the system default registry (an agent argument, `machineSelectorConfigs` without a
 * selector: every machine), and registry mirrors and per-registry TLS/auth (`registries`,
 * written by Rancher into each node's containerd registries.yaml). Pure.
 */
import { stringify } from "yaml";
import type * as rancher2 from "@pulumi/rancher2";
import type { ClusterConfig } from "../config/types";

export interface RkeClusterSettings {
  /** YAML of the server arguments every control-plane node gets. */
  readonly machineGlobalConfig: string;
  /** YAML of agent arguments; no selector, so for every machine. */
  readonly machineSelectorConfigs?: { readonly config: string }[];
  readonly registries?: rancher2.types.input.ClusterV2RkeConfigRegistries;
}

/**
 * The settings for `cluster`, with `tlsSan` the full list of extra certificate names
 * (clusterTlsSans() adds the HAProxy address when HAProxy balances the API).
 */
export function rkeClusterSettings(cluster: ClusterConfig, tlsSan: readonly string[]): RkeClusterSettings {
  const global: Record<string, unknown> = { cni: cluster.cni };
  if (tlsSan.length > 0) global["tls-san"] = [...tlsSan];
  const r = cluster.registries;
  const hasRegistries = r.mirrors.length > 0 || r.configs.length > 0;
  return {
    machineGlobalConfig: stringify(global),
    ...(cluster.systemDefaultRegistry !== undefined
      ? { machineSelectorConfigs: [{ config: stringify({ "system-default-registry": cluster.systemDefaultRegistry }) }] }
      : {}),
    ...(hasRegistries
      ? {
          registries: {
            mirrors: r.mirrors.map((m) => ({
              hostname: m.hostname,
              endpoints: [...m.endpoints],
              ...(Object.keys(m.rewrites).length > 0 ? { rewrites: { ...m.rewrites } } : {}),
            })),
            configs: r.configs.map((c) => ({ ...c })),
          },
        }
      : {}),
  };
}
