/** `vsphere:index/virtualMachine:VirtualMachine`, bound by token (see binding.ts). */
import * as pulumi from "@pulumi/pulumi";
import { describedProps, VSPHERE_PROVIDER_VERSION, type Assert, type Binding, type Matches } from "./binding";

/** What the binding sends and reads. The schema test checks every entry. */
export const VIRTUAL_MACHINE_BINDING = {
  token: "vsphere:index/virtualMachine:VirtualMachine",
  inputs: {
    name: { type: "string", required: true },
    resourcePoolId: { type: "string", required: true },
    datastoreId: { type: "string", required: true },
    folder: { type: "string" },
    numCpus: { type: "integer", required: true },
    memory: { type: "integer", required: true },
    guestId: { type: "string" },
    scsiType: { type: "string" },
    firmware: { type: "string" },
    annotation: { type: "string" },
    networkInterfaces: {
      required: true,
      type: { arrayOf: { object: { networkId: { type: "string", required: true }, adapterType: { type: "string" } } } },
    },
    disks: {
      required: true,
      type: {
        arrayOf: {
          object: {
            label: { type: "string", required: true },
            size: { type: "integer", required: true },
            thinProvisioned: { type: "boolean" },
            eagerlyScrub: { type: "boolean" },
          },
        },
      },
    },
    clone: { required: true, type: { object: { templateUuid: { type: "string", required: true } } } },
    extraConfig: { type: { mapOf: "string" } },
    waitForGuestNetTimeout: { type: "integer" },
    waitForGuestNetRoutable: { type: "boolean" },
  },
  outputs: {
    uuid: { type: "string", required: true },
    moid: { type: "string", required: true },
    defaultIpAddress: { type: "string", required: true },
  },
} as const satisfies Binding;

type Inputs = typeof VIRTUAL_MACHINE_BINDING.inputs;

export interface VirtualMachineNetworkInterface {
  /** Managed object ID of the port group (getNetwork().id). */
  readonly networkId: pulumi.Input<string>;
  /** NIC type. @default the provider's "vmxnet3" */
  readonly adapterType?: pulumi.Input<string>;
}

export interface VirtualMachineDisk {
  /** Disk label; "disk0" for the template's first disk. */
  readonly label: pulumi.Input<string>;
  /** Size in GiB; at least the template disk's size. */
  readonly size: pulumi.Input<number>;
  /** Must match the template disk when cloning. @default the provider's true */
  readonly thinProvisioned?: pulumi.Input<boolean>;
  /** Must match the template disk when cloning. @default the provider's false */
  readonly eagerlyScrub?: pulumi.Input<boolean>;
}

export interface VirtualMachineClone {
  /** UUID of the template (getVirtualMachine().uuid). */
  readonly templateUuid: pulumi.Input<string>;
}

/** Only the properties this package sends. */
export interface VirtualMachineArgs {
  /** VM name in vCenter. */
  readonly name: pulumi.Input<string>;
  /** Resource pool ID (getResourcePool().id). */
  readonly resourcePoolId: pulumi.Input<string>;
  /** Datastore ID (getDatastore().id). */
  readonly datastoreId: pulumi.Input<string>;
  /** VM folder path relative to the datacenter's VM folder. @default undefined (the datacenter's root) */
  readonly folder?: pulumi.Input<string>;
  readonly numCpus: pulumi.Input<number>;
  /** Memory in MiB. */
  readonly memory: pulumi.Input<number>;
  /** Guest OS ID; take the template's. @default the provider's "otherGuest64" */
  readonly guestId?: pulumi.Input<string>;
  /** SCSI controller type; take the template's. @default the provider's "pvscsi" */
  readonly scsiType?: pulumi.Input<string>;
  /** "bios" or "efi"; take the template's. @default the provider's "bios" */
  readonly firmware?: pulumi.Input<string>;
  /** Note shown in vCenter. @default undefined */
  readonly annotation?: pulumi.Input<string>;
  readonly networkInterfaces: pulumi.Input<pulumi.Input<VirtualMachineNetworkInterface>[]>;
  readonly disks: pulumi.Input<pulumi.Input<VirtualMachineDisk>[]>;
  readonly clone: pulumi.Input<VirtualMachineClone>;
  /** VMX extra config, e.g. guestinfo.* for cloud-init. Secret when it carries one. @default undefined */
  readonly extraConfig?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Minutes to wait for a guest IP; < 1 disables the waiter. @default the provider's 5 */
  readonly waitForGuestNetTimeout?: pulumi.Input<number>;
  /** Wait for a routable address. @default the provider's true */
  readonly waitForGuestNetRoutable?: pulumi.Input<boolean>;
}

// Fails to compile when an interface and the description above drift apart.
export type VirtualMachineArgsMatchBinding = Assert<Matches<VirtualMachineArgs, Inputs>>;
export type VirtualMachineNicMatchesBinding = Assert<Matches<VirtualMachineNetworkInterface, Inputs["networkInterfaces"]["type"]["arrayOf"]["object"]>>;
export type VirtualMachineDiskMatchesBinding = Assert<Matches<VirtualMachineDisk, Inputs["disks"]["type"]["arrayOf"]["object"]>>;
export type VirtualMachineCloneMatchesBinding = Assert<Matches<VirtualMachineClone, Inputs["clone"]["type"]["object"]>>;

export class VirtualMachine extends pulumi.CustomResource {
  /** BIOS UUID of the VM (also its provider id). */
  declare readonly uuid: pulumi.Output<string>;
  /** vSphere managed object ID. */
  declare readonly moid: pulumi.Output<string>;
  /** First IP the guest reports. */
  declare readonly defaultIpAddress: pulumi.Output<string>;

  constructor(name: string, args: VirtualMachineArgs, opts?: pulumi.CustomResourceOptions) {
    const props: pulumi.Inputs = describedProps(VIRTUAL_MACHINE_BINDING.inputs, args);
    // Outputs are registered by passing them as undefined, as generated SDKs do.
    for (const key of Object.keys(VIRTUAL_MACHINE_BINDING.outputs)) props[key] = undefined;
    super(VIRTUAL_MACHINE_BINDING.token, name, props, { ...opts, version: VSPHERE_PROVIDER_VERSION });
  }
}
