// restore list | verify <id|latest> | restore <id|latest> [--to URI] [--wipe] [--json]: the
// operator's side of backups, run by scripts/restore-backup.ts locally and by the image's
// `restore` command inside the cluster.
//
// Exit codes: 0 done; 1 unexpected failure; 2 bad arguments or configuration; 3 no such backup;
// 4 the backup failed verification (checksum, format, counts); 5 the target database is not
// empty (pass --wipe).
import { parseArgs } from "node:util";
import { ConfigError } from "../config.js";
import { backupDriver } from "./driver.js";
import { loadBackupConfig } from "./config.js";
import { TargetNotEmptyError, restoreBackup, type RestoreProgress } from "./restore.js";
import { VerificationError, verifyBackup } from "./verify.js";
import { BackupNotFoundError, BackupStore, createS3Client, type Manifest } from "./storage.js";
import { BackupFormatError } from "./values.js";

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, verification: 4, notEmpty: 5 } as const;

export const RESTORE_USAGE = `usage: restore list [--json]
       restore verify <id|latest> [--json]
       restore restore <id|latest> [--to bolt://HOST:PORT] [--wipe] [--batch-size N] [--json]

Reads Neo4j and S3 settings from the environment (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD_FILE,
S3_BUCKET, S3_PREFIX, S3_REGION, S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY_FILE).
--to restores into another Neo4j (same user and password file).

Exit codes: 0 done; 1 unexpected failure; 2 bad arguments or configuration; 3 no such backup;
4 the backup failed verification; 5 the target is not empty (pass --wipe).`;

/** Progress for people: one updating line on a terminal, a plain line every few seconds otherwise. */
export function progressPrinter(manifest: Manifest, stream: NodeJS.WriteStream = process.stderr): (progress: RestoreProgress) => void {
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

export async function runRestoreCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { to: { type: "string" }, wipe: { type: "boolean" }, json: { type: "boolean" }, "batch-size": { type: "string" }, help: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    console.error(`restore: ${(error as Error).message}\n${RESTORE_USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(RESTORE_USAGE);
    return EXIT.ok;
  }
  const [command, target, ...extra] = positionals;
  const needsTarget = command === "verify" || command === "restore";
  if (!["list", "verify", "restore"].includes(command ?? "") || (needsTarget && !target) || (!needsTarget && target) || extra.length > 0) {
    console.error(`restore: expected list, verify <id|latest> or restore <id|latest>\n${RESTORE_USAGE}`);
    return EXIT.usage;
  }
  const batchSize = values["batch-size"] === undefined ? 2000 : Number(values["batch-size"]);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    console.error("restore: --batch-size must be a whole number from 1 to 100000");
    return EXIT.usage;
  }
  if (values.to !== undefined && !/^(bolt|neo4j)(\+s|\+ssc)?:\/\/[^\s/]+$/.test(values.to)) {
    console.error(`restore: --to must be a bolt:// or neo4j:// address, got ${JSON.stringify(values.to)}`);
    return EXIT.usage;
  }
  const json = values.json === true;
  try {
    const config = loadBackupConfig(values.to ? { ...env, NEO4J_URI: values.to } : env);
    const store = new BackupStore(createS3Client(config.s3), config.s3, config.neo4j.database);
    if (command === "list") {
      const manifests = await store.list();
      if (json) console.log(JSON.stringify(manifests));
      else if (manifests.length === 0) console.log(`no complete backups under s3://${config.s3.bucket}/${store.root}`);
      else for (const manifest of manifests) console.log(`${manifest.id}  ${manifest.counts.nodes} nodes  ${manifest.counts.relationships} relationships  ${(manifest.dataBytes / 1e6).toFixed(1)} MB  app ${manifest.appVersion}`);
      return EXIT.ok;
    }
    const manifest = await store.resolve(target as string);
    if (command === "verify") {
      const result = await verifyBackup(store, manifest);
      console.log(json ? JSON.stringify({ ok: true, ...result }) : `backup ${result.backupId} verified: SHA-256 ${result.sha256}, ${result.nodes} nodes, ${result.relationships} relationships, ${result.schema} schema rules`);
      return EXIT.ok;
    }
    const driver = backupDriver(config.neo4j.uri, config.neo4j.user, config.neo4j.password);
    try {
      const started = Date.now();
      const result = await restoreBackup(driver, config.neo4j.database, store, manifest, { wipe: values.wipe === true, batchSize, ...(json ? {} : { onProgress: progressPrinter(manifest) }) });
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
      error instanceof ConfigError ? [EXIT.usage, "configuration"]
      : error instanceof BackupNotFoundError ? [EXIT.notFound, "not found"]
      : error instanceof VerificationError || error instanceof BackupFormatError ? [EXIT.verification, "verification failed"]
      : error instanceof TargetNotEmptyError ? [EXIT.notEmpty, "target not empty"]
      : [EXIT.failed, "failed"];
    const message = (error as Error).message;
    if (json) console.log(JSON.stringify({ ok: false, error: kind, message }));
    console.error(`restore: ${kind}: ${message}`);
    return code;
  }
}
