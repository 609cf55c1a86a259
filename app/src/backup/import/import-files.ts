// A backup as the bulk importer's input: one pass over the data object that verifies all of it
// (hash, counts, every record and value, every endpoint named by id held by an earlier line, no
// node twice) while it writes the CSV files. Nothing is imported until the pass has ended and
// every check has held, so a damaged or tampered backup never reaches the target.
//
// The parsing and converting, where the pass spends its time, runs on conversion threads
// (convert-pool.ts), each writing files of its own; this thread reads the backup, and checks
// what the threads found in the backup's line order: which nodes earlier lines hold, the
// counts, the end record, and the first line that is refused.
import { usableCpus } from "../usable-cpus.js";
import { RESTORE_MARKER_LABEL as MARKER, parseRecord, type Endpoint, type RelationshipRecord } from "../records.js";
import type { BackupStore, Manifest } from "../storage.js";
import { HeldNodes, RecordTally, VerificationError, assertSchemaStatement, backupTextBatches } from "../verify.js";
import { LineKind, type ConvertedBatch } from "./convert-batch.js";
import { ConvertPool } from "./convert-pool.js";
import { quoted, type CsvField } from "./csv-fields.js";
import { CsvGroups, ImportShapeError, type GroupFiles } from "./csv-groups.js";
import { RowWriter, importId, type WrittenRows } from "./rows.js";

/** The marker node's key: 10^15, one past every key importId gives. */
const MARKER_ID = "1000000000000000";
/** Schema statements the marker carries to the restore's last step; more is restored online. */
const MAX_SCHEMA = 10_000;
/** Text per batch handed to a conversion thread. */
const BATCH_CHARS = 1024 * 1024;
/** Conversion threads at most: beyond that this thread's reading and checks set the pace. */
export const MAX_CONVERTERS = 4;
export const defaultConverters = (): number => Math.min(MAX_CONVERTERS, usableCpus());

export interface ImportFiles {
  nodes: GroupFiles[];
  relationships: GroupFiles[];
  marker: GroupFiles;
  multiline: boolean;
  longestField: number;
  /** Nodes and relationships the importer must report: the backup's, the endpoints only a relationship carries, the marker. */
  expected: { nodes: number; relationships: number };
  /** Rows whose labels or some values are written online when the restore finishes. */
  deferred: { nodes: number; relationships: number };
  etag?: string;
}

const KIND_NAME = {
  [LineKind.header]: "header",
  [LineKind.schema]: "schema",
  [LineKind.node]: "node",
  [LineKind.relationship]: "rel",
  [LineKind.carrying]: "rel",
  [LineKind.end]: "end",
} as const;

/** This thread's part of the pass: the checks in line order, and the relationships that carry an endpoint whole. */
class LineChecks {
  readonly held = new HeldNodes();
  readonly tally = new RecordTally();
  readonly endpointOnly: Record<string, number> = {};
  readonly schema: string[] = [];
  lineNumber = 0;
  records = 0;

  /** `rows`: this thread's own, for the nodes and relationships of lines that carry an endpoint whole. */
  constructor(private readonly rows: RowWriter) {}

