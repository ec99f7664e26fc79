/**
 * The whole stack program (infra/program.ts) under mocks, for both modes: which resources it
 * registers, with which inputs, and what it returns as outputs. A broken config, and an update
 * that would replace every cDNS node, register nothing.
 */
import { afterEach, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { RecordingMocks, promiseOf, isSecretValue, reveal } from "../helpers/pulumi";
import { at, localRaw, qaRaw, type Tree } from "../config/fixtures";
import { MACHINE_FINGERPRINTS_OUTPUT, program, READ_STACK_OUTPUTS, type ExistingClusterStackOutputs, type VsphereStackOutputs } from "../../infra/program";
import { cdnsMachineFingerprints } from "../../lib/stack/derive";
import { validateStackConfig } from "../../lib/config/validate";
import type { VsphereStackConfig } from "../../lib/config/types";

const SECRETS = {
  vspherePassword: "vc-pw-stack-test",
  rancherToken: "token-stack-test",
  registryPassword: "registry-pw-stack-test",
  haproxyStatsPassword: "stats-pw-stack-test",
};
const KUBECONFIG = "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: kube-token-stack-test}}]\n";

const TEMPLATE = {
  id: "vm-100", uuid: "template-uuid", guestId: "ubuntu64Guest", scsiType: "pvscsi", firmware: "efi",
  disks: [{ label: "disk0", size: 30, thinProvisioned: true, eagerlyScrub: false, unitNumber: 0 }],
  networkInterfaceTypes: ["vmxnet3"],
};

class StackMocks extends RecordingMocks {
  readonly calls: pulumi.runtime.MockCallArgs[] = [];

  /** `previous`: the outputs the last update left, as readStackOutputs returns them; an Error makes the read fail. */
  constructor(private readonly previous: Record<string, unknown> | Error = {}) {
    super((args) => {
      if (args.type === "rancher2:index/clusterV2:ClusterV2") return { clusterV1Id: "c-m-qa" };
      if (args.type === "rancher2:index/clusterSync:ClusterSync") return { kubeConfig: "apiVersion: v1\nkind: Config\n# qa" };
      if (args.type === "docker-build:index:Image") return { ref: `registry.example.com/platform/${args.name}:0.1.0@sha256:${"a".repeat(64)}` };
      return {};
    });
  }

  override call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.calls.push(args);
    if (args.token === READ_STACK_OUTPUTS) {
      if (this.previous instanceof Error) throw this.previous;
      return { name: (args.inputs as { name: string }).name, outputs: this.previous, secretOutputNames: [] };
    }
    if (args.token === "vsphere:index/getVirtualMachine:getVirtualMachine") return TEMPLATE;
    return { id: `${args.token.split(":").pop()}-id`, name: (args.inputs as { name?: string }).name };
  }
}

