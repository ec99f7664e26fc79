/**
 * The cDNS workload on the cluster: the objects of the cdk8s chart (lib/chart/cdnsChart.ts)
 * applied through one `k8s.yaml.v2.ConfigGroup`.
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
  /** The objects handed to the ConfigGroup. */
  readonly manifests: pulumi.Output<Record<string, unknown>[]>;
  readonly configGroup: k8s.yaml.v2.ConfigGroup;

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

    this.configGroup = new k8s.yaml.v2.ConfigGroup(
      `${name}-manifests`,
      { objs: this.manifests, skipAwait: args.skipAwait ?? false },
      { parent: this },
    );

    this.registerOutputs({
      namespace: this.namespace,
      deploymentNames: this.deploymentNames,
      configHash: this.configHash,
    });
  }
}
