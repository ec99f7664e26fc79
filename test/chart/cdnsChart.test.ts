import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import {
  CONFIG_HASH_ANNOTATION,
  dnsmasqConfigMapName,
  DEFAULT_DNSMASQ_RESOURCES,
  DEFAULT_PRIORITY_CLASS_NAME,
  DEFAULT_SIDECAR_RESOURCES,
  DNSMASQ_PROBE,
  DNSMASQ_RUN_DIR,
  POD_SECURITY_LABELS,
  SERVICE_ACCOUNT_DIR,
  SIDECAR_STARTUP_PROBE,
  synthCdnsManifests,
  toYaml,
} from "../../lib/chart/cdnsChart";
import {
  CDNS_INDEX_LABEL,
  DEFAULT_HOSTS_DIR,
  DEFAULT_NAMESPACE,
  DEFAULT_SIDECAR_HTTP_PORT,
} from "../../lib/config/defaults";
import { renderDnsmasqConf } from "../../lib/render/dnsmasqConf";
import { DEFAULT_RESPONDER_PORT } from "../../lib/dns/responder";
import { DNSMASQ_BIN } from "../helpers/dnsmasq";
import { baseProps, byKind, container, DNSMASQ_IMAGE, one, SIDECAR_IMAGE, synth, type Obj } from "./fixtures";

test("one Deployment per cDNS node: replicas 1, Recreate, pinned to its node by purpose and index", () => {
  const deployments = byKind(synth(), "Deployment");
  assert.deepEqual(deployments.map((d) => d.metadata.name), ["cdns-0", "cdns-1"]);
  deployments.forEach((d, i) => {
    assert.equal(d.metadata.namespace, DEFAULT_NAMESPACE);
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.strategy, { type: "Recreate" });
    const pod = d.spec.template.spec;
    assert.deepEqual(pod.nodeSelector, { purpose: "cdns", [CDNS_INDEX_LABEL]: String(i) });
    assert.equal(pod.affinity, undefined, "a nodeSelector, not cdk8s-plus style affinity");
    assert.deepEqual(pod.tolerations, [
      { key: "purpose", operator: "Equal", value: "cdns", effect: "NoSchedule" },
      { key: "purpose", operator: "Equal", value: "cdns", effect: "NoExecute" },
    ]);
    // The selector must match the template, and differ between nodes.
    for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) assert.equal(d.spec.template.metadata.labels[k], v);
    assert.equal(d.spec.selector.matchLabels["app.kubernetes.io/instance"], `cdns-${i}`);
  });
});

test("dnsmasq container: hostPort 53 on UDP and TCP, DNS probe on the health name, locked down", () => {
  const d = one(synth(), "Deployment", "cdns-0");
  const c = container(d, "dnsmasq");
  assert.equal(c.image, DNSMASQ_IMAGE);
  assert.equal(c.imagePullPolicy, "IfNotPresent");
  const ports = c.ports.map((p: Obj) => `${p.protocol}/${p.containerPort}->${p.hostPort}`).sort();
  assert.deepEqual(ports, ["TCP/53->53", "UDP/53->53"]);
  const probe = [DNSMASQ_PROBE, "cdns-health.apps.example.com", "127.0.0.1", "53"];
  assert.deepEqual(c.livenessProbe.exec.command, probe);
  assert.deepEqual(c.readinessProbe.exec.command, probe);
  assert.deepEqual(c.resources, DEFAULT_DNSMASQ_RESOURCES);
  assert.deepEqual(c.securityContext, {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
  });
  assert.deepEqual(c.args, ["--conf-file=/etc/cdns/dnsmasq.conf"]);
  // The pid file must land on a writable mount: dnsmasq exits when it cannot write it.
  assert.ok(c.volumeMounts.some((m: Obj) => m.mountPath === DNSMASQ_RUN_DIR && m.readOnly !== true));
  assert.ok(!c.volumeMounts.some((m: Obj) => m.mountPath === SERVICE_ACCOUNT_DIR), "dnsmasq gets no API token");
});

