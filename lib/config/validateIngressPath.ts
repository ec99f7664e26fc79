/**
 * The stack keys of the ingress path: `sidecar.ingressController` (whose Ready pods decide the
 * targets of its Ingresses) and `sidecar.nodeCheck` (the sidecar's TCP check of every target
 * node's ingress ports). Both kinds of stack have them.
 *
 * No rule of their own: the controller goes through resolveIngressController()
 * (lib/k8s/ingressControllers.ts), the one the sidecar's flags use; the node check becomes the
 * chart's sidecar flags (nodeCheckArgs()) and runs through the sidecar's own parseArgs() and
 * validateSidecarSettings(), whose problems are mapped back to the stack keys. So the stack
 * accepts exactly what the pod will start with, with the sidecar's defaults.
 */
import type { IngressControllerSpec } from "../k8s/ingressControllers";
import { ALL_INGRESS_CLASSES, resolveIngressController } from "../k8s/ingressControllers";
import { nodeCheckArgs, type CdnsNodeCheck } from "../chart/cdnsChart";
import { parseArgs, validateSidecarSettings } from "../../sidecar/src/settings";
import type { SidecarNodeCheckConfig } from "./types";
import { Findings, isAbsent, readBool, readInt, readList, readObject, readOptionalString, readStringList } from "./findings";

const CONTROLLER_KEY = "sidecar.ingressController";
const NODE_CHECK_KEY = "sidecar.nodeCheck";

/** Keys of `sidecar.ingressController`, by the resolver's field names. */
export const INGRESS_CONTROLLER_KEYS = {
  preset: `${CONTROLLER_KEY}.preset`,
  namespace: `${CONTROLLER_KEY}.namespace`,
  podSelector: `${CONTROLLER_KEY}.podSelector`,
  classes: `${CONTROLLER_KEY}.classes`,
} as const;

/** The tuning keys of `sidecar.nodeCheck` and the sidecar flag each becomes. */
export const NODE_CHECK_FLAGS: Readonly<Record<keyof CdnsNodeCheck, string>> = {
  ports: "--node-check-ports",
  intervalMs: "--node-check-interval-ms",
  timeoutMs: "--node-check-timeout-ms",
  rise: "--node-check-rise",
  fall: "--node-check-fall",
  concurrency: "--node-check-concurrency",
};

/** `sidecar.ingressController`: the resolved controller, or undefined (absent, or preset `none`). */
export function readIngressController(f: Findings, v: unknown, ingressClass: string | undefined): IngressControllerSpec | undefined {
  if (isAbsent(v)) return undefined;
  const k = INGRESS_CONTROLLER_KEYS;
  const o = readObject(f, CONTROLLER_KEY, v, ["preset", "namespace", "podSelector", "classes"], false);
  const preset = readOptionalString(f, k.preset, o.preset);
  const namespace = readOptionalString(f, k.namespace, o.namespace);
  const podSelector = readOptionalString(f, k.podSelector, o.podSelector);
  const classes = o.classes === undefined || o.classes === null ? undefined : readStringList(f, k.classes, o.classes, false);
  if (f.unreadable.has(CONTROLLER_KEY)) return undefined;
  const result = resolveIngressController(
    {
      ...(preset !== undefined ? { preset } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(podSelector !== undefined ? { podSelector } : {}),
      ...(classes !== undefined ? { classes } : {}),
    },
    k,
  );
  if (!result.ok) {
    // A value that could not be read was reported already; the resolver would only add "is required".
    for (const p of result.problems) if (!f.unreadable.has(p.key) && ![...f.unreadable].some((u) => u.startsWith(`${p.key}[`))) f.add(p.key, p.message);
    return undefined;
  }
  const c = result.controller;
  if (c !== undefined && ingressClass !== undefined && !c.classes.includes(ALL_INGRESS_CLASSES) && !c.classes.includes(ingressClass)) {
    f.warn(k.classes, `${c.classes.join(", ")} does not include sidecar.ingressClass (${ingressClass}), the only class served: the controller's pods decide no answer`);
  }
  return c;
}

/** Rewrites the sidecar's flag names in a message into the stack keys. */
function toStackKeys(text: string): string {
  let out = text.replace(/--node-check(?![-\w])/g, `${NODE_CHECK_KEY}.enabled`);
  for (const [field, flag] of Object.entries(NODE_CHECK_FLAGS)) out = out.split(flag).join(`${NODE_CHECK_KEY}.${field}`);
  return out;
}

/**
 * `sidecar.nodeCheck`: the check's settings with the sidecar's defaults when enabled, else
 * undefined. Its values are checked even while it is off, so turning it on never meets a
 * problem the stack could have named before. `zones` only completes the sidecar's flags (they
 * are checked on their own; with a bad zone the stack is rejected anyway).
 */
export function readNodeCheck(f: Findings, v: unknown, zones: readonly string[]): SidecarNodeCheckConfig | undefined {
  if (isAbsent(v)) return undefined;
  const o = readObject(f, NODE_CHECK_KEY, v, ["enabled", ...Object.keys(NODE_CHECK_FLAGS)], false);
  if (f.unreadable.has(NODE_CHECK_KEY)) return undefined;
  const enabled = readBool(f, `${NODE_CHECK_KEY}.enabled`, o.enabled, ` when ${NODE_CHECK_KEY} is present (true or false)`);
  const given: { -readonly [K in keyof CdnsNodeCheck]: CdnsNodeCheck[K] } = {};
  if (o.ports !== undefined && o.ports !== null) {
    given.ports = readList(f, `${NODE_CHECK_KEY}.ports`, o.ports, false).map((p, i) => readInt(f, `${NODE_CHECK_KEY}.ports[${i}]`, p));
  }
  for (const field of ["intervalMs", "timeoutMs", "rise", "fall", "concurrency"] as const) {
    if (o[field] !== undefined && o[field] !== null) given[field] = readInt(f, `${NODE_CHECK_KEY}.${field}`, o[field]);
  }
  const unreadable = [...f.unreadable].some((u) => u.startsWith(`${NODE_CHECK_KEY}.`));
  // The pod's own flags through the sidecar's own validator; only the node check's flags matter here.
  const parsed = parseArgs([`--zones=${zones.join(",")}`, ...nodeCheckArgs(given)], {});
  const settings = validateSidecarSettings(parsed.raw);
  const problems = [...parsed.problems, ...(settings.ok ? [] : settings.problems)].filter((p) => p.key.startsWith("--node-check"));
  for (const p of problems) {
    const key = toStackKeys(p.key);
    // A value that could not be read was reported already (its placeholder would be reported again).
    if (!f.unreadable.has(key) && ![...f.unreadable].some((u) => u.startsWith(`${key}[`))) f.add(key, toStackKeys(p.message));
  }
  if (!enabled) {
    const tuned = Object.keys(given);
    if (tuned.length > 0 && f.ok(`${NODE_CHECK_KEY}.enabled`)) {
      f.warn(NODE_CHECK_KEY, `${tuned.join(", ")} ${tuned.length === 1 ? "has" : "have"} no effect while ${NODE_CHECK_KEY}.enabled is false`);
    }
    return undefined;
  }
  if (unreadable || problems.length > 0 || !settings.ok) return undefined;
  return settings.settings.nodeCheck;
}
