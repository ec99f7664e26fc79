/**
 * The real Pulumi engine, offline: the CLI and the kubernetes provider plugin from the rig's
 * builds (rig/binaries.ts), a private PULUMI_HOME with the plugin installed under the version the
 * npm SDK asks for, a file backend, and nothing downloaded at run time.
 *
 * Programs run through the Automation API as inline programs: the SDK serves the language host
 * inside this Node process, so no `pulumi-language-nodejs` plugin is needed (none is obtainable
 * here). Policy packs run as an analyzer executable (see policyPackRunner()).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { LocalWorkspace, PulumiCommand, type ConfigMap, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { cacheRoot, ensureBinaries, type Log } from "./binaries";
import { kubernetesPluginVersion } from "./components";

export interface Engine {
  readonly pulumi: string;
  readonly pulumiHome: string;
  readonly backendDir: string;
  /** The environment every engine run gets (also copied into process.env: LocalWorkspace runs `pulumi version` without its envVars). */
  readonly env: Readonly<Record<string, string>>;
  readonly command: PulumiCommand;
  /** Removes the backend directory (when it was made by prepareEngine). */
  dispose(): void;
}

export interface EngineOptions {
  /** File backend directory. @default a fresh temporary directory, removed by dispose() */
  readonly backendDir?: string;
  readonly log?: Log;
  readonly noBuild?: boolean;
}

/** Installs the provider plugin into PULUMI_HOME unless this very binary is installed already. */
function installPlugin(pulumi: string, pulumiHome: string, binary: string, version: string, env: NodeJS.ProcessEnv, log: Log): void {
  const stamp = join(pulumiHome, `.installed-kubernetes-${version}`);
  const st = statSync(binary);
  const id = `${binary}:${st.size}:${st.mtimeMs}`;
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === id) return;
  log(`installing the kubernetes provider plugin ${version} into ${pulumiHome}`);
  execFileSync(pulumi, ["plugin", "install", "resource", "kubernetes", version, "--file", binary, "--reinstall"], { env, stdio: ["ignore", "pipe", "pipe"] });
  writeFileSync(stamp, id);
}

export async function prepareEngine(opts: EngineOptions = {}): Promise<Engine> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`rig: ${line}\n`));
  const bins = await ensureBinaries(["pulumi", "pulumi-kubernetes"], { log, noBuild: opts.noBuild });
  const pulumi = bins.pulumi as string;
  const pulumiHome = join(cacheRoot(), "pulumi-home");
  mkdirSync(pulumiHome, { recursive: true });
  const ownBackend = opts.backendDir === undefined;
  const backendDir = opts.backendDir ?? mkdtempSync(join(tmpdir(), "rig-pulumi-backend-"));
  mkdirSync(backendDir, { recursive: true });
  const env: Record<string, string> = {
    PULUMI_HOME: pulumiHome,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    // Local test stacks only; the secrets provider needs some passphrase.
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "rancher-cdns-local",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
  Object.assign(process.env, env);
  installPlugin(pulumi, pulumiHome, bins["pulumi-resource-kubernetes"] as string, kubernetesPluginVersion(), { ...process.env, ...env }, log);
  // PulumiCommand wants <root>/bin/pulumi.
  const root = join(cacheRoot(), "pulumi-root");
  mkdirSync(join(root, "bin"), { recursive: true });
  const link = join(root, "bin", "pulumi");
  rmSync(link, { force: true });
  symlinkSync(pulumi, link);
  const command = await PulumiCommand.get({ root, skipVersionCheck: true });
  return {
    pulumi,
    pulumiHome,
    backendDir,
    env,
    command,
    dispose() {
      if (ownBackend) rmSync(backendDir, { recursive: true, force: true });
    },
  };
}

export interface InlineStackOptions {
  readonly engine: Engine;
  readonly projectName: string;
  readonly stackName: string;
  readonly program: PulumiFn;
  /** Plain and secret config, keys without the project prefix are taken as `<project>:<key>`. */
  readonly config?: ConfigMap;
  /** Project settings files (Pulumi.yaml, Pulumi.<stack>.yaml) copied into the workspace directory. @default none */
  readonly projectFiles?: readonly string[];
  /** An existing workspace directory (another program on the same stack and config); not removed by dispose(). @default a new one */
  readonly workDir?: string;
}

/** An inline-program stack in a temporary workspace directory (the repository's files are never written). */
export async function inlineStack(opts: InlineStackOptions): Promise<{ stack: Stack; workDir: string; dispose(): void }> {
  const own = opts.workDir === undefined;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), "rig-pulumi-ws-"));
  for (const f of opts.projectFiles ?? []) {
    const name = basename(f);
    let text = readFileSync(f, "utf8");
    if (name === "Pulumi.yaml") {
      // The program runs inline here; the CLI would check that the project's `main` directory exists.
      const project = parse(text) as Record<string, unknown>;
      delete project.main;
      text = stringify(project);
    }
    writeFileSync(join(workDir, name), text);
  }
  const stack = await LocalWorkspace.createOrSelectStack(
    { projectName: opts.projectName, stackName: opts.stackName, program: opts.program },
    { workDir, pulumiHome: opts.engine.pulumiHome, envVars: { ...opts.engine.env }, pulumiCommand: opts.engine.command },
  );
  if (opts.config !== undefined) await stack.setAllConfig(opts.config);
  return { stack, workDir, dispose: () => (own ? rmSync(workDir, { recursive: true, force: true }) : undefined) };
}

/**
 * A policy pack as the engine can run it here: an executable analyzer that runs the pack with
 * the SDK's run-policy-pack entry (a policy-pack directory would need the Node language host).
 */
export function policyPackRunner(packDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), "rig-policy-"));
  const script = join(dir, "pulumi-analyzer-policy");
  const pack = resolve(packDir);
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
  writeFileSync(script, `#!/bin/sh\ncd ${JSON.stringify(pack)} && exec ${JSON.stringify(process.execPath)} ${JSON.stringify(runner)} "$1" ${JSON.stringify(pack)}\n`);
  chmodSync(script, 0o755);
  return script;
}
