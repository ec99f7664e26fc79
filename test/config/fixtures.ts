/**
 * Stack configs for the validation tests: the QA stack file parsed the way
 * Pulumi hands it to the program, and a deep-copy-and-edit helper so each test
 * breaks exactly one thing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { RawStackConfig } from "../../lib/config/validate";

export const REPO_ROOT = join(__dirname, "..", "..");
const NAMESPACE = "rancher-cdns:";

/** Mutable JSON-like tree, for edits in tests. */
export type Tree = Record<string, unknown>;

/** Every `rancher-cdns:*` key of Pulumi.<stack>.yaml, namespace stripped (secrets included, as `{secure}` objects). */
export function stackConfig(stack: string): Tree {
  const doc = parse(readFileSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Tree };
  const out: Tree = {};
  for (const [k, v] of Object.entries(doc.config)) {
    if (k.startsWith(NAMESPACE)) out[k.slice(NAMESPACE.length)] = v;
  }
  return out;
}

/** Every `rancher-cdns:*` key of Pulumi.qa.yaml. */
export function qaStackConfig(): Tree {
  return stackConfig("qa");
}

/** The local (existing-cluster) stack, Pulumi.local.yaml: it has no secrets in the file. */
export function localRaw(): Tree {
  return stackConfig("local");
}

/** A fresh copy of the local config with `edit` applied. */
export function localWith(edit: (c: Tree) => void): RawStackConfig {
  const c = structuredClone(localRaw());
  edit(c);
  return c;
}

/** The non-secret part of the QA stack as validateStackConfig() receives it. */
export function qaRaw(): Tree {
  const { vspherePassword: _a, rancherToken: _b, registryPassword: _c, haproxyStatsPassword: _d, ...rest } = qaStackConfig();
  return rest;
}

/** A fresh copy of the QA config with `edit` applied. */
export function qaWith(edit: (c: Tree) => void): RawStackConfig {
  const c = structuredClone(qaRaw());
  edit(c);
  return c;
}

/** `c[path]` as a mutable object; throws when the path is missing, so a test never edits nothing. */
export function at(c: Tree, ...path: (string | number)[]): Tree {
  let cur: unknown = c;
  for (const p of path) {
    if (typeof cur !== "object" || cur === null) throw new Error(`no ${path.join(".")} in the fixture`);
    cur = (cur as Record<string | number, unknown>)[p];
  }
  if (typeof cur !== "object" || cur === null) throw new Error(`no ${path.join(".")} in the fixture`);
  return cur as Tree;
}
