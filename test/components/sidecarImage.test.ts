import { test } from "node:test";
import * as assert from "node:assert/strict";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DOCKER_BUILD_IMAGE, dockerBuildMocks, isSecretValue, promiseOf, redact, reveal } from "../helpers/pulumi";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const PASSWORD = "registry-password-do-not-leak";
const IMAGE = DOCKER_BUILD_IMAGE;

const mocks = dockerBuildMocks(DIGEST);
pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);

const registry = { server: "registry.example.com", username: "svc-cdns", repository: "platform/cdns-sidecar" };

test("builds sidecar/Dockerfile from the repo root, pushes, never on preview, outputs the digest-pinned ref", async () => {
  const { SidecarImage, REPO_ROOT } = await import("../../components/sidecarImage.js");
  const img = new SidecarImage("build", { registry, registryPassword: PASSWORD, version: "0.1.0" });
  const ref = await promiseOf(img.ref);
  assert.equal(img.built, true);
  assert.equal(ref, `registry.example.com/platform/cdns-sidecar:0.1.0@${DIGEST}`);
  assert.match(ref, /@sha256:[0-9a-f]{64}$/);

  const image = mocks.ofType(IMAGE).find((r) => r.name === "build-image");
  assert.ok(image, "a docker-build Image was registered");
  const inputs = image.inputs;
  assert.equal(inputs.push, true);
  assert.equal(inputs.buildOnPreview, false);
  assert.deepEqual(inputs.tags, ["registry.example.com/platform/cdns-sidecar:0.1.0"]);
  assert.deepEqual(inputs.platforms, ["linux/amd64"]);
  assert.deepEqual(inputs.context, { location: REPO_ROOT });
  assert.deepEqual(inputs.dockerfile, { location: join(REPO_ROOT, "sidecar", "Dockerfile") });
  assert.equal(REPO_ROOT, join(__dirname, "..", ".."), "the context is the repository root");

  assert.ok(isSecretValue(inputs.registries), "registry credentials travel as a secret");
  assert.deepEqual(reveal(inputs.registries), [{ address: "registry.example.com", username: "svc-cdns", password: PASSWORD }]);
  for (const r of mocks.resources) {
    assert.ok(!JSON.stringify(redact(r.inputs)).includes(PASSWORD), `${r.type} ${r.name} carries the password in plain`);
  }
  assert.ok(mocks.resources.some((r) => r.type === "rancher-cdns:build:SidecarImage" && r.name === "build"));
});

test("a prebuilt image: nothing is built, the ref is passed through", async () => {
  const { SidecarImage } = await import("../../components/sidecarImage.js");
  const prebuilt = `registry.example.com/platform/cdns-sidecar:0.1.0@${DIGEST}`;
  const img = new SidecarImage("prebuilt", { image: prebuilt, registry, registryPassword: PASSWORD });
  assert.equal(await promiseOf(img.ref), prebuilt);
  assert.equal(img.built, false);
  // Registration of the component itself is async: wait for its URN before looking.
  await promiseOf(img.urn);
  assert.ok(mocks.resources.some((r) => r.type === "rancher-cdns:build:SidecarImage" && r.name === "prebuilt"));
  assert.deepEqual(mocks.ofType(IMAGE).map((r) => r.name), ["build-image"], "only the first test's Image exists");
});

test("building without registry, password or version is refused", async () => {
  const { SidecarImage } = await import("../../components/sidecarImage.js");
  assert.throws(() => new SidecarImage("no-registry", { registryPassword: PASSWORD, version: "1" }), /registry/);
  assert.throws(() => new SidecarImage("no-password", { registry, version: "1" }), /registryPassword/);
  assert.throws(() => new SidecarImage("no-version", { registry, registryPassword: PASSWORD }), /version/);
});
