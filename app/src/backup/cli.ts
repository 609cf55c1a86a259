// `backup` and `backup prune --keep N`: what the image's backup command runs (the CronJob) and
// what `npm run backup` runs locally. Exit codes: 0 done, 1 failed, 2 bad arguments or config.
import { readFileSync } from "node:fs";
import { parseOptions, usageProblem, type CommandEnv } from "../command-line.js";
import { ConfigError } from "../config.js";
import { loadBackupConfig } from "./config.js";
import { backupDriver } from "./driver.js";
import { RestoreInProgressError, runBackup } from "./take-backup.js";
import { BackupStore, createS3Client } from "./storage.js";
import { BackupFormatError } from "./values.js";
import { commandSpan, startTelemetry, telemetryFromEnv } from "../telemetry/otel.js";

/** The usage of the backup command as started by `invocation` (the image's `backup`, or npm's). */
export function backupUsage(invocation = "backup"): string {
  return `usage: ${invocation} [--json]                   take a backup now
       ${invocation} prune --keep N [--json]   keep the newest N complete backups
Exit codes: 0 done, 1 failed, 2 bad arguments or configuration.`;
}

/** The kit's version, from package.json: two levels up in the image (dist/backup), three in the repo. */
export function appVersion(): string {
  for (const relative of ["../../package.json", "../../../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === "mcp-bastion" && manifest.version) return manifest.version;
    } catch {
      // not there: try the next place
    }
  }
  return "unknown";
}

export async function runBackupCommand(
  args: string[],
  env: CommandEnv = process.env,
  usage = backupUsage(),
): Promise<number> {
  const parsed = parseOptions({ keep: { type: "string" }, json: { type: "boolean" } }, usage, args, {
    allowPositionals: true,
  });
  if ("exitCode" in parsed) return parsed.exitCode;
  const [subcommand, ...extra] = parsed.positionals;
  if (subcommand !== undefined && subcommand !== "prune")
    return usageProblem(usage, `unknown command ${JSON.stringify(subcommand)}`);
  if (extra.length > 0) return usageProblem(usage, `unexpected argument ${JSON.stringify(extra[0])}`);
  const keep = Number(parsed.values.keep);
  if (subcommand === undefined && parsed.values.keep !== undefined)
    return usageProblem(usage, "--keep belongs to backup prune");
  if (subcommand === "prune" && (!Number.isInteger(keep) || keep < 1))
    return usageProblem(usage, "backup prune: --keep must be a whole number of at least 1");
  let config;
  let environment: NodeJS.ProcessEnv;
  try {
    environment = typeof env === "function" ? env() : env;
    config = loadBackupConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`backup: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const store = new BackupStore(createS3Client(config.s3), config.s3, config.neo4j.database);
  if (subcommand === "prune") {
    const result = await store.prune(keep);
    console.log(
      parsed.values.json
        ? JSON.stringify(result)
        : `kept ${result.kept.length} backup(s); deleted ${result.deleted.length}: ${result.deleted.join(", ") || "none"}`,
    );
    return 0;
  }
  let telemetry;
  try {
    const settings = telemetryFromEnv(environment, "mcp-bastion-backup");
    telemetry = settings ? startTelemetry(settings) : undefined;
  } catch (error) {
    console.error(`backup: ${(error as Error).message}`);
    return 2;
  }
  try {
    return await commandSpan("backup", () => backupTo(store, config, parsed.values.json === true));
  } finally {
    await telemetry?.shutdown();
  }
}

async function backupTo(
  store: BackupStore,
  config: ReturnType<typeof loadBackupConfig>,
  json: boolean,
): Promise<number> {
  await store.ensureBucket();
  const driver = backupDriver(config.neo4j);
  try {
    const started = Date.now();
    let lastLine = 0;
    const manifest = await runBackup(driver, store, {
      appVersion: appVersion(),
      connection: config.neo4j,
      // A line now and then for the CronJob's log (and an operator watching it).
      onProgress: (progress) => {
        if (Date.now() - lastLine < 5000) return;
        lastLine = Date.now();
        console.error(
          `backup: ${progress.phase}: ${progress.nodes} nodes, ${progress.relationships} relationships, ${(progress.bytes / 1e6).toFixed(1)} MB`,
        );
      },
    });
    const seconds = (Date.now() - started) / 1000;
    if (json) console.log(JSON.stringify(manifest));
    else {
      console.log(
        `backup ${manifest.id}: ${manifest.counts.nodes} nodes, ${manifest.counts.relationships} relationships, ${manifest.counts.schema} schema rules, ` +
          `${(manifest.dataBytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s -> s3://${config.s3.bucket}/${store.root}${manifest.id}/`,
      );
    }
    return 0;
  } catch (error) {
    // What an operator can act on is said in one line; anything else keeps its stack.
    const known = error instanceof BackupFormatError || error instanceof RestoreInProgressError;
    console.error(`backup: failed: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}`);
    return 1;
  } finally {
    await driver.close();
  }
}
