// The online end of a restore by bulk import: once Neo4j runs on the imported database, the
// values and labels the import could not carry exactly are written through the driver, then the
// backup's schema rules, which the importer of Neo4j Community cannot create. The marker node the
// import wrote says what is left; each step is idempotent, so a run that is interrupted is
// simply run again, and the restore's cleanup and count check follow as for any restore.
import type { Driver } from "neo4j-driver";
import { run } from "../driver.js";
import {
  RESTORE_DEFERRED_KEY as DEFERRED,
  RESTORE_MARKER_LABEL as MARKER,
  RESTORE_STAGED_LABEL as STAGED,
} from "../records.js";
import type { RestoreRun } from "../restore.js";
import { applySchema, awaitIndexes } from "../schema-apply.js";
import { VerificationError } from "../verify.js";
import { decodeProperties } from "../values.js";

const BATCH = 500;

interface DeferredRow {
  id: string;
  props: Record<string, unknown>;
  labels: string[];
}

function deferredRow(id: string, text: unknown): DeferredRow {
  let parsed: { p?: unknown; l?: unknown };
  try {
    parsed = JSON.parse(String(text)) as { p?: unknown; l?: unknown };
  } catch {
    throw new VerificationError(`the deferred values of ${id} are not valid JSON`);
  }
  const labels = parsed.l;
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === "string" && label.length > 0))
    throw new VerificationError(`the deferred labels of ${id} are malformed`);
  return { id, props: decodeProperties(parsed.p), labels: labels as string[] };
}

/** Streams what `match` finds (elements holding deferred values) and writes them in batches as it reads. */
async function writeDeferred(driver: Driver, database: string, kind: "nodes" | "relationships"): Promise<number> {
  const match =
    kind === "nodes"
      ? `MATCH (x:${STAGED}) WHERE x.${DEFERRED} IS NOT NULL`
      : `MATCH ()-[x]->() WHERE x.${DEFERRED} IS NOT NULL`;
  const write =
    kind === "nodes"
      ? `UNWIND $rows AS row MATCH (x) WHERE elementId(x) = row.id SET x += row.props SET x:$(row.labels) REMOVE x.${DEFERRED}`
      : `UNWIND $rows AS row MATCH ()-[x]->() WHERE elementId(x) = row.id SET x += row.props REMOVE x.${DEFERRED}`;
  const reader = driver.session({ database, defaultAccessMode: "READ", fetchSize: BATCH });
  let rows: DeferredRow[] = [];
  let written = 0;
  const flush = async () => {
    if (rows.length === 0) return;
    const batch = rows;
    rows = [];
    await run(driver, database, write, { rows: batch });
    written += batch.length;
  };
  try {
    for await (const record of reader.run(`${match} RETURN elementId(x) AS id, x.${DEFERRED} AS deferred`)) {
      rows.push(deferredRow(String(record.get("id")), record.get("deferred")));
      if (rows.length >= BATCH) await flush();
    }
    await flush();
  } finally {
    await reader.close();
  }
  return written;
}

export async function finishImport({ driver, database, progress, report }: RestoreRun): Promise<void> {
  const marker = (
    await run(
      driver,
      database,
      `MATCH (m:${MARKER}) RETURN m.schema AS schema, m.deferredRelationships AS rels LIMIT 1`,
    )
  ).records[0];
  let schema: unknown;
  try {
    schema = JSON.parse(String(marker?.get("schema") ?? "[]"));
  } catch {
    throw new VerificationError("the restore marker's schema rules are not valid JSON");
  }
  if (!Array.isArray(schema) || !schema.every((cypher) => typeof cypher === "string"))
    throw new VerificationError("the restore marker's schema rules are malformed");
  progress.phase = "deferred";
  report();
  progress.nodes += await writeDeferred(driver, database, "nodes");
  // Relationships have no label to find them by: the scan of them all runs only when the import deferred some.
  if (Number(marker?.get("rels") ?? 0) > 0)
    progress.relationships += await writeDeferred(driver, database, "relationships");
  progress.phase = "schema";
  report();
  for (const cypher of schema as string[]) await applySchema(driver, database, cypher);
  await awaitIndexes(driver, database);
  await run(driver, database, `MATCH (m:${MARKER}) SET m.phase = 'cleanup'`);
}
