// npm run restore -- list | verify <id|latest> | restore <id|latest> [--to bolt://...] [--wipe] [--json]
// npm run restore -- restore <id|latest> --import-into NEO4J_HOME [--wipe] [--import-memory SIZE] [--json]
// npm run restore -- restore <id|latest> --in-cluster [--namespace NS | --stack-outputs FILE] [--context C] [--kubeconfig F] [--wipe]
//
// Locally it reads and restores backups with the environment given (or the local stack's).
// --in-cluster creates a Kubernetes Job in the kit's namespace from the backup CronJob's own
// template, running the image's restore command there; it prints the Job's name.
// Exit codes: 0 done; 1 unexpected failure; 2 bad arguments or configuration; 3 no such backup;
// 4 the backup failed verification; 5 the target is not empty (pass --wipe).
import { readFileSync } from "node:fs";
import { EXIT, restoreUsage, runRestoreCommand } from "../app/src/backup/restore-cli.js";
import { BACKUP_ID } from "../app/src/backup/storage.js";
import { NAMES } from "../infra/charts/common.js";
import { operatorEnv } from "./lib/local-env.js";
import { neo4jAdminCommand } from "./dev-services/neo4j.js";
import { loadKubeConfig } from "./lib/kube-config.js";
import { restoreJobFrom } from "./lib/restore-job.js";
import { parseOptions, runMain, usageProblem, wantsHelp } from "./lib/cli.js";

const IN_CLUSTER_USAGE = `       npm run restore -- <id|latest> --in-cluster [--namespace NS | --stack-outputs FILE]
                         [--context NAME] [--kubeconfig FILE] [--wipe] [--json]
  (--stack-outputs: the JSON of \`pulumi stack output --json\`; its namespace output is used)`;

const LOCAL_USAGE = restoreUsage("npm run restore --");
const USAGE = `${LOCAL_USAGE}

In the cluster:
${IN_CLUSTER_USAGE}`;

async function inCluster(args: string[]): Promise<number> {
  const parsed = parseOptions(
    {
      "in-cluster": { type: "boolean" },
      namespace: { type: "string" },
      "stack-outputs": { type: "string" },
      context: { type: "string" },
      kubeconfig: { type: "string" },
      wipe: { type: "boolean" },
      json: { type: "boolean" },
    },
    USAGE,
    args,
    { allowPositionals: true },
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const { values, positionals } = parsed;
  // As locally, a backup id or latest in the command's place restores it.
  const [command, target, ...rest] =
    positionals[0] === "latest" || BACKUP_ID.test(positionals[0] ?? "") ? ["restore", ...positionals] : positionals;
  if (command !== "restore")
    return usageProblem(USAGE, `--in-cluster runs restore <id|latest>, not ${JSON.stringify(command ?? "nothing")}`);
  if (!target || !(target === "latest" || BACKUP_ID.test(target)))
    return usageProblem(USAGE, "restore needs a backup id or latest");
  if (rest.length > 0) return usageProblem(USAGE, `unexpected argument ${JSON.stringify(rest[0])}`);
  if (values.namespace !== undefined && values["stack-outputs"] !== undefined)
    return usageProblem(USAGE, "--namespace and --stack-outputs exclude each other");
  let namespace = values.namespace;
  if (values["stack-outputs"] !== undefined) {
    try {
      namespace = String(
        (JSON.parse(readFileSync(values["stack-outputs"], "utf8")) as { namespace?: unknown }).namespace ?? "",
      );
    } catch (error) {
      return usageProblem(USAGE, `--stack-outputs: ${(error as Error).message}`);
    }
  }
  if (!namespace) return usageProblem(USAGE, "--in-cluster needs the kit's namespace (--namespace or --stack-outputs)");
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace))
    return usageProblem(USAGE, `${JSON.stringify(namespace)} is not a namespace name`);
  const { context, kubeconfig, json } = values;
  // Loaded only here: a local restore needs no Kubernetes client.
  const { BatchV1Api } = await import("@kubernetes/client-node");
  const config = await loadKubeConfig({ kubeconfig, context });
  const batch = config.makeApiClient(BatchV1Api);
  const cronJob = await batch.readNamespacedCronJob({ name: NAMES.backup, namespace });
  const name = `neo4j-restore-${Date.now().toString(36)}`;
  const job = restoreJobFrom(cronJob, ["restore", target, ...(values.wipe ? ["--wipe"] : []), "--json"], name);
  const created = await batch.createNamespacedJob({ namespace, body: job });
  const message = `created Job ${namespace}/${created.metadata?.name ?? name}; follow it with: kubectl -n ${namespace} logs -f job/${created.metadata?.name ?? name}`;
  console.log(json ? JSON.stringify({ ok: true, namespace, job: created.metadata?.name ?? name }) : message);
  return EXIT.ok;
}

runMain(async () => {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (args.includes("--in-cluster")) return inCluster(args);
  // The environment is read only once the arguments are good: usage errors need none.
  // Locally, without NEO4J_ADMIN, --import-into runs the importer of the Neo4j the kit installs.
  return runRestoreCommand(args, () => operatorEnv(), LOCAL_USAGE, { importer: () => neo4jAdminCommand() });
});
