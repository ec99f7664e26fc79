/** HaproxyVm under pulumi.runtime.setMocks: the VM's inputs, the lookups, the pinned version, the secret. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { HaproxyVm, type HaproxyVmArgs } from "../../components/haproxyVm";
import { VIRTUAL_MACHINE_BINDING, VsphereProvider, VSPHERE_PROVIDER_VERSION } from "../../lib/vsphere";
import { DEFAULT_HAPROXY_VM } from "../../lib/config/defaults";
import { haproxyCheck } from "./haproxyHelpers";

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly provider?: string;
}
const registered: Registered[] = [];
const invokes: { token: string; inputs: Record<string, unknown>; provider?: string }[] = [];
const versions: { kind: string; what: string; version: string }[] = [];

const TEMPLATE = {
  id: "vm-100", uuid: "4217-template-uuid", guestId: "debian12_64Guest", scsiType: "pvscsi", firmware: "efi",
  disks: [{ label: "disk0", size: 30, thinProvisioned: true, eagerlyScrub: false, unitNumber: 0 }],
  networkInterfaceTypes: ["vmxnet3"],
};
const IDS: Record<string, string> = {
  "vsphere:index/getDatacenter:getDatacenter": "datacenter-3",
  "vsphere:index/getDatastore:getDatastore": "datastore-11",
  "vsphere:index/getResourcePool:getResourcePool": "resgroup-22",
  "vsphere:index/getNetwork:getNetwork": "dvportgroup-33",
};

const setup = (async () => {
  await pulumi.runtime.setMocks(
    {
      call(args) {
        invokes.push({ token: args.token, inputs: args.inputs as Record<string, unknown>, provider: args.provider });
        if (args.token === "vsphere:index/getVirtualMachine:getVirtualMachine") return TEMPLATE;
        const id = IDS[args.token];
        if (id === undefined) throw new Error(`unexpected invoke ${args.token}`);
        return { id, name: (args.inputs as { name: string }).name };
      },
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown>, provider: args.provider });
        return { id: `${args.name}-id`, state: { ...(args.inputs as object), uuid: `${args.name}-uuid` } };
      },
    },
    "rancher-cdns",
    "test",
    false,
  );
  // Record the plugin version on the wire: the mock API does not pass it to newResource/call.
  // The monitor's request objects are protobuf messages the SDK does not type.
  type Req = { getVersion(): string; getType?(): string; getTok?(): string };
  type Fn = (req: Req, cb: unknown) => unknown;
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: Fn; invoke: Fn };
  const reg = monitor.registerResource.bind(monitor);
  const inv = monitor.invoke.bind(monitor);
  monitor.registerResource = (req, cb) => {
    versions.push({ kind: "resource", what: req.getType?.() ?? "", version: req.getVersion() });
    return reg(req, cb);
  };
  monitor.invoke = (req, cb) => {
    versions.push({ kind: "invoke", what: req.getTok?.() ?? "", version: req.getVersion() });
    return inv(req, cb);
  };
})();

function isSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** The inputs with every secret replaced, i.e. what would be stored in plain text. */
function plainText(inputs: unknown): string {
  return JSON.stringify(inputs, (_k, v: unknown) => (isSecret(v) ? "[secret]" : v));
}

function settled<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

function args(over: Partial<HaproxyVmArgs> = {}): HaproxyVmArgs {
  return {
    haproxy: {
      enabled: true, ip: "192.0.2.80", hostname: "qa-haproxy", vm: { ...DEFAULT_HAPROXY_VM, diskGb: 20 }, maxServers: 16,
      kubeApi: true,
    },
    zones: ["apps.example.com"],
    cdnsAddresses: ["192.0.2.10", "192.0.2.11"],
    network: { prefixLength: 24, gateway: "192.0.2.1", nameservers: ["192.0.2.53"], searchDomains: ["example.com"], interfaceName: "ens192" },
    vsphere: { datacenter: "dc1", datastore: "ds1", resourcePool: "/dc1/host/cl1/Resources", folder: "rancher", networks: ["vlan-100"], template: "debian-12-cloudinit" },
    ...over,
  };
}