function setConfig(values: Tree, secrets: Record<string, string>): void {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) all[`rancher-cdns:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(secrets)) all[`rancher-cdns:${k}`] = v;
  pulumi.runtime.setAllConfig(all, Object.keys(secrets).map((k) => `rancher-cdns:${k}`));
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

// Mocks are process-global: let every registration of a test reach its own mocks before the next test replaces them.
afterEach(async () => {
  await pulumi.runtime.disconnect();
});

type K8sObject = { kind: string; metadata: { name: string }; spec?: { template?: { spec?: { nodeSelector?: Record<string, string> } } } };

/** The objects of every ConfigGroup (CdnsWorkload applies shared objects and each Deployment in groups of their own). */
function workloadObjects(mocks: StackMocks): { objs: K8sObject[]; providers: string[] } {
  const groups = mocks.ofType("kubernetes:yaml/v2:ConfigGroup");
  assert.ok(groups.length > 0, "the workload is applied through ConfigGroups");
  return { objs: groups.flatMap((g) => g.inputs.objs as K8sObject[]), providers: groups.map((g) => g.provider ?? "") };
}

async function runError(): Promise<Error> {
  const err = await program().then(() => undefined, (e: unknown) => e as Error);
  assert.ok(err instanceof Error, "the program must refuse");
  return err;
}

const qaFingerprints = (): string[] => {
  const r = validateStackConfig(qaRaw());
  assert.ok(r.ok);
  return cdnsMachineFingerprints(r.config as VsphereStackConfig);
};

test("infra/index.ts exports the program function itself: the Node runtime calls it and awaits the outputs", async () => {
  const index = (await import("../../infra/index.js")) as { default?: unknown };
  assert.equal(index.default, program);
});

test("a broken stack config registers no resource and names every problem", async () => {
  const mocks = new StackMocks();
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);
  const raw = structuredClone(qaRaw());
  raw.zones = ["Bad_Zone", "apps.qa.example.com", "apps.qa.example.com"];
  (raw.cdns as Tree).nodes = [{ ip: "192.0.2.10" }, { ip: "192.0.2.10" }];
  setConfig(raw, SECRETS);
  const err = await runError();
  assert.match(err.message, /rancher-cdns:zones\[0\]/);
  assert.match(err.message, /rancher-cdns:zones\[2\]|duplicate/);
  assert.match(err.message, /rancher-cdns:cdns\.nodes\[1\]\.ip/);
  await settle();
  assert.deepEqual(mocks.resources, [], "no resource may be registered before validation passes");
});

test("the QA stack: pools, cluster, workload, images, HAProxy VM and the outputs the iDNS uses", async () => {
  const mocks = new StackMocks();
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);
  setConfig(qaRaw(), SECRETS);
  const stack = (await program()) as VsphereStackOutputs;

  assert.deepEqual(stack.cdnsAddresses, ["192.0.2.10", "192.0.2.11"]);
  assert.deepEqual(stack.zones, ["apps.qa.example.com", "svc.qa.example.org"]);
  const forwarding = stack.forwarding;
  assert.match(forwarding.bind, /zone "apps\.qa\.example\.com"[\s\S]*forwarders \{[^}]*192\.0\.2\.10[^}]*192\.0\.2\.11/);
  assert.match(forwarding.unbound, /forward-addr: 192\.0\.2\.10/);
  assert.match(forwarding.dnsmasq, /server=\/svc\.qa\.example\.org\/192\.0\.2\.10/);
  assert.match(forwarding.windows, /Add-DnsServerConditionalForwarderZone -Name "?apps\.qa\.example\.com/);
  assert.equal(forwarding.delegation, undefined, "no delegation records in forwarding mode");
  assert.deepEqual(stack[MACHINE_FINGERPRINTS_OUTPUT], qaFingerprints());

  assert.equal(await pulumi.isSecret(stack.kubeconfig), true, "kubeconfig output is a secret");
  assert.match(await promiseOf(stack.sidecarImage), /cdns-sidecar-image:0\.1\.0@sha256:[0-9a-f]{64}$/);
  assert.match(await promiseOf(stack.dnsmasqImage), /cdns-dnsmasq-image:0\.1\.0@sha256:[0-9a-f]{64}$/);
  assert.equal(await promiseOf(stack.haproxyAddress as pulumi.Output<string>), "192.0.2.20");

  // The guard read this stack's previous outputs first, by its own name.
  const read = mocks.calls.find((c) => c.token === READ_STACK_OUTPUTS);
  assert.deepEqual(read?.inputs, { name: "organization/rancher-cdns/qa" });

  await promiseOf(stack.kubeconfig);
  await settle();

  const cluster = mocks.one("rancher2:index/clusterV2:ClusterV2");
  const rke = reveal(cluster.inputs.rkeConfig) as { machinePools: { name: string; quantity: number }[]; machineGlobalConfig: string; machineSelectorConfigs: { config: string }[]; registries: unknown };
  assert.deepEqual(rke.machinePools.map((p) => p.name), ["control-plane", "workers", "cdns-0", "cdns-1"]);
  assert.deepEqual(rke.machinePools.slice(2).map((p) => p.quantity), [1, 1]);
  assert.deepEqual(parse(rke.machineGlobalConfig), { cni: "calico", "tls-san": ["api.qa.example.com"] }, "HAProxy does not balance the API in QA");
  assert.deepEqual(parse(String(rke.machineSelectorConfigs[0]?.config)), { "system-default-registry": "registry.example.com" });
  assert.deepEqual(rke.registries, { mirrors: [{ hostname: "docker.io", endpoints: ["https://registry.example.com"] }], configs: [] });
  assert.equal(cluster.inputs.kubernetesVersion, "v1.33.5+rke2r1");
  const machineConfigs = mocks.ofType("rancher2:index/machineConfigV2:MachineConfigV2");
  assert.equal(machineConfigs.length, 4);
  for (const mc of machineConfigs) assert.equal((mc.inputs.vsphereConfig as { folder: string }).folder, "rancher/qa");

  const images = mocks.ofType("docker-build:index:Image");
  assert.deepEqual(images.map((i) => (i.inputs.tags as string[])[0]).sort(), [
    "registry.example.com/platform/cdns-dnsmasq:0.1.0",
    "registry.example.com/platform/cdns-sidecar:0.1.0",
  ]);
  for (const i of images) assert.equal(i.inputs.buildOnPreview, false);
  const { objs, providers } = workloadObjects(mocks);
  assert.deepEqual(objs.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name), ["cdns-0", "cdns-1"]);
  for (const p of providers) assert.ok(p.includes("pulumi:providers:kubernetes::qa-k8s"), `the workload deploys through the cluster's provider, got ${p}`);

  const vm = mocks.one("vsphere:index/virtualMachine:VirtualMachine");
  assert.equal(vm.inputs.folder, "rancher/qa", "the HAProxy VM reads the folder as the machine configs do");
  assert.ok(isSecretValue(vm.inputs.extraConfig), "extraConfig carries the stats password, so it is a secret");
  const rancherProvider = mocks.one("pulumi:providers:rancher2");
  assert.ok(isSecretValue(rancherProvider.inputs.tokenKey), "Rancher token is a secret provider input");
  const vsphereProvider = mocks.one("pulumi:providers:vsphere");
  assert.ok(isSecretValue(vsphereProvider.inputs.password), "vCenter password is a secret provider input");

  const plain = JSON.stringify(mocks.resources.map((r) => r.inputs), (_k, v: unknown) => (isSecretValue(v) ? "[secret]" : v));
  for (const secret of Object.values(SECRETS)) assert.ok(!plain.includes(secret), `secret ${secret} appears in a plain input`);
});

