import { test } from "node:test";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const WORKFLOWS = join(__dirname, "..", "..", ".github", "workflows");

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, unknown>>;
}
interface Job {
  readonly needs?: string | readonly string[];
  readonly if?: string;
  readonly environment?: string | { readonly name: string };
  readonly strategy?: { readonly matrix?: Readonly<Record<string, unknown>> };
  readonly env?: Readonly<Record<string, unknown>>;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: Readonly<Record<string, unknown>>;
  readonly permissions?: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}

function load(file: string): { text: string; wf: Workflow } {
  const text = readFileSync(join(WORKFLOWS, file), "utf8");
  // parse() throws on invalid YAML: a syntax error fails the test here.
  return { text, wf: parse(text) as Workflow };
}

function pulumiStep(job: Job): Step {
  const steps = job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@") === true);
  assert.equal(steps.length, 1, "exactly one pulumi/actions step");
  return steps[0] as Step;
}

function runIndex(job: Job, command: string): number {
  return job.steps.findIndex((s) => s.run?.trim() === command);
}

/** Node 20 via setup-node, after a checkout. */
function assertNodeSetup(job: Job): void {
  assert.ok(job.steps[0]?.uses?.startsWith("actions/checkout@"), "checkout first");
  const node = job.steps.find((s) => s.uses?.startsWith("actions/setup-node@") === true);
  assert.equal(String(node?.with?.["node-version"]), "20");
  assert.ok(runIndex(job, "npm ci") >= 0, "npm ci");
}

const credentialKey = /TOKEN|PASSWORD|SECRET|KEY|USER|SERVER|URL/;

/** Every credential-looking env value (job or step level) is a secrets reference; no token literal anywhere. */
function assertNoInlinedSecrets(text: string, wf: Workflow): void {
  for (const [name, job] of Object.entries(wf.jobs)) {
    const envs = [job.env ?? {}, ...job.steps.map((s) => s.env ?? {})];
    for (const env of envs) {
      for (const [key, value] of Object.entries(env)) {
        if (credentialKey.test(key)) assert.match(String(value), /^\$\{\{ secrets\.[A-Z0-9_]+ \}\}$/, `${name}: ${key} must come from secrets`);
      }
    }
    for (const step of job.steps) {
      const token = step.with?.["github-token"];
      if (token !== undefined) assert.equal(token, "${{ secrets.GITHUB_TOKEN }}");
    }
  }
  // Pulumi access tokens, GitHub tokens, AWS-style keys, Rancher token keys.
  assert.doesNotMatch(text, /pul-[0-9a-f]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|token-[a-z0-9]{5}:[a-z0-9]{20,}/);
}

test("preview.yml: on pull requests, tests then pulumi preview of qa with a PR comment", () => {
  const { text, wf } = load("preview.yml");
  assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
  assert.equal(wf.permissions?.["pull-requests"], "write", "comment-on-pr needs to write PR comments");
  const testJob = wf.jobs["test"];
  assert.ok(testJob !== undefined);
  assertNodeSetup(testJob);
  assert.ok(runIndex(testJob, "npm test") > runIndex(testJob, "npm ci"), "npm test after npm ci");
  const preview = wf.jobs["preview"];
  assert.ok(preview !== undefined);
  assert.equal(preview.needs, "test", "no preview unless the tests pass");
  assertNodeSetup(preview);
  const step = pulumiStep(preview);
  assert.equal(step.with?.["command"], "preview");
  assert.equal(step.with?.["comment-on-pr"], true);
  assert.equal(step.with?.["work-dir"], ".");
  assert.equal(step.with?.["stack-name"], "${{ matrix.stack }}");
  assert.deepEqual(preview.strategy?.matrix?.["stack"], ["qa"]);
  assert.ok(preview.steps.indexOf(step) > runIndex(preview, "npm ci"), "dependencies installed before the preview");
  assert.equal(preview.env?.["PULUMI_ACCESS_TOKEN"], "${{ secrets.PULUMI_ACCESS_TOKEN }}");
  assertNoInlinedSecrets(text, wf);
});

test("up.yml: on pushes to main only, pulumi up behind the production-approval environment", () => {
  const { text, wf } = load("up.yml");
  assert.deepEqual(Object.keys(wf.on), ["push"]);
  assert.deepEqual((wf.on["push"] as { branches?: unknown }).branches, ["main"]);
  const up = wf.jobs["up"];
  assert.ok(up !== undefined);
  const env = up.environment;
  assert.equal(typeof env === "string" ? env : env?.name, "production-approval");
  assert.equal(up.needs, "test");
  assertNodeSetup(up);
  const step = pulumiStep(up);
  assert.equal(step.with?.["command"], "up");
  assert.equal(step.with?.["stack-name"], "qa");
  assert.equal(step.with?.["work-dir"], ".");
  assert.equal(up.env?.["PULUMI_ACCESS_TOKEN"], "${{ secrets.PULUMI_ACCESS_TOKEN }}");
  // Only the gated job may deploy: no other job runs pulumi.
  for (const [name, job] of Object.entries(wf.jobs)) {
    if (name !== "up") assert.ok(!job.steps.some((s) => s.uses?.startsWith("pulumi/actions@") === true), `${name} must not run pulumi`);
  }
  assert.match(text, /Required reviewers/, "the approval setup is explained");
  assertNoInlinedSecrets(text, wf);
});

test("the secret check catches an inlined credential", () => {
  const { text, wf } = load("up.yml");
  const leaked = text.replace("${{ secrets.PULUMI_ACCESS_TOKEN }}", "hunter2");
  assert.notEqual(leaked, text, "the workflow reads PULUMI_ACCESS_TOKEN from secrets");
  assert.throws(() => assertNoInlinedSecrets(leaked, parse(leaked) as Workflow), /PULUMI_ACCESS_TOKEN must come from secrets/);
  assert.throws(() => assertNoInlinedSecrets(`${text}\n# pul-0123456789abcdef0123456789abcdef01234567\n`, wf));
});

test("preview and up both run the policy pack, which exists with its manifest", () => {
  for (const file of ["preview.yml", "up.yml"]) {
    const { wf } = load(file);
    const jobName = file === "preview.yml" ? "preview" : "up";
    const job = wf.jobs[jobName];
    assert.ok(job !== undefined, `${file} has a ${jobName} job`);
    assert.equal(pulumiStep(job).with?.["policyPacks"], "policy", `${file}: pulumi/actions runs --policy-pack policy`);
  }
  assert.match(readFileSync(join(WORKFLOWS, "..", "..", "policy", "PulumiPolicy.yaml"), "utf8"), /runtime:\s*nodejs/);
});
