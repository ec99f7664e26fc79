/** The real-path part of the bench (bench/realApi.ts): its tables and the issue targets it decides. */
import type { ControllerFlipResult, RealApiFlip, RealApiResult } from "./realApi";
import { ms, table, type Target } from "./table";

export interface RealApiReport {
  /** 1,000 then 10,000 Ingresses, each on 2-8 of 100 nodes. */
  readonly subset: RealApiResult;
  /** 10,000 Ingresses whose statuses all list the same 100 nodes (a hostPort DaemonSet controller). */
  readonly daemonSet: RealApiResult;
  readonly controllerFlip: ControllerFlipResult;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatRealApi(r: RealApiReport): string {
  const out: string[] = [];
  out.push("Real path: kube-apiserver 1.37 + etcd 3.6 + kwok (100 nodes), realistic Ingresses, the bundled sidecar (image flags, ServiceAccount token), real dnsmasq");
  const runs = [r.subset, r.daemonSet];
  out.push(table(
    ["shape", "KiB/Ingress", "load s", "ingresses", "names", "change p50 ms", "change p99 ms", "change max ms"],
    runs.flatMap((x) => x.sizes.map((s) => [x.shape, x.meanStoredKiB.toFixed(1), x.loadSeconds.toFixed(0), String(s.ingresses), String(s.names), ms(s.propagation.p50), ms(s.propagation.p99), ms(s.propagation.max)])),
  ));
  const flipRow = (shape: string, dir: string, f: RealApiFlip) => [shape, dir, String(f.visible.n), ms(f.visible.p50), ms(f.visible.p99), ms(f.longestGapMs), pct(f.answeredShare), String(f.wrong)];
  out.push("Node flips at 10,000 (kwok label PATCH returned -> the IP out of / back in every answer that has it; probes on every shard)");
  out.push(table(
    ["shape", "flip", "samples", "p50 ms", "p99 ms", "longest gap ms", "answered <1 s", "wrong"],
    runs.flatMap((x) => [flipRow(x.shape, "NotReady", x.flipOut), flipRow(x.shape, "Ready", x.flipBack)]),
  ));
  out.push("A fresh pod at 10,000: sidecar started on an empty hosts directory, dnsmasq started when /startupz passed (names not yet in its hosts files reach the responder)");
  out.push(table(
    ["shape", "/startupz ms", "every name answered ms", "all in dnsmasq's hosts ms", "list pages", "RSS MiB", "peak RSS MiB"],
    runs.map((x) => [x.shape, ms(x.startupzMs), ms(x.startAllNamesMs), ms(x.hostsCompleteMs), String(x.listPages), x.rssMiB.toFixed(1), x.peakRssMiB.toFixed(1)]),
  ));
  const c = r.controllerFlip;
  out.push(`Ingress controller pods (rke2-ingress-nginx DaemonSet on every node) at ${c.ingresses} Ingresses: status PATCH returned -> IP out of / back in a name's answer`);
  out.push(table(
    ["change", "samples", "p50 ms", "p99 ms", "max ms"],
    [
      ["controller pod NotReady", String(c.flipOut.n), ms(c.flipOut.p50), ms(c.flipOut.p99), ms(c.flipOut.max)],
      ["controller pod Ready", String(c.flipBack.n), ms(c.flipBack.p50), ms(c.flipBack.p99), ms(c.flipBack.max)],
      ["node NotReady (same names)", String(c.nodeFlipOut.n), ms(c.nodeFlipOut.p50), ms(c.nodeFlipOut.p99), ms(c.nodeFlipOut.max)],
    ],
  ));
  return out.join("\n");
}

/** The targets of issues 9, 13 and 14 that the real path decides. */
export function realApiTargets(r: RealApiReport): Target[] {
  const out: Target[] = [];
  const at = (x: RealApiResult, n: number) => x.sizes.find((s) => s.ingresses === n);
  for (const x of [r.subset, r.daemonSet]) {
    const tag = x.shape;
    for (const n of [1000, 10_000]) {
      const s = at(x, n);
      if (s === undefined) continue;
      out.push({ what: `${tag}: one Ingress change -> answer p99 at ${n}`, limit: "<= 100 ms", value: s.propagation.p99, unit: "ms", pass: s.propagation.p99 <= 100 });
    }
    const flip = Math.max(x.flipOut.visible.p99, x.flipBack.visible.p99);
    out.push({ what: `${tag}: node flip -> IP out of (back in) every answer p99 at 10,000`, limit: "<= 500 ms", value: flip, unit: "ms", pass: flip <= 500 });
    const gap = Math.max(x.flipOut.longestGapMs, x.flipBack.longestGapMs);
    out.push({ what: `${tag}: longest gap in dnsmasq's answers during flips`, limit: "<= 50 ms", value: gap, unit: "ms", pass: gap <= 50 });
    const answered = Math.min(x.flipOut.answeredShare, x.flipBack.answeredShare);
    out.push({ what: `${tag}: queries answered within 1 s during flips`, limit: "= 100 %", value: 100 * answered, unit: "%", pass: answered === 1 });
    out.push({ what: `${tag}: process start -> every name answered at 10,000`, limit: "<= 1500 ms", value: x.startAllNamesMs, unit: "ms", pass: x.startAllNamesMs <= 1500 });
    out.push({ what: `${tag}: sidecar RSS at 10,000 realistic Ingresses (peak)`, limit: "<= 128 MiB", value: x.peakRssMiB, unit: "MiB", pass: x.peakRssMiB <= 128 });
  }
  const c = r.controllerFlip;
  out.push({ what: "controller pod NotReady -> IP out p99 at 10,000", limit: "<= 1000 ms", value: c.flipOut.p99, unit: "ms", pass: c.flipOut.p99 <= 1000 });
  return out;
}
