// The backup tests' way to run the real commands (the image's `backup`, the operator's
// `npm run restore`), to store hand-made copies of a backup beside the real ones, and a store of
// their own for the tests that read backup objects directly.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { s3Access, s3Client } from "../../../test/support/service-env.js";
import { BackupStore, createS3Client } from "../../src/backup/storage.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; `killWhen` sees each stderr line and may kill the process (SIGKILL). */
export function runCli(
  script: string[],
  env: NodeJS.ProcessEnv,
  killWhen?: (line: string) => boolean,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...script], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (killWhen && stderr.split("\n").some(killWhen)) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

export const backupCommand = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  runCli([path.join(ROOT, "app/src/main.ts"), "backup", ...args], env);
export const restoreCommand = (env: NodeJS.ProcessEnv, args: string[], killWhen?: (line: string) => boolean) =>
  runCli([path.join(ROOT, "scripts/restore-backup.ts"), ...args], env, killWhen);
export const lastJson = (text: string) =>
  JSON.parse(text.trim().split("\n").at(-1) ?? "null") as Record<string, unknown>;

/**
 * The test's MinIO (started by the test runner) as an S3 client, and the environment the backup
 * and restore commands run with: Neo4j at `neo4jUri`, backups in `bucket`.
 */
export function backupTestServices(
  neo4jUri: string,
  passwordFile: string,
  bucket: string,
): { s3: S3Client; env: NodeJS.ProcessEnv } {
  const access = s3Access();
  const s3 = s3Client(access);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NEO4J_URI: neo4jUri,
    NEO4J_PASSWORD_FILE: passwordFile,
    S3_BUCKET: bucket,
    S3_PREFIX: "backups/",
    S3_ENDPOINT: access.endpoint,
    S3_REGION: access.region,
    S3_FORCE_PATH_STYLE: "true",
    S3_ACCESS_KEY_ID: access.accessKeyId,
    S3_SECRET_ACCESS_KEY_FILE: access.secretAccessKeyFile,
  };
  return { s3, env };
}

/** A bucket's backups as the tests read and copy them. */
export class BackupCopies {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** The lines of a backup's data object, as the backup wrote them. */
  async lines(manifest: Record<string, unknown>): Promise<string[]> {
    const data = (await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: String(manifest.dataKey) })))
      .Body;
    assert.ok(data, "the data object can be read");
    return gunzipSync(Buffer.from(await data.transformToByteArray()))
      .toString("utf8")
      .trimEnd()
      .split("\n");
  }

  /** Stores `lines` as a complete backup `id` whose manifest matches them (hash, size, `changes`), runs `use`, then removes it. */
  async with(
    manifest: Record<string, unknown>,
    id: string,
    lines: string[],
    changes: Record<string, unknown>,
    use: () => Promise<void>,
  ): Promise<void> {
    const body = gzipSync(`${lines.join("\n")}\n`);
    const prefix = `backups/neo4j/${id}/`;
    const copy = {
      ...manifest,
      ...changes,
      id,
      dataKey: `${prefix}data.jsonl.gz`,
      dataSha256: createHash("sha256").update(body).digest("hex"),
      dataBytes: body.length,
    };
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: copy.dataKey, Body: body }));
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: `${prefix}manifest.json`, Body: JSON.stringify(copy) }),
    );
    try {
      await use();
    } finally {
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: [{ Key: copy.dataKey }, { Key: `${prefix}manifest.json` }] },
        }),
      );
    }
  }
}

/** A BackupStore of database neo4j in a new bucket of the test's MinIO, named `<name>-<time>`. */
export async function testBackupStore(name: string): Promise<BackupStore> {
  const access = s3Access();
  const s3 = {
    bucket: `${name}-${Date.now().toString(36)}`,
    prefix: "backups/",
    region: access.region,
    endpoint: access.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
  };
  const store = new BackupStore(createS3Client(s3), s3, "neo4j");
  await store.ensureBucket();
  return store;
}
