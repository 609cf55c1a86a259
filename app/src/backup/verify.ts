// Verification of a backup: its hash, size and counts against the manifest, every line against
// the record format, every value decoded, and every node a relationship names by id held by an
// earlier line. The restore runs it in full before it wipes or writes anything.
import { createHash } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { NodeIdSet } from "./node-ids.js";
import { parseRecord, type BackupRecord } from "./records.js";
import type { BackupStore, Manifest } from "./storage.js";
import { BackupFormatError, decodeProperties } from "./values.js";

export class VerificationError extends Error {
  override readonly name = "VerificationError";
  readonly code = "ERR_BACKUP_VERIFICATION";
}

const quote = (id: string) => JSON.stringify(id.slice(0, 80));

/**
 * The nodes earlier lines of a backup hold, as the backup kept them (its NodeIdSet, built from
 * the same lines in the same order): a node line comes once, and a relationship names a node by
 * id only after a line that holds it. The online restore's verification and the import's both
 * check with it.
 */
export class HeldNodes {
  private readonly ids = new NodeIdSet();

  /** A node line, refused if an earlier line held its id; false when its id cannot be held, so no later line may name it by id. */
  addLine(id: string): boolean {
    if (this.ids.has(id)) throw new VerificationError(`node ${quote(id)} appears twice`);
    return this.ids.add(id);
  }

