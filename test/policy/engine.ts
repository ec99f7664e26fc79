/**
 * Drives the policies through @pulumi/policy's own request handlers (the functions its gRPC
 * server calls for Analyze and AnalyzeStack) with real protobuf requests, so the tests see
 * what a policy sees under `pulumi preview`: props deserialized from the wire, wrapped in the
 * SDK's proxies, secret markers unwrapped. Nothing is served: no PolicyPack is constructed.
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/* The SDK's generated protobuf modules and its server have no type declarations for these
   internals; the local interfaces below describe the few methods used. */
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb") as AnalyzerPb;
const structPb = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(v: unknown): unknown } };
const server = require("@pulumi/policy/server") as PolicyServer;

interface Settable {
  [setter: string]: (v: unknown) => void;
}
interface AnalyzerPb {
  AnalyzeRequest: new () => Settable;
  AnalyzeStackRequest: new () => Settable;
  AnalyzerResource: new () => Settable;
  AnalyzerResourceOptions: new () => Settable;
}
interface Diagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getDescription(): string;
  getUrn(): string;
  getEnforcementlevel(): number;
}
type RpcFun = (call: { request: unknown }, callback: (err: unknown, resp?: { getDiagnosticsList(): Diagnostic[] }) => void) => void;
type Policies = (ResourceValidationPolicy | StackValidationPolicy)[];
interface PolicyServer {
  makeAnalyzeRpcFun(name: string, version: string, level: string, policies: Policies): RpcFun;
  makeAnalyzeStackRpcFun(name: string, version: string, level: string, policies: Policies): RpcFun;
}

export interface Violation {
  readonly policy: string;
  readonly message: string;
  readonly urn: string;
  /** 0 advisory, 1 mandatory (pulumirpc.EnforcementLevel). */
  readonly level: number;
}

/** A value in the engine's wire form of a secret. */
export function secret(value: unknown): Record<string, unknown> {
  return { [specialSigKey]: specialSecretSig, value };
}

/** The wire has no `undefined`: such properties are simply not sent. */
function toStruct(props: Record<string, unknown>): unknown {
  return structPb.Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
}

function options(): Settable {
  const o = new analyzerPb.AnalyzerResourceOptions();
  o["setProtect"]?.(false);
  return o;
}

function call(fun: RpcFun, request: unknown): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    fun({ request }, (err, resp) => {
      if (err !== undefined && err !== null) return reject(err);
      resolve(
        (resp?.getDiagnosticsList() ?? []).map((d) => ({
          policy: d.getPolicyname(),
          // The SDK prefixes each message with the policy's description.
          message: d.getMessage().replace(`${d.getDescription()}\n`, ""),
          urn: d.getUrn(),
          level: d.getEnforcementlevel(),
        })),
      );
    });
  });
}

/** What `Analyze` (one resource's inputs, before it is created) reports. */
export function analyze(policies: Policies, type: string, props: Record<string, unknown>, name = "r"): Promise<Violation[]> {
  const req = new analyzerPb.AnalyzeRequest();
  req["setType"]?.(type);
  req["setName"]?.(name);
  req["setUrn"]?.(`urn:pulumi:test::rancher-cdns::${type}::${name}`);
  req["setProperties"]?.(toStruct(props));
  req["setOptions"]?.(options());
  return call(server.makeAnalyzeRpcFun("rancher-cdns", "0.0.1", "mandatory", policies), req);
}

export interface StackResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
}

/** What `AnalyzeStack` (every resource's outputs, after the update) reports. */
export function analyzeStack(policies: Policies, resources: readonly StackResource[]): Promise<Violation[]> {
  const req = new analyzerPb.AnalyzeStackRequest();
  req["setResourcesList"]?.(
    resources.map((r) => {
      const res = new analyzerPb.AnalyzerResource();
      res["setType"]?.(r.type);
      res["setName"]?.(r.name);
      res["setUrn"]?.(`urn:pulumi:test::rancher-cdns::${r.type}::${r.name}`);
      res["setProperties"]?.(toStruct(r.props));
      res["setOptions"]?.(options());
      return res;
    }),
  );
  return call(server.makeAnalyzeStackRpcFun("rancher-cdns", "0.0.1", "mandatory", policies), req);
}
