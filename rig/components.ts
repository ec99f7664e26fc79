/**
 * What the rig builds, pinned: each component is a Go wrapper module under rig/go/<dir> (a go.mod
 * that requires the upstream module at a fixed version, so the build goes through the Go module
 * proxy and nothing else), the packages to build from it and the binaries that come out.
 *
 * Versions: the newest the module proxy serves that build with this machine's Go (1.26):
 * - etcd 3.6.x: the API server's watch-progress requests need it (Debian's 3.4 lacks them, and
 *   kwok's watches then keep ending, so simulated pods and nodes lag 20-30 s);
 * - Kubernetes 1.37.2 (its go.mod says go 1.26.0);
 * - kwok v0.8.0;
 * - the Pulumi CLI and the kubernetes provider plugin (engine tests and `npm start`);
 * - CoreDNS (the iDNS Corefile snippet is proven on a real one).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const RIG_DIR = __dirname;
export const GO_DIR = join(RIG_DIR, "go");

export const ETCD_VERSION = "v3.6.16";
export const KUBERNETES_VERSION = "v1.37.2";
export const KWOK_VERSION = "v0.8.0";
export const PULUMI_VERSION = "v3.274.1";
export const COREDNS_VERSION = "v1.14.7";
/**
 * The kubernetes provider module: only this pseudo-version is served (tagged ones are refused);
 * its code is about v4.25.0. It is installed under the version the npm SDK asks for.
 */
export const KUBERNETES_PROVIDER_MODULE_VERSION = "v4.0.0-20260115033456-f47bc2d6f199";

/** The plugin version `@pulumi/kubernetes` asks the engine for (its package.json `pulumi.version`). */
export function kubernetesPluginVersion(): string {
  const pkg = JSON.parse(readFileSync(require.resolve("@pulumi/kubernetes/package.json"), "utf8")) as { pulumi?: { version?: string } };
  const v = pkg.pulumi?.version;
  if (v === undefined) throw new Error("@pulumi/kubernetes/package.json has no pulumi.version");
  return v;
}

export type ComponentName = "etcd" | "kubernetes" | "kwok" | "pulumi" | "pulumi-kubernetes" | "coredns";

export interface GoComponent {
  readonly name: ComponentName;
  /** Version the binaries report, also the cache key. */
  readonly version: string;
  /** Wrapper module directory under rig/go. */
  readonly dir: string;
  readonly packages: readonly string[];
  readonly binaries: readonly string[];
  readonly ldflags: readonly string[];
  /** How long a build took on 2 busy cores (shown before building so nobody thinks it hangs). */
  readonly expectedMinutes: number;
  /** `<binary> <args>` prints a line matching `pattern` when a binary found on PATH is the right version. */
  readonly versionCheck?: { readonly binary: string; readonly args: readonly string[]; readonly pattern: RegExp };
  /** Extra files to generate in the build copy of the wrapper before `go build` (given the module cache). */
  readonly generate?: "pulumi-kubernetes-embeds";
  /** Extra files copied from a module into the cache directory after the build. */
  readonly copyFromModule?: { readonly module: string; readonly files: readonly string[]; readonly to: string };
}

/** kwok's stage files (node and pod lifecycles) from its own module, concatenated by the rig into one config. */
export const KWOK_STAGE_FILES = [
  "kustomize/stage/node/fast/node-initialize.yaml",
  "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
  "kustomize/stage/node/chaos/node-not-ready.yaml",
  "kustomize/stage/pod/fast/pod-ready.yaml",
  "kustomize/stage/pod/fast/pod-complete.yaml",
  "kustomize/stage/pod/fast/pod-delete.yaml",
];

export function components(): GoComponent[] {
  const k8sMinor = KUBERNETES_VERSION.split(".")[1] as string;
  const pluginVersion = kubernetesPluginVersion();
  return [
    {
      name: "etcd",
      version: ETCD_VERSION,
      dir: "etcd",
      packages: ["go.etcd.io/etcd/server/v3"],
      binaries: ["etcd"],
      ldflags: [],
      expectedMinutes: 2,
      versionCheck: { binary: "etcd", args: ["--version"], pattern: new RegExp(`etcd Version: ${ETCD_VERSION.slice(1).replace(/\./g, "\\.")}\\b`) },
    },
    {
      name: "kubernetes",
      version: KUBERNETES_VERSION,
      dir: "kubernetes",
      packages: ["cmd/kube-apiserver", "cmd/kube-controller-manager", "cmd/kube-scheduler", "cmd/kubectl"].map((p) => `k8s.io/kubernetes/${p}`),
      binaries: ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"],
      // Without these, /version says v0.0.0-master and clients warn about skew.
      ldflags: [
        `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
        "-X k8s.io/component-base/version.gitMajor=1",
        `-X k8s.io/component-base/version.gitMinor=${k8sMinor}`,
        `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
      ],
      expectedMinutes: 12,
      versionCheck: { binary: "kube-apiserver", args: ["--version"], pattern: new RegExp(`Kubernetes ${KUBERNETES_VERSION.replace(/\./g, "\\.")}$`, "m") },
    },
    {
      name: "kwok",
      version: KWOK_VERSION,
      dir: "kwok",
      packages: ["sigs.k8s.io/kwok/cmd/kwok"],
      binaries: ["kwok"],
      ldflags: [`-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}`],
      expectedMinutes: 3,
      copyFromModule: { module: `sigs.k8s.io/kwok@${KWOK_VERSION}`, files: KWOK_STAGE_FILES, to: "stages.yaml" },
    },
    {
      name: "pulumi",
      version: PULUMI_VERSION,
      dir: "pulumi",
      packages: ["github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"],
      binaries: ["pulumi"],
      ldflags: [`-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_VERSION}`],
      expectedMinutes: 8,
      versionCheck: { binary: "pulumi", args: ["version"], pattern: new RegExp(`^${PULUMI_VERSION.replace(/\./g, "\\.")}$`, "m") },
    },
    {
      name: "pulumi-kubernetes",
      version: `v${pluginVersion}`,
      dir: "pulumi-kubernetes",
      packages: ["."],
      binaries: ["pulumi-resource-kubernetes"],
      ldflags: [`-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${pluginVersion}`],
      expectedMinutes: 13,
      generate: "pulumi-kubernetes-embeds",
    },
    {
      name: "coredns",
      version: COREDNS_VERSION,
      dir: "coredns",
      packages: ["github.com/coredns/coredns"],
      binaries: ["coredns"],
      ldflags: [],
      expectedMinutes: 3,
      versionCheck: { binary: "coredns", args: ["-version"], pattern: new RegExp(`CoreDNS-${COREDNS_VERSION.slice(1).replace(/\./g, "\\.")}\\b`) },
    },
  ];
}

export function component(name: ComponentName): GoComponent {
  const c = components().find((x) => x.name === name);
  if (c === undefined) throw new Error(`unknown rig component ${name}`);
  return c;
}
