/**
 * rig/images/pod.ts's translator on its own (pure, no podman): what it derives from the
 * manifest, and that it refuses what it does not know instead of dropping it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { synthCdnsChart } from "../../lib/chart/cdnsChart";
import { parseQuantity, translatePod, type Publish, type TranslateOptions } from "../../rig/images/pod";

/** Synthesized manifests are untyped JSON; `any` lets the test walk and edit them. */
type Obj = any;

const objs = (): Obj[] =>
  synthCdnsChart({ zones: ["apps.example.com"], nodes: [{ index: 0, ip: "192.0.2.10" }], sidecarImage: "localhost/s:1", dnsmasqImage: "localhost/d:1" }).objs;

function options(o: Obj[], published: Publish[] = []): TranslateOptions {
  return {
    objects: o,
    deployment: "cdns-0",
    podName: "p",
    workDir: "/w",
    network: "slirp4netns",
    publish: (p) => {
      published.push(p);
      return p.hostPort !== undefined ? `127.0.0.1:1${p.hostPort}` : `127.0.0.1:2${p.containerPort}`;
    },
    kubelet: { env: { KUBERNETES_SERVICE_HOST: "10.0.2.2" }, serviceAccountToken: "tok", configMaps: { "kube-root-ca.crt": { "ca.crt": "CA" } } },
  };
}

const pod = (o: Obj[]): Obj => o.find((x) => x.kind === "Deployment").spec.template.spec;

test("every securityContext field of every container becomes its podman flag", () => {
  const o = objs();
  const plan = translatePod(options(o));
  for (const c of [...pod(o).initContainers, ...pod(o).containers]) {
    const args = [...plan.initContainers, ...plan.containers].find((x) => x.name === c.name)?.create ?? [];
    const sec = c.securityContext;
    for (const cap of sec.capabilities.drop) assert.ok(args.includes(`--cap-drop=${cap}`), `${c.name} drops ${cap}`);
    for (const cap of sec.capabilities.add ?? []) assert.ok(args.includes(`--cap-add=${cap}`), `${c.name} adds ${cap}`);
    assert.equal(args.filter((a) => a.startsWith("--cap-")).length, sec.capabilities.drop.length + (sec.capabilities.add ?? []).length);
    assert.equal(args.includes("--read-only") && args.includes("--read-only-tmpfs=false"), sec.readOnlyRootFilesystem === true);
    assert.equal(args.join(" ").includes("--security-opt no-new-privileges"), sec.allowPrivilegeEscalation === false);
    assert.equal(args.includes("--privileged"), false);
    if (sec.runAsUser !== undefined) assert.ok(args.join(" ").includes(`--user ${sec.runAsUser}:${sec.runAsGroup}`));
    assert.deepEqual(args.slice(args.indexOf(c.image) + 1), c.args ?? [], `${c.name}: args follow the image unchanged`);
    if (c.command !== undefined) assert.ok(args.join(" ").includes(`--entrypoint ${JSON.stringify(c.command)}`));
  }
});

test("mounts, volumes, ports and probes come from the manifest", () => {
  const o = objs();
  const published: Publish[] = [];
  const plan = translatePod(options(o, published));
  assert.deepEqual(published.filter((p) => p.hostPort !== undefined).map((p) => `${p.hostPort}/${p.protocol}`).sort(), ["53/TCP", "53/UDP"]);
  assert.ok(plan.createPod.includes("127.0.0.1:153:53/udp") && plan.createPod.includes("127.0.0.1:153:53/tcp"));
  const dnsmasq = plan.containers.find((c) => c.name === "dnsmasq");
  assert.ok(dnsmasq?.create.includes("/w/volumes/hosts:/var/run/cdns/hosts.d:ro"));
  assert.ok(dnsmasq?.create.includes("/w/volumes/config:/etc/cdns:ro"));
  assert.ok(dnsmasq?.create.some((a) => a.startsWith("type=tmpfs,destination=/run/dnsmasq,tmpfs-mode=0777,tmpfs-size=1048576")));
  assert.deepEqual(dnsmasq?.probes.liveness?.action, { kind: "exec", command: pod(o).containers[0].livenessProbe.exec.command });
  const sidecar = plan.initContainers[0];
  assert.equal(sidecar?.nativeSidecar, true);
  assert.deepEqual(sidecar?.probes.startup?.action, { kind: "httpGet", address: "127.0.0.1:28080", path: "/startupz" });
  assert.equal(sidecar?.probes.startup?.failureThreshold, pod(o).initContainers[0].startupProbe.failureThreshold);
  assert.ok(sidecar?.create.includes("/w/volumes/kube-api-access:/var/run/secrets/kubernetes.io/serviceaccount:ro"));
  assert.ok(sidecar?.create.includes("KUBERNETES_SERVICE_HOST=10.0.2.2"));
  const token = plan.volumes.find((v) => v.name === "kube-api-access");
  assert.deepEqual(token?.files.map((f) => [f.path, f.content, f.mode]), [["token", "tok", 0o444], ["ca.crt", "CA", 0o444], ["namespace", "cdns-system", 0o444]]);
  const config = plan.volumes.find((v) => v.name === "config");
  assert.equal(config?.files[0]?.content, o.find((x) => x.kind === "ConfigMap").data["dnsmasq.conf"]);
  assert.equal(plan.volumes.find((v) => v.name === "hosts")?.mode, 0o777, "emptyDir as the kubelet makes it");
  assert.ok(dnsmasq?.create.includes("--memory=134217728") && dnsmasq?.create.includes("--cpus=1"));
});

test("fields it does not know are refused, never dropped", () => {
  const cases: [string, (o: Obj[]) => void, RegExp][] = [
    ["pod field", (o) => (pod(o).hostNetwork = true), /hostNetwork not supported/],
    ["container field", (o) => (pod(o).containers[0].lifecycle = { preStop: {} }), /lifecycle not supported/],
    ["securityContext field", (o) => (pod(o).containers[0].securityContext.seLinuxOptions = {}), /seLinuxOptions not supported/],
    ["volume type", (o) => pod(o).volumes.push({ name: "h", hostPath: { path: "/" } }), /hostPath not supported/],
    ["env source", (o) => (pod(o).containers[0].env = [{ name: "X", valueFrom: {} }]), /valueFrom not supported/],
    ["pull policy", (o) => (pod(o).containers[0].imagePullPolicy = "Always"), /cannot be honoured/],
    ["root with runAsNonRoot", (o) => (pod(o).initContainers[0].securityContext.runAsUser = 0), /runAsNonRoot with runAsUser 0/],
    ["restartPolicy on a regular container", (o) => (pod(o).containers[0].restartPolicy = "Always"), /restartPolicy/],
    ["service account automount", (o) => (pod(o).automountServiceAccountToken = true), /automountServiceAccountToken/],
    ["missing ConfigMap", (o) => o.splice(o.findIndex((x: Obj) => x.kind === "ConfigMap"), 1), /ConfigMap cdns-dnsmasq/],
  ];
  for (const [what, edit, error] of cases) {
    const o = objs();
    edit(o);
    assert.throws(() => translatePod(options(o)), error, what);
  }
  assert.throws(() => translatePod({ ...options(objs()), deployment: "cdns-9" }), /no Deployment cdns-9/);
});

test("quantities", () => {
  assert.equal(parseQuantity("500m"), 0.5);
  assert.equal(parseQuantity("1"), 1);
  assert.equal(parseQuantity("128Mi"), 134217728);
  assert.equal(parseQuantity("1G"), 1e9);
  assert.throws(() => parseQuantity("1Q"));
});
