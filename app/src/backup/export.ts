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
import { BackupFormatError, encodeProperties } from "./values.js";
import { unfinishedRestore } from "./import.js";
import { NodeIdSet } from "./node-ids.js";
import { reservedName, type BackupRecord, type Endpoint, type NodeRecord, type RelationshipRecord } from "./records.js";
import { DATA_OBJECT, FORMAT_VERSION, backupId, type BackupStore, type Manifest } from "./storage.js";

export interface BackupProgress {
  phase: "schema" | "nodes" | "relationships" | "upload";
  nodes: number;
  relationships: number;
  bytes: number;
}

export interface BackupOptions {
  appVersion: string;
  /** Rows per fetch from Neo4j; by default sized from a sample so a fetch holds about FETCH_BYTES. */
  fetchSize?: number;
  onProgress?: (progress: BackupProgress) => void;
  now?: () => Date;
}

/** The statements that recreate the user's constraints and indexes (not the built-in lookups). */
export async function schemaStatements(driver: Driver, database: string): Promise<string[]> {
  const session = driver.session({ database, defaultAccessMode: "READ" });
  try {
    const constraints = await session.run("SHOW CONSTRAINTS YIELD createStatement RETURN createStatement ORDER BY createStatement");
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
async function fetchSizeFor(driver: Driver, database: string, query: string, encode: (record: Neo4jRecord) => unknown): Promise<number> {
  // The sample itself is read a row at a time: its rows may be the large ones.
  const session = driver.session({ database, defaultAccessMode: "READ", fetchSize: 1 });
  let largest = 1;
  try {
    for await (const record of session.run(`${query} LIMIT ${SAMPLE_ROWS}`)) largest = Math.max(largest, JSON.stringify(encode(record)).length);
  } finally {
    await session.close();
  }
  return Math.max(1, Math.min(MAX_FETCH_SIZE, Math.floor(FETCH_BYTES / largest)));
}

// Fields rather than the Node and Relationship themselves: the driver then builds no entity
// objects (with their integer ids) that the backup would take apart again.
const NODES_QUERY = "MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props";
const RELATIONSHIPS_QUERY = "MATCH (a)-[r]->(b) RETURN elementId(r) AS id, type(r) AS type, properties(r) AS props, elementId(a) AS start, elementId(b) AS end";
const NODE_BY_ID_QUERY = "MATCH (n) WHERE elementId(n) = $id RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props";

/** A backup that uses the restore's own names could never be restored: refused while it is taken. */
function assertRestorable(kind: string, id: string, labels: readonly string[], properties: object): void {
  const name = reservedName(labels, Object.keys(properties));
  if (name !== undefined) throw new BackupFormatError(`${kind} ${id} uses the name ${name}, which the restore reserves for itself; rename it before backing up`);
}

function nodeRecord(record: Neo4jRecord): Omit<NodeRecord, "k"> {
  const id = record.get("id") as string;
  const labels = record.get("labels") as string[];
  const properties = record.get("props") as Record<string, unknown>;
  assertRestorable("node", id, labels, properties);
  return { id, labels: labels.sort(), props: encodeProperties(properties) };
}

const nodeOf = (record: Neo4jRecord): NodeRecord => ({ k: "node", ...nodeRecord(record) });

/** A relationship with both endpoints by id; `records` decides what the backup writes for each. */
function relationshipOf(record: Neo4jRecord): RelationshipRecord & { start: string; end: string } {
  const id = record.get("id") as string;
  const properties = record.get("props") as Record<string, unknown>;
  assertRestorable("relationship", id, [], properties);
  return {
    k: "rel",
    id,
    type: record.get("type") as string,
    props: encodeProperties(properties),
    start: record.get("start") as string,
    end: record.get("end") as string,
  };
}

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

/** Every row of a read query as backup records, in fetches sized for its rows (or `fetchSize`). */
async function* readAll<T>(driver: Driver, database: string, query: string, encode: (record: Neo4jRecord) => T, fetchSize?: number): AsyncGenerator<T> {
  const session = driver.session({ database, defaultAccessMode: "READ", fetchSize: fetchSize ?? (await fetchSizeFor(driver, database, query, encode)) });
  try {
    for await (const record of session.run(query)) yield encode(record);
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
    throw new RestoreInProgressError(`a restore of backup ${id} into database ${database} has not finished; re-run it to completion before taking a backup`);
  }
}

async function* records(driver: Driver, database: string, manifest: Manifest, options: BackupOptions, progress: BackupProgress): AsyncGenerator<BackupRecord> {
  yield { k: "header", formatVersion: FORMAT_VERSION, database, id: manifest.id, startedAt: manifest.startedAt };
  for (const cypher of await schemaStatements(driver, database)) {
    manifest.counts.schema += 1;
    yield { k: "schema", cypher };
  }
  progress.phase = "nodes";
  const written = new NodeIdSet();
  for await (const node of readAll(driver, database, NODES_QUERY, nodeOf, options.fetchSize)) {
    written.add(node.id);
    manifest.counts.nodes += 1;
    for (const label of node.labels) manifest.counts.nodesByLabel[label] = (manifest.counts.nodesByLabel[label] ?? 0) + 1;
    progress.nodes += 1;
    yield node;
  }
  progress.phase = "relationships";
  for await (const read of readAll(driver, database, RELATIONSHIPS_QUERY, relationshipOf, options.fetchSize)) {
    const start = written.has(read.start) ? read.start : await readEndpoint(driver, database, read.start);
    const end = start === undefined ? undefined : written.has(read.end) ? read.end : await readEndpoint(driver, database, read.end);
    // Deleted with an endpoint after it was read: it never existed before the backup began.
    if (start === undefined || end === undefined) continue;
    const relationship: RelationshipRecord = { ...read, start, end };
    // Only once the line that carries it is written may later lines name the node by its id.
    for (const endpoint of [start, end]) if (typeof endpoint !== "string") written.add(endpoint.id);
    manifest.counts.relationships += 1;
    manifest.counts.relationshipsByType[relationship.type] = (manifest.counts.relationshipsByType[relationship.type] ?? 0) + 1;
    progress.relationships += 1;
    yield relationship;
  }
  yield { k: "end", nodes: manifest.counts.nodes, relationships: manifest.counts.relationships, schema: manifest.counts.schema };
}

/** About this many characters of lines per chunk into gzip: zlib's cost per write dwarfs its cost per byte. */
const CHUNK_CHARS = 64 * 1024;

/** The records as JSON lines, joined into chunks of about CHUNK_CHARS (a longer line is a chunk of its own). */
async function* asLineChunks(source: AsyncIterable<BackupRecord>): AsyncGenerator<string> {
  let chunk = "";
  for await (const record of source) {
    chunk += `${JSON.stringify(record)}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk !== "") yield chunk;
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
  const hash = createHash("sha256");
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const upload = new Upload({
    client: store.client,
    params: { Bucket: store.s3.bucket, Key: manifest.dataKey, Body: body, ContentType: "application/gzip", ...store.encryption() },
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
    const lines = Readable.from(asLineChunks(records(driver, store.database, manifest, options, progress)), { objectMode: false, highWaterMark: 64 * 1024 });
    await pipeline(lines, createGzip({ level: 6 }), measure, body);
    progress.phase = "upload";
    await uploaded;
  } catch (error) {
    await upload.abort().catch(() => undefined);
    throw error;
  }
  manifest.dataSha256 = hash.digest("hex");
  manifest.dataBytes = progress.bytes;
  manifest.finishedAt = now().toISOString();
  await store.writeManifest(manifest);
  return manifest;
}