test("start order: the sidecar is a native sidecar whose startup probe (/startupz: first sync written) gates dnsmasq", () => {
  const pod = one(synth(), "Deployment", "cdns-0").spec.template.spec;
  // The kubelet starts init containers in order and a restartPolicy: Always one keeps running
  // beside the regular containers, which start only once its startupProbe has passed.
  assert.deepEqual(pod.initContainers.map((c: Obj) => [c.name, c.restartPolicy]), [["sidecar", "Always"]]);
  assert.deepEqual(pod.containers.map((c: Obj) => c.name), ["dnsmasq"]);
  const sidecar = pod.initContainers[0];
  assert.deepEqual(sidecar.startupProbe, { httpGet: { path: "/startupz", port: "http" }, ...SIDECAR_STARTUP_PROBE });
  // Startup may take a first full sync of a big cluster; dnsmasq should follow the write within ~1 s.
  assert.equal(SIDECAR_STARTUP_PROBE.periodSeconds, 1);
  assert.ok(SIDECAR_STARTUP_PROBE.periodSeconds * SIDECAR_STARTUP_PROBE.failureThreshold >= 120);
  assert.equal(pod.containers[0].startupProbe, undefined, "dnsmasq itself needs no startup gate");
});

test("sidecar container: digest-pinned image, HTTP probes, non-root, read-only, no capabilities", () => {
  const d = one(synth(), "Deployment", "cdns-1");
  const c = container(d, "sidecar");
  assert.equal(c.image, SIDECAR_IMAGE);
  assert.match(c.image, /@sha256:[0-9a-f]{64}$/);
  assert.equal(c.imagePullPolicy, "IfNotPresent");
  assert.deepEqual(c.ports, [{ name: "http", containerPort: DEFAULT_SIDECAR_HTTP_PORT, protocol: "TCP" }]);
  assert.equal(c.ports[0].hostPort, undefined);
  assert.deepEqual(c.livenessProbe.httpGet, { path: "/healthz", port: "http" });
  assert.deepEqual(c.readinessProbe.httpGet, { path: "/readyz", port: "http" });
  assert.deepEqual(c.resources, DEFAULT_SIDECAR_RESOURCES);
  assert.deepEqual(c.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
  });
  assert.deepEqual(c.args, [
    "--zones=apps.example.com,svc.example.org",
    `--hosts-dir=${DEFAULT_HOSTS_DIR}`,
    "--hosts-file=ingress.hosts",
    `--http-port=${DEFAULT_SIDECAR_HTTP_PORT}`,
    "--fallback-node-selector=node-role.kubernetes.io/worker=true",
    `--responder-address=127.0.0.1:${DEFAULT_RESPONDER_PORT}`,
    "--ttl-seconds=5",
  ]);
});

test("sidecar flags follow the filters and sources", () => {
  const d = one(
    synth({ ...baseProps, ingressClass: "nginx", namespaces: ["a", "b"], sources: { services: true, gatewayHttpRoutes: true } }),
    "Deployment",
    "cdns-0",
  );
  const args: string[] = container(d, "sidecar").args;
  for (const want of ["--ingress-class=nginx", "--namespaces=a,b", "--enable-services", "--enable-httproutes"]) {
    assert.ok(args.includes(want), `missing ${want} in ${args.join(" ")}`);
  }
});

