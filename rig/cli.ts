/**
 * The rig from a shell:
 *   npx tsx rig/cli.ts build [COMPONENT...]   find or build binaries (default: the cluster's and the engine's)
 *   npx tsx rig/cli.ts status                 where each component comes from, or that it is missing
 *   npx tsx rig/cli.ts cluster                start a cluster, print its kubeconfig path, stop on Ctrl-C
 */
import { components, type ComponentName } from "./components";
import { ensureComponents } from "./binaries";
import { startCluster } from "./cluster";

/** What `npm test` needs: the control plane, kwok, the engine and CoreDNS. */
export const DEFAULT_COMPONENTS: readonly ComponentName[] = ["etcd", "kubernetes", "kwok", "pulumi", "pulumi-kubernetes", "coredns"];

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const known = components().map((c) => c.name);
  const names = (rest.length > 0 ? rest : DEFAULT_COMPONENTS) as ComponentName[];
  for (const n of names) if (!known.includes(n)) throw new Error(`unknown component ${n} (known: ${known.join(", ")})`);
  switch (cmd) {
    case "build": {
      const started = Date.now();
      const locs = await ensureComponents(names);
      for (const l of locs) process.stdout.write(`${l.component.name} ${l.component.version}: ${l.from} ${l.dir}\n`);
      process.stdout.write(`rig build: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      return 0;
    }
    case "status": {
      for (const n of names) {
        try {
          const [l] = await ensureComponents([n], { noBuild: true, log: () => {} });
          process.stdout.write(`${n}: ${l?.from} ${l?.dir}\n`);
        } catch {
          process.stdout.write(`${n}: missing\n`);
        }
      }
      return 0;
    }
    case "cluster": {
      const cluster = await startCluster();
      process.stdout.write(`KUBECONFIG=${cluster.kubeconfigPath}\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await cluster.stop();
      return 0;
    }
    default:
      process.stderr.write("usage: rig/cli.ts build|status|cluster [COMPONENT...]\n");
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`rig: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
