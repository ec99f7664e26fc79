/**
 * DnsmasqImage: the container image of the cDNS pod's dnsmasq (dnsmasq >= 2.88 and the
 * cdns-probe script), built from `images/dnsmasq/Dockerfile` in that directory, or a prebuilt
 * image passed through. No public image of it exists, so a stack either builds it here or names
 * one its CI pushed. See PinnedImage for how it is built and pinned.
 */
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { PinnedImage, REPO_ROOT, type PinnedImageArgs } from "./pinnedImage";

/** The dnsmasq image's build context. */
export const DNSMASQ_CONTEXT = path.join(REPO_ROOT, "images", "dnsmasq");
export const DNSMASQ_DOCKERFILE = "Dockerfile";

/**
 * `registry` must name a repository of its own (not the sidecar's).
 * @see PinnedImageArgs for every field; `context` defaults to DNSMASQ_CONTEXT.
 */
export type DnsmasqImageArgs = PinnedImageArgs;

export class DnsmasqImage extends PinnedImage {
  constructor(name: string, args: DnsmasqImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rancher-cdns:build:DnsmasqImage", { context: DNSMASQ_CONTEXT, dockerfile: DNSMASQ_DOCKERFILE }, name, args, opts);
  }
}
