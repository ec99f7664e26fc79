/**
 * The stack's entry point for `pulumi up` (Pulumi.yaml `main: infra/`). The program lives in
 * program.ts as one async function so the Automation API can run it inline too.
 *
 * Pulumi's Node runtime (`@pulumi/pulumi/cmd/run`) calls a module export that is a function
 * and awaits its result; the object it resolves to becomes the stack outputs.
 */
import { program } from "./program";

export = program;
