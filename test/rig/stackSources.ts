/**
 * What the stack keys `sidecar.sources.*` give the cluster: the chart synthesized from a
 * validated stack config (the local, existing-cluster stack serving the rig's zone), through
 * workloadChartProps() as `pulumi up` and `npm run synth` do. Its RBAC objects are what the rig
 * applies, and its sidecar flags what the rig's sidecar runs with.
 */
import { synthCdnsChart } from "../../lib/chart/cdnsChart";
import { formatProblems, validateStackConfig } from "../../lib/config/validate";
import type { SidecarSourcesConfig } from "../../lib/config/types";
import { workloadChartProps } from "../../lib/stack/derive";
import { parseArgs, type RawSettings } from "../../sidecar/src/settings";
import { at, localWith } from "../config/fixtures";
import { SidecarRig, WORKER, ZONE } from "./harness";

export interface StackSourcesChart {
  /** Namespace, ServiceAccount, ClusterRole and ClusterRoleBinding, as synthesized. */
  readonly rbac: Record<string, unknown>[];
  /** The sidecar's flags for the sources (`enable-services`, `enable-httproutes`), as the pod gets them. */
  readonly sourceFlags: RawSettings;
}

/** The chart of a stack whose `sidecar.sources` is `sources` (undefined: the key left out). */
export function stackSourcesChart(sources: Partial<SidecarSourcesConfig> | undefined): StackSourcesChart {
  const r = validateStackConfig(localWith((c) => {
    c.zones = [ZONE];
    if (sources !== undefined) at(c, "sidecar").sources = sources;
  }));
  if (!r.ok) throw new Error(formatProblems(r.problems));
  const objs = synthCdnsChart({ ...workloadChartProps(r.config), sidecarImage: "localhost/cdns-sidecar:test", dnsmasqImage: "localhost/cdns-dnsmasq:test" }).objs;
  const rbac = objs.filter((o) => ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"].includes(String(o.kind)));
  type Pod = { spec: { template: { spec: { initContainers: { name: string; args: string[] }[] } } } };
  const deployment = objs.find((o) => o.kind === "Deployment") as Pod | undefined;
  const args = deployment?.spec.template.spec.initContainers.find((c) => c.name === "sidecar")?.args ?? [];
  const raw = parseArgs(args, {}).raw;
  const sourceFlags: Record<string, string> = {};
  for (const flag of ["enable-services", "enable-httproutes"]) if (raw[flag] !== undefined) sourceFlags[flag] = raw[flag] as string;
  return { rbac, sourceFlags };
}

/** A sidecar on the rig (two workers) running with `chart`'s source flags and exactly its RBAC. */
export async function startWithStackSources(chart: StackSourcesChart): Promise<SidecarRig> {
  const rig = await SidecarRig.start({
    nodes: [
      { name: "w1", ip: "10.0.0.11", labels: WORKER },
      { name: "w2", ip: "10.0.0.12", labels: WORKER },
    ],
    settings: chart.sourceFlags,
    startSidecar: false,
  });
  // Exactly the stack's RBAC (replacing the harness's default objects, same field manager).
  await rig.cluster.apply(chart.rbac);
  await rig.startSidecar();
  return rig;
}
