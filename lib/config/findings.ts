/**
 * The readers validateStackConfig() is built from: each reads one raw config value of one
 * kind, records a problem (with its key) when the value is missing or of the wrong type, and
 * returns a placeholder of the right type so one pass collects every problem. Pure.
 */
import type { ConfigProblem, VmSize } from "./types";

export type Obj = Readonly<Record<string, unknown>>;

/** Collects problems and warnings; remembers which keys failed to read at all. */
export class Findings {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];
  /** Keys whose value was missing or of the wrong type: checks that depend on them are skipped. */
  readonly unreadable = new Set<string>();

  add(key: string, message: string): void {
    // Inside a block that is missing or not an object, every field would be "required": one problem is enough.
    for (const u of this.unreadable) if (key.startsWith(`${u}.`) || key.startsWith(`${u}[`)) return;
    if (!this.problems.some((p) => p.key === key && p.message === message)) this.problems.push({ key, message });
  }

  /** Adds `message` at `key` when it is defined and the key read fine so far. */
  check(key: string, message: string | undefined): void {
    if (message !== undefined && this.ok(key)) this.add(key, message);
  }

  unreadableValue(key: string, message: string): void {
    this.unreadable.add(key);
    this.add(key, message);
  }

  warn(key: string, message: string): void {
    this.warnings.push({ key, message });
  }

  ok(key: string): boolean {
    return !this.problems.some((p) => p.key === key);
  }
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True for a value that is absent: undefined, null, or the `{}` Pulumi.yaml defaults a block to. */
export function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || (isObject(v) && Object.keys(v).length === 0);
}

export function readObject(f: Findings, key: string, v: unknown, allowed: readonly string[], required: boolean, hint = ""): Obj {
  if (v === undefined || v === null) {
    if (required) f.unreadableValue(key, `is required${hint}`);
    return {};
  }
  if (!isObject(v)) {
    f.unreadableValue(key, `must be an object with the keys ${allowed.join(", ")}; got ${describe(v)}`);
    return {};
  }
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) f.add(`${key}.${k}`, `unknown key (known keys: ${allowed.join(", ")})`);
  }
  return v;
}

export function readString(f: Findings, key: string, v: unknown, hint = ""): string {
  if (v === undefined || v === null) {
    f.unreadableValue(key, `is required${hint}`);
    return "";
  }
  if (typeof v !== "string") {
    f.unreadableValue(key, `must be a string; got ${describe(v)}`);
    return "";
  }
  if (v.trim() === "") {
    f.unreadableValue(key, `must not be empty${hint}`);
    return "";
  }
  return v;
}

export function readOptionalString(f: Findings, key: string, v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : readString(f, key, v);
}

/** Integers, also as digit strings (`pulumi config set --path` stores what it is given). */
export function readInt(f: Findings, key: string, v: unknown, min?: number, max?: number, why = ""): number {
  if (v === undefined || v === null) {
    f.unreadableValue(key, "is required");
    return 0;
  }
  let n: number | undefined;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^-?\d+$/.test(v.trim())) n = Number(v);
  if (n === undefined || !Number.isSafeInteger(n)) {
    f.unreadableValue(key, `must be an integer; got ${describe(v)}`);
    return 0;
  }
  if (min !== undefined && n < min) f.add(key, `must be at least ${min}${why}; got ${n}`);
  else if (max !== undefined && n > max) f.add(key, `must be at most ${max}${why}; got ${n}`);
  return n;
}

export function readBool(f: Findings, key: string, v: unknown, hint = ""): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  if (v === undefined || v === null) f.unreadableValue(key, `is required${hint}`);
  else f.unreadableValue(key, `must be true or false; got ${describe(v)}`);
  return false;
}

export function readList(f: Findings, key: string, v: unknown, nonEmpty: boolean, hint = ""): readonly unknown[] {
  if (v === undefined || v === null) {
    f.unreadableValue(key, `is required${hint}`);
    return [];
  }
  if (!Array.isArray(v)) {
    f.unreadableValue(key, `must be a list; got ${describe(v)}`);
    return [];
  }
  if (nonEmpty && v.length === 0) f.unreadableValue(key, `must not be empty${hint}`);
  return v;
}

export function readStringList(f: Findings, key: string, v: unknown, nonEmpty: boolean, hint = ""): string[] {
  return readList(f, key, v, nonEmpty, hint).map((item, i) => readString(f, `${key}[${i}]`, item));
}

/** A map of string to string (labels, rewrites). */
export function readStringMap(f: Findings, key: string, v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    f.unreadableValue(key, `must be an object of ${what}; got ${describe(v)}`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== "string") f.add(`${key}["${k}"]`, `values must be strings; got ${describe(value)}`);
    else out[k] = value;
  }
  return out;
}

export function readVmSize(f: Findings, key: string, v: unknown, defaults: VmSize, min: VmSize | undefined, why: string): VmSize {
  const o = readObject(f, key, v, ["cpus", "memoryMb", "diskGb"], false);
  return {
    cpus: readInt(f, `${key}.cpus`, o.cpus ?? defaults.cpus, min?.cpus, 128, why),
    memoryMb: readInt(f, `${key}.memoryMb`, o.memoryMb ?? defaults.memoryMb, min?.memoryMb, 1024 * 1024, why),
    diskGb: readInt(f, `${key}.diskGb`, o.diskGb ?? defaults.diskGb, min?.diskGb, 16 * 1024, why),
  };
}
