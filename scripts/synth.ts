/**
 * `npm run synth [-- --stack NAME] [-- --out DIR]`: writes every artifact the
 * stack generates, for the stack's config file (Pulumi.<stack>.yaml, default
 * qa), as plain files under dist/<stack>/, without Rancher, vCenter or a
 * Pulumi CLI. GitOps and kubectl users apply manifests/cdns.yaml; the iDNS
 * admins take forwarding/*; the rest shows what the VMs get.
 *
 * Secrets are never read: the HAProxy stats page is rendered without
 * credentials (127.0.0.1 only), and secure: values in the stack file are ignored.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { formatProblems, RAW_CONFIG_KEYS, validateStackConfig, type RawStackConfig } from "../lib/config/validate";
import type { StackConfig } from "../lib/config/types";
import { DNSMASQ_CONF_KEY, synthCdnsChart, toYaml } from "../lib/chart/cdnsChart";
import { renderCdnsCloudConfig } from "../lib/render/cloudConfig";
import { renderForwarding } from "../lib/render/forwarding";
import { haproxyCfgInputFromConfig, renderHaproxyCfg } from "../lib/render/haproxyCfg";
import { renderHaproxyMetaData, renderHaproxyUserData } from "../lib/render/haproxyCloudInit";
import { cdnsAddresses, cdnsMachineFingerprints, cdnsNodeCommands, forwardingInput, workloadChartProps } from "../lib/stack/derive";
import { version } from "../package.json";

const REPO_ROOT = resolve(__dirname, "..");
const PROJECT = "rancher-cdns";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

/** The stack file's non-secret `rancher-cdns:*` keys, as the program would read them. */
export function readStackFile(path: string): RawStackConfig {
  const doc = parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw: Record<string, unknown> = {};
  for (const key of RAW_CONFIG_KEYS) {
    const v = doc?.config?.[`${PROJECT}:${key}`];
    if (v !== undefined) raw[key] = v;
  }
  return raw;
}

/** Image the manifests name: the prebuilt one, or the tag a `pulumi up` would push (not digest-pinned: no build here). */
function imageFor(config: StackConfig, which: "sidecar" | "dnsmasq"): string {
  const prebuilt = which === "sidecar" ? config.sidecar.image : config.sidecar.dnsmasqImage;
  if (prebuilt !== undefined) return prebuilt;
  const r = config.sidecar.registry;
  if (r === undefined) throw new Error("sidecar: neither the image nor the registry is set");
  return `${r.server}/${which === "sidecar" ? r.repository : r.dnsmasqRepository}:${version}`;
}

/** Every generated file, path relative to the output dir -> content. */
export function synthArtifacts(config: StackConfig): Record<string, string> {
  const files: Record<string, string> = {};
  const chart = synthCdnsChart({ ...workloadChartProps(config), sidecarImage: imageFor(config, "sidecar"), dnsmasqImage: imageFor(config, "dnsmasq") });
  files["manifests/cdns.yaml"] = toYaml(chart.objs);
  // The very conf the pod mounts, not a second rendering that could drift from it.
  const cm = chart.objs.find((o) => o.kind === "ConfigMap") as { data?: Record<string, string> } | undefined;
  const dnsmasqConf = cm?.data?.[DNSMASQ_CONF_KEY];
  if (dnsmasqConf === undefined) throw new Error(`synth: the chart has no ConfigMap with ${DNSMASQ_CONF_KEY}`);
  files["dnsmasq/dnsmasq.conf"] = dnsmasqConf;
  if (config.mode === "vsphere") {
    for (const node of config.cdns.nodes) {
      files[`cloud-init/cdns-${node.index}.yaml`] = renderCdnsCloudConfig({ ip: node.ip, network: config.cdns.network });
    }
  } else {
    files["nodes/commands.sh"] = `${cdnsNodeCommands(config).join("\n")}\n`;
  }
  const fwd = renderForwarding(forwardingInput(config));
  files["forwarding/bind-named.conf"] = fwd.bind;
  files["forwarding/unbound.conf"] = fwd.unbound;
  files["forwarding/dnsmasq.conf"] = fwd.dnsmasq;
  files["forwarding/Corefile"] = fwd.coredns;
  files["forwarding/windows-dns.ps1"] = fwd.windows;
  if (fwd.delegation !== undefined) files["forwarding/delegation.zone"] = fwd.delegation;
  const h = config.mode === "vsphere" ? config.haproxy : undefined;
  if (h !== undefined && config.mode === "vsphere") {
    const zone = config.zones[0] as string;
    const cfg = renderHaproxyCfg(haproxyCfgInputFromConfig(h, zone, cdnsAddresses(config)));
    files["haproxy/haproxy.cfg"] = cfg;
    const ci = { hostname: h.hostname, ip: h.ip, network: config.cdns.network, haproxyCfg: cfg };
    const userData = renderHaproxyUserData(ci);
    files["haproxy/user-data.yaml"] = userData;
    files["haproxy/meta-data.yaml"] = renderHaproxyMetaData(ci, userData);
  }
  files["outputs.json"] = JSON.stringify(
    {
      cdnsAddresses: cdnsAddresses(config),
      zones: config.zones,
      forwarding: fwd,
      sidecarImage: imageFor(config, "sidecar"),
      dnsmasqImage: imageFor(config, "dnsmasq"),
      ...(config.mode === "vsphere"
        ? {
            haproxyAddress: h?.ip ?? null,
            kubeconfig: "[secret: `pulumi stack output kubeconfig --show-secrets` after pulumi up]",
            cdnsMachineFingerprints: cdnsMachineFingerprints(config),
          }
        : { cdnsNodeCommands: cdnsNodeCommands(config) }),
    },
    null,
    2,
  ) + "\n";
  return files;
}

function main(): void {
  const stack = arg("stack", "qa");
  const out = resolve(arg("out", join(REPO_ROOT, "dist", stack)));
  const stackFile = join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    console.error(`synth: no stack file ${stackFile} (try --stack qa)`);
    process.exit(2);
  }
  const result = validateStackConfig(readStackFile(stackFile));
  for (const w of result.warnings) console.warn(`warning: ${PROJECT}:${w.key}: ${w.message}`);
  if (!result.ok) {
    console.error(formatProblems(result.problems, `${PROJECT}:`));
    process.exit(2);
  }
  const files = synthArtifacts(result.config);
  rmSync(out, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(out, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  console.log(`synth: stack ${stack}: ${Object.keys(files).length} files in ${out}`);
  for (const rel of Object.keys(files).sort()) console.log(`  ${rel}`);
}

if (require.main === module) main();
