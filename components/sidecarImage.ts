/**
 * SidecarImage: the container image of the cDNS sidecar, built from `sidecar/Dockerfile` with
 * the repository root as context (narrowed by the root `.dockerignore` to what the bundle is made
 * from), or a prebuilt image passed through. See PinnedImage for how it is built and pinned.
 */
import type * as pulumi from "@pulumi/pulumi";
import { PinnedImage, REPO_ROOT, type PinnedImageArgs } from "./pinnedImage";

export { REPO_ROOT } from "./pinnedImage";
/** The sidecar's Dockerfile, relative to the build context. */
export const SIDECAR_DOCKERFILE = "sidecar/Dockerfile";

/**
 * `image` is `config.sidecar.image`, `registry` is `config.sidecar.registry`.
 * @see PinnedImageArgs for every field; `context` defaults to REPO_ROOT.
 */
export type SidecarImageArgs = PinnedImageArgs;

export class SidecarImage extends PinnedImage {
  constructor(name: string, args: SidecarImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rancher-cdns:build:SidecarImage", { context: REPO_ROOT, dockerfile: SIDECAR_DOCKERFILE }, name, args, opts);
  }
}
