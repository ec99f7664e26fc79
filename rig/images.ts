/**
 * The project's two images, built here from the repository's own Dockerfiles with Debian's
 * podman, for the runtime tests and the benchmark (one module, so both run the same bytes).
 *
 * No registry is reachable: the base images are local stand-ins (rig/images/bases.ts) tagged
 * with the names the FROM lines use, and every build runs with `--pull=never`. Builds use the
 * host network (`--network=host`); npm inside the sidecar build gets this machine's CA bundle
 * (the egress proxy re-signs TLS) through a build-time mount that never lands in the image.
 * Each image is tagged with a hash of its inputs and only rebuilt when they change
 * (rig/images/build.ts).
 *
 * CLI: `npx tsx rig/images.ts [build] [--cold]` builds (or finds) both and prints timings;
 * `install` only installs and configures podman; `clean` removes all podman state and base
 * tarballs; `--cold` cleans first, to measure a build from nothing.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cacheRoot, type Log } from "./binaries";
import { ensureImage, type BuiltImage, type ImageSpec } from "./images/build";
import { standInResolver } from "./images/bases";
import { ensurePodman, installPodmanPackages, podmanDir, withLock, type Podman } from "./images/podman";

export { type BuiltImage } from "./images/build";
export { type Podman } from "./images/podman";

export const REPO_ROOT = resolve(__dirname, "..");
/** Host CA bundle mounted into RUN steps (npm through the re-signing egress proxy). */
export const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export type ImageName = "sidecar" | "dnsmasq";

/** What each image is built from: the same Dockerfiles and contexts as the stack's docker-build Images. */
export function imageSpecs(root = REPO_ROOT): Record<ImageName, ImageSpec> {
  const npmrc = join(podmanDir(), "build", "npmrc");
  return {
    sidecar: {
      label: "sidecar",
      name: "localhost/rancher-cdns/sidecar",
      context: root,
      dockerfile: join(root, "sidecar", "Dockerfile"),
      volumes: [
        `${HOST_CA_BUNDLE}:${HOST_CA_BUNDLE}:ro`,
        // node:20's npm reads its global config from <prefix>/etc/npmrc.
        `${npmrc}:/usr/local/etc/npmrc:ro`,
        // npm's download cache survives between builds (not an input: npm ci checks integrity).
        `${join(podmanDir(), "build", "npm-cache")}:/root/.npm`,
      ],
    },
    dnsmasq: {
      label: "dnsmasq",
      name: "localhost/rancher-cdns/dnsmasq",
      context: join(root, "images", "dnsmasq"),
    },
  };
}

export interface Images {
  readonly podman: Podman;
  readonly sidecar: BuiltImage;
  readonly dnsmasq: BuiltImage;
  /** Wall time of the whole call, seconds. */
  readonly seconds: number;
}

export interface EnsureImagesOptions {
  /** Progress lines. @default stderr with an "images:" prefix */
  readonly log?: Log;
  /** Repository to build from. @default REPO_ROOT */
  readonly root?: string;
}

const defaultLog: Log = (line) => process.stderr.write(`images: ${line}\n`);

/** Installs/configures podman, makes the base stand-ins, and builds (or finds) both images. */
export async function ensureImages(opts: EnsureImagesOptions = {}): Promise<Images> {
  const log = opts.log ?? defaultLog;
  const t0 = performance.now();
  const podman = await ensurePodman(log);
  return withLock("images", log, async () => {
    const buildDir = join(podmanDir(), "build");
    mkdirSync(join(buildDir, "npm-cache"), { recursive: true });
    writeFileSync(join(buildDir, "npmrc"), `cafile=${HOST_CA_BUNDLE}\nfund=false\naudit=false\nupdate-notifier=false\n`);
    if (!existsSync(HOST_CA_BUNDLE)) throw new Error(`${HOST_CA_BUNDLE} is missing: npm inside the build needs it`);
    const specs = imageSpecs(opts.root);
    const resolveBase = standInResolver(podman, log);
    // One after the other: the machine has two cores, and the sidecar build alone uses both.
    const dnsmasq = await ensureImage(podman, specs.dnsmasq, resolveBase, log);
    const sidecar = await ensureImage(podman, specs.sidecar, resolveBase, log);
    const seconds = (performance.now() - t0) / 1000;
    log(`ready in ${seconds.toFixed(1)} s: ${dnsmasq.ref} ${dnsmasq.cached ? "(cached)" : `(built ${dnsmasq.seconds.toFixed(1)} s)`}, ${sidecar.ref} ${sidecar.cached ? "(cached)" : `(built ${sidecar.seconds.toFixed(1)} s)`}`);
    return { podman, sidecar, dnsmasq, seconds };
  });
}

/** Removes every image, container and base tarball the rig made (for a cold measurement). */
export async function cleanImages(log: Log = defaultLog): Promise<void> {
  if (existsSync(join(podmanDir(), "containers.conf"))) {
    const podman = await ensurePodman(log);
    await withLock("images", log, async () => {
      // Never pull the state from under a running test or benchmark.
      const running = (await podman.ok(["ps", "--all", "--format", "{{.Names}}"])).trim();
      if (running !== "") throw new Error(`containers exist, not cleaning (stop them first): ${running.split("\n").join(", ")}`);
      const r = await podman.run(["system", "reset", "--force"]);
      if (r.code !== 0) log(`podman system reset: ${r.stderr.trim()}`);
    });
  }
  rmSync(podmanDir(), { recursive: true, force: true });
  log(`removed ${podmanDir()}`);
}

async function cli(argv: readonly string[]): Promise<void> {
  const cmd = argv.find((a) => !a.startsWith("--")) ?? "build";
  if (cmd === "install") {
    installPodmanPackages(defaultLog);
    await ensurePodman(defaultLog);
    defaultLog(`podman configured, state in ${podmanDir()}`);
    return;
  }
  if (cmd === "clean") {
    await cleanImages();
    return;
  }
  if (cmd !== "build") throw new Error(`usage: rig/images.ts [build [--cold] | install | clean] (cache ${cacheRoot()})`);
  if (argv.includes("--cold")) await cleanImages();
  const images = await ensureImages();
  process.stdout.write(
    `${JSON.stringify({
      seconds: Number(images.seconds.toFixed(1)),
      sidecar: { ref: images.sidecar.ref, cached: images.sidecar.cached, seconds: Number(images.sidecar.seconds.toFixed(1)) },
      dnsmasq: { ref: images.dnsmasq.ref, cached: images.dnsmasq.cached, seconds: Number(images.dnsmasq.seconds.toFixed(1)) },
    })}\n`,
  );
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`images: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