  /** A node a relationship line carries whole (a format 1 backup carries the same one on every line); true when first held here. */
  addCarried(id: string): boolean {
    return !this.ids.has(id) && this.ids.add(id);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** A relationship's endpoint named by id: an earlier line must hold that node. */
  requireNamed(relationshipId: string, side: string, id: string): void {
    if (!this.ids.has(id))
      throw new VerificationError(
        `relationship ${quote(relationshipId)} names its ${side} node ${quote(id)} by id, but no earlier line holds that node`,
      );
  }
}

export interface VerifyResult {
  backupId: string;
  records: number;
  nodes: number;
  relationships: number;
  schema: number;
  sha256: string;
  /** The data object's ETag: a restore writes only from this version, the one verified. */
  etag?: string;
}

/** A record and the length of the line it was read from: what batching by size counts. */
export interface SizedRecord {
  record: BackupRecord;
  bytes: number;
}

/**
 * The data object's text, decompressed, in batches of whole lines of at least `batchChars`
 * characters (a line longer than that is a batch of its own); the last batch may lack its final
 * newline. Once all of it has been read its SHA-256 is checked against the manifest; any failure
 * to read it is a VerificationError.
 */
export async function* backupTextBatches(
  store: BackupStore,
  manifest: Manifest,
  version: { etag?: string },
  batchChars: number,
): AsyncGenerator<string> {
  const body = store.rangedObject(manifest.dataKey, manifest.dataBytes, version);
  const hash = createHash("sha256");
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const text = new PassThrough();
  // pipeline destroys every stage on an error, so the reader below sees it instead of waiting.
  const piped = pipeline(body, tap, createGunzip(), text);
  piped.catch(() => undefined);
  const decoder = new StringDecoder("utf8");
  // Whole lines not yet handed out; a line is never re-scanned, however many chunks it spans.
  let parts: string[] = [];
  let pending = 0;
  try {
    for await (const chunk of text as AsyncIterable<Buffer>) {
      const decoded = decoder.write(chunk);
      const newline = decoded.lastIndexOf("\n");
      if (newline < 0) {
        parts.push(decoded);
        pending += decoded.length;
        continue;
      }
      parts.push(decoded.slice(0, newline + 1));
      pending += newline + 1;
      if (pending >= batchChars) {
        yield parts.join("");
        parts = [];
        pending = 0;
      }
      if (newline + 1 < decoded.length) {
        parts.push(decoded.slice(newline + 1));
        pending += decoded.length - newline - 1;
      }
    }
    const rest = parts.join("") + decoder.end();
    if (rest !== "") yield rest;
    await piped;
  } catch (error) {
    if (error instanceof VerificationError || error instanceof BackupFormatError) throw error;
    throw new VerificationError(`the data object cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const sha256 = hash.digest("hex");
  if (sha256 !== manifest.dataSha256)
    throw new VerificationError(
      `SHA-256 mismatch: the data object hashes to ${sha256}, the manifest says ${manifest.dataSha256}`,
    );
}

/** The lines of a batch from backupTextBatches: a newline ends each, and the last may have none. */
export function* batchLines(batch: string): Generator<string> {
  let start = 0;
  for (let newline = batch.indexOf("\n"); newline >= 0; newline = batch.indexOf("\n", start)) {
    yield batch.slice(start, newline);
    start = newline + 1;
  }
  if (start < batch.length) yield batch.slice(start);
}

/**
 * The record kinds a backup's lines hold, counted in order: a line after the end record is
 * refused, and once all are read the end record must have come and the counts must be the
 * manifest's.
 */
export class RecordTally {
  private readonly counts = { nodes: 0, relationships: 0, schema: 0 };
  private sawEnd = false;

  /** A line that is not empty, before it is read: refused if the end record came before it. */
  line(lineNumber: number): void {
    if (this.sawEnd) throw new VerificationError(`line ${lineNumber}: data after the end record`);
  }

  /** The record that line held. */
  count(kind: BackupRecord["k"]): void {
    if (kind === "node") this.counts.nodes += 1;
    else if (kind === "rel") this.counts.relationships += 1;
    else if (kind === "schema") this.counts.schema += 1;
    else if (kind === "end") this.sawEnd = true;
  }

  /** Refuses a backup whose end record never came, or whose counts are not the manifest's. */
  finish(manifest: Manifest): void {
    if (!this.sawEnd) throw new VerificationError("the data object ends without its end record (truncated)");
    for (const key of ["nodes", "relationships", "schema"] as const) {
      if (this.counts[key] !== manifest.counts[key])
        throw new VerificationError(
          `${key}: the data holds ${this.counts[key]}, the manifest says ${manifest.counts[key]}`,
        );
    }
  }
}

/** Text handed out at a time by readSizedRecords: large enough that batching costs nothing. */
const RECORD_BATCH_CHARS = 256 * 1024;

/** Streams a backup's records, checking its SHA-256 and completeness against the manifest. */
async function* readBackup(
  store: BackupStore,
  manifest: Manifest,
  version: { etag?: string } = {},
): AsyncGenerator<BackupRecord> {
  for await (const { record } of readSizedRecords(store, manifest, version)) yield record;
}

export async function* readSizedRecords(
  store: BackupStore,
  manifest: Manifest,
  version: { etag?: string },
): AsyncGenerator<SizedRecord> {
  const tally = new RecordTally();
  let lineNumber = 0;
  for await (const batch of backupTextBatches(store, manifest, version, RECORD_BATCH_CHARS)) {
    for (const line of batchLines(batch)) {
      lineNumber += 1;
      if (line === "") continue;
      tally.line(lineNumber);
      let record: BackupRecord;
      try {
        record = parseRecord(line);
      } catch (error) {
        throw new VerificationError(`line ${lineNumber}: ${(error as Error).message}`, { cause: error });
      }
      tally.count(record.k);
      yield { record, bytes: line.length };
    }
  }
  tally.finish(manifest);
}

/** Downloads and parses the whole backup, decoding every value: what restore would read. */
export async function verifyBackup(store: BackupStore, manifest: Manifest): Promise<VerifyResult> {
  const result: VerifyResult = {
    backupId: manifest.id,
    records: 0,
    nodes: 0,
    relationships: 0,
    schema: 0,
    sha256: manifest.dataSha256,
  };
  const version: { etag?: string } = {};
  const held = new HeldNodes();
  for await (const record of readBackup(store, manifest, version)) {
    result.records += 1;
    try {
      if (record.k === "node") {
        decodeProperties(record.props);
        held.addLine(record.id);
        result.nodes += 1;
      } else if (record.k === "rel") {
        decodeProperties(record.props);
        for (const [side, endpoint] of [
          ["start", record.start],
          ["end", record.end],
        ] as const) {
          if (typeof endpoint === "string") held.requireNamed(record.id, side, endpoint);
          else {
            decodeProperties(endpoint.props);
            held.addCarried(endpoint.id);
          }
        }
        result.relationships += 1;
      } else if (record.k === "schema") {
        assertSchemaStatement(record.cypher);
        result.schema += 1;
      }
    } catch (error) {
      throw new VerificationError(`record ${result.records}: ${(error as Error).message}`, { cause: error });
    }
  }
  return { ...result, ...(version.etag ? { etag: version.etag } : {}) };
}

/**
 * A backup's schema records are Cypher the restore runs: only a single CREATE CONSTRAINT or
 * CREATE ... INDEX statement is accepted, so a tampered backup cannot smuggle in other commands.
 */
export function assertSchemaStatement(cypher: string): void {
  const schemaCommand = /^CREATE\s+(CONSTRAINT|(RANGE\s+|TEXT\s+|POINT\s+|FULLTEXT\s+|VECTOR\s+|LOOKUP\s+)?INDEX)\b/i;
  if (!schemaCommand.test(cypher.trim()) || cypher.includes(";")) {
    throw new VerificationError(
      `a schema record is not a single CREATE CONSTRAINT or CREATE INDEX statement: ${JSON.stringify(cypher.slice(0, 120))}`,
    );
  }
}
