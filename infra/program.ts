/**
 * The rancher-cdns stack program, as one async function: `infra/index.ts` exports it for
 * `pulumi up`, and the Automation API runs it as an inline program
 * (`LocalWorkspace.createOrSelectStack({ projectName: "rancher-cdns", stackName, program })`).
 *
 * It reads and validates the config first (infra/config.ts): a bad stack fails with every
 * problem listed before any resource is registered. Then, by mode:
 * - a created cluster: cDNS machine pools with static IPs in a Rancher RKE2 cluster on
 *   vSphere, the workload on it, the images, the optional HAProxy VM. Before anything is
 *   registered, an update that would replace every cDNS node at once is refused
 *   (lib/stack/replacement.ts);
 * - an existing cluster (`existingCluster`, the secret `kubeconfig`): the images and the
 *   workload on the nodes the user named, their labels when asked, no Rancher, no vSphere.
 * Both return the outputs the iDNS consumes.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as rancher2 from "@pulumi/rancher2";
import { CdnsMachinePool, CdnsWorkload, DnsmasqImage, HaproxyVm, RancherCluster, SidecarImage } from "../components";
import { loadStackConfig } from "./config";
import type { ExistingClusterStackConfig, StackConfig, StackSecrets, VsphereStackConfig } from "../lib/config/types";
import { VsphereProvider, vsphereServerAddress } from "../lib/vsphere";
import { renderForwarding, type ForwardingOutput } from "../lib/render/forwarding";
import {
  cdnsAddresses,
  cdnsMachineFingerprints,
  cdnsMachineSettings,
  cdnsNodeCommands,
  cdnsNodeLabels,
  clusterTlsSans,
  forwardingInput,
  workloadChartProps,
} from "../lib/stack/derive";
import { replacementProblem } from "../lib/stack/replacement";
import { version as packageVersion } from "../package.json";

/** What the iDNS and the operators read, in both modes. */
export interface CommonOutputs {
  /** Addresses of the cDNS nodes, primary first: the forwarders of every zone. */
  readonly cdnsAddresses: string[];
  /** The zones the cDNS serves. */
  readonly zones: string[];
  /** Ready-to-use iDNS configuration: BIND, Unbound, dnsmasq, CoreDNS, Windows DNS (and delegation records in authoritative mode). */
  readonly forwarding: ForwardingOutput;
  /** The sidecar image the pods run: digest-pinned when built here. */
  readonly sidecarImage: pulumi.Output<string>;
  /** The dnsmasq image the pods run: digest-pinned when built here. */
  readonly dnsmasqImage: pulumi.Output<string>;
}

export interface VsphereStackOutputs extends CommonOutputs {
  /** Kubeconfig of the created cluster (secret). */
  readonly kubeconfig: pulumi.Output<string>;
  /** Fingerprints of the cDNS machine configs by node index; the next update compares against them. */
  readonly cdnsMachineFingerprints: string[];
  /** The HAProxy VM's address, when enabled. */
  readonly haproxyAddress?: pulumi.Output<string>;
}

export interface ExistingClusterStackOutputs extends CommonOutputs {
  /** kubectl lines that label (unless labelNodes) and taint the cDNS nodes. */
  readonly cdnsNodeCommands: string[];
}

export type StackOutputs = VsphereStackOutputs | ExistingClusterStackOutputs;

/** Name of the output the replacement guard reads back. */
export const MACHINE_FINGERPRINTS_OUTPUT = "cdnsMachineFingerprints";

/** The engine's builtin invoke that reads a stack's last outputs (what a StackReference reads), without a resource. */
export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/** This stack's own name as a stack reference. The DIY (file) backend's organization is "organization". */
function ownStackName(): string {
  let organization = "organization";
  try {
    organization = pulumi.getOrganization();
  } catch {
    // Unit tests under setMocks without an organization.
  }
  return `${organization}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/**
 * This stack's outputs as the last update left them (what a StackReference to itself would
 * read), through the engine's builtin invoke: no resource is registered. Empty on a new stack.
 */
export async function previousStackOutputs(): Promise<Record<string, unknown>> {
  let result: unknown;
  try {
    result = await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name: ownStackName() });
  } catch (e) {
    throw new Error(`rancher-cdns: cannot read this stack's previous outputs to check that the update keeps a cDNS node running `
      + `(${(e as Error).message}); set rancher-cdns:cdns.allowReplacingAllNodes to true to skip the check for this update`);
  }
  const outputs = (result as { outputs?: unknown } | undefined)?.outputs;
  return typeof outputs === "object" && outputs !== null ? (outputs as Record<string, unknown>) : {};
}

/** The fingerprints the last update exported, or undefined (first update, or none exported). */
async function previousFingerprints(): Promise<string[] | undefined> {
  const value = (await previousStackOutputs())[MACHINE_FINGERPRINTS_OUTPUT];
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
}

/** The two images: prebuilt refs passed through, or built from this repository and pushed. */
function images(config: StackConfig, secrets: StackSecrets): { sidecar: SidecarImage; dnsmasq: DnsmasqImage } {
  const s = config.sidecar;
  const registry = s.registry;
  const common = { registryPassword: secrets.registryPassword, version: packageVersion };
  const sidecar = new SidecarImage("cdns-sidecar", {
    ...common,
    ...(s.image !== undefined ? { image: s.image } : {}),
    ...(registry !== undefined ? { registry: { server: registry.server, username: registry.username, repository: registry.repository } } : {}),
  });
  const dnsmasq = new DnsmasqImage("cdns-dnsmasq", {
    ...common,
    ...(s.dnsmasqImage !== undefined ? { image: s.dnsmasqImage } : {}),
    ...(registry !== undefined ? { registry: { server: registry.server, username: registry.username, repository: registry.dnsmasqRepository } } : {}),
  });
  return { sidecar, dnsmasq };
}

