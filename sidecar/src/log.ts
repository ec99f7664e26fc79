/**
 * Structured logs: one JSON object per line on stdout (time, level, msg, then
 * the fields). Callers pass plain fields; nothing here ever reads tokens or
 * kubeconfig contents, and `redact()` strips field names that look secret in
 * case a caller passes an error object carrying request headers.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const SECRET_KEY = /token|password|secret|authorization|bearer|cert|key$/i;

/** Replaces values of secret-looking keys and turns Errors into their message. */
export function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return value.message;
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

export function createJsonLogger(opts: {
  readonly write?: (line: string) => void;
  readonly now?: () => number;
  readonly level?: LogLevel;
} = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const now = opts.now ?? Date.now;
  const min = ORDER[opts.level ?? "info"];
  const log = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    const extra = fields === undefined ? {} : (redact(fields) as Record<string, unknown>);
    write(JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...extra }) + "\n");
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A logger that keeps lines in memory, for tests. */
export function createMemoryLogger(): Logger & { readonly lines: Array<{ level: LogLevel; msg: string; fields: LogFields }> } {
  const lines: Array<{ level: LogLevel; msg: string; fields: LogFields }> = [];
  const log = (level: LogLevel) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields: fields ?? {} });
  return { lines, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}
