/**
 * DNS label and name syntax: the one set of checks the stack config, the
 * HAProxy renderer and the sidecar use (RFC 1123 host names, lowercase, as the
 * cDNS serves them).
 */

/** a-z, 0-9 and "-", 1-63 characters, no "-" at either end. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** The longest name in presentation form, without the trailing dot. */
export const DNS_NAME_MAX_LENGTH = 253;

export function isDnsLabel(label: string): boolean {
  return DNS_LABEL.test(label);
}

/** Why `label` is not a lowercase DNS label, or undefined when it is one. */
export function dnsLabelProblem(label: string): string | undefined {
  return isDnsLabel(label)
    ? undefined
    : `must be a lowercase DNS label (a-z, 0-9 and "-", 1-63 characters, no "-" at either end); got ${JSON.stringify(label)}`;
}

/** Why `name` is not a lowercase DNS name of at least `minLabels` labels, or undefined when it is one. */
export function dnsNameProblem(name: string, minLabels = 1): string | undefined {
  if (name !== name.toLowerCase()) return `must be lowercase; got ${JSON.stringify(name)}`;
  if (name.endsWith(".")) return `must not end with "."; got ${JSON.stringify(name)}`;
  if (name.length > DNS_NAME_MAX_LENGTH) return `must be at most ${DNS_NAME_MAX_LENGTH} characters; got ${name.length}`;
  const labels = name.split(".");
  const bad = labels.find((l) => !isDnsLabel(l));
  if (bad !== undefined) {
    return `label ${JSON.stringify(bad)} of ${JSON.stringify(name)} is not a DNS label (a-z, 0-9 and "-", 1-63 characters, no "-" at either end)`;
  }
  if (labels.length < minLabels) return `must have at least ${minLabels} labels (e.g. "apps.example.com"); got ${JSON.stringify(name)}`;
  return undefined;
}

export function isDnsName(name: string, minLabels = 1): boolean {
  return dnsNameProblem(name, minLabels) === undefined;
}

/** True when the last label is all digits: "10.0.0.1" or "a.123" is an address or a typo, not a host name. */
export function hasNumericTopLabel(name: string): boolean {
  return /(^|\.)[0-9]+$/.test(name);
}

/** The label that makes a name a wildcard: `*.sub.zone` (the only form the Ingress API allows). */
export const WILDCARD_PREFIX = "*.";

/** True when `name` has the wildcard form `*.<rest>` (the rest is not checked here). */
export function isWildcardName(name: string): boolean {
  return name.startsWith(WILDCARD_PREFIX);
}

/** The base of a wildcard name (`*.sub.zone` -> `sub.zone`), or undefined for any other name. */
export function wildcardBase(name: string): string | undefined {
  return isWildcardName(name) ? name.slice(WILDCARD_PREFIX.length) : undefined;
}

/** The name one label up (`a.b.c` -> `b.c`), or undefined for a single label. */
export function parentName(name: string): string | undefined {
  const dot = name.indexOf(".");
  return dot < 0 ? undefined : name.slice(dot + 1);
}
