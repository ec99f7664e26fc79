/**
 * cloud-init user data giving a VM cloned from the template a static IPv4
 * address: the cDNS nodes (through Rancher's machine config `cloudConfig`) and,
 * through the exported parts, the HAProxy VM.
 *
 * Why the address goes in user data (rancher/machine drivers/vmwarevsphere): the vSphere
 * node driver packs `cloudConfig` into a NoCloud ISO and writes only
 * `local-hostname` as meta-data, no network-config. With no network config,
 * cloud-init brings the first NIC up with DHCP and writes its own netplan file
 * on every boot. So the user data
 * - writes our netplan file (static address, default route, resolvers),
 * - tells cloud-init to stop managing the network from the next boot on,
 * - removes the netplan files the template or cloud-init left (they would
 *   bring DHCP up beside the static address),
 * - and applies netplan once, now.
 */
import { stringify } from "yaml";
import type { StaticNetworkConfig } from "../config/types";

/** Our netplan file. "99-" so it sorts last: netplan lets later files override earlier ones. */
export const STATIC_NETPLAN_FILE = "/etc/netplan/99-rancher-cdns-static.yaml";
/** cloud-init drop-in that stops cloud-init from writing network config on later boots. */
export const DISABLE_NETWORK_CONFIG_FILE = "/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg";
/** Netplan files a template commonly carries (cloud-init's own, Ubuntu installer's). */
export const TEMPLATE_NETPLAN_FILES: readonly string[] = [
  "/etc/netplan/50-cloud-init.yaml",
  "/etc/netplan/00-installer-config.yaml",
];

/** A static IPv4 address on the shared static network. */
export interface StaticAddressInput {
  /** The VM's address, e.g. "192.0.2.10". */
  readonly ip: string;
  /** Prefix, gateway, resolvers, search domains and NIC name (validated config). */
  readonly network: StaticNetworkConfig;
}

/** The netplan v2 document for the static address, as a plain object. */
export function netplanDocument(input: StaticAddressInput): Record<string, unknown> {
  const n = input.network;
  const nameservers: Record<string, unknown> = { addresses: [...n.nameservers] };
  if (n.searchDomains.length > 0) nameservers.search = [...n.searchDomains];
  return {
    network: {
      version: 2,
      renderer: "networkd",
      ethernets: {
        [n.interfaceName]: {
          dhcp4: false,
          dhcp6: false,
          addresses: [`${input.ip}/${n.prefixLength}`],
          routes: [{ to: "default", via: n.gateway }],
          nameservers,
        },
      },
    },
  };
}

/** The netplan file's text. */
export function renderNetplan(input: StaticAddressInput): string {
  return stringify(netplanDocument(input), { lineWidth: 0 });
}

export interface CloudConfigWriteFile {
  readonly path: string;
  readonly content: string;
  readonly owner: string;
  readonly permissions: string;
}

/** The cloud-config keys that set the static network, to merge into any cloud-config. */
export interface StaticNetworkCloudConfigParts {
  readonly write_files: CloudConfigWriteFile[];
  /** Each entry a command as an argument list (no shell) or a shell string. */
  readonly runcmd: (string | string[])[];
}

/**
 * The `write_files` and `runcmd` entries that give the VM its static address.
 * `removeNetplanFiles` @default TEMPLATE_NETPLAN_FILES.
 */
export function staticNetworkCloudConfig(
  input: StaticAddressInput,
  removeNetplanFiles: readonly string[] = TEMPLATE_NETPLAN_FILES,
): StaticNetworkCloudConfigParts {
  const runcmd: (string | string[])[] = [];
  const stale = removeNetplanFiles.filter((p) => p !== STATIC_NETPLAN_FILE);
  if (stale.length > 0) runcmd.push(["rm", "-f", ...stale]);
  runcmd.push("netplan apply");
  return {
    write_files: [
      {
        path: DISABLE_NETWORK_CONFIG_FILE,
        content: stringify({ network: { config: "disabled" } }),
        owner: "root:root",
        permissions: "0644",
      },
      // netplan warns about (and newer versions refuse) world-readable files.
      { path: STATIC_NETPLAN_FILE, content: renderNetplan(input), owner: "root:root", permissions: "0600" },
    ],
    runcmd,
  };
}

export interface CdnsCloudConfigInput extends StaticAddressInput {
  /**
   * Host name to set, e.g. "qa-haproxy". Leave it unset on Rancher-provisioned
   * machines: the node driver already names the host after the machine, the
   * Kubernetes node takes its name from the host name, and a different one
   * breaks Rancher's node naming (rancher/rancher#34997).
   * @default undefined (keep the host name the datasource gives)
   */
  readonly hostname?: string;
  /** Netplan files to remove before applying ours. @default TEMPLATE_NETPLAN_FILES */
  readonly removeNetplanFiles?: readonly string[];
}

/** The `#cloud-config` user data of a cDNS node (or any static-address VM). */
export function renderCdnsCloudConfig(input: CdnsCloudConfigInput): string {
  const parts = staticNetworkCloudConfig(input, input.removeNetplanFiles ?? TEMPLATE_NETPLAN_FILES);
  const doc = {
    ...(input.hostname !== undefined ? { hostname: input.hostname, preserve_hostname: false } : {}),
    // Keeps /etc/hosts resolving the host name (sudo, RKE2) without asking the iDNS.
    manage_etc_hosts: true,
    write_files: parts.write_files,
    runcmd: parts.runcmd,
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