test("HAProxy balancing the API adds its address to the API certificate", async () => {
  const mocks = new StackMocks();
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);
  const raw = structuredClone(qaRaw());
  at(raw, "haproxy").kubeApi = true;
  setConfig(raw, SECRETS);
  const stack = (await program()) as VsphereStackOutputs;
  await promiseOf(stack.kubeconfig);
  await settle();
  const rke = reveal(mocks.one("rancher2:index/clusterV2:ClusterV2").inputs.rkeConfig) as { machineGlobalConfig: string };
  assert.deepEqual(parse(rke.machineGlobalConfig)["tls-san"], ["api.qa.example.com", "192.0.2.20"]);
});

test("an update that would replace every cDNS node at once is refused before any resource", async () => {
  const previous = qaFingerprints().map((f) => `${f.slice(0, -4)}beef`);
  const mocks = new StackMocks({ [MACHINE_FINGERPRINTS_OUTPUT]: previous });
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);
  setConfig(qaRaw(), SECRETS);
  const err = await runError();
  assert.match(err.message, /would replace every cDNS node at once \(cdns\.nodes\[0\], cdns\.nodes\[1\]/);
  assert.match(err.message, /cdns\.nodes\[<i>\]\.machine.*cdns\.allowReplacingAllNodes: true/);
  await settle();
  assert.deepEqual(mocks.resources, []);
});

test("one node at a time passes; so does every node with the opt-in (and then the outputs are not read)", async () => {
  const [first, second] = qaFingerprints();
  const oneChanged = new StackMocks({ [MACHINE_FINGERPRINTS_OUTPUT]: [first, "0".repeat(64)] });
  pulumi.runtime.setMocks(oneChanged, "rancher-cdns", "qa", false);
  setConfig(qaRaw(), SECRETS);
  const stack = (await program()) as VsphereStackOutputs;
  assert.deepEqual(stack[MACHINE_FINGERPRINTS_OUTPUT], [first, second]);

  const allChanged = new StackMocks({ [MACHINE_FINGERPRINTS_OUTPUT]: ["0".repeat(64), "1".repeat(64)] });
  pulumi.runtime.setMocks(allChanged, "rancher-cdns", "qa", false);
  const raw = structuredClone(qaRaw());
  at(raw, "cdns").allowReplacingAllNodes = true;
  setConfig(raw, SECRETS);
  await program();
  assert.equal(allChanged.calls.filter((c) => c.token === READ_STACK_OUTPUTS).length, 0);
});

test("a per-node machine override changes that node's fingerprint only (the roll-out path)", async () => {
  const before = qaFingerprints();
  const r = validateStackConfig((() => {
    const raw = structuredClone(qaRaw());
    at(raw, "cdns", "nodes", 1).machine = { template: "ubuntu-2404-cloudinit" };
    return raw;
  })());
  assert.ok(r.ok);
  const after = cdnsMachineFingerprints(r.config as VsphereStackConfig);
  assert.equal(after[0], before[0]);
  assert.notEqual(after[1], before[1]);
});

test("when the previous outputs cannot be read, the program says so and how to proceed", async () => {
  const mocks = new StackMocks(new Error("no backend client is available"));
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);
  setConfig(qaRaw(), SECRETS);
  const err = await runError();
  // The mock's message does not survive the mock monitor's error path; the real engine's does.
  assert.match(err.message, /cannot read this stack's previous outputs to check that the update keeps a cDNS node running \(.*\); set rancher-cdns:cdns\.allowReplacingAllNodes to true/);
});

