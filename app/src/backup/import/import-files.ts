// A backup as the bulk importer's input: one pass over the data object that verifies all of it
// (hash, counts, every record and value, every endpoint named by id held by an earlier line, no
// node twice) while it writes the CSV files. Nothing is imported until the pass has ended and
// every check has held, so a damaged or tampered backup never reaches the target.
import {
  RESTORE_DEFERRED_KEY,
  RESTORE_MARKER_LABEL as MARKER,
  RESTORE_STAGED_LABEL as STAGED,
  type Endpoint,
  type NodeRecord,
} from "../records.js";
import { splitElementId } from "../node-ids.js";
import type { BackupStore, Manifest } from "../storage.js";
import { assertSchemaStatement, HeldNodes, readSizedRecords, VerificationError } from "../verify.js";
import type { EncodedValue } from "../values.js";
import { ARRAY_DELIMITER, DEFERRED, csvField, quoted, type CsvField } from "./csv-fields.js";
import { CsvGroups, ImportShapeError, type GroupFiles } from "./csv-groups.js";

/**
 * The importer keys nodes by integer, which it maps far faster than strings: a node's key is the
 * number its element id ends in. Only a node whose element id HeldNodes holds is imported, and
 * it holds ids of one prefix alone, with at most 15 digits after it, so no two nodes share a key.
 */
function importId(elementId: string): string {
  return String((splitElementId(elementId) as { id: number }).id);
}

/** The marker node's key: 10^15, one past every key importId gives. */
const MARKER_ID = "1000000000000000";
/** Schema statements the marker carries to the restore's last step; more is restored online. */
const MAX_SCHEMA = 10_000;

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

type Properties = Array<readonly [string, CsvField]>;

/** A record's properties as fields, and the ones the import cannot carry, which the restore writes online afterwards. */
function fieldsOf(props: Record<string, EncodedValue>): {
  fields: Properties;
  deferred?: Record<string, EncodedValue>;
} {
  const fields: Properties = [];
  let deferred: Record<string, EncodedValue> | undefined;
  for (const key of Object.keys(props)) {
    const value = props[key] as EncodedValue;
    // The importer reads a header line as one line, whatever the quoting: a key with a line break is written online.
    const field = /[\r\n]/.test(key) ? DEFERRED : csvField(value);
    if (field === DEFERRED) (deferred ??= {})[key] = value;
    else fields.push([key, field]);
  }
  return deferred ? { fields, deferred } : { fields };
}

class ImportWriter {
  readonly nodes: CsvGroups;
  readonly relationships: CsvGroups;
  readonly held = new HeldNodes();
  readonly endpointOnly: Record<string, number> = {};
  readonly deferred = { nodes: 0, relationships: 0 };
  nodeRows = 0;

  constructor(dir: string) {
    this.nodes = new CsvGroups(dir, "nodes", [":ID", ":LABEL"]);
    this.relationships = new CsvGroups(dir, "relationships", [":START_ID", ":END_ID", ":TYPE"]);
  }

  node(node: Omit<NodeRecord, "k">): void {
    // Only an element id can be held, so no node takes the marker's id, which holds no colon.
    if (!this.held.addLine(node.id))
      throw new VerificationError(`node id ${JSON.stringify(node.id.slice(0, 80))} is not one this restore can key`);
    const { fields, deferred } = fieldsOf(node.props as Record<string, EncodedValue>);
    // A label holding the delimiter would split in two: such a node gets its labels online.
    const labelsDeferred = node.labels.some((label) => label.includes(ARRAY_DELIMITER));
    let labels = node.labels;
    if (deferred || labelsDeferred) {
      this.deferred.nodes += 1;
      labels = [...(labelsDeferred ? [] : node.labels), STAGED];
      const later = { p: deferred ?? {}, l: labelsDeferred ? node.labels : [] };
      fields.push([RESTORE_DEFERRED_KEY, { type: "string", text: quoted(JSON.stringify(later)) }]);
    }
    this.nodes.add([importId(node.id), quoted(labels.join(ARRAY_DELIMITER))], fields);
    this.nodeRows += 1;
  }

