/** Shared props and lookups for the chart tests. */
import { Testing } from "cdk8s";
import { CdnsChart, type CdnsChartProps } from "../../lib/chart/cdnsChart";

export const SIDECAR_IMAGE = `registry.example.com/platform/cdns-sidecar:1.0.0@sha256:${"ab".repeat(32)}`;
export const DNSMASQ_IMAGE = `registry.example.com/platform/cdns-dnsmasq:1.0.0@sha256:${"cd".repeat(32)}`;

export const baseProps: CdnsChartProps = {
  zones: ["apps.example.com", "svc.example.org"],
  nodes: [
    { index: 0, ip: "192.0.2.10" },
    { index: 1, ip: "192.0.2.11" },
  ],
  sidecarImage: SIDECAR_IMAGE,
  dnsmasqImage: DNSMASQ_IMAGE,
};

/** Synthesized manifests are untyped JSON; `any` lets the tests walk them and assert their shape. */
export type Obj = any;

export function synth(props: CdnsChartProps = baseProps): Obj[] {
  return Testing.synth(new CdnsChart(Testing.app(), "test", props));
}

export function byKind(objs: Obj[], kind: string): Obj[] {
  return objs.filter((o) => o.kind === kind);
}

export function one(objs: Obj[], kind: string, name?: string): Obj {
  const found = byKind(objs, kind).filter((o) => name === undefined || o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ""}, found ${found.length}`);
  return found[0];
}

/** A container of the pod by name, regular or init (the sidecar is a native sidecar, an init container). */
export function container(deployment: Obj, name: string): Obj {
  const pod = deployment.spec.template.spec;
  const c = [...(pod.initContainers ?? []), ...pod.containers].find((x: Obj) => x.name === name);
  if (c === undefined) throw new Error(`no container ${name}`);
  return c;
}
