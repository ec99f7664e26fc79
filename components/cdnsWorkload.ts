/**
 * The cDNS workload on the cluster: the objects of the cdk8s chart (lib/chart/cdnsChart.ts),
 * applied as one ConfigGroup for what the pods share (namespace, RBAC, ConfigMap, PriorityClass)
 * and one ConfigGroup per cDNS Deployment, chained: Deployment i+1 is updated only after
 * Deployment i is ready again (the engine awaits each Deployment's rollout). A change that rolls
 * the pods (a new image, a new config hash) therefore takes one name server down at a time,
 * never all of them. (One ConfigGroup for everything would apply both Deployments at once.)
 *
 * The images are Inputs (SidecarImage and DnsmasqImage build them), so the chart is synthesized inside
 * `.apply` and handed to the ConfigGroup as `objs`. The Kubernetes provider comes in through
 * `opts` (`providers` / `provider`) and reaches the ConfigGroup because it is our child.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deploymentName, synthCdnsChart, type CdnsChartProps } from "../lib/chart/cdnsChart";
import { DEFAULT_NAMESPACE } from "../lib/config/defaults";

export interface CdnsWorkloadArgs {
  /**
   * Everything that shapes the chart (zones, nodes, TTL, filters, sources, images, namespace ...);
   * see `CdnsChartProps` for each field and its default.
   */
  readonly chart: Omit<CdnsChartProps, "sidecarImage" | "dnsmasqImage"> & { readonly dnsmasqImage?: string };
  /** Digest-pinned sidecar image ref (`SidecarImage.ref`, or the configured prebuilt image). */
  readonly sidecarImage: pulumi.Input<string>;
  /**
   * Digest-pinned dnsmasq image ref (`DnsmasqImage.ref`); wins over `chart.dnsmasqImage`.
   * One of the two is required. @default chart.dnsmasqImage
   */
  readonly dnsmasqImage?: pulumi.Input<string>;
  /** Do not wait for the Deployments to become ready. @default false */
  readonly skipAwait?: boolean;
}

export class CdnsWorkload extends pulumi.ComponentResource {
  /** Namespace the workload runs in. */
  readonly namespace: string;
  /** Deployment names, one per cDNS node, in node order (`cdns-0`, `cdns-1`, ...). */
  readonly deploymentNames: readonly string[];
  /** sha256 of dnsmasq.conf and the sidecar flags, as annotated on the pod templates. */
  readonly configHash: pulumi.Output<string>;
  /** Every object of the chart, as synthesized. */
  readonly manifests: pulumi.Output<Record<string, unknown>[]>;
  /** The objects the pods share. */
  readonly shared: k8s.yaml.v2.ConfigGroup;
  /** One per Deployment, in node order; each depends on the one before. */
  readonly deployments: readonly k8s.yaml.v2.ConfigGroup[];

  constructor(name: string, args: CdnsWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    const dnsmasqImage = args.dnsmasqImage ?? args.chart.dnsmasqImage;
    if (dnsmasqImage === undefined) throw new Error("CdnsWorkload: dnsmasqImage (or chart.dnsmasqImage) is required");
    super("rancher-cdns:k8s:CdnsWorkload", name, {}, opts);
    this.namespace = args.chart.namespace ?? DEFAULT_NAMESPACE;
    this.deploymentNames = args.chart.nodes.map((n) => deploymentName(n.index));

    const synthesized = pulumi
      .all([args.sidecarImage, dnsmasqImage])
      .apply(([sidecarImage, dnsmasq]) => synthCdnsChart({ ...args.chart, sidecarImage, dnsmasqImage: dnsmasq }));
    this.manifests = synthesized.apply((s) => s.objs);
    this.configHash = synthesized.apply((s) => s.configHash);

    const skipAwait = args.skipAwait ?? false;
    const isDeployment = (o: Record<string, unknown>) => o.kind === "Deployment";
    const nameOf = (o: Record<string, unknown>) => (o.metadata as { name?: string } | undefined)?.name;
    this.shared = new k8s.yaml.v2.ConfigGroup(`${name}-shared`, { objs: this.manifests.apply((objs) => objs.filter((o) => !isDeployment(o))), skipAwait }, { parent: this });
    const deployments: k8s.yaml.v2.ConfigGroup[] = [];
    for (const dname of this.deploymentNames) {
      const previous = deployments[deployments.length - 1];
      deployments.push(new k8s.yaml.v2.ConfigGroup(
        `${name}-${dname}`,
        { objs: this.manifests.apply((objs) => objs.filter((o) => isDeployment(o) && nameOf(o) === dname)), skipAwait },
        { parent: this, dependsOn: previous === undefined ? [this.shared] : [this.shared, previous] },
      ));
    }
    this.deployments = deployments;

    this.registerOutputs({
      namespace: this.namespace,
      deploymentNames: this.deploymentNames,
      configHash: this.configHash,
    });
  }
}
