// restore list | verify <id|latest> | restore <id|latest> [--to URI] [--wipe] [--json]: the
// operator's side of backups, run by scripts/restore-backup.ts locally and by the image's
// `restore` command inside the cluster.
//
// Exit codes: 0 done; 1 unexpected failure; 2 bad arguments or configuration; 3 no such backup;
// 4 the backup failed verification (checksum, format, counts); 5 the target database is not
// empty (pass --wipe); 6 the database to import into is in use (stop Neo4j).
import { parseOptions, usageProblem, type CommandEnv } from "../command-line.js";
import { ConfigError } from "../config.js";
import { backupDriver } from "./driver.js";
import { loadBackupConfig } from "./config.js";
import { TargetNotEmptyError, restoreBackup, type RestoreProgress } from "./restore.js";
import { VerificationError, verifyBackup } from "./verify.js";
import { BACKUP_ID, BackupNotFoundError, BackupStore, createS3Client, type Manifest } from "./storage.js";
import { BackupFormatError } from "./values.js";
import { ImportTargetError, importRestore } from "./import/import-restore.js";
import { TargetInUseError, type ImporterCommand } from "./import/run-importer.js";

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, verification: 4, notEmpty: 5, inUse: 6 } as const;

/** The usage of the restore command as started by `invocation` (the image's `restore`, or npm's). */
export function restoreUsage(invocation = "restore"): string {
  return `usage: ${invocation} list [--json]
       ${invocation} verify <id|latest> [--json]
       ${invocation} <id|latest> [--to bolt://HOST:PORT] [--wipe] [--batch-size N] [--json]
       ${invocation} <id|latest> --import-into NEO4J_HOME [--wipe] [--import-memory SIZE] [--json]
(restoring a backup is also spelled ${invocation} restore <id|latest> ...)

Reads Neo4j and S3 settings from the environment (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD_FILE,
NEO4J_CA_FILE, S3_BUCKET, S3_PREFIX, S3_REGION, S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY_FILE).
--to restores into another Neo4j (same user and password file).
--import-into builds the database (NEO4J_DATABASE, default neo4j) of a stopped Neo4j home with
Neo4j's bulk importer (NEO4J_ADMIN, default neo4j-admin; --import-memory is its off-heap
memory, default 2G), after verifying the whole backup; start Neo4j on it, then run the same
restore without --import-into to finish it (deferred values, schema, counts).

Exit codes: 0 done; 1 unexpected failure; 2 bad arguments or configuration; 3 no such backup;
4 the backup failed verification; 5 the target is not empty (pass --wipe); 6 the database to
import into is in use (stop Neo4j first).`;
}

export const RESTORE_USAGE = restoreUsage();