  /** A relationship's endpoint, as its node's key: named by id, or whole, which writes the node unless an earlier line did. */
  endpoint(endpoint: Endpoint, relationshipId: string, side: string): string {
    if (typeof endpoint === "string") {
      this.held.requireNamed(relationshipId, side, endpoint);
      return importId(endpoint);
    }
    // A format 1 backup carries every endpoint whole: the node is written the first time only.
    if (!this.held.has(endpoint.id)) {
      this.node(endpoint);
      for (const label of endpoint.labels) this.endpointOnly[label] = (this.endpointOnly[label] ?? 0) + 1;
    }
    return importId(endpoint.id);
  }

  relationship(record: {
    id: string;
    type: string;
    props: Record<string, EncodedValue>;
    start: Endpoint;
    end: Endpoint;
  }) {
    const start = this.endpoint(record.start, record.id, "start");
    const end = this.endpoint(record.end, record.id, "end");
    const { fields, deferred } = fieldsOf(record.props);
    if (deferred) {
      this.deferred.relationships += 1;
      fields.push([RESTORE_DEFERRED_KEY, { type: "string", text: quoted(JSON.stringify({ p: deferred, l: [] })) }]);
    }
    this.relationships.add([start, end, quoted(record.type)], fields);
  }
}

/**
 * Verifies the backup and writes the importer's files into `dir` (an empty directory of the
 * caller's); the marker node they include records the backup, the schema to apply and the
 * endpoint-only counts for the restore's last, online step.
 */
export async function writeImportFiles(store: BackupStore, manifest: Manifest, dir: string): Promise<ImportFiles> {
  const writer = new ImportWriter(dir);
  const schema: string[] = [];
  const version: { etag?: string } = {};
  let records = 0;
  try {
    await readAll();
  } catch (error) {
    writer.nodes.discard();
    writer.relationships.discard();
    throw error;
  }
  async function readAll(): Promise<void> {
    for await (const { record } of readSizedRecords(store, manifest, version)) {
      records += 1;
      try {
        if (record.k === "node") writer.node(record);
        else if (record.k === "rel") writer.relationship(record as Parameters<ImportWriter["relationship"]>[0]);
        else if (record.k === "schema") {
          assertSchemaStatement(record.cypher);
          if (schema.length >= MAX_SCHEMA)
            throw new ImportShapeError(`the backup holds over ${MAX_SCHEMA} schema rules; restore it online instead`);
          schema.push(record.cypher);
        }
      } catch (error) {
        if (error instanceof ImportShapeError) throw error;
        throw new VerificationError(`record ${records}: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  const marker = new CsvGroups(dir, "marker", [":ID", ":LABEL"]);
  const text = (value: string): CsvField => ({ type: "string", text: quoted(value) });
  marker.add(
    [MARKER_ID, MARKER],
    [
      ["backupId", text(manifest.id)],
      ["phase", text("schema")],
      ["line", { type: "long", text: String(records) }],
      ["endpointOnly", text(JSON.stringify(writer.endpointOnly))],
      ["schema", text(JSON.stringify(schema))],
      ["deferredNodes", { type: "long", text: String(writer.deferred.nodes) }],
      ["deferredRelationships", { type: "long", text: String(writer.deferred.relationships) }],
    ],
  );
  const [markerFile] = marker.close();
  return {
    nodes: writer.nodes.close(),
    relationships: writer.relationships.close(),
    marker: markerFile as GroupFiles,
    multiline: writer.nodes.multiline || writer.relationships.multiline,
    longestField: Math.max(writer.nodes.longestField, writer.relationships.longestField),
    expected: { nodes: writer.nodeRows + 1, relationships: manifest.counts.relationships },
    deferred: writer.deferred,
    ...(version.etag ? { etag: version.etag } : {}),
  };
}
