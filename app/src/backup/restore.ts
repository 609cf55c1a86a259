// Restore: reads a backup back into a Neo4j database. Schema first, then nodes, then
// relationships, in batches (writes.ts); each batch commits with the restore's position in the
// backup, so running it again after a crash skips what was written and converges. A marker node
// records the restore in progress, its phase and that position.
import type { Driver } from "neo4j-driver";
import { run } from "./driver.js";
import {
  RESTORE_DEFERRED_KEY as DEFERRED,
  RESTORE_ENDPOINT_ONLY_KEY as ENDPOINT_ONLY,
  RESTORE_ID_KEY as STAGED_ID,
  RESTORE_MARKER_LABEL as MARKER,
  RESTORE_STAGED_LABEL as STAGED,
} from "./records.js";
import { unfinishedRestore, type UnfinishedRestore } from "./restore-marker.js";
import type { BackupStore, Manifest } from "./storage.js";
import { finishImport } from "./import/finish-import.js";
import { applySchema, awaitIndexes } from "./schema-apply.js";
import { readSizedRecords, VerificationError, verifyBackup, type VerifyResult } from "./verify.js";
import { GraphWriter } from "./writes.js";

export class TargetNotEmptyError extends Error {
  override readonly name = "TargetNotEmptyError";
  readonly code = "ERR_TARGET_NOT_EMPTY";
}

const STAGED_CONSTRAINT = "mcp_bastion_restore_id";
/** Schema statements held back until the data is in; a backup with more applies the rest as it reads them. */
const DEFERRED_SCHEMA = 10_000;

