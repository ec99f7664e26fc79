import { test } from "node:test";
import assert from "node:assert/strict";
import { synthCdnsChart } from "../../lib/chart/cdnsChart";
import { localDnsmasqConf, localSidecarArgs } from "../../scripts/localPod";

const chart = synthCdnsChart({ zones: ["apps.local.example.com"], nodes: [{ index: 0, ip: "192.0.2.10" }], sidecarImage: "s:1", dnsmasqImage: "d:1" });
type Obj = { kind: string; data?: Record<string, string>; spec?: { template: { spec: { initContainers?: { name: string; args: string[] }[] } } } };
const objs = chart.objs as unknown as Obj[];
const conf = objs.find((o) => o.kind === "ConfigMap")?.data?.["dnsmasq.conf"] as string;
const args = objs.find((o) => o.kind === "Deployment")?.spec?.template.spec.initContainers?.find((c) => c.name === "sidecar")?.args as string[];

test("the local dnsmasq.conf differs from the pod's only in port, address and the two emptyDir paths", () => {
  const local = localDnsmasqConf(conf, { port: 15353, address: "127.0.0.9", hostsDir: "/tmp/x/hosts.d", pidFile: "/tmp/x/dnsmasq.pid" });
  const before = conf.trimEnd().split("\n");
  const after = local.trimEnd().split("\n");
  const changed = after.filter((l) => !before.includes(l));
  assert.deepEqual(changed.sort(), ["# local run: one loopback address", "bind-interfaces", "hostsdir=/tmp/x/hosts.d", "listen-address=127.0.0.9", "pid-file=/tmp/x/dnsmasq.pid", "port=15353"].sort());
  const dropped = before.filter((l) => !after.includes(l));
  assert.deepEqual(dropped.map((l) => l.split("=")[0]).sort(), ["hostsdir", "pid-file", "port"]);
  assert.throws(() => localDnsmasqConf("no-resolv\n", { port: 1, address: "127.0.0.2", hostsDir: "/h", pidFile: "/p" }), /no port= line/);
});

test("the DNS responder's port moves with responderPort, in dnsmasq.conf and the sidecar's flag alike", () => {
  const local = localDnsmasqConf(conf, { port: 15353, address: "127.0.0.9", hostsDir: "/h", pidFile: "/p", responderPort: 20053 });
  assert.deepEqual(local.split("\n").filter((l) => l.startsWith("server=")), ["server=/apps.local.example.com/127.0.0.1#20053"]);
  const flags = localSidecarArgs(args, { hostsDir: "/h", dnsmasq: "127.0.0.9:15353", responderPort: 20053 });
  assert.ok(flags.includes("--responder-address=127.0.0.1:20053"));
  assert.deepEqual(localSidecarArgs(["--hosts-dir=/x", "--responder-address=none"], { hostsDir: "/h", dnsmasq: "a:1", responderPort: 20053 }).filter((a) => a.startsWith("--responder")), ["--responder-address=none"]);
});

test("the local sidecar flags are the Deployment's, with only the hosts directory and dnsmasq's address replaced", () => {
  const local = localSidecarArgs(args, { hostsDir: "/tmp/x/hosts.d", dnsmasq: "127.0.0.9:15353" });
  assert.ok(local.includes("--hosts-dir=/tmp/x/hosts.d"));
  assert.ok(local.includes("--dnsmasq-address=127.0.0.9:15353"));
  const other = (a: string) => !/^--(hosts-dir|http-port|dnsmasq-address)=/.test(a);
  assert.deepEqual(local.filter(other), args.filter(other));
  assert.throws(() => localSidecarArgs(["--zones=a"], { hostsDir: "/h", dnsmasq: "127.0.0.9:1" }), /no --hosts-dir=/);
});
