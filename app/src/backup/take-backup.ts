// The streaming logical backup: schema, nodes, then relationships, as gzip'd JSON lines uploaded
// in parts while they are read. A relationship names an endpoint the backup has written by its id,
// and carries the whole of one it has not (created while the backup ran), so the restore never
// leaves one dangling. Memory stays flat however large the graph is.
import { createHash } from "node:crypto";
import { PassThrough, Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { Upload } from "@aws-sdk/lib-storage";
import type { Driver, Record as Neo4jRecord } from "neo4j-driver";
import type { BackupConnection } from "./driver.js";
import { unfinishedRestore } from "./restore-marker.js";
import { usableCpus } from "./usable-cpus.js";
import { NodeIdSet } from "./node-ids.js";
import { NODE_RESULT, RELATIONSHIP_RESULT, nodeRecord, relationshipOf } from "./read-records.js";
import { RangeReaders, highestId, type NodeChunk, type RelationshipChunk } from "./range-reads.js";
import type { BackupRecord, Endpoint, RelationshipRecord } from "./records.js";
import { DATA_OBJECT, FORMAT_VERSION, backupId, type BackupStore, type Manifest } from "./storage.js";

export interface BackupProgress {
  phase: "schema" | "nodes" | "relationships" | "upload";
  nodes: number;
  relationships: number;
  bytes: number;
}

/**
 * Reader threads by default: the backup's time is decoding, which they share, so there is one
 * per usable CPU, up to two. Under a one-CPU limit (the CronJob's) a second reader would only
 * add its memory (a V8 isolate of its own, about 75 MB).
 */
export const MAX_READERS = 2;
export const defaultReaders = (): number => Math.min(MAX_READERS, usableCpus());

export interface BackupOptions {
  appVersion: string;
  /** Where the reader threads connect (each has a driver of its own), as the main driver does. */
  connection: BackupConnection;
  /** Reader threads; defaultReaders() by default. */
  readers?: number;
  /** Rows per fetch from Neo4j; by default sized from a sample so a fetch holds about FETCH_BYTES. */
  fetchSize?: number;
  onProgress?: (progress: BackupProgress) => void;
  now?: () => Date;
}

/** The statements that recreate the user's constraints and indexes (not the built-in lookups). */
export async function schemaStatements(driver: Driver, database: string): Promise<string[]> {
  const session = driver.session({ database, defaultAccessMode: "READ" });
  try {
    const constraints = await session.run(
      "SHOW CONSTRAINTS YIELD createStatement RETURN createStatement ORDER BY createStatement",
    );
    const indexes = await session.run(
      "SHOW INDEXES YIELD createStatement, owningConstraint, type WHERE owningConstraint IS NULL AND type <> 'LOOKUP' RETURN createStatement ORDER BY createStatement",
    );
    return [...constraints.records, ...indexes.records].map((record) => String(record.get("createStatement")));
  } finally {
    await session.close();
  }
}

/** About this much encoded data per fetch: the driver holds a whole fetch in memory. */
export const FETCH_BYTES = 16 * 1024 * 1024;
const MAX_FETCH_SIZE = 2000;
const SAMPLE_ROWS = 100;

/**
 * Rows per fetch for a query: the driver buffers whole fetches, so a graph of large values must
 * be read a few rows at a time, and a graph of small ones in large fetches. Sized from the
 * largest row of a sample, the query's first rows.
 */
async function fetchSizeFor(
  driver: Driver,
  database: string,
  query: string,
  encode: (record: Neo4jRecord) => unknown,
): Promise<number> {
  // The sample itself is read a row at a time: its rows may be the large ones.
  const session = driver.session({ database, defaultAccessMode: "READ", fetchSize: 1 });
  let largest = 1;
  try {
    for await (const record of session.run(`${query} LIMIT ${SAMPLE_ROWS}`))
      largest = Math.max(largest, JSON.stringify(encode(record)).length);
  } finally {
    await session.close();
  }
  return Math.max(1, Math.min(MAX_FETCH_SIZE, Math.floor(FETCH_BYTES / largest)));
}

const NODES_QUERY = `MATCH (n) ${NODE_RESULT}`;
const RELATIONSHIPS_QUERY = `MATCH (a)-[r]->(b) ${RELATIONSHIP_RESULT}`;
const NODE_BY_ID_QUERY = `MATCH (n) WHERE elementId(n) = $id ${NODE_RESULT}`;

/**
 * The whole of an endpoint the backup has not written (a node created while it ran), read now.
 * Undefined when the node is gone: its relationships went with it, and all of them came after
 * the backup began.
 */
async function readEndpoint(driver: Driver, database: string, id: string): Promise<Endpoint | undefined> {
  const session = driver.session({ database, defaultAccessMode: "READ" });
  try {
    const [found] = (await session.run(NODE_BY_ID_QUERY, { id })).records;
    return found ? nodeRecord(found) : undefined;
  } finally {
    await session.close();
  }
}

export class RestoreInProgressError extends Error {
  override readonly name = "RestoreInProgressError";
  readonly code = "ERR_RESTORE_IN_PROGRESS";
}

/** A database a restore is still writing (or crashed in) holds half a graph and the restore's own bookkeeping. */
async function assertNoRestoreInProgress(driver: Driver, database: string): Promise<void> {
  const marker = await unfinishedRestore(driver, database);
  if (marker) {
    // The marker's id is whatever the database holds: quoted and cut short, never a raw log line.
    const id = JSON.stringify(String(marker.backupId).slice(0, 40));
    throw new RestoreInProgressError(
      `a restore of backup ${id} into database ${database} has not finished; re-run it to completion before taking a backup`,
    );
  }
}

const line = (record: BackupRecord) => `${JSON.stringify(record)}\n`;

/** A fetch of fewer rows than this holds large values: one reader reads them, as the only reader would. */
const PARALLEL_MIN_FETCH = 100;

/**
 * How many readers share a read, and each one's rows per fetch (its share of FETCH_BYTES). Rows
 * of large values are read by a single reader, so memory holds one large fetch at a time.
 */
async function readPlan(
  driver: Driver,
  database: string,
  query: string,
  encode: (record: Neo4jRecord) => unknown,
  options: BackupOptions,
  readers: number,
): Promise<{ lanes: number; fetchSize: number }> {
  const whole = options.fetchSize ?? (await fetchSizeFor(driver, database, query, encode));
  const lanes = whole >= PARALLEL_MIN_FETCH ? readers : 1;
  return { lanes, fetchSize: Math.max(1, Math.floor(whole / lanes)) };
}

/** The backup's lines, in chunks: header and schema, every node, every relationship, the end record. */
async function* lines(
  driver: Driver,
  readers: RangeReaders,
  database: string,
  manifest: Manifest,
  options: BackupOptions,
  progress: BackupProgress,
): AsyncGenerator<string> {
  const { counts } = manifest;
  let head = line({
    k: "header",
    formatVersion: FORMAT_VERSION,
    database,
    id: manifest.id,
    startedAt: manifest.startedAt,
  });
  for (const cypher of await schemaStatements(driver, database)) {
    counts.schema += 1;
    head += line({ k: "schema", cypher });
  }
  yield head;
  progress.phase = "nodes";
  const written = new NodeIdSet();
  const nodePlan = await readPlan(driver, database, NODES_QUERY, nodeRecord, options, readers.count);
  for await (const chunk of readers.read("nodes", await highestId(driver, database, "nodes"), nodePlan)) {
    const { ids, labels, text } = chunk as NodeChunk;
    // In the order of the lines: the restore's verification builds the same set from them.
    for (const id of ids) written.add(id);
    for (const label in labels) counts.nodesByLabel[label] = (counts.nodesByLabel[label] ?? 0) + (labels[label] ?? 0);
    counts.nodes += ids.length;
    progress.nodes += ids.length;
    yield text;
  }
  progress.phase = "relationships";
  const relationshipPlan = await readPlan(
    driver,
    database,
    RELATIONSHIPS_QUERY,
    relationshipOf,
    options,
    readers.count,
  );
  for await (const chunk of readers.read(
    "relationships",
    await highestId(driver, database, "relationships"),
    relationshipPlan,
  )) {
    const { lines: read, starts, ends, types } = chunk as RelationshipChunk;
    let text = "";
    for (let index = 0; index < read.length; index += 1) {
      const [startId, endId, type] = [starts[index] as string, ends[index] as string, types[index] as string];
      let relationship = read[index] as string;
      if (!written.has(startId) || !written.has(endId)) {
        const start = written.has(startId) ? startId : await readEndpoint(driver, database, startId);
        const end =
          start === undefined ? undefined : written.has(endId) ? endId : await readEndpoint(driver, database, endId);
        // Deleted with an endpoint after it was read: it never existed before the backup began.
        if (start === undefined || end === undefined) continue;
        // Only once the line that carries it is written may later lines name the node by its id.
        for (const endpoint of [start, end]) if (typeof endpoint !== "string") written.add(endpoint.id);
        relationship = JSON.stringify({ ...(JSON.parse(relationship) as RelationshipRecord), start, end });
      }
      counts.relationships += 1;
      counts.relationshipsByType[type] = (counts.relationshipsByType[type] ?? 0) + 1;
      progress.relationships += 1;
      text += `${relationship}\n`;
    }
    if (text !== "") yield text;
  }
  yield line({ k: "end", nodes: counts.nodes, relationships: counts.relationships, schema: counts.schema });
}

/** Takes one backup; resolves with its manifest once the manifest (written last) is stored. */
export async function runBackup(driver: Driver, store: BackupStore, options: BackupOptions): Promise<Manifest> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const id = backupId(started);
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    appVersion: options.appVersion,
    database: store.database,
    id,
    dataKey: store.keyOf(id, DATA_OBJECT),
    dataSha256: "",
    dataBytes: 0,
    counts: { schema: 0, nodes: 0, relationships: 0, nodesByLabel: {}, relationshipsByType: {} },
    startedAt: started.toISOString(),
    finishedAt: "",
  };
  await assertNoRestoreInProgress(driver, store.database);
  const progress: BackupProgress = { phase: "schema", nodes: 0, relationships: 0, bytes: 0 };
  const readers = new RangeReaders(
    { ...options.connection, database: store.database },
    options.readers ?? defaultReaders(),
  );
  const hash = createHash("sha256");
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const upload = new Upload({
    client: store.client,
    params: {
      Bucket: store.s3.bucket,
      Key: manifest.dataKey,
      Body: body,
      ContentType: "application/gzip",
      ...store.encryption(),
    },
    // S3's smallest part: memory holds at most queueSize + 1 parts, whatever the graph's size.
    // 10,000 parts of 5 MiB bound one backup at about 48 GiB compressed.
    queueSize: 2,
    partSize: 5 * 1024 * 1024,
    leavePartsOnError: false,
  });
  const uploaded = upload.done();
  // Awaited once the data is read; when reading fails, the abort below rejects it, and the
  // reading error, not an unhandled "Upload aborted.", is what the backup reports.
  uploaded.catch(() => undefined);
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      progress.bytes += chunk.length;
      options.onProgress?.(progress);
      done(null, chunk);
    },
  });
  try {
    // Lines, not records, enter the stream: its buffer is then counted in bytes, so a graph of
    // large values holds one line at a time, where an object-mode stage would hold 16 records.
    const text = Readable.from(lines(driver, readers, store.database, manifest, options, progress), {
      objectMode: false,
      highWaterMark: 64 * 1024,
    });
    await pipeline(text, createGzip({ level: 6 }), measure, body);
    progress.phase = "upload";
    await uploaded;
  } catch (error) {
    await upload.abort().catch(() => undefined);
    throw error;
  } finally {
    await readers.close();
  }
  manifest.dataSha256 = hash.digest("hex");
  manifest.dataBytes = progress.bytes;
  manifest.finishedAt = now().toISOString();
  await store.writeManifest(manifest);
  return manifest;
}
