/**
 * The files of a build context after its `.dockerignore` is applied: what a build tool sends, and
 * so what the image (and docker-build's rebuild decision) depends on.
 *
 * The pattern rules are those of moby's patternmatcher, which BuildKit (docker-build) and, in its
 * containers/storage fork, buildah/podman use:
 * - one pattern a line, `#` comments, blank lines ignored, surrounding spaces trimmed;
 * - a pattern is cleaned like a path (`./a//b/` -> `a/b`, a leading `/` dropped);
 * - `*` any run of characters but `/`, `?` one such character, `[...]` a class, `\` escapes,
 *   `**` any number of directories (also none);
 * - a pattern matching a directory excludes everything below it;
 * - `!pattern` re-includes, and the last matching pattern decides.
 * test/runtime/context.test.ts checks the result against what podman's build really copies.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";

export interface IgnorePattern {
  /** The cleaned pattern text (without `!`). */
  readonly pattern: string;
  readonly exclusion: boolean;
  readonly regexp: RegExp;
}

/** Regular-expression characters with no meaning in a pattern (moby's shouldEscape). */
const REGEXP_SPECIAL = new Set([".", "+", "(", ")", "|", "{", "}", "$"]);

/** moby's Pattern.compile(): the pattern as an anchored regular expression. */
function compile(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") i++; // `**/` is `**`
        re += i + 1 >= pattern.length ? ".*" : "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (ch === "?") {
      re += "[^/]";
    } else if (REGEXP_SPECIAL.has(ch)) {
      re += `\\${ch}`;
    } else if (ch === "\\") {
      i++;
      const next = pattern[i];
      if (next === undefined) throw new Error(`.dockerignore: pattern ${JSON.stringify(pattern)} ends with a lone backslash`);
      re += /[A-Za-z0-9]/.test(next) ? next : `\\${next}`;
    } else {
      re += ch;
    }
  }
  return new RegExp(`${re}$`);
}

/** Parses `.dockerignore` text into patterns, in order. */
export function parseIgnoreFile(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const exclusion = line.startsWith("!");
    if (exclusion) line = line.slice(1).trim();
    let pattern = posix.normalize(line);
    while (pattern.startsWith("/")) pattern = pattern.slice(1);
    if (pattern.endsWith("/") && pattern !== "/") pattern = pattern.slice(0, -1);
    if (pattern === "" || pattern === ".") continue;
    out.push({ pattern, exclusion, regexp: compile(pattern) });
  }
  return out;
}

/** moby's MatchesOrParentMatches: is `file` (slash-separated, relative) excluded? */
export function isIgnored(patterns: readonly IgnorePattern[], file: string): boolean {
  const parts = file.split("/");
  let matched = false;
  for (const p of patterns) {
    // An inclusion only matters once something matched, an exclusion only before.
    if (p.exclusion !== matched) continue;
    let hit = p.regexp.test(file);
    for (let i = 1; !hit && i < parts.length; i++) hit = p.regexp.test(parts.slice(0, i).join("/"));
    if (hit) matched = !p.exclusion;
  }
  return matched;
}

/**
 * Whether an excluded directory must still be walked: some `!` pattern could re-include a path
 * below it. Conservative (a `**` or a prefix that may match means yes).
 */
function mayReinclude(patterns: readonly IgnorePattern[], dir: string): boolean {
  const dirParts = dir.split("/");
  return patterns.some((p) => {
    if (!p.exclusion) return false;
    if (p.pattern.includes("**")) return true;
    const pParts = p.pattern.split("/");
    if (pParts.length <= dirParts.length) return false;
    return dirParts.every((d, i) => compile(pParts[i] as string).test(d));
  });
}

/** Reads `<dir>/.dockerignore`; none means nothing is ignored. */
export function readIgnoreFile(dir: string, ignoreFile = join(dir, ".dockerignore")): IgnorePattern[] {
  return existsSync(ignoreFile) ? parseIgnoreFile(readFileSync(ignoreFile, "utf8")) : [];
}

/**
 * Every file and symlink of the context, relative and slash-separated, sorted. Directories are
 * implied by their files (an empty directory changes no build input that matters here).
 */
export function contextFiles(dir: string, patterns: readonly IgnorePattern[] = readIgnoreFile(dir)): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = rel === "" ? dir : join(dir, rel);
    for (const name of readdirSync(abs).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, r));
      const ignored = isIgnored(patterns, r);
      if (st.isDirectory()) {
        if (!ignored || mayReinclude(patterns, r)) walk(r);
      } else if (!ignored) {
        out.push(r);
      }
    }
  };
  walk("");
  return out.sort();
}

/**
 * sha256 over the context's files: path, type, executable bit and content (a symlink's target).
 * Equal hashes mean a build sees the same files.
 */
export function contextHash(dir: string, files: readonly string[] = contextFiles(dir)): string {
  const h = createHash("sha256");
  for (const f of files) {
    const abs = join(dir, f);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      h.update(`L\0${f}\0${readlinkSync(abs)}\0`);
    } else {
      h.update(`F\0${f}\0${(st.mode & 0o111) !== 0 ? "x" : "-"}\0${st.size}\0`);
      h.update(readFileSync(abs));
    }
  }
  return h.digest("hex");
}
