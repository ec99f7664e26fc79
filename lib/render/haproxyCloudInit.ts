/**
 * cloud-init for the HAProxy VM through the VMware datasource (cloud-init >=
 * 21.3): `guestinfo.userdata` installs HAProxy and writes its config,
 * `guestinfo.metadata` carries the instance id, the hostname and the static IP
 * as network config v2. Both base64, returned as the VM's extraConfig map.
 * Not combined with `clone.customize` (the two would both write the guest network).
 *
 * The userdata contains haproxy.cfg, which may contain the stats password:
 * the extraConfig map is secret whenever the config is.
 */
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import type { StaticNetworkConfig } from "../config/types";

export const HAPROXY_CFG_PATH = "/etc/haproxy/haproxy.cfg";

export interface HaproxyCloudInitInput {
  /** VM hostname (a DNS label). */
  readonly hostname: string;
  /** Static IPv4 of the VM. */
  readonly ip: string;
  /** Prefix length, gateway, resolvers and NIC name of the static address. */
  readonly network: StaticNetworkConfig;
  /** Rendered haproxy.cfg (renderHaproxyCfg()). */
  readonly haproxyCfg: string;
}

/** guestinfo keys the VMware datasource reads. */
export interface HaproxyExtraConfig {
  readonly "guestinfo.metadata": string;
  readonly "guestinfo.metadata.encoding": "base64";
  readonly "guestinfo.userdata": string;
  readonly "guestinfo.userdata.encoding": "base64";
}

/** `#cloud-config` user data: HAProxy from the distribution, our config, enabled and restarted. */
export function renderHaproxyUserData(input: HaproxyCloudInitInput): string {
  const doc = {
    hostname: input.hostname,
    manage_etc_hosts: true,
    package_update: true,
    packages: ["haproxy"],
    write_files: [
      {
        path: HAPROXY_CFG_PATH,
        content: input.haproxyCfg,
        owner: "root:haproxy",
        // May hold the stats password.
        permissions: "0640",
        // After the packages are installed: the haproxy group exists, and the
        // package's own haproxy.cfg does not overwrite ours.
        defer: true,
      },
    ],
    runcmd: [
      ["haproxy", "-c", "-f", HAPROXY_CFG_PATH],
      ["systemctl", "enable", "haproxy"],
      ["systemctl", "restart", "haproxy"],
    ],
  };
  return `#cloud-config\n${stringify(doc)}`;
}

/**
 * Meta data: the instance id changes with the user data, so a config change
 * (extraConfig update, VM reboot) makes cloud-init run the per-instance
 * modules again and rewrite haproxy.cfg.
 */
export function renderHaproxyMetaData(input: HaproxyCloudInitInput, userData = renderHaproxyUserData(input)): string {
  const n = input.network;
  const nic: Record<string, unknown> = {
    dhcp4: false,
    dhcp6: false,
    addresses: [`${input.ip}/${n.prefixLength}`],
    routes: [{ to: "default", via: n.gateway }],
    nameservers: n.searchDomains.length > 0
      ? { addresses: [...n.nameservers], search: [...n.searchDomains] }
      : { addresses: [...n.nameservers] },
  };
  const doc = {
    "instance-id": `${input.hostname}-${createHash("sha256").update(userData).digest("hex").slice(0, 12)}`,
    "local-hostname": input.hostname,
    network: { version: 2, ethernets: { [n.interfaceName]: nic } },
  };
  return stringify(doc);
}

/** The VM's extraConfig: both documents base64-encoded. */
export function renderHaproxyExtraConfig(input: HaproxyCloudInitInput): HaproxyExtraConfig {
  const userData = renderHaproxyUserData(input);
  const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
  return {
    "guestinfo.metadata": b64(renderHaproxyMetaData(input, userData)),
    "guestinfo.metadata.encoding": "base64",
    "guestinfo.userdata": b64(userData),
    "guestinfo.userdata.encoding": "base64",
  };
}
