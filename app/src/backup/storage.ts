// The S3 side of backups: key layout, the manifest (written last: a backup without one is not
// complete and never listed), listing, reading and pruning.
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import type { BackupConfig } from "./config.js";
import { traceS3Commands } from "../telemetry/s3-spans.js";

/** 2: a relationship names an endpoint already written by its id. 1 carried both endpoints whole. */
export const FORMAT_VERSION = 2;
const READABLE_FORMATS = new Set([1, FORMAT_VERSION]);
export const DATA_OBJECT = "data.jsonl.gz";
export const MANIFEST_OBJECT = "manifest.json";

export interface Manifest {
  formatVersion: number;
  appVersion: string;
  database: string;
  id: string;
  dataKey: string;
  dataSha256: string;
  dataBytes: number;
  counts: {
    schema: number;
    nodes: number;
    relationships: number;
    nodesByLabel: Record<string, number>;
    relationshipsByType: Record<string, number>;
  };
  startedAt: string;
  finishedAt: string;
}

export class BackupNotFoundError extends Error {
  override readonly name = "BackupNotFoundError";
  readonly code = "ERR_BACKUP_NOT_FOUND";
}

export function createS3Client(s3: BackupConfig["s3"]): S3Client {
  // Each S3 command is a span once telemetry is on (OTEL_EXPORTER_OTLP_ENDPOINT), a no-op otherwise.
  return traceS3Commands(
    new S3Client({
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
      ...(s3.credentials ? { credentials: s3.credentials } : {}),
    }),
  );
}

export const BACKUP_ID = /^\d{8}T\d{9}Z$/;

/** A sortable UTC id: 20261122T184001123Z. */
export function backupId(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, "");
}

export class BackupStore {
  constructor(
    readonly client: S3Client,
    readonly s3: BackupConfig["s3"],
    readonly database: string,
  ) {}

  /** backups/<database>/ */
  get root(): string {
    return `${this.s3.prefix}${this.database}/`;
  }

  keyOf(id: string, object: string): string {
    return `${this.root}${id}/${object}`;
  }

