/**
 * The whole stack program (infra/index.ts) under mocks with the QA stack
 * config: which resources it registers, with which inputs, and what it
 * exports. And a broken config: one error, no resource registered.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, promiseOf, isSecretValue } from "../helpers/pulumi";
import { qaRaw, type Tree } from "../config/fixtures";

const SECRETS = {
  vspherePassword: "vc-pw-stack-test",
  rancherToken: "token-stack-test",
  registryPassword: "registry-pw-stack-test",
  haproxyStatsPassword: "stats-pw-stack-test",
};

const TEMPLATE = {
  id: "vm-100", uuid: "template-uuid", guestId: "ubuntu64Guest", scsiType: "pvscsi", firmware: "efi",
  disks: [{ label: "disk0", size: 30, thinProvisioned: true, eagerlyScrub: false, unitNumber: 0 }],
  networkInterfaceTypes: ["vmxnet3"],
};

class StackMocks extends RecordingMocks {
  constructor() {
    super((args) => {
      if (args.type === "rancher2:index/clusterV2:ClusterV2") return { clusterV1Id: "c-m-qa" };
      if (args.type === "rancher2:index/clusterSync:ClusterSync") return { kubeConfig: "apiVersion: v1\nkind: Config\n# qa" };
      if (args.type === "docker-build:index:Image") return { ref: "registry.example.com/platform/cdns-sidecar:0.1.0@sha256:" + "a".repeat(64) };
      return {};
    });
  }
  override call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    if (args.token === "vsphere:index/getVirtualMachine:getVirtualMachine") return TEMPLATE;
    return { id: `${args.token.split(":").pop()}-id`, name: (args.inputs as { name?: string }).name };
  }
}

function setConfig(values: Tree): void {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) all[`rancher-cdns:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(SECRETS)) all[`rancher-cdns:${k}`] = v;
  pulumi.runtime.setAllConfig(all, Object.keys(SECRETS).map((k) => `rancher-cdns:${k}`));
}

test("a broken stack config registers no resource and names every problem", async () => {
  const mocks = new StackMocks();
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);
  const raw = structuredClone(qaRaw());
  raw.zones = ["Bad_Zone", "apps.qa.example.com", "apps.qa.example.com"];
  (raw.cdns as Tree).nodes = [{ ip: "192.0.2.10" }, { ip: "192.0.2.10" }];
  setConfig(raw);
  // A fresh module instance: infra/index.ts runs its program on import.
  const err = await import(`../../infra/index.js?broken=${Date.now()}`).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(err instanceof Error, "the program must refuse a broken config");
  assert.match(err.message, /rancher-cdns:zones\[0\]/);
  assert.match(err.message, /rancher-cdns:zones\[2\]|duplicate/);
  assert.match(err.message, /rancher-cdns:cdns\.nodes\[1\]\.ip/);
  assert.deepEqual(mocks.resources, [], "no resource may be registered before validation passes");
});

test("the QA stack: pools, cluster, workload, image, HAProxy VM and the outputs the iDNS uses", async () => {
  const mocks = new StackMocks();
  pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);
  setConfig(qaRaw());
  const stack = (await import(`../../infra/index.js?qa=${Date.now()}`)) as Record<string, unknown>;

  assert.deepEqual(stack.cdnsAddresses, ["192.0.2.10", "192.0.2.11"]);
  assert.deepEqual(stack.zones, ["apps.qa.example.com", "svc.qa.example.org"]);
  const forwarding = stack.forwarding as Record<string, string>;
  assert.match(forwarding.bind ?? "", /zone "apps\.qa\.example\.com"[\s\S]*forwarders \{[^}]*192\.0\.2\.10[^}]*192\.0\.2\.11/);
  assert.match(forwarding.unbound ?? "", /forward-addr: 192\.0\.2\.10/);
  assert.match(forwarding.dnsmasq ?? "", /server=\/svc\.qa\.example\.org\/192\.0\.2\.10/);
  assert.match(forwarding.windows ?? "", /Add-DnsServerConditionalForwarderZone -Name "?apps\.qa\.example\.com/);
  assert.equal(forwarding.delegation, undefined, "no delegation records in forwarding mode");

  const kubeconfig = stack.kubeconfig as pulumi.Output<string>;
  assert.equal(await pulumi.isSecret(kubeconfig), true, "kubeconfig output is a secret");
  assert.match(await promiseOf(stack.sidecarImage as pulumi.Output<string>), /@sha256:[0-9a-f]{64}$/);
  assert.equal(await promiseOf(stack.haproxyAddress as pulumi.Output<string>), "192.0.2.20");

  // Let every registration reach the mocks.
  await promiseOf(kubeconfig);
  await new Promise((r) => setTimeout(r, 200));

  const cluster = mocks.one("rancher2:index/clusterV2:ClusterV2");
  const pools = (cluster.inputs.rkeConfig as { machinePools: { name: string; quantity: number }[] }).machinePools;
  assert.deepEqual(pools.map((p) => p.name), ["control-plane", "workers", "cdns-0", "cdns-1"]);
  assert.deepEqual(pools.slice(2).map((p) => p.quantity), [1, 1]);
  assert.equal(mocks.ofType("rancher2:index/machineConfigV2:MachineConfigV2").length, 4);

  const image = mocks.one("docker-build:index:Image");
  assert.equal(image.inputs.buildOnPreview, false);
  const group = mocks.one("kubernetes:yaml/v2:ConfigGroup");
  const objs = group.inputs.objs as { kind: string; metadata: { name: string } }[];
  assert.deepEqual(objs.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name), ["cdns-0", "cdns-1"]);
  assert.ok(group.provider?.includes("kubernetes"), `ConfigGroup deploys through the cluster's provider, got ${group.provider}`);

  const vm = mocks.one("vsphere:index/virtualMachine:VirtualMachine");
  assert.ok(isSecretValue(vm.inputs.extraConfig), "extraConfig carries the stats password, so it is a secret");
  const rancherProvider = mocks.one("pulumi:providers:rancher2");
  assert.ok(isSecretValue(rancherProvider.inputs.tokenKey), "Rancher token is a secret provider input");
  const vsphereProvider = mocks.one("pulumi:providers:vsphere");
  assert.ok(isSecretValue(vsphereProvider.inputs.password), "vCenter password is a secret provider input");

  const plain = JSON.stringify(mocks.resources.map((r) => r.inputs), (_k, v: unknown) => (isSecretValue(v) ? "[secret]" : v));
  for (const secret of Object.values(SECRETS)) assert.ok(!plain.includes(secret), `secret ${secret} appears in a plain input`);
});
