/**
 * The rancher-cdns policy pack: `pulumi preview --policy-pack policy/`.
 * Constructing the PolicyPack starts its gRPC server, so this file only wires; the
 * policies and their tests live in policies.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { keepSecretMarkers } from "./keepSecrets";
import { policies } from "./policies";

// Before the pack serves: without it the secret-output policy cannot tell secret outputs from plain ones.
keepSecretMarkers();

new PolicyPack("rancher-cdns", {
  description: "Guards the cDNS design: single-node labelled and tainted cDNS pools, a Recreate hostPort-53 pod, probes, secret outputs.",
  enforcementLevel: "mandatory",
  policies,
});
