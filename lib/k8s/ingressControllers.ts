/**
 * The ingress controller whose pods decide which nodes take a name's traffic: where its pods run
 * (namespace, pod label selector) and which Ingresses it serves (IngressClass names). One
 * definition, and one validator, for the sidecar's flags, the chart's RBAC and the stack config.
 *
 * Presets for the controllers RKE2 bundles (both a hostPort DaemonSet in kube-system, installed
 * by RKE2's HelmChart objects whose release name is the chart name):
 * - `rke2-ingress-nginx`: the upstream ingress-nginx chart; its controller pods carry
 *   `app.kubernetes.io/name=rke2-ingress-nginx` (the chart name), `app.kubernetes.io/instance=
 *   rke2-ingress-nginx` and `app.kubernetes.io/component=controller` (the admission jobs and the
 *   default backend carry other components); IngressClass `nginx`.
 * - `rke2-traefik`: the upstream Traefik chart; its pods carry `app.kubernetes.io/name=rke2-traefik`
 *   and `app.kubernetes.io/instance=rke2-traefik-kube-system` (release name + namespace);
 *   IngressClass `traefik` (RKE2 sets `ingressClass.name` and the provider's `ingressClass`).
 *
 * Classes: an Ingress is the controller's when its class (`spec.ingressClassName`, else the legacy
 * `kubernetes.io/ingress.class` annotation) is one of `classes`; `*` alone means every Ingress,
 * with or without a class (a cluster with one controller). An Ingress without a class is not the
 * controller's otherwise: neither bundled controller serves class-less Ingresses by default, and
 * when RKE2 makes one the default class the API server writes that class into new Ingresses.
 */
import type { ConfigProblem } from "../config/types";
import { isDnsLabel, isDnsName } from "../dns/syntax";
import { parseLabelSelector } from "./labelSelector";

export interface IngressControllerSpec {
  /** Namespace of the controller's pods. */
  readonly namespace: string;
  /** Label selector of the controller's pods (Kubernetes syntax, non-empty). */
  readonly podSelector: string;
  /** IngressClass names it serves, or [ALL_INGRESS_CLASSES]. */
  readonly classes: readonly string[];
}

/** `classes` entry meaning every Ingress, with or without a class. */
export const ALL_INGRESS_CLASSES = "*";

export type IngressControllerPreset = "rke2-ingress-nginx" | "rke2-traefik";

export const INGRESS_CONTROLLER_PRESETS: Readonly<Record<IngressControllerPreset, IngressControllerSpec>> = {
  "rke2-ingress-nginx": {
    namespace: "kube-system",
    podSelector: "app.kubernetes.io/name=rke2-ingress-nginx,app.kubernetes.io/component=controller",
    classes: ["nginx"],
  },
  "rke2-traefik": {
    namespace: "kube-system",
    podSelector: "app.kubernetes.io/name=rke2-traefik,app.kubernetes.io/instance=rke2-traefik-kube-system",
    classes: ["traefik"],
  },
};

/** Meaning "no controller": targets follow node health only. */
export const NO_INGRESS_CONTROLLER = "none";

export interface IngressControllerInput {
  /** A preset name, NO_INGRESS_CONTROLLER, or undefined. */
  readonly preset?: string;
  /** Each overrides the preset's value; without a preset all three are needed. */
  readonly namespace?: string;
  readonly podSelector?: string;
  readonly classes?: readonly string[];
}

/** Names of the input fields in problems (flags for the sidecar, dotted keys for the stack). */
export interface IngressControllerKeys {
  readonly preset: string;
  readonly namespace: string;
  readonly podSelector: string;
  readonly classes: string;
}

export type IngressControllerResult =
  | { readonly ok: true; readonly controller: IngressControllerSpec | undefined }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

function isPreset(v: string): v is IngressControllerPreset {
  return Object.prototype.hasOwnProperty.call(INGRESS_CONTROLLER_PRESETS, v);
}

/** The controller the input names (undefined: none), or every problem with it. */
export function resolveIngressController(input: IngressControllerInput, keys: IngressControllerKeys): IngressControllerResult {
  const problems: ConfigProblem[] = [];
  const presetName = input.preset?.trim();
  let preset: IngressControllerSpec | undefined;
  const custom = input.namespace !== undefined || input.podSelector !== undefined || input.classes !== undefined;
  if (presetName !== undefined && presetName !== "" && presetName !== NO_INGRESS_CONTROLLER) {
    if (isPreset(presetName)) preset = INGRESS_CONTROLLER_PRESETS[presetName];
    else problems.push({ key: keys.preset, message: `must be ${[...Object.keys(INGRESS_CONTROLLER_PRESETS), NO_INGRESS_CONTROLLER].join(", ")}, got "${presetName}"` });
  } else if (presetName === NO_INGRESS_CONTROLLER && custom) {
    problems.push({ key: keys.preset, message: `is "${NO_INGRESS_CONTROLLER}" but a controller namespace, selector or classes are set` });
  }
  if (preset === undefined && !custom) return problems.length > 0 ? { ok: false, problems } : { ok: true, controller: undefined };

  // Namespace names are DNS labels, IngressClass names DNS names (subdomains): the shared checks of lib/dns/syntax.ts.
  const namespace = input.namespace?.trim() ?? preset?.namespace;
  if (namespace === undefined) problems.push({ key: keys.namespace, message: "is required without a preset" });
  else if (!isDnsLabel(namespace)) problems.push({ key: keys.namespace, message: `"${namespace}" is not a valid namespace name` });

  const podSelector = input.podSelector?.trim() ?? preset?.podSelector;
  if (podSelector === undefined) problems.push({ key: keys.podSelector, message: "is required without a preset" });
  else {
    const parsed = parseLabelSelector(podSelector);
    // An empty selector would take every pod of the namespace for the controller's.
    if (!parsed.ok) problems.push({ key: keys.podSelector, message: `must be a label selector: ${parsed.error}` });
    else if (parsed.requirements.length === 0) problems.push({ key: keys.podSelector, message: "must not be empty (it would select every pod of the namespace)" });
  }

  const classes = input.classes?.map((c) => c.trim()).filter((c) => c !== "") ?? preset?.classes;
  if (classes === undefined || classes.length === 0) problems.push({ key: keys.classes, message: `needs at least one IngressClass name (or "${ALL_INGRESS_CLASSES}" for every Ingress)` });
  else {
    if (classes.includes(ALL_INGRESS_CLASSES) && classes.length > 1) problems.push({ key: keys.classes, message: `"${ALL_INGRESS_CLASSES}" stands alone (it already means every Ingress)` });
    for (const c of classes) if (c !== ALL_INGRESS_CLASSES && !isDnsName(c)) problems.push({ key: keys.classes, message: `"${c}" is not a valid IngressClass name` });
    const dup = classes.filter((c, i) => classes.indexOf(c) !== i);
    if (dup.length > 0) problems.push({ key: keys.classes, message: `listed twice: ${[...new Set(dup)].join(", ")}` });
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, controller: { namespace: namespace as string, podSelector: podSelector as string, classes: classes as string[] } };
}

/** True when an Ingress of class `cls` (undefined: none) is the controller's. */
export function servesClass(classes: readonly string[], cls: string | undefined): boolean {
  if (classes.length === 1 && classes[0] === ALL_INGRESS_CLASSES) return true;
  return cls !== undefined && classes.includes(cls);
}
