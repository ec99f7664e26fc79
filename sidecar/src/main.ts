/**
 * Entry point: flags/environment -> settings, kubeconfig, real informers and
 * the atomic hosts writer, then run until SIGTERM (clean stop, exit 0).
 */
import { startSidecar, type RunningSidecar } from "./app";
import { createJsonLogger, type Logger } from "./log";
import { formatProblems, helpText, parseArgs, validateSidecarSettings, type SidecarSettings } from "./settings";
import { healthName } from "../../lib/dns/names";
import { AtomicHostsWriter, type SinkLogger } from "./sink/atomicWriter";
import { createDnsBarrier } from "./sink/dnsBarrier";
import { createKubeWatches } from "./source/informers";
import { kubeTransport } from "./source/transport";
import { inClusterTarget, kubeconfigTarget, type KubeTarget } from "./source/kubeconfig";

function sinkLogger(logger: Logger): SinkLogger {
  return (level, msg, fields) => logger[level](msg, fields);
}

/** True once dnsmasq answers a short probe (two answers within FRESH_HOLD_PROBE_MS). */
function dnsmasqProbe(dnsmasq: { readonly host: string; readonly port: number }, name: string): () => Promise<boolean> {
  const probe = createDnsBarrier({ server: dnsmasq.host, port: dnsmasq.port, name, timeoutMs: FRESH_HOLD_PROBE_MS, resendMs: FRESH_HOLD_PROBE_MS / 3 });
  return () => probe().then(() => true, () => false);
}

/** How long the fresh-start probe waits for dnsmasq: it answers in well under a millisecond once up. */
const FRESH_HOLD_PROBE_MS = 50;

/**
 * The sidecar wired to a real API server and the real atomic writer: what the container runs,
 * and what the rig tests start in-process (with a kubeconfig holding a ServiceAccount token).
 */
export function startWithTarget(settings: SidecarSettings, target: KubeTarget, logger: Logger, httpHost?: string): Promise<RunningSidecar> {
  const dnsmasq = settings.dnsmasqAddress;
  const sink = new AtomicHostsWriter({
    dir: settings.hostsDir,
    fileName: settings.hostsFile,
    pidFile: settings.pidFile,
    log: sinkLogger(logger),
    // Paced: one file re-read by dnsmasq at a time, so a change touching every file never stops its answers for long.
    ...(dnsmasq === undefined ? {} : { barrier: createDnsBarrier({ server: dnsmasq.host, port: dnsmasq.port, name: healthName(settings.zones[0] as string) }) }),
    // The pod starts dnsmasq after the first write: hold the shards back until it answers, so it
    // sizes its hash table for the nodes file, not for every name (AtomicHostsWriter's doc). Only
    // with the responder, which answers the names meanwhile.
    ...(dnsmasq === undefined || settings.responder === undefined ? {} : { holdFreshStart: { dnsmasqUp: dnsmasqProbe(dnsmasq, healthName(settings.zones[0] as string)) } }),
  });
  return startSidecar(settings, {
    logger,
    sink,
    watches: async (store, metrics) =>
      createKubeWatches(kubeTransport(target), store, {
        enableServices: settings.enableServices,
        enableHttpRoutes: settings.enableHttpRoutes,
        ...(settings.ingressController === undefined
          ? {}
          : { controllerPods: { namespace: settings.ingressController.namespace, labelSelector: settings.ingressController.podSelector } }),
        reflector: { watchTimeoutSeconds: settings.watchTimeoutS, pageSize: settings.listPageSize },
      }, {
        listPage: (kind) => metrics.listPages.inc({ kind }),
        relistAfterGone: (kind) => metrics.relists.inc({ kind }),
      }),
    ...(httpHost === undefined ? {} : { httpHost }),
  });
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const args = parseArgs(argv, env);
  if (args.help) {
    process.stdout.write(helpText());
    return 0;
  }
  const result = validateSidecarSettings(args.raw);
  const problems = [...args.problems, ...(result.ok ? [] : result.problems)];
  if (!result.ok || problems.length > 0) {
    process.stderr.write(formatProblems(problems));
    return 2;
  }
  const settings = result.settings;
  const logger = createJsonLogger({ level: settings.logLevel });
  let target: KubeTarget;
  try {
    target = settings.kubeconfig !== undefined ? kubeconfigTarget(settings.kubeconfig) : inClusterTarget();
  } catch (err) {
    // The message names the file or the missing service-account path, never its contents.
    logger.error("cannot load Kubernetes credentials", { error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
  const sidecar = await startWithTarget(settings, target, logger);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info("shutting down", { signal });
      sidecar.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error("shutdown failed", { error: err instanceof Error ? err.message : String(err) });
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
