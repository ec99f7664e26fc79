/**
 * Shared pieces of the hand-written vSphere binding. `@pulumi/vsphere` is not
 * installable from this project's registry, so resources and invokes are reached by token,
 * pinned to one provider plugin version the way a generated SDK pins it.
 *
 * Each resource and invoke carries a machine-readable description of exactly
 * the properties it sends and reads; the constructors send only those keys,
 * and test/haproxy/vsphereSchema.test.ts checks them against the provider's
 * own schema (pulumi-vsphere-v4.17.0.schema.json).
 */

/** The provider plugin every vsphere resource and invoke of this package uses. */
export const VSPHERE_PROVIDER_VERSION = "4.17.0";
export const VSPHERE_PACKAGE = "vsphere";

/** Type of a property on the wire, in the schema's terms. */
export type WireType =
  | "string"
  | "integer"
  | "boolean"
  | { readonly arrayOf: WireType }
  | { readonly mapOf: WireType }
  | { readonly object: FieldSet };

export interface Field {
  readonly type: WireType;
  /** Always sent (inputs) or always present (outputs): non-optional in the TypeScript interface. */
  readonly required?: true;
}

export type FieldSet = Readonly<Record<string, Field>>;

/** A resource or invoke: its token, what we send, what we read back. */
export interface Binding {
  readonly token: string;
  readonly inputs: FieldSet;
  readonly outputs: FieldSet;
}

/** Compile-time check helpers: a mismatch between an interface and its description fails `tsc`. */
export type Assert<T extends true> = T;
export type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
type RequiredKeysOf<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type RequiredFieldsOf<F extends FieldSet> = { [K in keyof F]: F[K] extends { required: true } ? K : never }[keyof F];
/** Same keys, and the same ones required. */
export type Matches<T, F extends FieldSet> = SameKeys<T, F> extends true
  ? [Exclude<RequiredKeysOf<T>, RequiredFieldsOf<F>>, Exclude<RequiredFieldsOf<F>, RequiredKeysOf<T>>] extends [never, never] ? true : false
  : false;

/** Copies exactly the described keys of `args` (undefined ones are dropped on the wire). */
export function describedProps(fields: FieldSet, args: object): Record<string, unknown> {
  // Index access by key: the interfaces are checked against `fields` at compile time (Matches<>).
  const source = args as Record<string, unknown>;
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) props[key] = source[key];
  return props;
}
