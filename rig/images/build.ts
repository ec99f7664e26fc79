/**
 * Builds an image from a Dockerfile with podman, cached by content: the image is tagged with a
 * hash of its Dockerfile, its build context after the ignore file (context.ts) and the IDs of its
 * base images, and is only built again when one of those changes.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Log } from "../binaries";
import { contextFiles, contextHash, readIgnoreFile } from "./context";
import type { Podman } from "./podman";

/** Label carrying the build hash on every image built here. */
export const BUILD_HASH_LABEL = "io.rancher-cdns.build-hash";

export interface ImageSpec {
  /** Short name for progress lines, e.g. "sidecar". */
  readonly label: string;
  /** Repository the image is tagged in, e.g. `localhost/rancher-cdns/sidecar`. */
  readonly name: string;
  /** Build context directory (its `.dockerignore` applies). */
  readonly context: string;
  /** @default `<context>/Dockerfile` */
  readonly dockerfile?: string;
  /** Bind mounts for RUN steps only (`host:container[:options]`); not inputs, not in the image. */
  readonly volumes?: readonly string[];
}

export interface BuiltImage {
  readonly label: string;
  /** `name:h-<hash>`, the reference to run. */
  readonly ref: string;
  readonly id: string;
  /** sha256 of Dockerfile, context and base image IDs. */
  readonly hash: string;
  /** Files in the context after the ignore file. */
  readonly files: number;
  /** True when an image with this hash already existed. */
  readonly cached: boolean;
  /** Wall time of this call, seconds. */
  readonly seconds: number;
}

/** Gives the local image ID of a FROM image, making a stand-in when there is none. */
export type BaseResolver = (from: string) => Promise<string>;

/**
 * The external images a Dockerfile starts from, in order: `FROM [--platform=...] IMAGE [AS name]`
 * lines, without `scratch` and earlier stages. Build arguments in FROM are not supported.
 */
export function fromImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const out: string[] = [];
  // Line continuations joined, comments dropped.
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/).filter((l) => !/^\s*#/.test(l));
  for (const line of lines) {
    const m = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (m === null) continue;
    const image = m[1] as string;
    if (image.includes("$")) throw new Error(`FROM ${image}: build arguments in FROM are not supported here`);
    if (image !== "scratch" && !stages.has(image.toLowerCase()) && !out.includes(image)) out.push(image);
    if (m[2] !== undefined) stages.add(m[2].toLowerCase());
  }
  return out;
}

export function buildHash(dockerfileText: string, ctxHash: string, bases: readonly (readonly [string, string])[]): string {
  return createHash("sha256").update(JSON.stringify({ dockerfile: dockerfileText, context: ctxHash, bases })).digest("hex");
}

const secs = (t0: number) => (performance.now() - t0) / 1000;

export async function ensureImage(podman: Podman, spec: ImageSpec, resolveBase: BaseResolver, log: Log): Promise<BuiltImage> {
  const t0 = performance.now();
  const dockerfile = spec.dockerfile ?? join(spec.context, "Dockerfile");
  const text = readFileSync(dockerfile, "utf8");
  const bases: [string, string][] = [];
  for (const from of fromImages(text)) bases.push([from, await resolveBase(from)]);
  const files = contextFiles(spec.context);
  const hash = buildHash(text, contextHash(spec.context, files), bases);
  const ref = `${spec.name}:h-${hash.slice(0, 20)}`;
  const existing = await podman.imageId(ref);
  if (existing !== undefined) {
    log(`${spec.label}: cached ${ref} (${files.length} context files, checked in ${secs(t0).toFixed(1)} s)`);
    return { label: spec.label, ref, id: existing, hash, files: files.length, cached: true, seconds: secs(t0) };
  }
  log(`${spec.label}: building ${ref} from ${files.length} context files`);
  const tmp = mkdtempSync(join(tmpdir(), "rig-image-"));
  try {
    const iidfile = join(tmp, "iid");
    const ignoreFile = join(spec.context, ".dockerignore");
    const args = [
      "build",
      "--pull=never",
      "--network=host",
      "--layers",
      ...(existsSync(ignoreFile) && readIgnoreFile(spec.context).length > 0 ? ["--ignorefile", ignoreFile] : []),
      "--file", dockerfile,
      "--tag", ref,
      "--label", `${BUILD_HASH_LABEL}=${hash}`,
      "--iidfile", iidfile,
      ...(spec.volumes ?? []).flatMap((v) => ["--volume", v]),
      spec.context,
    ];
    let step = "";
    await podman.ok(args, {
      timeoutMs: 30 * 60_000,
      stream: (line) => {
        if (/^(\[\d+\/\d+\] )?STEP \d+\/\d+/.test(line)) {
          step = line.slice(0, 120);
          log(`${spec.label}: [${secs(t0).toFixed(0)} s] ${step}`);
        }
      },
    });
    const id = readFileSync(iidfile, "utf8").trim().replace(/^sha256:/, "");
    log(`${spec.label}: built ${ref} in ${secs(t0).toFixed(1)} s`);
    await pruneOldTags(podman, spec.name, ref);
    return { label: spec.label, ref, id, hash, files: files.length, cached: false, seconds: secs(t0) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Tags of a repository kept besides the newest: a test process may still be about to run them. */
const KEEP_OLD_TAGS = 2;

/** Drops all but the newest few `h-*` tags of the repository (a running container keeps its image). */
async function pruneOldTags(podman: Podman, name: string, keep: string): Promise<void> {
  const r = await podman.run(["images", "--format", "json", "--filter", `reference=${name}`]);
  if (r.code !== 0) return;
  const images = JSON.parse(r.stdout || "[]") as { Names?: string[]; Created?: number }[];
  const tagged = images
    .flatMap((i) => (i.Names ?? []).filter((n) => n.startsWith(`${name}:h-`) && n !== keep).map((n) => ({ n, created: i.Created ?? 0 })))
    .sort((a, b) => b.created - a.created);
  for (const old of tagged.slice(KEEP_OLD_TAGS)) await podman.run(["rmi", old.n]);
}
