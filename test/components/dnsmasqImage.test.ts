import { test } from "node:test";
import * as assert from "node:assert/strict";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DOCKER_BUILD_IMAGE, dockerBuildMocks, isSecretValue, promiseOf, redact, reveal } from "../helpers/pulumi";

const DIGEST = `sha256:${"fedcba9876543210".repeat(4)}`;
const PASSWORD = "registry-password-do-not-leak";
const IMAGE = DOCKER_BUILD_IMAGE;

const mocks = dockerBuildMocks(DIGEST);
pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);

const registry = { server: "registry.example.com", username: "svc-cdns", repository: "platform/cdns-dnsmasq" };

test("DnsmasqImage builds images/dnsmasq in its own context, pushes, never on preview, outputs the digest-pinned ref", async () => {
  const { DnsmasqImage, DNSMASQ_CONTEXT } = await import("../../components/dnsmasqImage.js");
  const img = new DnsmasqImage("dnsmasq", { registry, registryPassword: PASSWORD, version: "0.1.0" });
  const ref = await promiseOf(img.ref);
  assert.equal(img.built, true);
  assert.equal(ref, `registry.example.com/platform/cdns-dnsmasq:0.1.0@${DIGEST}`);

  const image = mocks.ofType(IMAGE).find((r) => r.name === "dnsmasq-image");
  assert.ok(image, "a docker-build Image was registered");
  const inputs = image.inputs;
  const root = join(__dirname, "..", "..");
  // Its own directory as context: the sidecar's sources are not part of it, and the
  // directory's .dockerignore keeps only the two scripts the Dockerfile copies.
  assert.equal(DNSMASQ_CONTEXT, join(root, "images", "dnsmasq"));
  assert.deepEqual(inputs.context, { location: DNSMASQ_CONTEXT });
  assert.deepEqual(inputs.dockerfile, { location: join(root, "images", "dnsmasq", "Dockerfile") });
  assert.equal(inputs.push, true);
  assert.equal(inputs.buildOnPreview, false);
  assert.deepEqual(inputs.tags, ["registry.example.com/platform/cdns-dnsmasq:0.1.0"]);
  assert.deepEqual(inputs.platforms, ["linux/amd64"]);
  assert.ok(isSecretValue(inputs.registries), "registry credentials travel as a secret");
  assert.deepEqual(reveal(inputs.registries), [{ address: "registry.example.com", username: "svc-cdns", password: PASSWORD }]);
  for (const r of mocks.resources) {
    assert.ok(!JSON.stringify(redact(r.inputs)).includes(PASSWORD), `${r.type} ${r.name} carries the password in plain`);
  }
  await promiseOf(img.urn);
  assert.ok(mocks.resources.some((r) => r.type === "rancher-cdns:build:DnsmasqImage" && r.name === "dnsmasq"));
});

test("DnsmasqImage: a prebuilt image is passed through and nothing is built", async () => {
  const { DnsmasqImage } = await import("../../components/dnsmasqImage.js");
  const prebuilt = `registry.example.com/platform/cdns-dnsmasq:0.1.0@${DIGEST}`;
  const img = new DnsmasqImage("prebuilt", { image: prebuilt });
  assert.equal(await promiseOf(img.ref), prebuilt);
  assert.equal(img.built, false);
  await promiseOf(img.urn);
  assert.deepEqual(mocks.ofType(IMAGE).map((r) => r.name), ["dnsmasq-image"], "only the first test's Image exists");
});

test("DnsmasqImage: building without registry, password or version is refused, naming the component", async () => {
  const { DnsmasqImage } = await import("../../components/dnsmasqImage.js");
  assert.throws(() => new DnsmasqImage("no-registry", { registryPassword: PASSWORD, version: "1" }), /^Error: DnsmasqImage: `registry`/);
  assert.throws(() => new DnsmasqImage("no-password", { registry, version: "1" }), /DnsmasqImage: `registryPassword`/);
  assert.throws(() => new DnsmasqImage("no-version", { registry, registryPassword: PASSWORD }), /DnsmasqImage: `version`/);
});

test("DnsmasqImage.ref reaches the pod: CdnsWorkload's dnsmasqImage Input wins over chart.dnsmasqImage", async () => {
  const { DnsmasqImage } = await import("../../components/dnsmasqImage.js");
  const { CdnsWorkload } = await import("../../components/cdnsWorkload.js");
  const img = new DnsmasqImage("wired", { registry, registryPassword: PASSWORD, version: "0.2.0" });
  const sidecarImage = `registry.example.com/platform/cdns-sidecar:0.2.0@${DIGEST}`;
  const chart = { zones: ["apps.example.com"], nodes: [{ index: 0, ip: "192.0.2.10" }] };
  const workload = new CdnsWorkload("wired", { chart: { ...chart, dnsmasqImage: "ignored:1" }, sidecarImage, dnsmasqImage: img.ref, skipAwait: true });
  // Synthesized objects are untyped JSON; `any` lets the test walk them.
  const objs = (await promiseOf(workload.manifests)) as any[];
  const pod = objs.find((o) => o.kind === "Deployment").spec.template.spec;
  assert.equal(pod.containers.find((c: { name: string }) => c.name === "dnsmasq").image, `registry.example.com/platform/cdns-dnsmasq:0.2.0@${DIGEST}`);
  assert.throws(() => new CdnsWorkload("no-dnsmasq", { chart, sidecarImage }), /dnsmasqImage .* is required/);
});
