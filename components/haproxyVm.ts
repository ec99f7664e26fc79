/**
 * The optional HAProxy VM: a clone of the cloud-init template with a static
 * IP, HAProxy installed and configured through guestinfo extraConfig, spreading
 * TCP 80/443 (and optionally 6443) over the nodes the cDNS lists.
 *
 * The stack decides whether to create it; this component always creates.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HaproxyConfig, StaticNetworkConfig, VsphereConfig } from "../lib/config/types";
import {
  DEFAULT_HAPROXY_STATS_USER,
  haproxyCfgInputFromConfig,
  renderHaproxyCfg,
  validateHaproxyCfgInput,
  type HaproxyCfgInput,
} from "../lib/render/haproxyCfg";
import { renderHaproxyExtraConfig } from "../lib/render/haproxyCloudInit";
import {
  getDatacenter,
  getDatastore,
  getNetwork,
  getResourcePool,
  getVirtualMachine,
  VirtualMachine,
} from "../lib/vsphere";

/** Minutes the provider waits for the guest to report a routable IP. */
export const DEFAULT_HAPROXY_WAIT_FOR_NET_MINUTES = 10;
/** Firmware when the template reports none (the provider's own default). */
export const DEFAULT_HAPROXY_FIRMWARE = "bios";
/** NIC type when the template reports none. */
export const DEFAULT_HAPROXY_ADAPTER_TYPE = "vmxnet3";

export interface HaproxyVmArgs {
  /** The validated `haproxy` block (ip, hostname, vm size, maxServers, kubeApi, proxyProtocol, httpCheck). */
  readonly haproxy: HaproxyConfig;
  /** The stack's zones; the workers are followed through `nodes.<zones[0]>`. */
  readonly zones: readonly string[];
  /** Static IPs of the cDNS nodes, primary first: HAProxy's resolvers. */
  readonly cdnsAddresses: readonly string[];
  /** Subnet, gateway and resolvers of the static IP (shared with the cDNS nodes). */
  readonly network: StaticNetworkConfig;
  /** Where to clone: datacenter, datastore, resource pool, folder, networks[0], template. */
  readonly vsphere: Pick<VsphereConfig, "datacenter" | "datastore" | "resourcePool" | "folder" | "networks" | "template">;
  /**
   * Stats page password. When set, the stats page listens on the VM's address
   * with basic auth and the VM's extraConfig becomes a secret.
   * @default undefined (stats on 127.0.0.1 only, no auth)
   */
  readonly statsPassword?: pulumi.Input<string>;
  /** Stats page user. @default DEFAULT_HAPROXY_STATS_USER */
  readonly statsUser?: string;
  /** Minutes to wait for the guest network. @default DEFAULT_HAPROXY_WAIT_FOR_NET_MINUTES */
  readonly waitForGuestNetTimeout?: number;
}

export class HaproxyVm extends pulumi.ComponentResource {
  /** The VM's static IP, known once the VM exists. */
  readonly address: pulumi.Output<string>;
  /** Provider id of the VM (its BIOS UUID). */
  readonly vmId: pulumi.Output<string>;

  constructor(name: string, args: HaproxyVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rancher-cdns:vsphere:HaproxyVm", name, {}, opts);
    const h = args.haproxy;
    const zone = args.zones[0];
    if (zone === undefined) throw new Error("HaproxyVm: at least one zone is required");
    const network = args.vsphere.networks[0];
    if (network === undefined) throw new Error("HaproxyVm: vsphere.networks needs at least one port group");

    const invokeOpts = { parent: this };
    const dc = getDatacenter({ name: args.vsphere.datacenter }, invokeOpts);
    const inDc = (n: string) => ({ name: n, datacenterId: dc.id });
    const datastore = getDatastore(inDc(args.vsphere.datastore), invokeOpts);
    const pool = getResourcePool(inDc(args.vsphere.resourcePool), invokeOpts);
    const net = getNetwork(inDc(network), invokeOpts);
    const template = getVirtualMachine(inDc(args.vsphere.template), invokeOpts);

    const cfgInput = (password: string | undefined): HaproxyCfgInput =>
      haproxyCfgInputFromConfig(h, zone, args.cdnsAddresses, password === undefined ? undefined : { user: args.statsUser ?? DEFAULT_HAPROXY_STATS_USER, password });
    // Fail at construction, not inside an apply: everything but the password value is known now.
    const problems = validateHaproxyCfgInput(cfgInput(args.statsPassword === undefined ? undefined : "placeholder"));
    if (problems.length > 0) {
      throw new Error(`HaproxyVm ${name}: invalid HAProxy settings:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join("\n")}`);
    }
    const render = (password: string | undefined): Record<string, string> => ({
      ...renderHaproxyExtraConfig({ hostname: h.hostname, ip: h.ip, network: args.network, haproxyCfg: renderHaproxyCfg(cfgInput(password)) }),
    });
    // With a password the rendered config contains it: it only ever flows
    // through a secret output, even when the caller passed a plain string.
    const extraConfig: pulumi.Input<Record<string, string>> = args.statsPassword === undefined
      ? render(undefined)
      : pulumi.secret(args.statsPassword).apply((pw) => render(pw));

    const firstDisk = template.disks.apply((d) => d[0]);
    const vm = new VirtualMachine(
      name,
      {
        name: h.hostname,
        resourcePoolId: pool.id,
        datastoreId: datastore.id,
        folder: args.vsphere.folder,
        numCpus: h.vm.cpus,
        memory: h.vm.memoryMb,
        guestId: template.guestId,
        scsiType: template.scsiType,
        firmware: template.apply((t) => t.firmware ?? DEFAULT_HAPROXY_FIRMWARE),
        annotation: `HAProxy for ${zone}, managed by rancher-cdns`,
        networkInterfaces: [
          { networkId: net.id, adapterType: template.networkInterfaceTypes.apply((t) => t[0] ?? DEFAULT_HAPROXY_ADAPTER_TYPE) },
        ],
        disks: [
          {
            label: "disk0",
            // A clone's disk cannot be smaller than the template's.
            size: firstDisk.apply((d) => Math.max(h.vm.diskGb, d?.size ?? 0)),
            thinProvisioned: firstDisk.apply((d) => d?.thinProvisioned ?? true),
            eagerlyScrub: firstDisk.apply((d) => d?.eagerlyScrub ?? false),
          },
        ],
        clone: { templateUuid: template.uuid },
        extraConfig,
        waitForGuestNetTimeout: args.waitForGuestNetTimeout ?? DEFAULT_HAPROXY_WAIT_FOR_NET_MINUTES,
        waitForGuestNetRoutable: true,
      },
      { parent: this, ...(args.statsPassword === undefined ? {} : { additionalSecretOutputs: ["extraConfig"] }) },
    );

    this.vmId = vm.id;
    this.address = vm.id.apply(() => h.ip);
    this.registerOutputs({ address: this.address, vmId: this.vmId });
  }
}
