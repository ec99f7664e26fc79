/** `npm run synth`: every artifact of the QA stack, each loaded into the real tool where one exists. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { validateStackConfig } from "../../lib/config/validate";
import { readStackFile, synthArtifacts } from "../../scripts/synth";
import { parseArgs, validateSidecarSettings } from "../../sidecar/src/settings";

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: unknown[];
  spec?: { template?: { spec?: { initContainers?: { name: string; args?: string[] }[] } } };
}

const REPO = join(__dirname, "..", "..");

function qaArtifacts(): Record<string, string> {
  const result = validateStackConfig(readStackFile(join(REPO, "Pulumi.qa.yaml")));
  assert.ok(result.ok, "the QA stack validates");
  return synthArtifacts(result.config);
}

test("QA synth: manifests, dnsmasq.conf, cloud-init per node, haproxy, every iDNS snippet, outputs", () => {
  const files = qaArtifacts();
  for (const want of ["manifests/cdns.yaml", "dnsmasq/dnsmasq.conf", "cloud-init/cdns-0.yaml", "cloud-init/cdns-1.yaml",
    "haproxy/haproxy.cfg", "haproxy/user-data.yaml", "haproxy/meta-data.yaml", "forwarding/bind-named.conf",
    "forwarding/unbound.conf", "forwarding/dnsmasq.conf", "forwarding/Corefile", "forwarding/windows-dns.ps1", "outputs.json"]) {
    assert.ok(files[want] !== undefined && files[want].length > 0, `missing ${want}`);
  }
  const docs = parseAllDocuments(files["manifests/cdns.yaml"] as string).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  assert.deepEqual(docs.filter((d) => d.kind === "Deployment").map((d) => d.metadata.name), ["cdns-0", "cdns-1"]);
  assert.match(files["cloud-init/cdns-1.yaml"] as string, /^#cloud-config\n[\s\S]*192\.0\.2\.11\/24/);
  const outputs = JSON.parse(files["outputs.json"] as string) as { cdnsAddresses: string[]; haproxyAddress: string };
  assert.deepEqual(outputs.cdnsAddresses, ["192.0.2.10", "192.0.2.11"]);
  assert.equal(outputs.haproxyAddress, "192.0.2.20");
  const all = Object.values(files).join("\n");
  assert.ok(!/(^|\s)secure: |v1:UExB/.test(all), "no secret placeholder leaks into artifacts");
});

test("QA synth: the ingress-path keys reach the pod (the controller's Role, sidecar flags the sidecar reads back as the stack's settings)", () => {
  const result = validateStackConfig(readStackFile(join(REPO, "Pulumi.qa.yaml")));
  assert.ok(result.ok && result.config.sidecar.ingressController !== undefined && result.config.sidecar.nodeCheck !== undefined,
    "Pulumi.qa.yaml sets sidecar.ingressController and sidecar.nodeCheck");
  const docs = parseAllDocuments(synthArtifacts(result.config)["manifests/cdns.yaml"] as string).map((d) => d.toJS() as Manifest);
  const controllerNs = result.config.sidecar.ingressController.namespace;
  const role = docs.find((d) => d.kind === "Role");
  assert.equal(role?.metadata.namespace, controllerNs);
  assert.deepEqual(role?.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }], "the controller's pods, read-only, in its namespace only");
  assert.equal(docs.find((d) => d.kind === "RoleBinding")?.metadata.namespace, controllerNs);
  const clusterRules = JSON.stringify(docs.find((d) => d.kind === "ClusterRole")?.rules);
  assert.doesNotMatch(clusterRules, /pods/, "no cluster-wide pod access");
  for (const d of docs.filter((x) => x.kind === "Deployment")) {
    const args = d.spec?.template?.spec?.initContainers?.find((c) => c.name === "sidecar")?.args ?? [];
    const parsed = parseArgs(args, {});
    assert.deepEqual(parsed.problems, []);
    const settings = validateSidecarSettings(parsed.raw);
    assert.ok(settings.ok, JSON.stringify(settings));
    assert.deepEqual(settings.settings.ingressController, result.config.sidecar.ingressController, d.metadata.name);
    assert.deepEqual(settings.settings.nodeCheck, result.config.sidecar.nodeCheck, d.metadata.name);
  }
});

test("QA synth artifacts pass the real checkers (haproxy -c, dnsmasq --test)", () => {
  const files = qaArtifacts();
  const dir = mkdtempSync(join(tmpdir(), "cdns-synth-"));
  const hcfg = join(dir, "haproxy.cfg");
  // The VM's cfg names its own user/chroot and /dev/log; `haproxy -c` checks syntax and semantics, not the host.
  writeFileSync(hcfg, files["haproxy/haproxy.cfg"] as string);
  const h = spawnSync("/usr/sbin/haproxy", ["-c", "-f", hcfg], { encoding: "utf8" });
  assert.equal(h.status, 0, `haproxy -c failed: ${h.stdout}${h.stderr}`);
  const conf = (files["dnsmasq/dnsmasq.conf"] as string).replace(/^hostsdir=.*$/m, `hostsdir=${join(dir, "h")}`);
  mkdirSync(join(dir, "h"));
  writeFileSync(join(dir, "dnsmasq.conf"), conf);
  execFileSync("/usr/sbin/dnsmasq", ["--test", `--conf-file=${join(dir, "dnsmasq.conf")}`], { stdio: "pipe" });
});

test("npm run synth writes the files; an unknown stack exits 2 with a clear message", () => {
  const out = mkdtempSync(join(tmpdir(), "cdns-synth-out-"));
  const ok = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "scripts/synth.ts"), "--stack", "qa", "--out", out], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(readdirSync(join(out, "forwarding")).includes("unbound.conf"));
  assert.match(readFileSync(join(out, "manifests", "cdns.yaml"), "utf8"), /kind: Deployment/);
  const bad = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "scripts/synth.ts"), "--stack", "nope", "--out", out], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no stack file .*Pulumi\.nope\.yaml/);
});

test("local synth (an existing cluster): manifests for its nodes, the node commands, no cloud-init or HAProxy", () => {
  const result = validateStackConfig(readStackFile(join(REPO, "Pulumi.local.yaml")));
  assert.ok(result.ok, "the local stack validates");
  const files = synthArtifacts(result.config);
  assert.deepEqual(Object.keys(files).filter((f) => f.startsWith("cloud-init/") || f.startsWith("haproxy/")), []);
  assert.equal(files["nodes/commands.sh"], "kubectl taint node cdns-0 purpose=cdns:NoSchedule purpose=cdns:NoExecute --overwrite\n");
  const docs = parseAllDocuments(files["manifests/cdns.yaml"] as string).map((d) => d.toJS() as { kind: string; spec?: { template?: { spec?: { containers?: { image: string }[]; initContainers?: { image: string }[] } } } });
  const pod = docs.find((d) => d.kind === "Deployment")?.spec?.template?.spec;
  const images = [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].map((c) => c.image).sort();
  assert.deepEqual(images, ["localhost/rancher-cdns/dnsmasq:dev", "localhost/rancher-cdns/sidecar:dev"]);
  const outputs = JSON.parse(files["outputs.json"] as string) as Record<string, unknown>;
  assert.deepEqual(outputs.cdnsAddresses, ["192.0.2.10"]);
  assert.equal(outputs.kubeconfig, undefined);
});
