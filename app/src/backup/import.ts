// Restore: reads a backup back into a Neo4j database. Schema first, then nodes, then
// relationships, in batches; every write is a MERGE on the backup's ids, so running it again
// after a crash converges. A marker node records the restore in progress and its phase.
import type { Driver, QueryResult } from "neo4j-driver";
import {
  RESTORE_ENDPOINT_ONLY_KEY as ENDPOINT_ONLY,
  RESTORE_ID_KEY as STAGED_ID,
  RESTORE_MARKER_LABEL as MARKER,
  RESTORE_STAGED_LABEL as STAGED,
  type Endpoint,
  type NodeRecord,
} from "./records.js";
import type { BackupStore, Manifest } from "./storage.js";
import { decodeProperties } from "./values.js";
import { assertSchemaStatement, readSizedRecords, VerificationError, verifyBackup, type VerifyResult } from "./verify.js";

export class TargetNotEmptyError extends Error {
  override readonly name = "TargetNotEmptyError";
  readonly code = "ERR_TARGET_NOT_EMPTY";
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
    // The data checked out (readSizedRecords checked hash and counts once more); record what cleanup removes.
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