  apply(batch: ConvertedBatch): void {
    let id = 0;
    const nextId = () => {
      const end = batch.idEnds[id] as number;
      const text = batch.idText.slice(id === 0 ? 0 : (batch.idEnds[id - 1] as number), end);
      id += 1;
      return text;
    };
    let schema = 0;
    let carrying = 0;
    for (let index = 0; index < batch.lines; index += 1) {
      this.lineNumber += 1;
      const kind = batch.kinds[index] as number;
      if (kind === LineKind.empty) continue;
      this.tally.line(this.lineNumber);
      const failure = batch.failure?.index === index ? batch.failure : undefined;
      if (failure?.stage === "line") throw new VerificationError(`line ${this.lineNumber}: ${failure.message}`);
      this.records += 1;
      try {
        if (failure) throw new VerificationError(failure.message);
        const name = KIND_NAME[kind as keyof typeof KIND_NAME] as
          (typeof KIND_NAME)[keyof typeof KIND_NAME] | undefined;
        if (name === undefined)
          throw new Error(`a conversion thread reported line ${this.lineNumber} as of kind ${kind}`);
        this.tally.count(name);
        if (kind === LineKind.node) this.node(nextId());
        else if (kind === LineKind.relationship) {
          const relationshipId = nextId();
          this.held.requireNamed(relationshipId, "start", nextId());
          this.held.requireNamed(relationshipId, "end", nextId());
        } else if (kind === LineKind.carrying) this.carrying(batch.carrying[carrying++] as string);
        else if (kind === LineKind.schema) this.addSchema(batch.schema[schema++] as string);
      } catch (error) {
        if (error instanceof ImportShapeError) throw error;
        throw new VerificationError(`record ${this.records}: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  /** A node line: its id is one no earlier line held, and one this restore can key (rows.ts). */
  private node(id: string): void {
    // Only an element id can be held, so no node takes the marker's key.
    if (!this.held.addLine(id))
      throw new VerificationError(`node id ${JSON.stringify(id.slice(0, 80))} is not one this restore can key`);
  }

  private addSchema(cypher: string): void {
    assertSchemaStatement(cypher);
    if (this.schema.length >= MAX_SCHEMA)
      throw new ImportShapeError(`the backup holds over ${MAX_SCHEMA} schema rules; restore it online instead`);
    this.schema.push(cypher);
  }

  /** A format 1 line, which carries its endpoints whole: a node is written the first time only. */
  private carrying(line: string): void {
    const record = parseRecord(line) as RelationshipRecord;
    const start = this.endpoint(record.start, record.id, "start");
    const end = this.endpoint(record.end, record.id, "end");
    this.rows.relationship(record, start, end);
  }

  private endpoint(endpoint: Endpoint, relationshipId: string, side: string): string {
    if (typeof endpoint === "string") this.held.requireNamed(relationshipId, side, endpoint);
    else if (!this.held.has(endpoint.id)) {
      this.node(endpoint.id);
      this.rows.node(endpoint);
      for (const label of endpoint.labels) this.endpointOnly[label] = (this.endpointOnly[label] ?? 0) + 1;
    }
    return importId(typeof endpoint === "string" ? endpoint : endpoint.id);
  }
}

/**
 * Verifies the backup and writes the importer's files into `dir` (an empty directory of the
 * caller's); the marker node they include records the backup, the schema to apply and the
 * endpoint-only counts for the restore's last, online step.
 */
export async function writeImportFiles(
  store: BackupStore,
  manifest: Manifest,
  dir: string,
  { converters = defaultConverters() }: { converters?: number } = {},
): Promise<ImportFiles> {
  const own = new RowWriter(dir, "");
  const checks = new LineChecks(own);
  const version: { etag?: string } = {};
  const pool = new ConvertPool(dir, converters);
  let written: WrittenRows[];
  try {
    for await (const batch of pool.convert(backupTextBatches(store, manifest, version, BATCH_CHARS)))
      checks.apply(batch);
    checks.tally.finish(manifest);
    written = [...(await pool.close()), own.close()];
  } catch (error) {
    await pool.discard();
    own.discard();
    throw error;
  }
  const deferred = {
    nodes: written.reduce((sum, rows) => sum + rows.deferred.nodes, 0),
    relationships: written.reduce((sum, rows) => sum + rows.deferred.relationships, 0),
  };
  const marker = new CsvGroups(dir, "marker", [":ID", ":LABEL"]);
  const text = (value: string): CsvField => ({ type: "string", text: quoted(value) });
  marker.add(
    [MARKER_ID, MARKER],
    [
      ["backupId", text(manifest.id)],
      ["phase", text("schema")],
      ["line", { type: "long", text: String(checks.records) }],
      ["endpointOnly", text(JSON.stringify(checks.endpointOnly))],
      ["schema", text(JSON.stringify(checks.schema))],
      ["deferredNodes", { type: "long", text: String(deferred.nodes) }],
      ["deferredRelationships", { type: "long", text: String(deferred.relationships) }],
    ],
  );
  const [markerFile] = marker.close();
  return {
    nodes: written.flatMap((rows) => rows.nodes),
    relationships: written.flatMap((rows) => rows.relationships),
    marker: markerFile as GroupFiles,
    multiline: written.some((rows) => rows.multiline),
    longestField: Math.max(0, ...written.map((rows) => rows.longestField)),
    expected: {
      nodes: written.reduce((sum, rows) => sum + rows.nodeRows, 0) + 1,
      relationships: manifest.counts.relationships,
    },
    deferred,
    ...(version.etag ? { etag: version.etag } : {}),
  };
}
