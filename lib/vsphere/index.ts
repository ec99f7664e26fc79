/** Hand-written vSphere binding, pinned to provider plugin VSPHERE_PROVIDER_VERSION. */
export * from "./binding";
export * from "./invokes";
export * from "./provider";
export * from "./virtualMachine";
export * from "./paths";