function decode(b64: unknown): string {
  assert.equal(typeof b64, "string");
  return Buffer.from(b64 as string, "base64").toString("utf8");
}

test("HaproxyVm with a stats password: VM inputs from the lookups, cloud-init in a secret extraConfig, version pinned", async () => {
  await setup;
  const provider = new VsphereProvider("vc", { user: "admin@vsphere.local", password: "vc-pass", vsphereServer: "vc.example.com", allowUnverifiedSsl: false });
  const hv = new HaproxyVm("lb", args({ statsPassword: "hunter2-stats" }), { providers: [provider] });
  assert.equal(await settled(hv.address), "192.0.2.80");
  assert.equal(await settled(hv.vmId), "lb-id");

  const vm = registered.find((r) => r.type === VIRTUAL_MACHINE_BINDING.token && r.name === "lb");
  assert.ok(vm, `no VM registered: ${registered.map((r) => r.type).join(", ")}`);
  const i = vm.inputs;
  assert.deepEqual(i.clone, { templateUuid: TEMPLATE.uuid }, "cloned from the template lookup");
  assert.equal(i.numCpus, DEFAULT_HAPROXY_VM.cpus);
  assert.equal(i.memory, DEFAULT_HAPROXY_VM.memoryMb);
  assert.equal(i.name, "qa-haproxy");
  assert.equal(i.resourcePoolId, "resgroup-22");
  assert.equal(i.datastoreId, "datastore-11");
  assert.equal(i.folder, "rancher");
  assert.equal(i.guestId, TEMPLATE.guestId);
  assert.equal(i.firmware, "efi");
  assert.deepEqual(i.networkInterfaces, [{ networkId: "dvportgroup-33", adapterType: "vmxnet3" }]);
  assert.deepEqual(i.disks, [{ label: "disk0", size: 30, thinProvisioned: true, eagerlyScrub: false }], "never smaller than the template disk");
  assert.equal("customize" in (i.clone as object), false, "no clone.customize with guestinfo cloud-init");
  for (const key of Object.keys(i)) assert.ok(key in VIRTUAL_MACHINE_BINDING.inputs || key in VIRTUAL_MACHINE_BINDING.outputs, `${key} sent but not described`);
  assert.equal(vm.provider?.includes("pulumi:providers:vsphere::vc"), true, `VM uses the passed provider: ${vm.provider}`);

  // Lookups: by name inside the datacenter, through the passed provider.
  const byToken = (t: string) => invokes.find((x) => x.token.endsWith(t));
  assert.deepEqual(byToken("getDatacenter")?.inputs, { name: "dc1" });
  assert.deepEqual(byToken("getVirtualMachine")?.inputs, { name: "debian-12-cloudinit", datacenterId: "datacenter-3" });
  assert.deepEqual(byToken("getNetwork")?.inputs, { name: "vlan-100", datacenterId: "datacenter-3" });
  for (const x of invokes) assert.equal(x.provider?.includes("pulumi:providers:vsphere::vc"), true, `${x.token} via ${x.provider}`);

  // The password only ever travels inside a secret.
  assert.ok(isSecret(i.extraConfig), "extraConfig must be a secret when a stats password is set");
  for (const r of registered) assert.ok(!plainText(r.inputs).includes("hunter2-stats"), `${r.type} ${r.name} carries the stats password in plain text`);
  const extra = i.extraConfig.value as Record<string, string>;
  assert.deepEqual(Object.keys(extra).sort(), ["guestinfo.metadata", "guestinfo.metadata.encoding", "guestinfo.userdata", "guestinfo.userdata.encoding"]);
  assert.equal(extra["guestinfo.userdata.encoding"], "base64");
  assert.equal(extra["guestinfo.metadata.encoding"], "base64");

  const userData = decode(extra["guestinfo.userdata"]);
  assert.ok(userData.startsWith("#cloud-config\n"));
  const ud = parse(userData) as { packages: string[]; write_files: { path: string; content: string }[] };
  assert.deepEqual(ud.packages, ["haproxy"]);
  const cfg = ud.write_files.find((f) => f.path === "/etc/haproxy/haproxy.cfg")?.content ?? assert.fail("no haproxy.cfg in userdata");
  assert.match(cfg, /^ {4}nameserver cdns0 192\.0\.2\.10:53$/m);
  assert.match(cfg, /^ {4}nameserver cdns1 192\.0\.2\.11:53$/m);
  assert.match(cfg, /server-template node 16 nodes\.apps\.example\.com:443 /);
  assert.match(cfg, /server-template cp 9 control-plane\.nodes\.apps\.example\.com:6443 /);
  assert.match(cfg, /stats auth "admin:hunter2-stats"/);
  const checked = haproxyCheck(cfg);
  assert.equal(checked.status, 0, checked.output);

  const md = parse(decode(extra["guestinfo.metadata"])) as { "local-hostname": string; network: { version: number; ethernets: Record<string, { addresses: string[] }> } };
  assert.equal(md["local-hostname"], "qa-haproxy");
  assert.equal(md.network.version, 2);
  assert.deepEqual(md.network.ethernets.ens192?.addresses, ["192.0.2.80/24"]);

  // Provider: password secret, server and TLS flag as sent.
  const prov = registered.find((r) => r.type === "pulumi:providers:vsphere");
  assert.ok(prov);
  assert.ok(isSecret(prov.inputs.password), "provider password is a secret");
  assert.equal(prov.inputs.vsphereServer, "vc.example.com");
  assert.equal(prov.inputs.allowUnverifiedSsl, "false");

  // Every vsphere resource and invoke names plugin 4.17.0 on the wire.
  const vsphere = versions.filter((v) => v.what.startsWith("vsphere:") || v.what === "pulumi:providers:vsphere");
  assert.ok(vsphere.length >= 7, JSON.stringify(versions));
  for (const v of vsphere) assert.equal(v.version, VSPHERE_PROVIDER_VERSION, `${v.kind} ${v.what}`);
  assert.equal(versions.find((v) => v.what === "rancher-cdns:vsphere:HaproxyVm")?.version, "", "the component itself is not a vsphere resource");
});

