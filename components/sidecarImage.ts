/**
 * SidecarImage: the container image of the cDNS sidecar.
 *
 * With a prebuilt `image` (CI built and pushed it) nothing is built and the
 * reference is passed through. Otherwise a docker-build `Image` builds
 * `sidecar/Dockerfile` with the repository root as context and pushes it to
 * the configured registry; `ref` is then the pushed `tag@digest`, so the pod
 * runs exactly the bytes that were built, whatever later happens to the tag.
 *
 * `buildOnPreview: false`: docker-build builds during preview by default
 * (FACTS.md), which would make every `pulumi preview` a build, and a push-less
 * preview cannot produce a digest anyway.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as dockerBuild from "@pulumi/docker-build";
import type { RegistryConfig } from "../lib/config/types";
import { DEFAULT_SIDECAR_PLATFORM } from "../lib/config/defaults";

/** The repository root: components/ sits directly under it. */
export const REPO_ROOT = path.resolve(__dirname, "..");
/** The sidecar's Dockerfile, relative to the build context. */
export const SIDECAR_DOCKERFILE = "sidecar/Dockerfile";

export interface SidecarImageArgs {
  /** A prebuilt image reference (`config.sidecar.image`); when set nothing is built. @default undefined (build) */
  readonly image?: string;
  /** Where to push the built image (`config.sidecar.registry`); required when `image` is not set. */
  readonly registry?: RegistryConfig;
  /** Registry password (`secrets.registryPassword`); required when building. Kept secret. */
  readonly registryPassword?: pulumi.Input<string>;
  /** Tag of the built image, e.g. the package version "0.1.0". Required when building. */
  readonly version?: string;
  /** Build context. @default REPO_ROOT */
  readonly context?: string;
  /** Target platform. @default DEFAULT_SIDECAR_PLATFORM ("linux/amd64") */
  readonly platform?: dockerBuild.Platform;
}

/** The settings a build needs; validateStackConfig()/loadStackConfig() reject their absence first, this guards direct use. */
function buildSettings(args: SidecarImageArgs): { registry: RegistryConfig; registryPassword: pulumi.Input<string>; version: string } {
  const { registry, registryPassword, version } = args;
  if (registry === undefined) throw new Error("SidecarImage: `registry` is required when no prebuilt `image` is given");
  if (registryPassword === undefined) throw new Error("SidecarImage: `registryPassword` is required when no prebuilt `image` is given");
  if (version === undefined || version === "") throw new Error("SidecarImage: `version` (the image tag) is required when building");
  return { registry, registryPassword, version };
}

export class SidecarImage extends pulumi.ComponentResource {
  /** Image reference for the pod: the prebuilt image, or the pushed `tag@sha256:...`. */
  readonly ref: pulumi.Output<string>;
  /** True when this stack builds the image (no prebuilt `image`). */
  readonly built: boolean;

  constructor(name: string, args: SidecarImageArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before registering anything, so a bad call leaves no half-made component.
    const plan = args.image !== undefined
      ? { kind: "prebuilt" as const, image: args.image }
      : { kind: "build" as const, ...buildSettings(args) };
    super("rancher-cdns:build:SidecarImage", name, {}, opts);

    if (plan.kind === "prebuilt") {
      this.built = false;
      this.ref = pulumi.output(plan.image);
    } else {
      const { registry, registryPassword, version } = plan;
      const context = args.context ?? REPO_ROOT;
      const platform = args.platform ?? DEFAULT_SIDECAR_PLATFORM;

      const image = new dockerBuild.Image(`${name}-image`, {
        context: { location: context },
        dockerfile: { location: path.join(context, SIDECAR_DOCKERFILE) },
        platforms: [platform],
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
