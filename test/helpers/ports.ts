/** The rig's port helpers (rig/ports.ts), for the tests. */
export { freePort, randomLoopback } from "../../rig/ports";
