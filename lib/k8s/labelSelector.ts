/**
 * Kubernetes label selectors in their string form, the one grammar of the package: the stack
 * validator (`sidecar.fallbackNodeSelector`), the sidecar's flags and the tests all parse with
 * `parseLabelSelector()` and match with `selectorMatches()`.
 *
 * The grammar is the API server's (k8s.io/apimachinery/pkg/labels, `Parse`): comma-separated
 * requirements, all of which must hold:
 *   key            the label exists          !key            the label does not exist
 *   key=value      equal (also key==value)   key!=value      not equal, or absent
 *   key in (a,b)   one of                    key notin (a,b) none of, or absent
 * A key is `[prefix/]name` (prefix a DNS subdomain of at most 253 characters, name at most 63
 * characters of [A-Za-z0-9-_.] starting and ending alphanumeric); a value is empty or a name.
 */
import { isDnsName } from "../dns/syntax";

export type SelectorOperator = "exists" | "notexists" | "=" | "!=" | "in" | "notin";

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** One value for `=` and `!=`, one or more for `in`/`notin`, none for `exists`/`notexists`. */
  readonly values: readonly string[];
}

export type SelectorParse =
  | { readonly ok: true; readonly requirements: readonly SelectorRequirement[] }
  | { readonly ok: false; readonly error: string };

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Why `key` is not a label key, or undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  // The prefix is a DNS subdomain: the one DNS-name check (lib/dns/syntax.ts).
  if (prefix !== undefined && !isDnsName(prefix)) return `label key ${JSON.stringify(key)}: prefix ${JSON.stringify(prefix)} is not a lowercase DNS subdomain`;
  if (!NAME.test(name)) return `label key ${JSON.stringify(key)}: name part must be 1-63 characters of a-z, A-Z, 0-9, "-", "_", "." starting and ending alphanumeric`;
  return undefined;
}

/** Why `value` is not a label value (empty is allowed), or undefined when it is one. */
export function labelValueProblem(value: string): string | undefined {
  return value === "" || NAME.test(value) ? undefined : `label value ${JSON.stringify(value)} must be empty or 1-63 characters of a-z, A-Z, 0-9, "-", "_", "." starting and ending alphanumeric`;
}

/** Splits on commas outside parentheses (the values of `in (a,b)` contain commas). */
function splitTerms(s: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "(") depth++;
    else if (c === ")") {
      if (--depth < 0) return undefined;
    } else if (c === "," && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  out.push(s.slice(start));
  return out;
}

function parseTerm(raw: string): SelectorRequirement | string {
  const t = raw.trim();
  if (t === "") return "empty requirement (two commas in a row, or a trailing comma)";
  let m = /^!\s*([^\s=!(),]+)$/.exec(t);
  if (m !== null) return { key: m[1] as string, operator: "notexists", values: [] };
  m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(t);
  if (m !== null) {
    const values = (m[3] as string).split(",").map((v) => v.trim());
    if (values.length === 1 && values[0] === "") return `${JSON.stringify(t)}: "${m[2]}" needs at least one value`;
    return { key: m[1] as string, operator: m[2] as "in" | "notin", values };
  }
  m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(t);
  if (m !== null) return { key: m[1] as string, operator: m[2] === "!=" ? "!=" : "=", values: [m[3] as string] };
  m = /^([^\s=!(),]+)$/.exec(t);
  if (m !== null) return { key: m[1] as string, operator: "exists", values: [] };
  return `${JSON.stringify(t)} is not "key", "!key", "key=value", "key==value", "key!=value", "key in (v1,v2)" or "key notin (v1,v2)"`;
}

/** Parses a selector string. The empty string is the empty selector (no requirements). */
export function parseLabelSelector(selector: string): SelectorParse {
  if (selector.trim() === "") return { ok: true, requirements: [] };
  const terms = splitTerms(selector);
  if (terms === undefined) return { ok: false, error: `unbalanced parentheses in ${JSON.stringify(selector)}` };
  const requirements: SelectorRequirement[] = [];
  const errors: string[] = [];
  for (const term of terms) {
    const r = parseTerm(term);
    if (typeof r === "string") {
      errors.push(r);
      continue;
    }
    const problem = labelKeyProblem(r.key) ?? r.values.map(labelValueProblem).find((p) => p !== undefined);
    if (problem !== undefined) errors.push(problem);
    else requirements.push(r);
  }
  return errors.length > 0 ? { ok: false, error: errors.join("; ") } : { ok: true, requirements };
}

function requirementMatches(labels: Readonly<Record<string, string>>, r: SelectorRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "exists":
      return has;
    case "notexists":
      return !has;
    case "=":
    case "in":
      return v !== undefined && r.values.includes(v);
    case "!=":
    case "notin":
      return v === undefined || !r.values.includes(v);
  }
}

/** True when every requirement holds for `labels` (the empty selector matches everything, as in Kubernetes). */
export function selectorMatches(labels: Readonly<Record<string, string>>, requirements: readonly SelectorRequirement[]): boolean {
  return requirements.every((r) => requirementMatches(labels, r));
}

/** The canonical string form (what the API server's `String()` prints), for logs and flags. */
export function formatLabelSelector(requirements: readonly SelectorRequirement[]): string {
  return requirements
    .map((r) => {
      switch (r.operator) {
        case "exists":
          return r.key;
        case "notexists":
          return `!${r.key}`;
        case "=":
        case "!=":
          return `${r.key}${r.operator}${r.values[0] ?? ""}`;
        case "in":
        case "notin":
          return `${r.key} ${r.operator} (${r.values.join(",")})`;
      }
    })
    .join(",");
}
