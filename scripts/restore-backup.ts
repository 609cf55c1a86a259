// npm run restore -- list | verify <id|latest> | restore <id|latest> [--to bolt://...] [--wipe] [--json]
// npm run restore -- restore <id|latest> --in-cluster [--namespace NS | --stack-outputs FILE] [--context C] [--kubeconfig F] [--wipe]
//
// Locally it reads and restores backups with the environment given (or the local stack's).
// --in-cluster creates a Kubernetes Job in the kit's namespace from the backup CronJob's own
// template, running the image's restore command there; it prints the Job's name.
// Exit codes: 0 done; 1 unexpected failure; 2 bad arguments or configuration; 3 no such backup;
// 4 the backup failed verification; 5 the target is not empty (pass --wipe).
import { readFileSync } from "node:fs";
import { EXIT, RESTORE_USAGE, runRestoreCommand } from "../app/src/backup/restore-cli.js";
import { BACKUP_ID } from "../app/src/backup/storage.js";
import { NAMES } from "../infra/charts/common.js";
import { operatorEnv } from "./lib/local-env.js";
import { loadKubeConfig } from "./lib/kube-config.js";
import { restoreJobFrom } from "./lib/restore-job.js";
import { runMain } from "./lib/cli.js";

const IN_CLUSTER_USAGE = `       npm run restore -- restore <id|latest> --in-cluster [--namespace NS | --stack-outputs FILE]
                         [--context NAME] [--kubeconfig FILE] [--wipe] [--json]
  (--stack-outputs: the JSON of \`pulumi stack output --json\`; its namespace output is used)`;

function take(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
  args.splice(index, 2);
  return value;
}

async function inCluster(args: string[]): Promise<number> {
  let namespace: string | undefined;
  let context: string | undefined;
  let kubeconfig: string | undefined;
  const json = args.includes("--json");
  try {
    namespace = take(args, "--namespace");
    const outputs = take(args, "--stack-outputs");
    context = take(args, "--context");
    kubeconfig = take(args, "--kubeconfig");
    if (outputs) namespace ??= String((JSON.parse(readFileSync(outputs, "utf8")) as { namespace?: unknown }).namespace ?? "");
  } catch (error) {
    console.error(`restore: ${(error as Error).message}\n${IN_CLUSTER_USAGE}`);
    return EXIT.usage;
  }
  const [command, target, ...rest] = args.filter((arg) => arg !== "--json" && arg !== "--wipe");
  if (command !== "restore" || !target || rest.length > 0 || !namespace || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || !(target === "latest" || BACKUP_ID.test(target))) {
    console.error(`restore: --in-cluster needs restore <id|latest> and the kit's namespace\n${IN_CLUSTER_USAGE}`);
    return EXIT.usage;
  }
  // Loaded only here: a local restore needs no Kubernetes client.
  const { BatchV1Api } = await import("@kubernetes/client-node");
  const config = await loadKubeConfig({ kubeconfig, context });
  const batch = config.makeApiClient(BatchV1Api);
  const cronJob = await batch.readNamespacedCronJob({ name: NAMES.backup, namespace });
  const name = `neo4j-restore-${Date.now().toString(36)}`;
  const job = restoreJobFrom(cronJob, ["restore", target, ...(args.includes("--wipe") ? ["--wipe"] : []), "--json"], name);
  const created = await batch.createNamespacedJob({ namespace, body: job });
  const message = `created Job ${namespace}/${created.metadata?.name ?? name}; follow it with: kubectl -n ${namespace} logs -f job/${created.metadata?.name ?? name}`;
  console.log(json ? JSON.stringify({ ok: true, namespace, job: created.metadata?.name ?? name }) : message);
  return EXIT.ok;
}

runMain(async () => {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`${RESTORE_USAGE}\n\nIn the cluster:\n${IN_CLUSTER_USAGE}`);
    return EXIT.ok;
  }
  if (args.includes("--in-cluster")) return inCluster(args.filter((arg) => arg !== "--in-cluster"));
  return runRestoreCommand(args, operatorEnv());
});