function commonOutputs(config: StackConfig, img: { sidecar: SidecarImage; dnsmasq: DnsmasqImage }): CommonOutputs {
  return {
    cdnsAddresses: cdnsAddresses(config),
    zones: [...config.zones],
    forwarding: renderForwarding(forwardingInput(config)),
    sidecarImage: img.sidecar.ref,
    dnsmasqImage: img.dnsmasq.ref,
  };
}

async function vsphereStack(config: VsphereStackConfig, secrets: StackSecrets): Promise<VsphereStackOutputs> {
  const fingerprints = cdnsMachineFingerprints(config);
  if (!config.cdns.allowReplacingAllNodes) {
    const problem = replacementProblem(await previousFingerprints(), fingerprints, false);
    if (problem !== undefined) throw new Error(`rancher-cdns: ${problem}`);
  }
  // Validation required both for this mode; the checks here only narrow the types.
  const { vspherePassword, rancherToken } = secrets;
  if (vspherePassword === undefined || rancherToken === undefined) throw new Error("rancher-cdns: vspherePassword and rancherToken are required");

  const rancherProvider = new rancher2.Provider("rancher", {
    apiUrl: config.rancher.apiUrl,
    tokenKey: rancherToken,
    insecure: config.rancher.insecure,
  });

  const cdnsPools = config.cdns.nodes.map((node) => {
    const m = cdnsMachineSettings(config, node);
    return new CdnsMachinePool(`cdns-${node.index}`, {
      node,
      network: m.network,
      vsphere: m.vsphere,
      vm: m.vm,
      clusterName: config.cluster.name,
      labels: config.cdns.labels,
      rancherProvider,
    });
  });

  const cluster = new RancherCluster(config.cluster.name, {
    cluster: config.cluster,
    additionalTlsSan: clusterTlsSans(config),
    vsphere: config.vsphere,
    vspherePassword,
    cdnsPools,
    rancherProvider,
  });

  const img = images(config, secrets);
  new CdnsWorkload(
    "cdns",
    { chart: workloadChartProps(config), sidecarImage: img.sidecar.ref, dnsmasqImage: img.dnsmasq.ref },
    { provider: cluster.provider, dependsOn: [cluster] },
  );

  let haproxy: HaproxyVm | undefined;
  if (config.haproxy !== undefined) {
    const vsphereProvider = new VsphereProvider("vsphere", {
      user: config.vsphere.username,
      password: vspherePassword,
      vsphereServer: vsphereServerAddress(config.vsphere.server, config.vsphere.port),
      allowUnverifiedSsl: config.vsphere.insecure,
    });
    haproxy = new HaproxyVm(
      "haproxy",
      {
        haproxy: config.haproxy,
        zones: config.zones,
        cdnsAddresses: cdnsAddresses(config),
        network: config.cdns.network,
        vsphere: config.vsphere,
        ...(secrets.haproxyStatsPassword !== undefined ? { statsPassword: secrets.haproxyStatsPassword } : {}),
      },
      { providers: [vsphereProvider] },
    );
  }

  return {
    ...commonOutputs(config, img),
    kubeconfig: cluster.kubeconfig, // RancherCluster already marks it secret
    [MACHINE_FINGERPRINTS_OUTPUT]: fingerprints,
    ...(haproxy !== undefined ? { haproxyAddress: haproxy.address } : {}),
  };
}

function existingClusterStack(config: ExistingClusterStackConfig, secrets: StackSecrets): ExistingClusterStackOutputs {
  const { kubeconfig } = secrets;
  if (kubeconfig === undefined) throw new Error("rancher-cdns: kubeconfig is required with existingCluster");
  const ec = config.existingCluster;
  const provider = new k8s.Provider("cluster", {
    kubeconfig: pulumi.secret(kubeconfig),
    ...(ec.context !== undefined ? { context: ec.context } : {}),
  });

  // Labels only: metadata.labels is a map, so server-side apply owns exactly our keys. Taints
  // are an atomic list (cdnsNodeCommands() says why) and stay with kubectl.
  const labelled = ec.labelNodes
    ? ec.nodes.map((node) => new k8s.core.v1.NodePatch(`cdns-node-${node.index}`, {
        metadata: { name: node.name, labels: cdnsNodeLabels(config.cdns.labels, node.index) },
      }, { provider }))
    : [];

  const img = images(config, secrets);
  new CdnsWorkload(
    "cdns",
    { chart: workloadChartProps(config), sidecarImage: img.sidecar.ref, dnsmasqImage: img.dnsmasq.ref },
    { provider, dependsOn: labelled },
  );

  return { ...commonOutputs(config, img), cdnsNodeCommands: cdnsNodeCommands(config) };
}

/** The stack program: validates the config, then creates either mode's resources and returns the outputs. */
export async function program(): Promise<StackOutputs> {
  const { config, secrets } = loadStackConfig();
  return config.mode === "vsphere" ? vsphereStack(config, secrets) : existingClusterStack(config, secrets);
}
