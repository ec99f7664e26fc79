/**
 * Local stand-ins for the base images the Dockerfiles name: no registry is reachable here, so
 * each FROM image is made on this machine and tagged with the exact name the Dockerfile uses,
 * and builds run with `--pull=never`.
 *
 * - Debian bookworm slim: `mmdebstrap --variant=minbase` of bookworm with the merged-usr hook,
 *   apt's docker-clean settings and slim's dpkg path excludes (measured 45-65 s, 78 MB). It is
 *   the mirror's bookworm of the day it is made, not the dated snapshot a tag such as
 *   `bookworm-20250929-slim` names; both are Debian 12 with its dnsmasq 2.90;
 * - node:20-bookworm-slim: that rootfs plus this machine's Node 20 and its npm;
 * - distroless nodejs20-debian12:nonroot: /nodejs/bin/node, the glibc and libstdc++ it links,
 *   the Mozilla CA bundle and the `nonroot` user 65532, nothing else (no shell).
 * Each stand-in is itself built by ensureImage(), so it is only made again when its inputs (the
 * rootfs tarball, this machine's node) change.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Log } from "../binaries";
import { ensureImage } from "./build";
import { podmanDir, type Podman } from "./podman";

export const BOOKWORM_MIRRORS = [
  "deb http://deb.debian.org/debian bookworm main",
  "deb http://deb.debian.org/debian bookworm-updates main",
  "deb http://deb.debian.org/debian-security bookworm-security main",
];

/** mmdebstrap arguments of the bookworm rootfs (part of the tarball's cache key). */
export function mmdebstrapArgs(out: string): string[] {
  return [
    "--variant=minbase",
    "--mode=root",
    "--format=tar",
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    // The mirror here may serve Release files past their Valid-Until.
    '--aptopt=Acquire::Check-Valid-Until "false"',
    // apt's docker-clean: no package cache left in any layer.
    '--aptopt=DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }',
    '--aptopt=Dir::Cache::pkgcache ""',
    '--aptopt=Dir::Cache::srcpkgcache ""',
    // What debian:*-slim leaves out.
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/info/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/log/apt/* "$1"/var/log/dpkg.log',
    "bookworm",
    out,
    ...BOOKWORM_MIRRORS,
  ];
}

const BASE_REPO = "localhost/rancher-cdns/base";
/** Bump when a stand-in's staging code changes, so staged contexts are made again. */
const STAND_IN_RECIPE_VERSION = 1;

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path).on("data", (d) => h.update(d)).on("error", reject).on("end", () => resolve(h.digest("hex")));
  });
}