  encryption(): { ServerSideEncryption?: "aws:kms"; SSEKMSKeyId?: string } {
    return this.s3.kmsKeyId ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: this.s3.kmsKeyId } : {};
  }

  /**
   * On an S3-compatible store inside the cluster (MinIO), the bucket is the backup's to create;
   * on AWS the stack creates it, with its policies, and the backup role could not anyway.
   */
  async ensureBucket(): Promise<void> {
    if (!this.s3.endpoint) return;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.s3.bucket }));
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.s3.bucket }));
    }
  }

  async writeManifest(manifest: Manifest): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.s3.bucket,
        Key: this.keyOf(manifest.id, MANIFEST_OBJECT),
        Body: JSON.stringify(manifest, null, 2),
        ContentType: "application/json",
        ...this.encryption(),
      }),
    );
  }

  private async listPrefixes(): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.s3.bucket,
          Prefix: this.root,
          Delimiter: "/",
          ContinuationToken: token,
        }),
      );
      for (const prefix of page.CommonPrefixes ?? [])
        if (prefix.Prefix) ids.push(prefix.Prefix.slice(this.root.length, -1));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return ids.sort();
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.s3.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** Complete backups, oldest first, with their manifests. */
  async list(): Promise<Manifest[]> {
    const manifests: Manifest[] = [];
    for (const id of await this.listPrefixes()) {
      const manifest = await this.readManifest(id).catch((error: unknown) => {
        if (error instanceof BackupNotFoundError) return undefined;
        throw error;
      });
      if (manifest) manifests.push(manifest);
    }
    return manifests;
  }

  async readManifest(id: string): Promise<Manifest> {
    // The id comes from the operator's command line and from listed prefixes: only ids this
    // code writes ever become part of a key.
    if (!BACKUP_ID.test(id))
      throw new BackupNotFoundError(
        `${JSON.stringify(id.slice(0, 60))} is not a backup id (like 20261122T184001123Z) or latest`,
      );
    const body = await this.getObject(this.keyOf(id, MANIFEST_OBJECT)).catch((error: unknown) => {
      if ((error as { name?: string }).name === "NoSuchKey")
        throw new BackupNotFoundError(`no complete backup ${id} under s3://${this.s3.bucket}/${this.root}`);
      throw error;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    const manifest = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Manifest;
    if (!READABLE_FORMATS.has(manifest.formatVersion))
      throw new Error(
        `backup ${id} has format version ${String(manifest.formatVersion)}; this version reads ${[...READABLE_FORMATS].join(" and ")}`,
      );
    return manifest;
  }

  /** `latest` or an id -> that complete backup's manifest. */
  async resolve(idOrLatest: string): Promise<Manifest> {
    if (idOrLatest !== "latest") return this.readManifest(idOrLatest);
    const all = await this.list();
    const latest = all.at(-1);
    if (!latest) throw new BackupNotFoundError(`no complete backup under s3://${this.s3.bucket}/${this.root}`);
    return latest;
  }

  /**
   * An object read in ranges of `chunkBytes`, each fetched whole when the reader wants more: a
   * slow reader (a restore writing to Neo4j) never holds an idle connection the server may cut.
   * Every range after the first is read only if the object still has the first one's ETag (or
   * `version.etag`, when given), so the ranges are of one object even if it is replaced
   * meanwhile; `version.etag` is set to the ETag read.
   */
  rangedObject(key: string, size: number, version: { etag?: string } = {}, chunkBytes = 2 * 1024 * 1024): Readable {
    const client = this.client;
    const bucket = this.s3.bucket;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let start = 0; start < size; start += chunkBytes) {
        const end = Math.min(size, start + chunkBytes) - 1;
        let response;
        try {
          response = await client.send(
            new GetObjectCommand({
              Bucket: bucket,
              Key: key,
              Range: `bytes=${start}-${end}`,
              ...(version.etag ? { IfMatch: version.etag } : {}),
            }),
          );
        } catch (error) {
          if ((error as { name?: string }).name === "PreconditionFailed")
            throw new Error(
              `s3://${bucket}/${key} changed while it was being read (its ETag is no longer ${version.etag})`,
              { cause: error },
            );
          throw error;
        }
        version.etag ??= response.ETag;
        const array = await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
        // A view, not a copy: one chunk in memory at a time.
        const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
        if (bytes.length !== end - start + 1)
          throw new Error(
            `s3://${bucket}/${key}: expected ${end - start + 1} bytes at ${start}, got ${bytes.length} (the object changed or is shorter than its manifest says)`,
          );
        yield bytes;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async getObject(key: string): Promise<Readable> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: key }));
    return response.Body as Readable;
  }

  /**
   * Keeps the newest `keep` complete backups; deletes older complete ones and abandoned
   * (manifest-less) ones older than the oldest kept. A backup still being written is newer
   * than every complete one, so it is never touched.
   */
  async prune(keep: number): Promise<{ kept: string[]; deleted: string[] }> {
    const complete = (await this.list()).map((manifest) => manifest.id);
    const kept = complete.slice(Math.max(0, complete.length - keep));
    const oldestKept = kept[0];
    const deleted = (await this.listPrefixes()).filter(
      (id) => !kept.includes(id) && (oldestKept === undefined ? complete.includes(id) : id < oldestKept),
    );
    for (const id of deleted) {
      const all = await this.keysUnder(`${this.root}${id}/`);
      // The manifest goes first, on its own, so a half-deleted backup is never listed as complete.
      const manifestKey = this.keyOf(id, MANIFEST_OBJECT);
      if (all.includes(manifestKey))
        await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.s3.bucket,
            Delete: { Objects: [{ Key: manifestKey }], Quiet: true },
          }),
        );
      const keys = all.filter((key) => key !== manifestKey);
      for (let start = 0; start < keys.length; start += 1000) {
        await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.s3.bucket,
            Delete: { Objects: keys.slice(start, start + 1000).map((Key) => ({ Key })), Quiet: true },
          }),
        );
      }
    }
    return { kept, deleted };
  }
}
