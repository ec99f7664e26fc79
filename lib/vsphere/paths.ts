/**
 * vSphere inventory paths, read the same way by both consumers of the stack config:
 * Rancher's vSphere node driver (rancher/machine drivers/vmwarevsphere, through
 * MachineConfigV2.vsphereConfig) and the vSphere provider (the HAProxy VM).
 *
 * What each does with the values:
 * - datacenter: both look it up by name (govmomi `DatacenterOrDefault` / `getDatacenter`).
 * - resource pool, datastore, network, template: both hand the value to govmomi's finder
 *   with the datacenter set, so a plain name (searched in the datacenter) or an absolute
 *   inventory path ("/dc1/host/cluster1/Resources/qa") means the same to both.
 * - VM folder: the provider always joins it to the datacenter's VM folder
 *   (`<dc path>/vm/<folder>`), so "/dc1/vm/rancher/qa" would become
 *   "/dc1/vm/dc1/vm/rancher/qa"; the node driver joins it too unless it starts with
 *   "<datacenter>/vm" (without a leading "/"). So the one reading both share is the path
 *   relative to the datacenter's VM folder: "rancher/qa". The stack config also takes the
 *   absolute form "/dc1/vm/rancher/qa" and turns it into that.
 */

/** The inventory folder each kind of object lives under, inside a datacenter. */
export type InventoryRoot = "host" | "datastore" | "network" | "vm";

/** Why `name` is not a datacenter name both consumers look up the same way, or undefined. */
export function datacenterProblem(name: string): string | undefined {
  if (name.includes("/")) return `must be the datacenter's name, e.g. "dc1", not a path; got ${JSON.stringify(name)}`;
  return undefined;
}

function segmentsProblem(path: string): string | undefined {
  const segments = path.split("/");
  if (segments.some((s) => s === "")) return `must not contain empty path segments ("//" or a trailing "/"); got ${JSON.stringify(path)}`;
  if (segments.some((s) => s === "." || s === "..")) return `must not contain "." or ".." segments; got ${JSON.stringify(path)}`;
  return undefined;
}

/**
 * Why `value` (a resource pool, datastore, network or template) is not read the same way
 * by both consumers, or undefined: a name, or an absolute path inside the datacenter's
 * `root` folder.
 */
export function inventoryPathProblem(value: string, root: InventoryRoot, datacenter: string): string | undefined {
  if (!value.startsWith("/")) return undefined;
  const prefix = `/${datacenter}/${root}/`;
  if (!value.startsWith(prefix) || value.length === prefix.length) {
    return `an absolute inventory path must lie in the datacenter's ${root} folder, e.g. "${prefix}..."; got ${JSON.stringify(value)} (or give just the name)`;
  }
  return segmentsProblem(value.slice(1));
}

/**
 * The VM folder relative to the datacenter's VM folder, from either form the config
 * accepts: "rancher/qa" or "/dc1/vm/rancher/qa" (and "/dc1/vm" for the VM folder itself,
 * which becomes ""). A problem when the value cannot mean the same to both consumers.
 */
export function normalizeVmFolder(folder: string, datacenter: string): { readonly folder: string } | { readonly problem: string } {
  const root = `/${datacenter}/vm`;
  const example = `"rancher/qa" (the folder ${root}/rancher/qa)`;
  if (folder.startsWith("/")) {
    if (folder === root) return { folder: "" };
    if (!folder.startsWith(`${root}/`)) {
      return { problem: `an absolute folder must lie in the datacenter's VM folder ${root}/; got ${JSON.stringify(folder)}. Give it relative to that folder, e.g. ${example}` };
    }
    const relative = folder.slice(root.length + 1);
    const problem = segmentsProblem(relative);
    return problem === undefined ? { folder: relative } : { problem };
  }
  if (folder === `${datacenter}/vm` || folder.startsWith(`${datacenter}/vm/`)) {
    return {
      problem: `${JSON.stringify(folder)} is read as an absolute path by Rancher's node driver and as relative to ${root} by the vSphere provider; give it relative to the VM folder, e.g. ${example}`,
    };
  }
  const problem = segmentsProblem(folder);
  return problem === undefined ? { folder } : { problem };
}