test("pod: shared hosts emptyDir in both containers, token only in the sidecar, seccomp, priority class", () => {
  const objs = synth();
  const d = one(objs, "Deployment", "cdns-0");
  const pod = d.spec.template.spec;
  const hosts = pod.volumes.find((v: Obj) => v.name === "hosts");
  assert.ok(hosts.emptyDir !== undefined, "hosts dir is an emptyDir (a ConfigMap volume is invisible to inotify)");
  assert.equal((hosts.emptyDir as { medium?: string }).medium, "Memory", "hosts dir in memory: derived data, no fsync stalls");
  for (const name of ["dnsmasq", "sidecar"]) {
    const mount = container(d, name).volumeMounts.find((m: Obj) => m.name === "hosts");
    assert.equal(mount?.mountPath, DEFAULT_HOSTS_DIR, `${name} mounts the hosts dir`);
  }
  assert.equal(container(d, "sidecar").volumeMounts.find((m: Obj) => m.name === "hosts").readOnly, undefined);
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(pod.serviceAccountName, "cdns");
  const token = container(d, "sidecar").volumeMounts.find((m: Obj) => m.mountPath === SERVICE_ACCOUNT_DIR);
  const tokenVolume = pod.volumes.find((v: Obj) => v.name === token.name);
  assert.ok(tokenVolume.projected.sources.some((s: Obj) => s.serviceAccountToken?.path === "token"));
  assert.deepEqual(pod.securityContext, { seccompProfile: { type: "RuntimeDefault" } });
  assert.equal(pod.priorityClassName, DEFAULT_PRIORITY_CLASS_NAME);
  const pc = one(objs, "PriorityClass", DEFAULT_PRIORITY_CLASS_NAME);
  assert.ok(pc.value >= 1_000_000 && pc.value <= 1_000_000_000, `priority ${pc.value}`);
  assert.equal(pc.globalDefault, false);
  assert.equal(pc.preemptionPolicy, "PreemptLowerPriority");
  const sa = one(objs, "ServiceAccount", "cdns");
  assert.equal(sa.automountServiceAccountToken, false);
});

test("config hash annotation: stable for the same config, changes with dnsmasq.conf or sidecar flags", () => {
  const hash = (props = baseProps): string =>
    one(synth(props), "Deployment", "cdns-0").spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
  const h0 = hash();
  assert.match(h0, /^[0-9a-f]{64}$/);
  assert.equal(hash(), h0, "same props, same hash");
  assert.equal(hash({ ...baseProps, sidecarImage: SIDECAR_IMAGE.replace("ab", "cd") }), h0, "image is not config");
  const changed = [
    hash({ ...baseProps, ttlSeconds: 30 }),
    hash({ ...baseProps, zones: ["apps.example.com"] }),
    hash({ ...baseProps, apexAddresses: ["192.0.2.80"] }),
    hash({ ...baseProps, authoritative: { hostmaster: "hostmaster.apps.example.com" } }),
    hash({ ...baseProps, ingressClass: "nginx" }),
    hash({ ...baseProps, namespaces: ["team-a"] }),
  ];
  for (const h of changed) assert.notEqual(h, h0);
  assert.equal(new Set(changed).size, changed.length, "each change gives its own hash");
  const objs = synth();
  const all = byKind(objs, "Deployment").map((d) => d.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]);
  assert.deepEqual(all, [h0, h0]);
});

test("RBAC: get/list/watch only, on ingresses and nodes by default", () => {
  const objs = synth();
  const role = one(objs, "ClusterRole");
  assert.deepEqual(role.rules, [
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
  ]);
  const binding = one(objs, "ClusterRoleBinding");
  assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name });
  assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "cdns", namespace: DEFAULT_NAMESPACE }]);
  assert.equal(byKind(objs, "Role").length + byKind(objs, "RoleBinding").length, 0);
});

test("RBAC: services and HTTPRoutes/Gateways only when those sources are on", () => {
  const rules = (sources: { services?: boolean; gatewayHttpRoutes?: boolean }): Obj[] =>
    one(synth({ ...baseProps, sources }), "ClusterRole").rules;
  const flat = (rs: Obj[]): string[] =>
    rs.flatMap((r) => r.resources.map((res: string) => `${r.apiGroups.join(",")}/${res}:${r.verbs.join(",")}`)).sort();
  assert.deepEqual(flat(rules({ services: true })), [
    "/nodes:get,list,watch",
    "/services:get,list,watch",
    "networking.k8s.io/ingresses:get,list,watch",
  ]);
  assert.deepEqual(flat(rules({ gatewayHttpRoutes: true })), [
    "/nodes:get,list,watch",
    "gateway.networking.k8s.io/gateways:get,list,watch",
    "gateway.networking.k8s.io/httproutes:get,list,watch",
    "networking.k8s.io/ingresses:get,list,watch",
  ]);
});

