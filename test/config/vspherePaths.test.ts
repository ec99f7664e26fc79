/**
 * vSphere inventory paths: one reading for Rancher's node driver and the vSphere provider
 * (lib/vsphere/paths.ts), and the stack keys that use it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { posix } from "node:path";
import { datacenterProblem, inventoryPathProblem, normalizeVmFolder } from "../../lib/vsphere/paths";
import { formatProblems, validateStackConfig, type RawStackConfig } from "../../lib/config/validate";
import { at, qaWith } from "./fixtures";

/**
 * What each consumer makes of a folder value, as their code does it (rancher/machine
 * drivers/vmwarevsphere findFolder(); terraform-provider-vsphere folder.VirtualMachineFolderFromObject()).
 */
function nodeDriverFolder(folder: string, datacenter: string): string {
  const vmFolder = `/${datacenter}/vm`;
  if (folder === "") return vmFolder;
  return folder.startsWith(posix.join(datacenter, "vm")) ? folder : posix.join(vmFolder, folder.replace(/^\/+|\/+$/g, ""));
}
function providerFolder(folder: string, datacenter: string): string {
  return posix.normalize(`/${datacenter}/vm/${folder}`).replace(/\/$/, "");
}

test("the folder the stack sends means the same folder to both consumers", () => {
  for (const input of ["rancher/qa", "/dc1/vm/rancher/qa", "/dc1/vm", "x"]) {
    const n = normalizeVmFolder(input, "dc1");
    assert.ok("folder" in n, input);
    assert.equal(nodeDriverFolder(n.folder, "dc1"), providerFolder(n.folder, "dc1"), input);
  }
  const n = normalizeVmFolder("/dc1/vm/rancher/qa", "dc1");
  assert.ok("folder" in n && providerFolder(n.folder, "dc1") === "/dc1/vm/rancher/qa");
  // The absolute form as the provider would have read it: the doubling the issue describes.
  assert.equal(providerFolder("/dc1/vm/rancher/qa", "dc1"), "/dc1/vm/dc1/vm/rancher/qa");
});

test("folders that cannot mean one thing are refused", () => {
  const problem = (f: string) => {
    const n = normalizeVmFolder(f, "dc1");
    return "problem" in n ? n.problem : undefined;
  };
  assert.match(problem("/dc2/vm/rancher") ?? "", /must lie in the datacenter's VM folder \/dc1\/vm\//);
  assert.match(problem("/rancher/qa") ?? "", /must lie in the datacenter's VM folder/);
  assert.match(problem("dc1/vm/rancher") ?? "", /read as an absolute path by Rancher's node driver/);
  assert.match(problem("rancher//qa") ?? "", /empty path segments/);
  assert.match(problem("rancher/qa/") ?? "", /empty path segments/);
  assert.match(problem("rancher/../qa") ?? "", /"\." or "\.\."/);
});

test("other inventory paths: a name, or an absolute path in the datacenter's folder of that kind", () => {
  assert.equal(inventoryPathProblem("ds-qa-01", "datastore", "dc1"), undefined);
  assert.equal(inventoryPathProblem("/dc1/host/cluster1/Resources/qa", "host", "dc1"), undefined);
  assert.equal(inventoryPathProblem("/dc1/network/pg-a", "network", "dc1"), undefined);
  assert.equal(inventoryPathProblem("/dc1/vm/templates/ubuntu", "vm", "dc1"), undefined);
  assert.match(inventoryPathProblem("/dc1/vm/ds", "datastore", "dc1") ?? "", /datastore folder, e.g. "\/dc1\/datastore\/\.\.\."/);
  assert.match(inventoryPathProblem("/dc2/host/c/Resources", "host", "dc1") ?? "", /host folder/);
  assert.match(inventoryPathProblem("/dc1/host/", "host", "dc1") ?? "", /host folder/);
  assert.match(inventoryPathProblem("/dc1/host/c//Resources", "host", "dc1") ?? "", /empty path segments/);
  assert.equal(datacenterProblem("dc1"), undefined);
  assert.match(datacenterProblem("/dc1") ?? "", /datacenter's name/);
});

test("the stack keys: folder converted, the rest checked against vsphere.datacenter", () => {
  const expect = (raw: RawStackConfig, key: string, re: RegExp) => {
    const r = validateStackConfig(raw);
    assert.ok(!r.ok && r.problems.some((p) => p.key === key && re.test(p.message)), r.ok ? "accepted" : formatProblems(r.problems));
  };
  const abs = validateStackConfig(qaWith((c) => { at(c, "vsphere").folder = "/dc1/vm/rancher/qa"; }));
  assert.ok(abs.ok && abs.config.mode === "vsphere" && abs.config.vsphere.folder === "rancher/qa");
  expect(qaWith((c) => { at(c, "vsphere").folder = "/dc2/vm/rancher"; }), "vsphere.folder", /VM folder \/dc1\/vm\//);
  expect(qaWith((c) => { at(c, "vsphere").resourcePool = "/dc2/host/cluster1/Resources"; }), "vsphere.resourcePool", /host folder/);
  expect(qaWith((c) => { at(c, "vsphere").datastore = "/dc1/host/ds"; }), "vsphere.datastore", /datastore folder/);
  expect(qaWith((c) => { at(c, "vsphere").template = "/templates/ubuntu"; }), "vsphere.template", /vm folder/);
  expect(qaWith((c) => { at(c, "vsphere").networks = ["/dc1/vm/pg"]; }), "vsphere.networks[0]", /network folder/);
  expect(qaWith((c) => { at(c, "vsphere").datacenter = "/dc1"; }), "vsphere.datacenter", /datacenter's name/);
});
