/**
 * Shared by the runtime tests: the two images built from the repository's Dockerfiles by
 * rig/images.ts (once per process; a second process waits on the build lock and then finds them
 * cached), and what podman's own build copies from a context.
 *
 * Nothing here skips: when podman cannot be installed or run, ensureImages() throws and the test
 * fails with that reason.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImages, type Images } from "../../rig/images";
import type { Podman } from "../../rig/images/podman";

let images: Promise<Images> | undefined;

/** Both images, built or found by content hash. */
export function runtimeImages(): Promise<Images> {
  images ??= ensureImages({ log: (line) => process.stderr.write(`images: ${line}\n`) });
  return images;
}

/**
 * The files podman's build really copies from `context` with `COPY . /ctx` (the context's own
 * .dockerignore found by podman itself, as docker-build finds it), relative and sorted.
 */
export async function filesPodmanCopies(podman: Podman, context: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "cdns-ctx-"));
  const tag = `localhost/rancher-cdns/context-probe:${process.pid}-${Date.now()}`;
  const ctr = `cdns-ctx-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(join(dir, "Containerfile"), "FROM scratch\nCOPY . /ctx/\n");
    await podman.ok(["build", "--pull=never", "--layers=false", "-f", join(dir, "Containerfile"), "-t", tag, context]);
    await podman.ok(["create", "--name", ctr, tag, "/none"]);
    const tar = join(dir, "fs.tar");
    await podman.ok(["export", "-o", tar, ctr]);
    const listing = execFileSync("tar", ["-tvf", tar], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return listing
      .split("\n")
      .filter((l) => /^[-l]/.test(l)) // regular files and symlinks, as contextFiles() lists them
      .map((l) => (/ ctx\/(.*?)(?: -> .*)?$/.exec(l)?.[1] ?? ""))
      .filter((f) => f !== "")
      .sort();
  } finally {
    await podman.run(["rm", "--force", ctr]);
    await podman.run(["rmi", "--force", tag]);
    rmSync(dir, { recursive: true, force: true });
  }
}