test("ConfigMap: dnsmasq.conf from renderDnsmasqConf, zones forwarded to the sidecar's responder, no upstreams, writable pid file", () => {
  const objs = synth();
  const cm = one(objs, "ConfigMap");
  assert.equal(cm.metadata.namespace, DEFAULT_NAMESPACE);
  const conf: string = cm.data["dnsmasq.conf"];
  // Named after its content and immutable: a config change is a new ConfigMap each Deployment switches to as it rolls.
  assert.equal(cm.metadata.name, dnsmasqConfigMapName(conf));
  assert.match(cm.metadata.name, /^cdns-dnsmasq-[0-9a-f]{10}$/);
  assert.equal(cm.immutable, true);
  for (const d of objs.filter((o: { kind: string }) => o.kind === "Deployment")) {
    assert.equal(d.spec.template.spec.volumes.find((v: { name: string }) => v.name === "config").configMap.name, cm.metadata.name);
  }
  assert.notEqual(one(synth({ ...baseProps, ttlSeconds: 9 }), "ConfigMap").metadata.name, cm.metadata.name, "another config, another name");
  assert.equal(
    conf,
    renderDnsmasqConf({ zones: baseProps.zones, ttlSeconds: 5, hostsDir: DEFAULT_HOSTS_DIR, pidFile: `${DNSMASQ_RUN_DIR}/dnsmasq.pid`, responderPort: DEFAULT_RESPONDER_PORT }),
  );
  const lines = conf.split("\n");
  for (const want of ["no-resolv", `server=/apps.example.com/127.0.0.1#${DEFAULT_RESPONDER_PORT}`, `server=/svc.example.org/127.0.0.1#${DEFAULT_RESPONDER_PORT}`, `hostsdir=${DEFAULT_HOSTS_DIR}`,
    "local-ttl=5", "port=53", "user=root", "group=", "host-record=cdns-health.apps.example.com,127.0.0.1"]) {
    assert.ok(lines.includes(want), `missing ${want}`);
  }
  // The only servers are the responder's, on the pod's loopback: nothing is forwarded out of the pod.
  assert.deepEqual(lines.filter((l) => l.startsWith("server=")).map((l) => l.replace(/^server=\/[^/]+\//, "")), [`127.0.0.1#${DEFAULT_RESPONDER_PORT}`, `127.0.0.1#${DEFAULT_RESPONDER_PORT}`]);
  assert.ok(!lines.some((l) => l.startsWith("local=") || l.startsWith("auth-")));
});

test("responder: its port is a prop, the sidecar's flag matches dnsmasq.conf; authoritative mode has none (dnsmasq answers its auth-zones itself)", () => {
  const custom = synth({ ...baseProps, responderPort: 10999, ttlSeconds: 9 });
  const conf: string[] = one(custom, "ConfigMap").data["dnsmasq.conf"].split("\n");
  assert.ok(conf.includes("server=/apps.example.com/127.0.0.1#10999"));
  assert.ok(!conf.includes("no-negcache"), "the responder's NODATA may be cached (it decides which negatives carry an SOA)");
  const args: string[] = container(one(custom, "Deployment", "cdns-1"), "sidecar").args;
  assert.ok(args.includes("--responder-address=127.0.0.1:10999"));
  assert.ok(args.includes("--ttl-seconds=9"));
  const auth = synth({ ...baseProps, responderPort: 10999, authoritative: { hostmaster: "hostmaster.apps.example.com" } });
  const authConf: string[] = one(auth, "ConfigMap").data["dnsmasq.conf"].split("\n");
  assert.ok(authConf.includes("local=/apps.example.com/") && authConf.includes("no-negcache"));
  assert.ok(!authConf.some((l) => l.startsWith("server=")));
  assert.ok(container(one(auth, "Deployment", "cdns-1"), "sidecar").args.includes("--responder-address=none"));
});

test("ConfigMap: authoritative mode names every cDNS node; apex records; TTL", () => {
  const cm = one(
    synth({ ...baseProps, ttlSeconds: 11, apexAddresses: ["192.0.2.80"], authoritative: { hostmaster: "hostmaster.apps.example.com" } }),
    "ConfigMap",
  );
  const lines: string[] = cm.data["dnsmasq.conf"].split("\n");
  for (const want of ["auth-server=ns1.apps.example.com", "auth-zone=apps.example.com", "auth-zone=svc.example.org",
    "host-record=ns1.apps.example.com,192.0.2.10", "host-record=ns2.apps.example.com,192.0.2.11",
    "host-record=apps.example.com,192.0.2.80", "local-ttl=11", "auth-ttl=11"]) {
    assert.ok(lines.includes(want), `missing ${want}`);
  }
});

test("dnsmasq --test accepts the ConfigMap's dnsmasq.conf in both modes", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cdns-chart-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const variants = [synth(), synth({ ...baseProps, authoritative: { hostmaster: "hostmaster.apps.example.com" } })];
  variants.forEach((objs, i) => {
    const path = join(dir, `c${i}.conf`);
    writeFileSync(path, one(objs, "ConfigMap").data["dnsmasq.conf"]);
    const out = execFileSync(DNSMASQ_BIN, ["--test", `--conf-file=${path}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.ok(out.trim() === "" || /syntax check OK/.test(out), out);
  });
});

test("namespace and images come from props; namespaced objects all land in the namespace", () => {
  const objs = synth({ ...baseProps, namespace: "dns", dnsmasqImage: "registry.example.com/dnsmasq:2.90" });
  assert.equal(one(objs, "Namespace").metadata.name, "dns");
  for (const o of objs.filter((x) => ["ServiceAccount", "ConfigMap", "Deployment"].includes(x.kind))) {
    assert.equal(o.metadata.namespace, "dns", `${o.kind} ${o.metadata.name}`);
  }
  for (const o of objs.filter((x) => ["Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"].includes(x.kind))) {
    assert.equal(o.metadata.namespace, undefined, `${o.kind} is cluster-scoped`);
  }
  assert.equal(one(objs, "ClusterRoleBinding").subjects[0].namespace, "dns");
  assert.equal(container(one(objs, "Deployment", "cdns-0"), "dnsmasq").image, "registry.example.com/dnsmasq:2.90");
});

test("namespace: Pod Security enforce=privileged with a pinned version, and nothing looser", () => {
  const ns = one(synth(), "Namespace");
  assert.deepEqual(POD_SECURITY_LABELS, {
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/enforce-version": "v1.29",
  });
  for (const [k, v] of Object.entries(POD_SECURITY_LABELS)) assert.equal(ns.metadata.labels[k], v);
  assert.match(ns.metadata.labels["pod-security.kubernetes.io/enforce-version"], /^v1\.\d+$/, "pinned, not latest");
  // (test/runtime/podSecurity.test.ts shows a real API server rejects the pod under baseline and admits it here.)
});

test("bad props are rejected", () => {
  assert.throws(() => synth({ ...baseProps, zones: [] }), /at least one zone/);
  assert.throws(() => synth({ ...baseProps, nodes: [] }), /at least one cDNS node/);
  assert.throws(() => synth({ ...baseProps, dnsmasqImage: "" }), /dnsmasqImage is required/);
});

test("synthCdnsManifests and toYaml give the same objects as Testing.synth", () => {
  const objs = synthCdnsManifests(baseProps);
  assert.deepEqual(objs, synth());
  const docs = parseAllDocuments(toYaml(objs));
  assert.deepEqual(docs.map((d) => d.toJS()), objs);
  assert.deepEqual(objs.map((o) => o["kind"]), [
    "Namespace", "PriorityClass", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Deployment",
  ]);
});
