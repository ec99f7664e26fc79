/**
 * The Gateway API CRDs for the rig, from their upstream source: the standard-channel CRD
 * manifests (config/crd/standard/) of the Go module sigs.k8s.io/gateway-api at a pinned
 * version, fetched with `go mod download` (the Go module proxy the rig's binaries come from,
 * cached in the module cache after the first run) and checked against the module's pinned
 * go.sum hash, so a fresh machine gets exactly these files without manual steps.
 *
 * v1.6.3 is the newest release this machine's Go toolchain takes (v1.7.0 requires go >= 1.27);
 * its standard channel serves gateway.networking.k8s.io/v1 HTTPRoutes and Gateways, the version
 * the sidecar watches (sidecar/src/source/informers.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { RigCluster } from "../../rig/cluster";

export const GATEWAY_API_MODULE = "sigs.k8s.io/gateway-api";
export const GATEWAY_API_VERSION = "v1.6.3";
/** The module zip's hash as go.sum records it (`go mod download -json` reports it as Sum). */
export const GATEWAY_API_SUM = "h1:lKpJa5bGlraC/QeACvCpsHLdmO6y0iKfzVl6gzaFEYc=";
/** The kinds the sidecar reads (HTTPRoute, Gateway) and the GatewayClass a Gateway names. */
export const GATEWAY_API_CRD_FILES = [
  "gateway.networking.k8s.io_gatewayclasses.yaml",
  "gateway.networking.k8s.io_gateways.yaml",
  "gateway.networking.k8s.io_httproutes.yaml",
] as const;

type Obj = Record<string, unknown>;

/** The module's directory in the Go module cache, downloaded when missing; throws unless its hash is the pinned one. */
export function gatewayApiModuleDir(): string {
  const cwd = mkdtempSync(join(tmpdir(), "cdns-gwapi-"));
  try {
    // Outside any module, so no go.mod is read or written. GOSUMDB off: the hash is checked here,
    // against the pinned value, as go.sum would be.
    const r = spawnSync("go", ["mod", "download", "-json", `${GATEWAY_API_MODULE}@${GATEWAY_API_VERSION}`], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, GOSUMDB: "off", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" },
      timeout: 300_000,
    });
    const info = (r.stdout.trim() === "" ? {} : JSON.parse(r.stdout)) as { Dir?: string; Sum?: string; Error?: string };
    if (r.status !== 0 || info.Dir === undefined) throw new Error(`go mod download ${GATEWAY_API_MODULE}@${GATEWAY_API_VERSION} failed: ${info.Error ?? ""}${r.stderr}`);
    if (info.Sum !== GATEWAY_API_SUM) throw new Error(`${GATEWAY_API_MODULE}@${GATEWAY_API_VERSION}: hash ${info.Sum}, pinned ${GATEWAY_API_SUM}`);
    return info.Dir;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The standard-channel CRDs of GATEWAY_API_CRD_FILES, parsed, each checked to be of that version and channel. */
export function gatewayApiCrds(): Obj[] {
  const dir = join(gatewayApiModuleDir(), "config", "crd", "standard");
  return GATEWAY_API_CRD_FILES.map((file) => {
    const crd = parse(readFileSync(join(dir, file), "utf8")) as Obj & { kind: string; metadata: { annotations?: Record<string, string> } };
    const a = crd.metadata.annotations ?? {};
    if (crd.kind !== "CustomResourceDefinition" || a["gateway.networking.k8s.io/bundle-version"] !== GATEWAY_API_VERSION || a["gateway.networking.k8s.io/channel"] !== "standard") {
      throw new Error(`${file}: not the ${GATEWAY_API_VERSION} standard-channel CRD`);
    }
    return crd;
  });
}

/** Applies the CRDs and waits until each is Established and the API server serves gateway.networking.k8s.io/v1. */
export async function installGatewayApi(cluster: RigCluster, crds: readonly Obj[], timeoutMs = 30_000): Promise<void> {
  await cluster.apply(crds);
  const end = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = (crd.metadata as { name: string }).name;
    for (;;) {
      const r = await cluster.request("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = r.status === 200 ? (r.json<{ status?: { conditions?: { type: string; status: string }[] } }>().status?.conditions ?? []) : [];
      if (conditions.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > end) throw new Error(`CRD ${name} not Established within ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  while ((await cluster.request("GET", "/apis/gateway.networking.k8s.io/v1")).status !== 200) {
    if (Date.now() > end) throw new Error(`gateway.networking.k8s.io/v1 not served within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Deletes the CRDs (and with them every object of their kinds) and waits until they are gone. */
export async function uninstallGatewayApi(cluster: RigCluster, crds: readonly Obj[], timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = (crd.metadata as { name: string }).name;
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
    await cluster.request("DELETE", path);
    while ((await cluster.request("GET", path)).status !== 404) {
      if (Date.now() > end) throw new Error(`CRD ${name} not gone within ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}
