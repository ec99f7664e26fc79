/**
 * The guard against an update that replaces every cDNS node at once.
 *
 * Rancher replaces a machine pool's machines when the pool's machine config changes. The
 * cDNS machine configs share the network, template, VM size and placement, so a change to
 * one of those changes every cDNS machine config in one update, and Rancher rebuilds every
 * name server at the same time. The stack exports one fingerprint per cDNS node
 * (`cdnsMachineFingerprints`, machineConfig.ts); before registering anything the program
 * reads the previous ones and refuses an update after which no cDNS node that exists now
 * would be left untouched, unless `cdns.allowReplacingAllNodes` is set.
 */

export interface ReplacementPlan {
  /** Indices of the existing nodes whose machine would be replaced. */
  readonly replaced: readonly number[];
  /** How many existing nodes remain in the stack after the update. */
  readonly remaining: number;
}

/** Which nodes an update replaces: fingerprints compared by index (nodes are added and removed at the end). */
export function replacementPlan(previous: readonly string[], next: readonly string[]): ReplacementPlan {
  const remaining = Math.min(previous.length, next.length);
  const replaced: number[] = [];
  for (let i = 0; i < remaining; i++) if (previous[i] !== next[i]) replaced.push(i);
  return { replaced, remaining };
}

/**
 * Why the update must not go ahead, or undefined. `previous` is undefined on the first
 * update (or when the last one predates the output): there is nothing to compare.
 */
export function replacementProblem(previous: readonly string[] | undefined, next: readonly string[], allow: boolean): string | undefined {
  if (previous === undefined || allow) return undefined;
  const plan = replacementPlan(previous, next);
  if (plan.remaining === 0 || plan.replaced.length < plan.remaining) return undefined;
  const which = plan.replaced.map((i) => `cdns.nodes[${i}]`).join(", ");
  return `this update would replace every cDNS node at once (${which}: their machine settings changed, e.g. template, VM size, `
    + "placement or network), and no name server would answer until Rancher has rebuilt them. Roll the change one node at a time "
    + "with cdns.nodes[<i>].machine (README, Operations), or set cdns.allowReplacingAllNodes: true for this one update";
}
