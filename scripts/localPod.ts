/**
 * The cDNS pod's configuration, run as local processes (npm start): the same dnsmasq.conf and
 * sidecar flags the pod gets, with only what a pod has and this machine has not replaced:
 * the two emptyDir paths (hosts directory, dnsmasq's run directory), port 53 on every
 * address, which becomes a high port on one loopback address, and the DNS responder's port on the
 * pod's own loopback, which becomes a free port on this machine's. Pure, so the tests pin exactly
 * what changes.
 */

export interface LocalDnsmasq {
  readonly port: number;
  readonly address: string;
  readonly hostsDir: string;
  readonly pidFile: string;
  /** Port of the sidecar's DNS responder here (the pod's `server=/zone/127.0.0.1#PORT` lines point at it). */
  readonly responderPort?: number;
}

/** dnsmasq.conf from the ConfigMap, with the port, the listening address and the two paths replaced. */
export function localDnsmasqConf(conf: string, local: LocalDnsmasq): string {
  const seen = new Set<string>();
  const lines = conf.split("\n").map((line) => {
    const key = line.split("=")[0] ?? "";
    switch (key) {
      case "port":
        seen.add(key);
        return `port=${local.port}`;
      case "hostsdir":
        seen.add(key);
        return `hostsdir=${local.hostsDir}`;
      case "pid-file":
        seen.add(key);
        return `pid-file=${local.pidFile}`;
      case "listen-address":
      case "bind-interfaces":
        return `# (local run) ${line}`;
      case "server":
        // Only the responder's lines exist (server=/zone/127.0.0.1#PORT): its port moves, nothing else.
        return local.responderPort === undefined ? line : line.replace(/#\d+$/, `#${local.responderPort}`);
      default:
        return line;
    }
  });
  for (const key of ["port", "hostsdir", "pid-file"]) if (!seen.has(key)) throw new Error(`dnsmasq.conf has no ${key}= line to replace`);
  return `${lines.join("\n").trimEnd()}\n# local run: one loopback address\nlisten-address=${local.address}\nbind-interfaces\n`;
}

/**
 * The sidecar's flags from the Deployment, with the hosts directory replaced, dnsmasq's address
 * (the pod's 127.0.0.1:53, the default) pointed at the local one, and the HTTP port left to the caller.
 */
export function localSidecarArgs(args: readonly string[], local: { readonly hostsDir: string; readonly dnsmasq: string; readonly responderPort?: number }): string[] {
  if (!args.some((a) => a.startsWith("--hosts-dir="))) throw new Error("the sidecar's flags have no --hosts-dir= to replace");
  const kept = args.filter((a) => !a.startsWith("--http-port=") && !a.startsWith("--dnsmasq-address="));
  const replaced = kept.map((a) => {
    if (a.startsWith("--hosts-dir=")) return `--hosts-dir=${local.hostsDir}`;
    // The responder stays on loopback; only its port moves (a flag of "none" stays as it is).
    if (a.startsWith("--responder-address=") && a !== "--responder-address=none" && local.responderPort !== undefined) return a.replace(/:\d+$/, `:${local.responderPort}`);
    return a;
  });
  return [...replaced, `--dnsmasq-address=${local.dnsmasq}`];
}