/** Progress for people: one updating line on a terminal, a plain line every few seconds otherwise. */
export function progressPrinter(
  manifest: Manifest,
  stream: NodeJS.WriteStream = process.stderr,
): (progress: RestoreProgress) => void {
  let writesStarted: number | undefined;
  let lastLine = 0;
  const total = manifest.counts.nodes + manifest.counts.relationships;
  return (progress) => {
    const now = Date.now();
    if (progress.phase === "verify") {
      stream.write(`verify: reading and checking all of backup ${manifest.id} before anything is written\n`);
      return;
    }
    // Rate and ETA count the writes only, not the verification before them.
    writesStarted ??= now;
    if (!stream.isTTY && now - lastLine < 5000 && progress.phase !== "cleanup" && progress.phase !== "check") return;
    lastLine = now;
    const done = progress.nodes + progress.relationships;
    const seconds = Math.max((now - writesStarted) / 1000, 0.001);
    const rate = done / seconds;
    const eta = rate > 0 && total > done ? `, ETA ${Math.ceil((total - done) / rate)} s` : "";
    const line = `${progress.phase}: ${progress.nodes}/${manifest.counts.nodes} nodes, ${progress.relationships}/${manifest.counts.relationships} relationships, ${Math.round(rate)} items/s${eta}`;
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}`);
    else stream.write(`${line}\n`);
  };
}

const COMMANDS = ["list", "verify", "restore"];

export interface RestoreCommandDefaults {
  /** The importer when NEO4J_ADMIN is not set; `neo4j-admin` on the PATH otherwise. */
  importer?: () => Promise<ImporterCommand>;
}

export async function runRestoreCommand(
  args: string[],
  env: CommandEnv = process.env,
  usage = RESTORE_USAGE,
  defaults: RestoreCommandDefaults = {},
): Promise<number> {
  const parsed = parseOptions(
    {
      to: { type: "string" },
      wipe: { type: "boolean" },
      json: { type: "boolean" },
      "batch-size": { type: "string" },
      "import-into": { type: "string" },
      "import-memory": { type: "string" },
    },
    usage,
    args,
    { allowPositionals: true },
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const { values, positionals } = parsed;
  // A backup id or latest in the command's place restores it: `restore latest` reads as it does.
  const [command, target, ...extra] =
    positionals[0] === "latest" || BACKUP_ID.test(positionals[0] ?? "") ? ["restore", ...positionals] : positionals;
  if (command === undefined) return usageProblem(usage, `a command is needed: ${COMMANDS.join(", ")}`);
  if (!COMMANDS.includes(command)) return usageProblem(usage, `unknown command ${JSON.stringify(command)}`);
  const needsTarget = command !== "list";
  if (needsTarget && !target) return usageProblem(usage, `${command} needs a backup id or latest`);
  const unexpected = needsTarget ? extra[0] : target;
  if (unexpected !== undefined) return usageProblem(usage, `unexpected argument ${JSON.stringify(unexpected)}`);
  if (command !== "restore") {
    const misplaced = (["to", "wipe", "batch-size", "import-into", "import-memory"] as const).find(
      (option) => values[option] !== undefined,
    );
    if (misplaced) return usageProblem(usage, `--${misplaced} belongs to restoring a backup, not to ${command}`);
  }
  const batchSize = values["batch-size"] === undefined ? 2000 : Number(values["batch-size"]);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)
    return usageProblem(usage, "--batch-size must be a whole number from 1 to 100000");
  if (values.to !== undefined && !/^(bolt|neo4j)(\+s|\+ssc)?:\/\/[^\s/]+$/.test(values.to)) {
    return usageProblem(usage, `--to must be a bolt:// or neo4j:// address, got ${JSON.stringify(values.to)}`);
  }
  const importInto = values["import-into"];
  if (importInto !== undefined) {
    const online = (["to", "batch-size"] as const).find((option) => values[option] !== undefined);
    if (online) return usageProblem(usage, `--${online} belongs to restoring online, not to --import-into`);
    if (importInto === "") return usageProblem(usage, "--import-into needs the Neo4j home to import into");
  } else if (values["import-memory"] !== undefined)
    return usageProblem(usage, "--import-memory belongs to --import-into");
  const importMemory = values["import-memory"] ?? "2G";
  if (!/^[1-9]\d{0,12}[KMG]?$/i.test(importMemory))
    return usageProblem(
      usage,
      `--import-memory must be a size such as 2G or 512M, got ${JSON.stringify(importMemory)}`,
    );
  const json = values.json === true;
  try {
    const environment = typeof env === "function" ? env() : env;
    const config = loadBackupConfig(values.to ? { ...environment, NEO4J_URI: values.to } : environment);
    const store = new BackupStore(createS3Client(config.s3), config.s3, config.neo4j.database);
    if (command === "list") {
      const manifests = await store.list();
      if (json) console.log(JSON.stringify(manifests));
      else if (manifests.length === 0) console.log(`no complete backups under s3://${config.s3.bucket}/${store.root}`);
      else
        for (const manifest of manifests)
          console.log(
            `${manifest.id}  ${manifest.counts.nodes} nodes  ${manifest.counts.relationships} relationships  ${(manifest.dataBytes / 1e6).toFixed(1)} MB  app ${manifest.appVersion}`,
          );
      return EXIT.ok;
    }
    const manifest = await store.resolve(target as string);
    if (command === "verify") {
      const result = await verifyBackup(store, manifest);
      console.log(
        json
          ? JSON.stringify({ ok: true, ...result })
          : `backup ${result.backupId} verified: SHA-256 ${result.sha256}, ${result.nodes} nodes, ${result.relationships} relationships, ${result.schema} schema rules`,
      );
      return EXIT.ok;
    }
    if (importInto !== undefined) {
      const admin = environment.NEO4J_ADMIN;
      const importer = admin
        ? { command: admin, args: [] }
        : ((await defaults.importer?.()) ?? { command: "neo4j-admin", args: [] });
      const result = await importRestore(store, manifest, {
        home: importInto,
        database: config.neo4j.database,
        wipe: values.wipe === true,
        importer,
        maxOffHeapMemory: importMemory.toUpperCase(),
        ...(json ? {} : { onPhase: (phase) => process.stderr.write(`${phase}\n`) }),
      });
      const next = `start Neo4j on ${importInto}, then finish the restore with the same command without --import-into`;
      console.log(
        json
          ? JSON.stringify({ ok: true, imported: true, ...result, next })
          : `imported ${result.backupId} into database ${config.neo4j.database} of ${importInto}: ${result.nodes} nodes, ${result.relationships} relationships (verify and convert ${result.convertSeconds.toFixed(1)} s, import ${result.importSeconds.toFixed(1)} s); ${next}`,
      );
      return EXIT.ok;
    }
    const driver = backupDriver(config.neo4j);
    try {
      const started = Date.now();
      const result = await restoreBackup(driver, config.neo4j.database, store, manifest, {
        wipe: values.wipe === true,
        batchSize,
        ...(json ? {} : { onProgress: progressPrinter(manifest) }),
      });
      const seconds = (Date.now() - started) / 1000;
      if (!json && process.stderr.isTTY) process.stderr.write("\n");
      console.log(
        json
          ? JSON.stringify({ ok: true, seconds, ...result })
          : `restored ${result.backupId} into ${config.neo4j.uri}: ${result.nodes} nodes, ${result.relationships} relationships in ${seconds.toFixed(1)} s${result.resumed ? " (resumed)" : ""}`,
      );
      return EXIT.ok;
    } finally {
      await driver.close();
    }
  } catch (error) {
    const [code, kind] =
      error instanceof ConfigError || error instanceof ImportTargetError
        ? [EXIT.usage, "configuration"]
        : error instanceof BackupNotFoundError
          ? [EXIT.notFound, "not found"]
          : error instanceof VerificationError || error instanceof BackupFormatError
            ? [EXIT.verification, "verification failed"]
            : error instanceof TargetNotEmptyError
              ? [EXIT.notEmpty, "target not empty"]
              : error instanceof TargetInUseError
                ? [EXIT.inUse, "target in use"]
                : [EXIT.failed, "failed"];
    const message = (error as Error).message;
    if (json) console.log(JSON.stringify({ ok: false, error: kind, message }));
    console.error(`restore: ${kind}: ${message}`);
    return code;
  }
}
