// Restore: reads a backup back into a Neo4j database. Schema first, then nodes, then
// relationships, in batches; every write is a MERGE on the backup's ids, so running it again
// after a crash converges. A marker node records the restore in progress and its phase.
import { createHash } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { Driver, QueryResult } from "neo4j-driver";
import { NodeIdSet } from "./node-ids.js";
import {
  parseRecord,
  RESTORE_ENDPOINT_ONLY_KEY as ENDPOINT_ONLY,
  RESTORE_ID_KEY as STAGED_ID,
  RESTORE_MARKER_LABEL as MARKER,
  RESTORE_STAGED_LABEL as STAGED,
  type BackupRecord,
  type Endpoint,
  type NodeRecord,
} from "./records.js";
import type { BackupStore, Manifest } from "./storage.js";
import { BackupFormatError, decodeProperties } from "./values.js";

export class TargetNotEmptyError extends Error {
  override readonly name = "TargetNotEmptyError";
  readonly code = "ERR_TARGET_NOT_EMPTY";
}

export class VerificationError extends Error {
  override readonly name = "VerificationError";
  readonly code = "ERR_BACKUP_VERIFICATION";
}

const STAGED_CONSTRAINT = "mcp_bastion_restore_id";

export interface RestoreProgress {
  phase: "verify" | "wipe" | "schema" | "nodes" | "relationships" | "cleanup" | "check";
  nodes: number;
  relationships: number;
}

export interface RestoreOptions {
  wipe?: boolean;
  /** Most rows in one write transaction. */
  batchSize?: number;
  /** Most encoded bytes in one write transaction: a graph of large values must not hold thousands of them at once. */
  batchBytes?: number;
  onProgress?: (progress: RestoreProgress) => void;
}

export interface RestoreResult {
  backupId: string;
  resumed: boolean;
  nodes: number;
  relationships: number;
  /** Nodes known only as a relationship's endpoint (deleted while the backup ran). */
  endpointOnlyNodes: number;
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
interface SizedRecord {
  record: BackupRecord;
  bytes: number;
}

/**
 * The lines of a byte stream, read one chunk at a time as they are consumed. readline's
 * iterator would queue up to a thousand lines ahead of a slow consumer, which for a backup of
 * large values is most of the backup; a long line is collected in parts, never re-scanned.
 */
async function* splitLines(input: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let parts: string[] = [];
  for await (const chunk of input) {
    const text = decoder.write(chunk);
    let start = 0;
    for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
      parts.push(text.slice(start, newline));
      yield parts.join("");
      parts = [];
      start = newline + 1;
    }
    if (start < text.length) parts.push(text.slice(start));
  }
  const rest = parts.join("") + decoder.end();
  if (rest !== "") yield rest;
}

/** Streams a backup's records, checking its SHA-256 and completeness against the manifest. */
export async function* readBackup(store: BackupStore, manifest: Manifest, version: { etag?: string } = {}): AsyncGenerator<BackupRecord> {
  for await (const { record } of readSizedRecords(store, manifest, version)) yield record;
}

