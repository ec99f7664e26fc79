/**
 * The RKE2 versions the targeted Rancher release provisions, so a stack never asks
 * Rancher for a version it refuses (or provisions without support).
 *
 * Source: Rancher's Kontainer Driver Metadata (KDM), rancher/kontainer-driver-metadata,
 * branch release-v2.12, `channels-rke2.yaml` (read at commit 00313e4f): a release is
 * offered to a Rancher version between its `minChannelServerVersion` and
 * `maxChannelServerVersion`. Every entry with `maxChannelServerVersion: v2.12.99` is
 * v1.31.5+rke2r1 or later in 1.31 (v1.31.0 to v1.31.4 stop at v2.9.99/v2.10.99), all of
 * 1.32 and 1.33 (up to v1.33.13+rke2r1 at that commit); 1.34 starts with Rancher 2.13.
 * The same range is what the Rancher v2.12.0 release notes announce ("Kubernetes v1.33
 * support"; "Kubernetes v1.30 is no longer supported") and what rancher/rancher#51253 and
 * #51939 state (2.13 supports 1.32-1.34; 1.31.x, 1.32.x and 1.33.x patches carry
 * max v2.12.99).
 *
 * Later patch releases of those minors are added to KDM over time, so a version above the
 * last one listed at that commit is accepted within the supported minors.
 */

export interface Rke2Range {
  /** The Rancher release the range is for. */
  readonly rancher: string;
  /** Kubernetes minors, e.g. "1.31". */
  readonly minors: readonly string[];
  /** The lowest RKE2 release of the lowest minor that this Rancher offers. */
  readonly minimum: string;
  /** Where the range comes from. */
  readonly source: string;
}

export const RANCHER_RKE2_RANGE: Rke2Range = {
  rancher: "2.12",
  minors: ["1.31", "1.32", "1.33"],
  minimum: "v1.31.5+rke2r1",
  source: "rancher/kontainer-driver-metadata release-v2.12 channels-rke2.yaml (maxChannelServerVersion v2.12.99)",
};

/** RKE2 release names: v<k8s version>+rke2r<build>. */
const RKE2_VERSION = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\+rke2r([1-9]\d*)$/;

interface Rke2Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly build: number;
}

export function parseRke2Version(v: string): Rke2Version | undefined {
  const m = RKE2_VERSION.exec(v);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), build: Number(m[4]) };
}

function compare(a: Rke2Version, b: Rke2Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || a.build - b.build;
}

/** Why `v` is not an RKE2 release the range's Rancher provisions, or undefined. */
export function rke2VersionProblem(v: string, range: Rke2Range = RANCHER_RKE2_RANGE): string | undefined {
  const parsed = parseRke2Version(v);
  if (parsed === undefined) return `must be an RKE2 release such as "${range.minimum}"; got ${JSON.stringify(v)}`;
  const minimum = parseRke2Version(range.minimum);
  const inMinors = range.minors.includes(`${parsed.major}.${parsed.minor}`);
  if (!inMinors || (minimum !== undefined && compare(parsed, minimum) < 0)) {
    const last = range.minors[range.minors.length - 1] ?? "";
    return `${v} is not offered by Rancher ${range.rancher}, which provisions RKE2 ${range.minimum} to the latest v${last}.x (${range.source})`;
  }
  return undefined;
}