/** The bookworm minbase tarball (made once) imported as an image; returns its reference. */
export async function ensureBookworm(podman: Podman, log: Log): Promise<string> {
  const dir = join(podmanDir(), "base");
  mkdirSync(dir, { recursive: true });
  const key = createHash("sha256").update(JSON.stringify(mmdebstrapArgs("OUT"))).digest("hex").slice(0, 12);
  const tar = join(dir, `bookworm-minbase-${key}.tar`);
  const sumFile = `${tar}.sha256`;
  if (!existsSync(tar) || !existsSync(sumFile)) {
    for (const f of readdirSync(dir)) if (f.startsWith("bookworm-minbase-")) rmSync(join(dir, f), { force: true });
    log("bookworm: mmdebstrap --variant=minbase (about a minute)");
    const t0 = performance.now();
    const partial = `${tar}.partial`;
    const r = spawnSync("mmdebstrap", mmdebstrapArgs(partial), { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
      rmSync(partial, { force: true });
      throw new Error(`mmdebstrap failed (exit ${String(r.status)}): ${(r.stderr ?? "").trim().slice(-3000)}`);
    }
    renameSync(partial, tar);
    writeFileSync(sumFile, `${await sha256File(tar)}\n`);
    log(`bookworm: rootfs made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const sum = readFileSync(sumFile, "utf8").trim();
  const ref = `${BASE_REPO}:bookworm-minbase-${sum.slice(0, 16)}`;
  if ((await podman.imageId(ref)) === undefined) {
    log(`bookworm: importing ${ref}`);
    await podman.ok(["import", "--change", 'CMD ["bash"]', tar, ref]);
  }
  return ref;
}

/** This machine's Node: the binary running the rig, which must be Node 20 for the node:20 stand-ins. */
function hostNode(): { bin: string; npmDir: string; version: string } {
  const bin = realpathSync(process.execPath);
  const version = process.version;
  if (!version.startsWith("v20.")) throw new Error(`the node:20 stand-ins need Node 20; this is ${version} (${bin})`);
  const npmDir = realpathSync(join(dirname(bin), "..", "lib", "node_modules", "npm"));
  return { bin, npmDir, version };
}

/** Size, mtime and mode of every file under `paths`: cheap to take, changes when they change. */
function fingerprint(parts: readonly unknown[], paths: readonly string[]): string {
  const h = createHash("sha256").update(JSON.stringify(parts));
  const walk = (p: string): void => {
    const st = lstatSync(p);
    h.update(`${p}\0${st.size}\0${st.mtimeMs}\0${st.mode}\0`);
    if (st.isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f));
  };
  for (const p of paths) walk(p);
  return h.digest("hex");
}

/**
 * The staging directory of a stand-in's build context, filled by `fill` only when the
 * fingerprint of its sources changed (copying Node and npm on every run costs seconds).
 */
function stage(name: string, print: string, fill: (dir: string) => void): string {
  const dir = join(podmanDir(), "stage", name);
  const stamp = `${dir}.fingerprint`;
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === print && existsSync(dir)) return dir;
  rmSync(stamp, { force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  fill(dir);
  writeFileSync(stamp, print);
  return dir;
}

async function ensureNodeStandIn(podman: Podman, log: Log, bookworm: string): Promise<string> {
  const node = hostNode();
  const dir = stage("node20", fingerprint([STAND_IN_RECIPE_VERSION, bookworm], [node.bin, node.npmDir]), (d) => {
    cpSync(node.bin, join(d, "node"));
    // The host npm's own npmrc holds this machine's settings; the real image has none.
    cpSync(node.npmDir, join(d, "npm"), { recursive: true, filter: (src) => src !== join(node.npmDir, "npmrc") });
  });
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      `FROM ${bookworm}`,
      `ENV NODE_VERSION=${node.version.slice(1)}`,
      "COPY node /usr/local/bin/node",
      "COPY npm /usr/local/lib/node_modules/npm",
      "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\",
      " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\",
      " && node --version && npm --version",
      'CMD ["node"]',
      "",
    ].join("\n"),
  );
  const img = await ensureImage(podman, { label: "node:20 stand-in", name: `${BASE_REPO}-node20`, context: dir }, resolveLocal(podman), log);
  return img.ref;
}

const GLIBC_FILES = [
  "./lib",
  "./lib64",
  "./usr/lib64/ld-linux-x86-64.so.2",
  "./usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
  "./usr/lib/x86_64-linux-gnu/libc.so.6",
  "./usr/lib/x86_64-linux-gnu/libdl.so.2",
  "./usr/lib/x86_64-linux-gnu/libgcc_s.so.1",
  "./usr/lib/x86_64-linux-gnu/libm.so.6",
  "./usr/lib/x86_64-linux-gnu/libpthread.so.0",
  "./usr/lib/x86_64-linux-gnu/libstdc++.so.6",
  "./usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30",
  "./usr/lib/os-release",
  "./etc/os-release",
  "./etc/nsswitch.conf",
];

const MOZILLA_CA_DIR = "/usr/share/ca-certificates/mozilla";

/** Mozilla's CA set as Debian ships it (without this machine's local additions). */
function mozillaBundle(): string {
  const dir = MOZILLA_CA_DIR;
  if (!existsSync(dir)) throw new Error(`${dir} is missing: install ca-certificates`);
  return readdirSync(dir).filter((f) => f.endsWith(".crt")).sort().map((f) => readFileSync(join(dir, f), "utf8").trim() + "\n").join("");
}

async function ensureDistrolessStandIn(podman: Podman, log: Log, bookworm: string): Promise<string> {
  const node = hostNode();
  // The glibc and libstdc++ of the very rootfs the other images use.
  const bookwormTar = readdirSync(join(podmanDir(), "base")).find((f) => f.startsWith("bookworm-minbase-") && f.endsWith(".tar"));
  if (bookwormTar === undefined) throw new Error("the bookworm tarball is missing (ensureBookworm first)");
  if (!bookworm.endsWith(readFileSync(join(podmanDir(), "base", `${bookwormTar}.sha256`), "utf8").trim().slice(0, 16))) {
    throw new Error(`bookworm image ${bookworm} is not made from ${bookwormTar}`);
  }
  const print = fingerprint([STAND_IN_RECIPE_VERSION, bookworm, GLIBC_FILES], [node.bin, MOZILLA_CA_DIR]);
  const dir = stage("distroless-nodejs20", print, (d) => fillDistroless(d, node.bin, join(podmanDir(), "base", bookwormTar)));
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      "FROM scratch",
      "COPY rootfs/ /",
      "COPY --chown=65532:65532 home/ /home/",
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
      "USER 65532:65532",
      "WORKDIR /home/nonroot",
      'ENTRYPOINT ["/nodejs/bin/node"]',
      "",
    ].join("\n"),
  );
  const img = await ensureImage(podman, { label: "distroless stand-in", name: `${BASE_REPO}-distroless-nodejs20`, context: dir }, resolveLocal(podman), log);
  return img.ref;
}

/** The distroless stand-in's context: rootfs/ (glibc, node, CA bundle, users) and home/. */
function fillDistroless(dir: string, nodeBin: string, bookwormTar: string): void {
  const rootfs = join(dir, "rootfs");
  mkdirSync(rootfs);
  const x = spawnSync("tar", ["-x", "-f", bookwormTar, "-C", rootfs, ...GLIBC_FILES], { encoding: "utf8" });
  if (x.status !== 0) throw new Error(`extracting glibc from ${bookwormTar}: ${x.stderr}`);
  mkdirSync(join(rootfs, "nodejs", "bin"), { recursive: true });
  cpSync(nodeBin, join(rootfs, "nodejs", "bin", "node"));
  mkdirSync(join(rootfs, "etc", "ssl", "certs"), { recursive: true });
  writeFileSync(join(rootfs, "etc", "ssl", "certs", "ca-certificates.crt"), mozillaBundle());
  writeFileSync(
    join(rootfs, "etc", "passwd"),
    "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
  );
  writeFileSync(join(rootfs, "etc", "group"), "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n");
  mkdirSync(join(rootfs, "tmp"), { mode: 0o1777 });
  spawnSync("chmod", ["1777", join(rootfs, "tmp")]);
  mkdirSync(join(rootfs, "root"), { mode: 0o700 });
  mkdirSync(join(dir, "home", "nonroot"), { recursive: true });
}

/** Images of our own (`localhost/rancher-cdns/...`): must exist already. */
function resolveLocal(podman: Podman) {
  return async (from: string): Promise<string> => {
    const id = await podman.imageId(from);
    if (id === undefined) throw new Error(`base image ${from} is missing`);
    return id;
  };
}

interface StandIn {
  readonly pattern: RegExp;
  readonly make: (podman: Podman, log: Log, bookworm: string) => Promise<string>;
}

/** FROM names the Dockerfiles may use -> how to make their stand-in. */
export const STAND_INS: readonly StandIn[] = [
  { pattern: /^(docker\.io\/)?(library\/)?debian:bookworm(-\d{8})?-slim$/, make: async (_p, _l, bookworm) => bookworm },
  { pattern: /^(docker\.io\/)?(library\/)?node:20(\.\d+)*-bookworm-slim$/, make: ensureNodeStandIn },
  { pattern: /^gcr\.io\/distroless\/nodejs20-debian12(:nonroot)?$/, make: ensureDistrolessStandIn },
];

/** `node:20-slim` -> `docker.io/library/node:20-slim`, as podman names a pulled image. */
export function qualify(image: string): string {
  const first = image.split("/")[0] as string;
  const hasRegistry = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistry) return image;
  return image.includes("/") ? `docker.io/${image}` : `docker.io/library/${image}`;
}

/**
 * A BaseResolver: makes (or finds) the stand-in for `from`, tags it with the FROM name, and
 * returns its image ID.
 */
export function standInResolver(podman: Podman, log: Log): (from: string) => Promise<string> {
  let bookworm: Promise<string> | undefined;
  return async (from) => {
    if (from.startsWith("localhost/rancher-cdns/")) return resolveLocal(podman)(from);
    const recipe = STAND_INS.find((s) => s.pattern.test(from));
    if (recipe === undefined) {
      throw new Error(`no local stand-in for base image ${from}: rig/images/bases.ts knows ${STAND_INS.map((s) => s.pattern.source).join(", ")}`);
    }
    bookworm ??= ensureBookworm(podman, log);
    const ref = await recipe.make(podman, log, await bookworm);
    const id = await podman.imageId(ref);
    if (id === undefined) throw new Error(`stand-in ${ref} vanished`);
    const name = qualify(from);
    if ((await podman.imageId(name)) !== id) {
      await podman.ok(["tag", ref, name]);
      log(`${from}: stand-in ${ref}`);
    }
    return id;
  };
}
