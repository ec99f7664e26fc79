/**
 * rancher-cdns as a library (package.json `exports`): the components, their argument types,
 * the config types and defaults, and the pure helpers, for a Pulumi program of your own, e.g.
 * one that puts the cDNS machine pools into its own `rancher2.ClusterV2` and adds the cDNS
 * workload (examples/own-cluster). The stack of this repository is one such program
 * (infra/program.ts; exported as `program` for the Automation API).
 */

// Components.
export * from "./components";

// The stack configuration: validated shape, defaults, validation.
export type * from "./lib/config/types";
export * from "./lib/config/defaults";
export { formatProblems, validateStackConfig, type RawStackConfig, type StackConfigValidation } from "./lib/config/validate";
export { RANCHER_RKE2_RANGE, rke2VersionProblem, type Rke2Range } from "./lib/config/rke2Versions";
export { SECRET_KEYS, type SecretKey, type SecretPresence } from "./lib/config/secrets";

// The cDNS workload chart (cdk8s): its props and what it synthesizes.
export {
  deploymentName,
  synthCdnsChart,
  synthCdnsManifests,
  toYaml,
  type CdnsChartProps,
  type CdnsSources,
  type CdnsSynthResult,
  type ContainerResources,
  type ResourceAmounts,
} from "./lib/chart/cdnsChart";

// Pure helpers the components and the stack are made of.
export { CDNS_NODE_TAINTS, cdnsNodeLabels } from "./lib/stack/derive";
export { machineConfigFingerprint, vsphereMachineConfig, type MachinePlacement, type VsphereMachineConfig } from "./lib/stack/machineConfig";
export { replacementProblem } from "./lib/stack/replacement";
export { rkeClusterSettings, type RkeClusterSettings } from "./lib/stack/rkeConfig";
export { renderForwarding, type ForwardingOutput, type RenderForwardingInput } from "./lib/render/forwarding";
export { normalizeVmFolder } from "./lib/vsphere/paths";

// The stack program itself, for Automation API inline stacks.
export { program, type StackOutputs } from "./infra/program";