test("the local stack: the workload on an existing cluster, its labels by server-side apply, no Rancher, vSphere or build", async () => {
  const mocks = new StackMocks();
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "local", false);
  const raw = structuredClone(localRaw());
  at(raw, "existingCluster").context = "rig";
  at(raw, "cdns").labels = { team: "platform" };
  setConfig(raw, { kubeconfig: KUBECONFIG });
  const stack = (await program()) as ExistingClusterStackOutputs;

  assert.deepEqual(stack.cdnsAddresses, ["192.0.2.10"]);
  assert.deepEqual(stack.zones, ["apps.local.example.com"]);
  assert.match(stack.forwarding.bind, /zone "apps\.local\.example\.com"[\s\S]*forwarders \{ 192\.0\.2\.10; \}/);
  assert.equal(await promiseOf(stack.sidecarImage), "localhost/rancher-cdns/sidecar:dev");
  assert.equal(await promiseOf(stack.dnsmasqImage), "localhost/rancher-cdns/dnsmasq:dev");
  assert.deepEqual(stack.cdnsNodeCommands, ["kubectl --context=rig taint node cdns-0 purpose=cdns:NoSchedule purpose=cdns:NoExecute --overwrite"]);
  assert.ok(!("kubeconfig" in stack), "the kubeconfig is not an output: the user already has it");
  assert.ok(!(MACHINE_FINGERPRINTS_OUTPUT in stack));
  await settle();

  const provider = mocks.one("pulumi:providers:kubernetes");
  assert.ok(isSecretValue(provider.inputs.kubeconfig), "the kubeconfig reaches the provider as a secret");
  assert.equal(reveal(provider.inputs.kubeconfig), KUBECONFIG);
  assert.equal(provider.inputs.context, "rig");

  const patch = mocks.one("kubernetes:core/v1:NodePatch");
  assert.deepEqual(patch.inputs.metadata, {
    name: "cdns-0",
    labels: { team: "platform", purpose: "cdns", "cdns.rancher-cdns.io/index": "0" },
  });
  assert.equal((patch.inputs as { spec?: unknown }).spec, undefined, "no taints by server-side apply: spec.taints is an atomic list");
  assert.ok(patch.provider?.includes("pulumi:providers:kubernetes::cluster"));

  const { objs, providers } = workloadObjects(mocks);
  for (const p of providers) assert.ok(p.includes("pulumi:providers:kubernetes::cluster"), `the workload goes to the existing cluster, got ${p}`);
  const deployment = objs.find((o) => o.kind === "Deployment");
  assert.deepEqual(deployment?.spec?.template?.spec?.nodeSelector, { purpose: "cdns", "cdns.rancher-cdns.io/index": "0" });

  for (const r of mocks.resources) {
    assert.ok(!/^(rancher2|vsphere|docker-build):/.test(r.type) && !/providers:(rancher2|vsphere)/.test(r.type), `${r.type} in an existing-cluster stack`);
  }
  const plain = JSON.stringify(mocks.resources.map((r) => r.inputs), (_k, v: unknown) => (isSecretValue(v) ? "[secret]" : v));
  assert.ok(!plain.includes("kube-token-stack-test"), "the kubeconfig appears in a plain input");
  assert.equal(mocks.calls.filter((c) => c.token === READ_STACK_OUTPUTS).length, 0, "no replacement guard without machine pools");
});

test("an existing cluster without labelNodes: no NodePatch, the label lines instead", async () => {
  const mocks = new StackMocks();
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "local", false);
  const raw = structuredClone(localRaw());
  at(raw, "existingCluster").labelNodes = false;
  at(raw, "existingCluster").nodes = [{ name: "cdns-0", ip: "192.0.2.10" }, { name: "cdns-1", ip: "192.0.2.11" }];
  setConfig(raw, { kubeconfig: KUBECONFIG });
  const stack = (await program()) as ExistingClusterStackOutputs;
  await settle();
  assert.deepEqual(mocks.ofType("kubernetes:core/v1:NodePatch"), []);
  assert.deepEqual(stack.cdnsNodeCommands, [
    "kubectl label node cdns-0 purpose=cdns cdns.rancher-cdns.io/index=0 --overwrite",
    "kubectl taint node cdns-0 purpose=cdns:NoSchedule purpose=cdns:NoExecute --overwrite",
    "kubectl label node cdns-1 purpose=cdns cdns.rancher-cdns.io/index=1 --overwrite",
    "kubectl taint node cdns-1 purpose=cdns:NoSchedule purpose=cdns:NoExecute --overwrite",
  ]);
  assert.deepEqual(stack.cdnsAddresses, ["192.0.2.10", "192.0.2.11"]);
});
