/** The vsphere provider, by package name and pinned version (see binding.ts). */
import * as pulumi from "@pulumi/pulumi";
import { VSPHERE_PACKAGE, VSPHERE_PROVIDER_VERSION, type Assert, type Binding, type Matches } from "./binding";

export const VSPHERE_PROVIDER_BINDING = {
  token: `pulumi:providers:${VSPHERE_PACKAGE}`,
  inputs: {
    user: { type: "string", required: true },
    password: { type: "string", required: true },
    vsphereServer: { type: "string", required: true },
    allowUnverifiedSsl: { type: "boolean", required: true },
  },
  outputs: {},
} as const satisfies Binding;

export interface VsphereProviderArgs {
  /** vCenter user. */
  readonly user: pulumi.Input<string>;
  /** vCenter password; always stored as a secret. */
  readonly password: pulumi.Input<string>;
  /** vCenter host, with ":port" when not 443 (see vsphereServerAddress()). */
  readonly vsphereServer: pulumi.Input<string>;
  /** Skip TLS verification of vCenter. */
  readonly allowUnverifiedSsl: pulumi.Input<boolean>;
}
export type VsphereProviderArgsMatch = Assert<Matches<VsphereProviderArgs, typeof VSPHERE_PROVIDER_BINDING.inputs>>;

/** The provider's server setting: the host, plus ":port" when it is not 443. */
export function vsphereServerAddress(server: string, port: number): string {
  return port === 443 ? server : `${server}:${port}`;
}

export class VsphereProvider extends pulumi.ProviderResource {
  constructor(name: string, args: VsphereProviderArgs, opts?: pulumi.ResourceOptions) {
    // A provider is a custom resource: the engine honours additionalSecretOutputs (ResourceOptions lacks the field).
    const options: pulumi.CustomResourceOptions = { ...opts, version: VSPHERE_PROVIDER_VERSION, additionalSecretOutputs: ["password"] };
    super(
      VSPHERE_PACKAGE,
      name,
      {
        user: args.user,
        password: pulumi.secret(args.password),
        vsphereServer: args.vsphereServer,
        // Provider configuration travels as strings: generated SDKs JSON-encode non-string values.
        allowUnverifiedSsl: pulumi.output(args.allowUnverifiedSsl).apply((v) => JSON.stringify(v)),
      },
      options,
    );
  }
}