async function* readSizedRecords(store: BackupStore, manifest: Manifest, version: { etag?: string }): AsyncGenerator<SizedRecord> {
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
  const counts = { nodes: 0, relationships: 0, schema: 0 };
  let sawEnd = false;
  let lineNumber = 0;
  try {
    for await (const line of splitLines(text)) {
      lineNumber += 1;
      if (line === "") continue;
      if (sawEnd) throw new VerificationError(`line ${lineNumber}: data after the end record`);
      let record: BackupRecord;
      try {
        record = parseRecord(line);
      } catch (error) {
        throw new VerificationError(`line ${lineNumber}: ${(error as Error).message}`, { cause: error });
      }
      if (record.k === "node") counts.nodes += 1;
      else if (record.k === "rel") counts.relationships += 1;
      else if (record.k === "schema") counts.schema += 1;
      else if (record.k === "end") sawEnd = true;
      yield { record, bytes: line.length };
    }
  } catch (error) {
    if (error instanceof VerificationError || error instanceof BackupFormatError) throw error;
    throw new VerificationError(`the data object cannot be read: ${(error as Error).message}`, { cause: error });
  }
  try {
    await piped;
  } catch (error) {
    throw new VerificationError(`the data object cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const sha256 = hash.digest("hex");
  if (sha256 !== manifest.dataSha256) throw new VerificationError(`SHA-256 mismatch: the data object hashes to ${sha256}, the manifest says ${manifest.dataSha256}`);
  if (!sawEnd) throw new VerificationError("the data object ends without its end record (truncated)");
  for (const key of ["nodes", "relationships", "schema"] as const) {
    if (counts[key] !== manifest.counts[key]) throw new VerificationError(`${key}: the data holds ${counts[key]}, the manifest says ${manifest.counts[key]}`);
  }
}

/** Downloads and parses the whole backup, decoding every value: what restore would read. */
export async function verifyBackup(store: BackupStore, manifest: Manifest): Promise<VerifyResult> {
  const result: VerifyResult = { backupId: manifest.id, records: 0, nodes: 0, relationships: 0, schema: 0, sha256: manifest.dataSha256 };
  const version: { etag?: string } = {};
  // The same set the backup kept, built from the same lines in the same order.
  const written = new NodeIdSet();
  for await (const record of readBackup(store, manifest, version)) {
    result.records += 1;
    try {
      if (record.k === "node") {
        decodeProperties(record.props);
        written.add(record.id);
        result.nodes += 1;
      } else if (record.k === "rel") {
        decodeProperties(record.props);
        for (const [side, endpoint] of [["start", record.start], ["end", record.end]] as const) {
          if (typeof endpoint !== "string") {
            decodeProperties(endpoint.props);
            written.add(endpoint.id);
          } else if (!written.has(endpoint)) {
            throw new VerificationError(`relationship ${JSON.stringify(record.id.slice(0, 80))} names its ${side} node ${JSON.stringify(endpoint.slice(0, 80))} by id, but no earlier line holds that node`);
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

/** Rows for one UNWIND write, written when either the row or the byte limit is reached. */
class WriteBatch<Row> {
  private rows: Row[] = [];
  private bytes = 0;

  constructor(
    private readonly limits: { rows: number; bytes: number },
    private readonly writeRows: (rows: Row[]) => Promise<void>,
  ) {}

  async add(row: Row, bytes: number): Promise<void> {
    this.rows.push(row);
    this.bytes += bytes;
    if (this.rows.length >= this.limits.rows || this.bytes >= this.limits.bytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    this.bytes = 0;
    await this.writeRows(rows);
  }
}

const nodeRow = (node: Omit<NodeRecord, "k">) => ({ id: node.id, labels: node.labels, props: decodeProperties(node.props) });

/** A relationship's endpoint as the write takes it: the node itself only when the line carries it whole. */
const endpointRow = (endpoint: Endpoint) => (typeof endpoint === "string" ? { id: endpoint, node: null } : { id: endpoint.id, node: nodeRow(endpoint) });

async function run(driver: Driver, database: string, query: string, parameters: Record<string, unknown> = {}) {
  const session = driver.session({ database });
  try {
    return await session.run(query, parameters);
  } finally {
    await session.close();
  }
}

/** Runs one write transaction; `check` sees its result and rolls it back by throwing. */
async function write(driver: Driver, database: string, query: string, parameters: Record<string, unknown>, check?: (result: QueryResult) => void) {
  const session = driver.session({ database });
  try {
    await session.executeWrite(async (tx) => {
      const result = await tx.run(query, parameters);
      check?.(result);
    });
  } finally {
    await session.close();
  }
}

const NODE_BATCH = `
UNWIND $rows AS row
MERGE (n:${STAGED} {${STAGED_ID}: row.id})
SET n += row.props
SET n:$(row.labels)`;

// An endpoint the line carries whole is created unless it is there; one named by id must be
// there already. A row whose endpoint is missing matches nothing, which the count reveals.
const mergeEndpoint = (side: "start" | "end") => `
CALL (row) {
  WITH row WHERE row.${side}.node IS NOT NULL
  MERGE (n:${STAGED} {${STAGED_ID}: row.${side}.id})
    ON CREATE SET n += row.${side}.node.props, n:$(row.${side}.node.labels), n.${ENDPOINT_ONLY} = true
}`;

const RELATIONSHIP_BATCH = `
UNWIND $rows AS row
${mergeEndpoint("start")}
${mergeEndpoint("end")}
MATCH (a:${STAGED} {${STAGED_ID}: row.start.id}), (b:${STAGED} {${STAGED_ID}: row.end.id})
MERGE (a)-[r:$(row.type) {${STAGED_ID}: row.id}]->(b)
SET r += row.props
RETURN count(r) AS written`;

async function wipe(driver: Driver, database: string): Promise<void> {
  await run(driver, database, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS");
  const constraints = await run(driver, database, "SHOW CONSTRAINTS YIELD name RETURN name");
  for (const record of constraints.records) await run(driver, database, `DROP CONSTRAINT \`${String(record.get("name")).replaceAll("`", "``")}\` IF EXISTS`);
  const indexes = await run(driver, database, "SHOW INDEXES YIELD name, type, owningConstraint WHERE type <> 'LOOKUP' AND owningConstraint IS NULL RETURN name");
  for (const record of indexes.records) await run(driver, database, `DROP INDEX \`${String(record.get("name")).replaceAll("`", "``")}\` IF EXISTS`);
}

/**
 * A backup's schema records are Cypher the restore runs: only a single CREATE CONSTRAINT or
 * CREATE ... INDEX statement is accepted, so a tampered backup cannot smuggle in other commands.
 */
export function assertSchemaStatement(cypher: string): void {
  const schemaCommand = /^CREATE\s+(CONSTRAINT|(RANGE\s+|TEXT\s+|POINT\s+|FULLTEXT\s+|VECTOR\s+|LOOKUP\s+)?INDEX)\b/i;
  if (!schemaCommand.test(cypher.trim()) || cypher.includes(";")) {
    throw new VerificationError(`a schema record is not a single CREATE CONSTRAINT or CREATE INDEX statement: ${JSON.stringify(cypher.slice(0, 120))}`);
  }
}

async function applySchema(driver: Driver, database: string, cypher: string): Promise<void> {
  assertSchemaStatement(cypher);
  try {
    await run(driver, database, cypher);
  } catch (error) {
    // Re-running after a crash: the rule is already there.
    const code = (error as { code?: string }).code ?? "";
    if (!/EquivalentSchemaRuleAlreadyExists|IndexAlreadyExists|ConstraintAlreadyExists/.test(code)) throw error;
  }
}

async function countsByKey(driver: Driver, database: string, query: string): Promise<Record<string, number>> {
  const result = await run(driver, database, query);
  return Object.fromEntries(result.records.map((record) => [String(record.get("key")), Number(record.get("count"))]));
}

/** The marker of a restore into `database` that has not finished (or crashed), if there is one. */
export async function unfinishedRestore(driver: Driver, database: string): Promise<{ backupId: unknown; phase: string } | undefined> {
  const marker = (await run(driver, database, `MATCH (m:${MARKER}) RETURN m.backupId AS id, m.phase AS phase LIMIT 1`)).records[0];
  return marker ? { backupId: marker.get("id"), phase: String(marker.get("phase")) } : undefined;
}

/**
 * Restores a backup into `database`; refuses a non-empty target unless `wipe`. The whole backup
 * is verified first (hash, counts, every record and value), so a damaged or tampered one is
 * refused before anything in the target is wiped or written; the writes then read only the
 * object version that was verified.
 */
export async function restoreBackup(driver: Driver, database: string, store: BackupStore, manifest: Manifest, options: RestoreOptions = {}): Promise<RestoreResult> {
  const batchSize = options.batchSize ?? 2000;
  const progress: RestoreProgress = { phase: "verify", nodes: 0, relationships: 0 };
  const report = () => options.onProgress?.({ ...progress });

  const marker = await unfinishedRestore(driver, database);
  const resumed = marker?.backupId === manifest.id;
  const phase = resumed ? marker.phase : "load";
  if (!resumed) {
    const nodes = Number((await run(driver, database, "MATCH (n) RETURN count(n) AS count")).records[0]?.get("count") ?? 0);
    const schema = (await run(driver, database, "SHOW CONSTRAINTS YIELD name RETURN count(*) AS count")).records[0]?.get("count");
    if ((nodes > 0 || Number(schema) > 0) && !options.wipe) {
      throw new TargetNotEmptyError(`the target database ${database} is not empty (${nodes} nodes${Number(schema) > 0 ? `, ${String(schema)} constraints` : ""}); pass --wipe to replace its contents`);
    }
  }
  // Verified before anything is wiped or written, and again as the writes read it (its hash).
  let verified: VerifyResult | undefined;
  if (phase === "load") {
    report();
    verified = await verifyBackup(store, manifest);
  }
  if (!resumed) {
    if (options.wipe) {
      progress.phase = "wipe";
      report();
      await wipe(driver, database);
    }
    await run(driver, database, `CREATE (:${MARKER} {backupId: $id, phase: 'load', startedAt: datetime()})`, { id: manifest.id });
  }
  progress.phase = "schema";

  if (phase === "load") {
    await run(driver, database, `CREATE CONSTRAINT ${STAGED_CONSTRAINT} IF NOT EXISTS FOR (n:${STAGED}) REQUIRE n.${STAGED_ID} IS UNIQUE`);
    const limits = { rows: batchSize, bytes: options.batchBytes ?? 4 * 1024 * 1024 };
    const nodes = new WriteBatch<ReturnType<typeof nodeRow>>(limits, async (rows) => {
      await write(driver, database, NODE_BATCH, { rows });
      progress.nodes += rows.length;
      report();
    });
    // Nodes the pending batch carries whole: a line that names one by id waits for it to be written.
    const carriedInBatch = new Set<string>();
    const relationships = new WriteBatch<{ id: string; type: string; props: Record<string, unknown>; start: ReturnType<typeof endpointRow>; end: ReturnType<typeof endpointRow> }>(limits, async (rows) => {
      carriedInBatch.clear();
      await write(driver, database, RELATIONSHIP_BATCH, { rows }, (result) => {
        const written = Number(result.records[0]?.get("written") ?? 0);
        if (written !== rows.length) throw new VerificationError(`${rows.length - written} of ${rows.length} relationships in a batch name an endpoint that is not in the restored graph`);
      });
      progress.relationships += rows.length;
      report();
    });
    for await (const { record, bytes } of readSizedRecords(store, manifest, { etag: verified?.etag })) {
      if (record.k === "schema") {
        await applySchema(driver, database, record.cypher);
      } else if (record.k === "node") {
        progress.phase = "nodes";
        await nodes.add(nodeRow(record), bytes);
      } else if (record.k === "rel") {
        // Every node is written before the first relationship that may point at it.
        await nodes.flush();
        progress.phase = "relationships";
        const endpoints = [record.start, record.end];
        if (endpoints.some((endpoint) => typeof endpoint === "string" && carriedInBatch.has(endpoint))) await relationships.flush();
        for (const endpoint of endpoints) if (typeof endpoint !== "string") carriedInBatch.add(endpoint.id);
        await relationships.add({ id: record.id, type: record.type, props: decodeProperties(record.props), start: endpointRow(record.start), end: endpointRow(record.end) }, bytes);
      }
    }
    await nodes.flush();
    await relationships.flush();
    // The data checked out (readBackup verified hash and counts); record what cleanup removes.
    const endpointOnly = await countsByKey(driver, database, `MATCH (n:${STAGED}) WHERE n.${ENDPOINT_ONLY} UNWIND labels(n) AS key WITH key WHERE key <> '${STAGED}' RETURN key, count(*) AS count`);
    await run(driver, database, `MATCH (m:${MARKER}) SET m.phase = 'cleanup', m.endpointOnly = $endpointOnly`, { endpointOnly: JSON.stringify(endpointOnly) });
  }

  progress.phase = "cleanup";
  report();
  await run(driver, database, `MATCH ()-[r]->() WHERE r.${STAGED_ID} IS NOT NULL CALL { WITH r REMOVE r.${STAGED_ID} } IN TRANSACTIONS OF 10000 ROWS`);
  await run(driver, database, `MATCH (n:${STAGED}) CALL { WITH n REMOVE n:${STAGED}, n.${STAGED_ID}, n.${ENDPOINT_ONLY} } IN TRANSACTIONS OF 10000 ROWS`);
  await run(driver, database, `DROP CONSTRAINT ${STAGED_CONSTRAINT} IF EXISTS`);

  progress.phase = "check";
  report();
  const endpointOnly = JSON.parse(String((await run(driver, database, `MATCH (m:${MARKER}) RETURN m.endpointOnly AS e`)).records[0]?.get("e") ?? "{}")) as Record<string, number>;
  const labels = await countsByKey(driver, database, `MATCH (n) WHERE NOT n:${MARKER} UNWIND labels(n) AS key RETURN key, count(*) AS count`);
  const types = await countsByKey(driver, database, "MATCH ()-[r]->() RETURN type(r) AS key, count(*) AS count");
  const problems: string[] = [];
  for (const label of new Set([...Object.keys(labels), ...Object.keys(manifest.counts.nodesByLabel), ...Object.keys(endpointOnly)])) {
    const expected = (manifest.counts.nodesByLabel[label] ?? 0) + (endpointOnly[label] ?? 0);
    if ((labels[label] ?? 0) !== expected) problems.push(`label ${label}: ${labels[label] ?? 0} nodes, expected ${expected}`);
  }
  for (const type of new Set([...Object.keys(types), ...Object.keys(manifest.counts.relationshipsByType)])) {
    if ((types[type] ?? 0) !== (manifest.counts.relationshipsByType[type] ?? 0)) problems.push(`type ${type}: ${types[type] ?? 0} relationships, expected ${manifest.counts.relationshipsByType[type] ?? 0}`);
  }
  if (problems.length > 0) throw new VerificationError(`the restored graph does not match the backup:\n  ${problems.join("\n  ")}`);
  await run(driver, database, `MATCH (m:${MARKER}) DELETE m`);
  const totalNodes = Number((await run(driver, database, "MATCH (n) RETURN count(n) AS count")).records[0]?.get("count") ?? 0);
  return {
    backupId: manifest.id,
    resumed,
    nodes: totalNodes,
    relationships: Object.values(types).reduce((sum, count) => sum + count, 0),
    endpointOnlyNodes: totalNodes - manifest.counts.nodes,
  };
}
