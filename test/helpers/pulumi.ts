/**
 * Helpers for component tests under `pulumi.runtime.setMocks`.
 *
 * Usage, in each test file (mocks are process-global, and component modules
 * must be imported after setMocks, hence the dynamic import):
 *
 *   const mocks = new RecordingMocks();
 *   pulumi.runtime.setMocks(mocks, "rancher-cdns", "qa", false);
 *   const { CdnsMachinePool } = await import("../../components/cdnsMachinePool.js");
 *
 * The engine hands mocks the serialized inputs: a secret arrives wrapped in
 * `{ [specialSigKey]: specialSecretSig, value }`, pushed up to the top-level
 * property that contains it. `isSecretValue()` tells a wrapped value apart and
 * `reveal()` strips the wrappers for content assertions.
 */
import * as pulumi from "@pulumi/pulumi";

/** Resolves with the output's value once known (never resolves for an unknown in preview). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => {
    output.apply((v) => {
      resolve(v);
      return v;
    });
  });
}

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Inputs as the engine sent them, secrets still wrapped. */
  readonly inputs: Record<string, unknown>;
  readonly custom: boolean;
  readonly provider?: string;
}

/** Extra output state per resource, on top of the echoed inputs. */
export type StateFor = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;

/** Mocks that echo inputs as state and record every registered resource, components and providers included. */
export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];

  constructor(private readonly stateFor: StateFor = () => ({})) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    // `inputs` is typed any by the SDK; it is the deserialized property map.
    const inputs = args.inputs as Record<string, unknown>;
    this.resources.push({
      type: args.type,
      name: args.name,
      inputs,
      custom: args.custom ?? false,
      ...(args.provider !== undefined ? { provider: args.provider } : {}),
    });
    return { id: `${args.name}-id`, state: { ...inputs, ...this.stateFor(args) } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    return args.inputs as Record<string, unknown>;
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of `type`; fails when there is not exactly one. */
  one(type: string): RecordedResource {
    const found = this.ofType(type);
    if (found.length !== 1) {
      throw new Error(`expected exactly one ${type}, found ${found.length}: ${this.resources.map((r) => r.type).join(", ")}`);
    }
    return found[0] as RecordedResource;
  }
}

/** True when `v` is the engine's wrapper of a secret value. */
export function isSecretValue(v: unknown): boolean {
  return typeof v === "object" && v !== null
    && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** `v` with every secret wrapper replaced by the value inside. */
export function reveal(v: unknown): unknown {
  if (isSecretValue(v)) return reveal((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map(reveal);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}


/** `v` with every secret wrapper replaced by "[secret]": what may show in plain. */
export function redact(v: unknown): unknown {
  if (isSecretValue(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(redact);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
  }
  return v;
}

/** The docker-build Image type token. */
export const DOCKER_BUILD_IMAGE = "docker-build:index:Image";

/**
 * Mocks that answer a docker-build Image the way the real provider does after a push: `digest`,
 * and `ref` as the first tag pinned to it.
 */
export function dockerBuildMocks(digest: string): RecordingMocks {
  return new RecordingMocks((args) => {
    if (args.type !== DOCKER_BUILD_IMAGE) return {};
    const tags = args.inputs.tags as string[];
    return { digest, ref: `${tags[0]}@${digest}` };
  });
}