test("HaproxyVm without a stats password: plain extraConfig, stats on localhost only", async () => {
  await setup;
  const hv = new HaproxyVm("lb-nopw", args({ haproxy: { ...args().haproxy, kubeApi: false } }));
  await settled(hv.vmId);
  const vm = registered.find((r) => r.name === "lb-nopw" && r.type === VIRTUAL_MACHINE_BINDING.token);
  assert.ok(vm);
  assert.ok(!isSecret(vm.inputs.extraConfig), "nothing secret to hide");
  const cfg = (parse(decode((vm.inputs.extraConfig as Record<string, string>)["guestinfo.userdata"])) as { write_files: { content: string }[] }).write_files[0]?.content ?? "";
  assert.match(cfg, /bind 127\.0\.0\.1:8404/);
  assert.doesNotMatch(cfg, /stats auth/);
  assert.doesNotMatch(cfg, /6443/);
  assert.doesNotMatch(cfg, /send-proxy/, "the stack never sends PROXY protocol: direct clients of the workers send none");
});

test("HaproxyVm rejects invalid settings at construction, listing every problem", async () => {
  await setup;
  assert.throws(
    () => new HaproxyVm("bad", args({ cdnsAddresses: [], haproxy: { ...args().haproxy, maxServers: 500 } })),
    (err: Error) => /cdnsAddresses: at least one/.test(err.message) && /maxServers: 500 is above/.test(err.message),
  );
});
