/** vSphere data sources, invoked by token and pinned to VSPHERE_PROVIDER_VERSION (see binding.ts). */
import * as pulumi from "@pulumi/pulumi";
import { describedProps, VSPHERE_PROVIDER_VERSION, type Assert, type Binding, type Matches } from "./binding";

const idOnly = { id: { type: "string", required: true } } as const;

export const GET_DATACENTER_BINDING = {
  token: "vsphere:index/getDatacenter:getDatacenter",
  inputs: { name: { type: "string", required: true } },
  outputs: idOnly,
} as const satisfies Binding;

export const GET_DATASTORE_BINDING = {
  token: "vsphere:index/getDatastore:getDatastore",
  inputs: { name: { type: "string", required: true }, datacenterId: { type: "string", required: true } },
  outputs: idOnly,
} as const satisfies Binding;

export const GET_RESOURCE_POOL_BINDING = {
  token: "vsphere:index/getResourcePool:getResourcePool",
  inputs: { name: { type: "string", required: true }, datacenterId: { type: "string", required: true } },
  outputs: idOnly,
} as const satisfies Binding;

export const GET_NETWORK_BINDING = {
  token: "vsphere:index/getNetwork:getNetwork",
  inputs: { name: { type: "string", required: true }, datacenterId: { type: "string", required: true } },
  outputs: idOnly,
} as const satisfies Binding;

export const GET_VIRTUAL_MACHINE_BINDING = {
  token: "vsphere:index/getVirtualMachine:getVirtualMachine",
  inputs: { name: { type: "string", required: true }, datacenterId: { type: "string", required: true } },
  outputs: {
    id: { type: "string", required: true },
    uuid: { type: "string", required: true },
    guestId: { type: "string", required: true },
    scsiType: { type: "string", required: true },
    firmware: { type: "string" },
    disks: {
      required: true,
      type: {
        arrayOf: {
          object: {
            label: { type: "string", required: true },
            size: { type: "integer", required: true },
            thinProvisioned: { type: "boolean", required: true },
            eagerlyScrub: { type: "boolean", required: true },
          },
        },
      },
    },
    networkInterfaceTypes: { required: true, type: { arrayOf: "string" } },
  },
} as const satisfies Binding;

/** Every invoke of the binding, for the schema test. */
export const VSPHERE_INVOKE_BINDINGS: readonly Binding[] = [
  GET_DATACENTER_BINDING,
  GET_DATASTORE_BINDING,
  GET_RESOURCE_POOL_BINDING,
  GET_NETWORK_BINDING,
  GET_VIRTUAL_MACHINE_BINDING,
];

export interface GetDatacenterArgs {
  /** Datacenter name. */
  readonly name: pulumi.Input<string>;
}
/** A lookup inside a datacenter by name or inventory path. */
export interface GetInDatacenterArgs {
  /** Name or path relative to the datacenter. */
  readonly name: pulumi.Input<string>;
  /** getDatacenter().id */
  readonly datacenterId: pulumi.Input<string>;
}
export interface IdResult {
  /** Managed object ID. */
  readonly id: string;
}
export interface GetVirtualMachineResult {
  readonly id: string;
  /** BIOS UUID: what `clone.templateUuid` takes. */
  readonly uuid: string;
  readonly guestId: string;
  readonly scsiType: string;
  readonly firmware?: string;
  readonly disks: readonly { readonly label: string; readonly size: number; readonly thinProvisioned: boolean; readonly eagerlyScrub: boolean }[];
  /** NIC types in bus order, e.g. "vmxnet3". */
  readonly networkInterfaceTypes: readonly string[];
}

export type GetDatacenterArgsMatch = Assert<Matches<GetDatacenterArgs, typeof GET_DATACENTER_BINDING.inputs>>;
export type GetInDatacenterArgsMatch = Assert<Matches<GetInDatacenterArgs, typeof GET_NETWORK_BINDING.inputs>>;
export type IdResultMatch = Assert<Matches<IdResult, typeof idOnly>>;
export type GetVirtualMachineResultMatch = Assert<Matches<GetVirtualMachineResult, typeof GET_VIRTUAL_MACHINE_BINDING.outputs>>;

function invoke<T>(binding: Binding, args: object, opts?: pulumi.InvokeOutputOptions): pulumi.Output<T> {
  return pulumi.runtime.invokeOutput<T>(binding.token, describedProps(binding.inputs, args), {
    ...opts,
    version: VSPHERE_PROVIDER_VERSION,
  });
}

export function getDatacenter(args: GetDatacenterArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<IdResult> {
  return invoke(GET_DATACENTER_BINDING, args, opts);
}
export function getDatastore(args: GetInDatacenterArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<IdResult> {
  return invoke(GET_DATASTORE_BINDING, args, opts);
}
export function getResourcePool(args: GetInDatacenterArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<IdResult> {
  return invoke(GET_RESOURCE_POOL_BINDING, args, opts);
}
export function getNetwork(args: GetInDatacenterArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<IdResult> {
  return invoke(GET_NETWORK_BINDING, args, opts);
}
/** A VM or template by name or path. */
export function getVirtualMachine(args: GetInDatacenterArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetVirtualMachineResult> {
  return invoke(GET_VIRTUAL_MACHINE_BINDING, args, opts);
}
