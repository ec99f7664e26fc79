/**
 * PinnedImage: what SidecarImage and DnsmasqImage share, an image the pod runs by digest.
 *
 * With a prebuilt `image` (CI built and pushed it) nothing is built and the reference is passed
 * through. Otherwise a docker-build `Image` builds the Dockerfile in its context and pushes it to
 * the configured registry; `ref` is then the pushed `tag@digest`, so the pod runs exactly the bytes
 * that were built, whatever later happens to the tag.
 *
 * Each context has a `.dockerignore` that keeps only what its Dockerfile copies: docker-build
 * hashes the context after it to decide whether to rebuild, so a change to docs or tests keeps
 * the image, its digest and the pods.
 *
 * `buildOnPreview: false`: docker-build's `Image` builds during preview by default (the input
 * defaults to true), which would make every `pulumi preview` a build, and a push-less preview
 * cannot produce a digest anyway.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as dockerBuild from "@pulumi/docker-build";
import type { RegistryConfig } from "../lib/config/types";
import { DEFAULT_SIDECAR_PLATFORM } from "../lib/config/defaults";

/** The repository root: components/ sits directly under it. */
export const REPO_ROOT = path.resolve(__dirname, "..");

export interface PinnedImageArgs {
  /** A prebuilt image reference; when set nothing is built. @default undefined (build) */
  readonly image?: string;
  /** Where to push the built image; required when `image` is not set. */
  readonly registry?: RegistryConfig;
  /** Registry password (`secrets.registryPassword`); required when building. Kept secret. */
  readonly registryPassword?: pulumi.Input<string>;
  /** Tag of the built image, e.g. the package version "0.1.0". Required when building. */
  readonly version?: string;
  /** Build context. @default the image's own (see each component) */
  readonly context?: string;
  /** Target platform. @default DEFAULT_SIDECAR_PLATFORM ("linux/amd64", the vSphere VMs) */
  readonly platform?: dockerBuild.Platform;
}

/** Where an image is built from. */
export interface ImageSource {
  /** Default build context. */
  readonly context: string;
  /** The Dockerfile, relative to the context. */
  readonly dockerfile: string;
}

/** The settings a build needs; validateStackConfig()/loadStackConfig() reject their absence first, this guards direct use. */
function buildSettings(kind: string, args: PinnedImageArgs): { registry: RegistryConfig; registryPassword: pulumi.Input<string>; version: string } {
  const { registry, registryPassword, version } = args;
  if (registry === undefined) throw new Error(`${kind}: \`registry\` is required when no prebuilt \`image\` is given`);
  if (registryPassword === undefined) throw new Error(`${kind}: \`registryPassword\` is required when no prebuilt \`image\` is given`);
  if (version === undefined || version === "") throw new Error(`${kind}: \`version\` (the image tag) is required when building`);
  return { registry, registryPassword, version };
}

export abstract class PinnedImage extends pulumi.ComponentResource {
  /** Image reference for the pod: the prebuilt image, or the pushed `tag@sha256:...`. */
  readonly ref: pulumi.Output<string>;
  /** True when this stack builds the image (no prebuilt `image`). */
  readonly built: boolean;

  protected constructor(type: string, source: ImageSource, name: string, args: PinnedImageArgs, opts?: pulumi.ComponentResourceOptions) {
    const kind = type.split(":").pop() ?? type;
    // Checked before registering anything, so a bad call leaves no half-made component.
    const plan = args.image !== undefined
      ? { kind: "prebuilt" as const, image: args.image }
      : { kind: "build" as const, ...buildSettings(kind, args) };
    super(type, name, {}, opts);

    if (plan.kind === "prebuilt") {
      this.built = false;
      this.ref = pulumi.output(plan.image);
    } else {
      const { registry, registryPassword, version } = plan;
      const context = args.context ?? source.context;
      const image = new dockerBuild.Image(`${name}-image`, {
        context: { location: context },
        dockerfile: { location: path.join(context, source.dockerfile) },
        platforms: [args.platform ?? DEFAULT_SIDECAR_PLATFORM],
        tags: [`${registry.server}/${registry.repository}:${version}`],
        push: true,
        buildOnPreview: false,
        registries: [{
          address: registry.server,
          username: registry.username,
          password: pulumi.secret(registryPassword),
        }],
      }, { parent: this });
      this.built = true;
      this.ref = image.ref;
    }

    this.registerOutputs({ ref: this.ref, built: this.built });
  }
}