export interface RestoreProgress {
  phase: "verify" | "wipe" | "schema" | "nodes" | "relationships" | "deferred" | "cleanup" | "check";
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

/** Drops the schema first, so deleting the graph does not also keep its indexes current. */
async function wipe(driver: Driver, database: string): Promise<void> {
  const constraints = await run(driver, database, "SHOW CONSTRAINTS YIELD name RETURN name");
  for (const record of constraints.records)
    await run(driver, database, `DROP CONSTRAINT \`${String(record.get("name")).replaceAll("`", "``")}\` IF EXISTS`);
  const indexes = await run(
    driver,
    database,
    "SHOW INDEXES YIELD name, type, owningConstraint WHERE type <> 'LOOKUP' AND owningConstraint IS NULL RETURN name",
  );
  for (const record of indexes.records)
    await run(driver, database, `DROP INDEX \`${String(record.get("name")).replaceAll("`", "``")}\` IF EXISTS`);
  await run(driver, database, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS");
}

async function countsByKey(driver: Driver, database: string, query: string): Promise<Record<string, number>> {
  const result = await run(driver, database, query);
  return Object.fromEntries(result.records.map((record) => [String(record.get("key")), Number(record.get("count"))]));
}

/** What one restore run works with: the target, the backup, and what it reports as it goes. */
export interface RestoreRun {
  driver: Driver;
  database: string;
  store: BackupStore;
  manifest: Manifest;
  options: RestoreOptions;
  progress: RestoreProgress;
  report: () => void;
}

/** Whether this run resumes an unfinished restore of the same backup, and from which phase; refuses a target that is not empty without `wipe`. */
async function checkTarget({
  driver,
  database,
  manifest,
  options,
}: RestoreRun): Promise<{ marker: UnfinishedRestore | undefined; resumed: boolean; phase: string }> {
  const marker = await unfinishedRestore(driver, database);
  // A restore by an earlier version (which did not count its writes) cannot be resumed: it starts over with --wipe.
  const resumed = marker?.backupId === manifest.id && (marker.line !== undefined || marker.phase !== "load");
  if (!resumed) {
    const nodes = Number(
      (await run(driver, database, "MATCH (n) RETURN count(n) AS count")).records[0]?.get("count") ?? 0,
    );
    const schema = (
      await run(driver, database, "SHOW CONSTRAINTS YIELD name RETURN count(*) AS count")
    ).records[0]?.get("count");
    if ((nodes > 0 || Number(schema) > 0) && !options.wipe) {
      throw new TargetNotEmptyError(
        `the target database ${database} is not empty (${nodes} nodes${Number(schema) > 0 ? `, ${String(schema)} constraints` : ""}); pass --wipe to replace its contents`,
      );
    }
  }
  return { marker, resumed, phase: resumed && marker ? marker.phase : "load" };
}

/** Wipes the target if asked to and records the restore in progress. */
async function begin({ driver, database, manifest, options, progress, report }: RestoreRun): Promise<void> {
  if (options.wipe) {
    progress.phase = "wipe";
    report();
    await wipe(driver, database);
  }
  await run(driver, database, `CREATE (:${MARKER} {backupId: $id, phase: 'load', line: 0, startedAt: datetime()})`, {
    id: manifest.id,
  });
}

/**
 * Writes every node and relationship after the first `written` records (those an interrupted
 * run committed), then the backup's schema, and moves the marker on to cleanup.
 */
async function load(restore: RestoreRun, written: number, verified: VerifyResult | undefined): Promise<void> {
  const { driver, database, store, manifest, options, progress, report } = restore;
  progress.phase = "schema";
  await run(
    driver,
    database,
    `CREATE CONSTRAINT ${STAGED_CONSTRAINT} IF NOT EXISTS FOR (n:${STAGED}) REQUIRE n.${STAGED_ID} IS UNIQUE`,
  );
  const writer = new GraphWriter(
    driver,
    database,
    { rows: options.batchSize ?? 2000, bytes: options.batchBytes ?? 4 * 1024 * 1024 },
    written,
    (kind, count) => {
      progress[kind] += count;
      report();
    },
  );
  // Indexes and constraints are created once the data is in: filling an index from the whole
  // graph at once costs much less than keeping it current through every write.
  const schema: string[] = [];
  let line = 0;
  for await (const { record, bytes } of readSizedRecords(store, manifest, { etag: verified?.etag })) {
    line += 1;
    if (record.k === "schema") {
      if (schema.length < DEFERRED_SCHEMA) schema.push(record.cypher);
      else await applySchema(driver, database, record.cypher);
    } else if (record.k === "node" || record.k === "rel") {
      progress.phase = record.k === "node" ? "nodes" : "relationships";
      if (line <= written) {
        writer.skip(record);
        progress[progress.phase] += 1;
      } else if (record.k === "node") await writer.addNode(record, bytes, line);
      else await writer.addRelationship(record, bytes, line);
    }
  }
  await writer.finish();
  progress.phase = "schema";
  report();
  // Applied again on resume, which is harmless.
  for (const cypher of schema) await applySchema(driver, database, cypher);
  await awaitIndexes(driver, database);
  // The data checked out (readSizedRecords checked hash and counts once more); record what cleanup removes.
  const endpointOnly = await countsByKey(
    driver,
    database,
    `MATCH (n:${STAGED}) WHERE n.${ENDPOINT_ONLY} UNWIND labels(n) AS key WITH key WHERE key <> '${STAGED}' RETURN key, count(*) AS count`,
  );
  await run(driver, database, `MATCH (m:${MARKER}) SET m.phase = 'cleanup', m.endpointOnly = $endpointOnly`, {
    endpointOnly: JSON.stringify(endpointOnly),
  });
}

/** Removes the restore's own labels, keys and constraint from the restored graph. */
async function cleanup(
  { driver, database, progress, report }: RestoreRun,
  marker: UnfinishedRestore | undefined,
  resumed: boolean,
): Promise<void> {
  progress.phase = "cleanup";
  report();
  // Only a restore by an earlier version marked its relationships.
  if (resumed && marker?.line === undefined)
    await run(
      driver,
      database,
      `MATCH ()-[r]->() WHERE r.${STAGED_ID} IS NOT NULL CALL { WITH r REMOVE r.${STAGED_ID} } IN TRANSACTIONS OF 10000 ROWS`,
    );
  // The constraint goes first: every key removed would otherwise be removed from its index too.
  // The label alone finds the nodes, so a cleanup interrupted after the drop resumes as well.
  await run(driver, database, `DROP CONSTRAINT ${STAGED_CONSTRAINT} IF EXISTS`);
  await run(
    driver,
    database,
    `MATCH (n:${STAGED}) CALL { WITH n REMOVE n:${STAGED}, n.${STAGED_ID}, n.${ENDPOINT_ONLY}, n.${DEFERRED} } IN TRANSACTIONS OF 10000 ROWS`,
  );
}

/** The restored graph's nodes by label and relationships by type against the manifest (and the nodes known only as endpoints); returns the relationships by type. */
async function checkCounts({
  driver,
  database,
  manifest,
  progress,
  report,
}: RestoreRun): Promise<Record<string, number>> {
  progress.phase = "check";
  report();
  const endpointOnly = JSON.parse(
    String(
      (await run(driver, database, `MATCH (m:${MARKER}) RETURN m.endpointOnly AS e`)).records[0]?.get("e") ?? "{}",
    ),
  ) as Record<string, number>;
  const labels = await countsByKey(
    driver,
    database,
    `MATCH (n) WHERE NOT n:${MARKER} UNWIND labels(n) AS key RETURN key, count(*) AS count`,
  );
  const types = await countsByKey(driver, database, "MATCH ()-[r]->() RETURN type(r) AS key, count(*) AS count");
  const problems: string[] = [];
  for (const label of new Set([
    ...Object.keys(labels),
    ...Object.keys(manifest.counts.nodesByLabel),
    ...Object.keys(endpointOnly),
  ])) {
    const expected = (manifest.counts.nodesByLabel[label] ?? 0) + (endpointOnly[label] ?? 0);
    if ((labels[label] ?? 0) !== expected)
      problems.push(`label ${label}: ${labels[label] ?? 0} nodes, expected ${expected}`);
  }
  for (const type of new Set([...Object.keys(types), ...Object.keys(manifest.counts.relationshipsByType)])) {
    if ((types[type] ?? 0) !== (manifest.counts.relationshipsByType[type] ?? 0))
      problems.push(
        `type ${type}: ${types[type] ?? 0} relationships, expected ${manifest.counts.relationshipsByType[type] ?? 0}`,
      );
  }
  if (problems.length > 0)
    throw new VerificationError(`the restored graph does not match the backup:\n  ${problems.join("\n  ")}`);
  return types;
}

/**
 * Restores a backup into `database`; refuses a non-empty target unless `wipe`. The whole backup
 * is verified first (hash, counts, every record and value), so a damaged or tampered one is
 * refused before anything in the target is wiped or written; the writes then read only the
 * object version that was verified.
 */
export async function restoreBackup(
  driver: Driver,
  database: string,
  store: BackupStore,
  manifest: Manifest,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const progress: RestoreProgress = { phase: "verify", nodes: 0, relationships: 0 };
  const restore: RestoreRun = {
    driver,
    database,
    store,
    manifest,
    options,
    progress,
    report: () => options.onProgress?.({ ...progress }),
  };
  const { marker, resumed, phase } = await checkTarget(restore);
  if (phase === "load") {
    // Verified before anything is wiped or written, and again as the writes read it (its hash).
    restore.report();
    const verified = await verifyBackup(store, manifest);
    if (!resumed) await begin(restore);
    // Records up to here were written (and committed with this position) by the run that was interrupted.
    await load(restore, resumed ? (marker?.line ?? 0) : 0, verified);
  }
  // A bulk import (import/) wrote the data offline and left its last steps to this online run.
  if (phase === "schema") await finishImport(restore);
  await cleanup(restore, marker, resumed);
  const types = await checkCounts(restore);
  await run(driver, database, `MATCH (m:${MARKER}) DELETE m`);
  const totalNodes = Number(
    (await run(driver, database, "MATCH (n) RETURN count(n) AS count")).records[0]?.get("count") ?? 0,
  );
  return {
    backupId: manifest.id,
    resumed,
    nodes: totalNodes,
    relationships: Object.values(types).reduce((sum, count) => sum + count, 0),
    endpointOnlyNodes: totalNodes - manifest.counts.nodes,
  };
}
