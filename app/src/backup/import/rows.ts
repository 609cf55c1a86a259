// The importer's rows for a backup's nodes and relationships, written as they are converted: a
// node's key, its labels and its properties as fields, and whatever the CSV cannot carry exactly
// kept on the row as JSON for the restore's online end. Checking which nodes a row may name is
// not done here but by the caller, in the backup's line order (import-files.ts).
import { splitElementId } from "../node-ids.js";
import { RESTORE_DEFERRED_KEY, RESTORE_STAGED_LABEL as STAGED, type NodeRecord } from "../records.js";
import type { EncodedValue } from "../values.js";
import { ARRAY_DELIMITER, DEFERRED, csvField, quoted, type CsvField } from "./csv-fields.js";
import { CsvGroups, type GroupFiles } from "./csv-groups.js";

/**
 * The importer keys nodes by integer, which it maps far faster than strings: a node's key is the
 * number its element id ends in. Only a node whose element id HeldNodes holds is imported, and
 * it holds ids of one prefix alone, with at most 15 digits after it, so no two nodes share a key.
 * An id it cannot hold gets no key: the caller refuses its line.
 */
export function importId(elementId: string): string {
  const split = splitElementId(elementId);
  return split === undefined ? "" : String(split.id);
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

/** What a RowWriter wrote, once its files are closed. */
export interface WrittenRows {
  nodes: GroupFiles[];
  relationships: GroupFiles[];
  nodeRows: number;
  multiline: boolean;
  longestField: number;
  /** Rows whose labels or some values are written online when the restore finishes. */
  deferred: { nodes: number; relationships: number };
}

/** The rows of one writer (a conversion thread, or the main thread), in files of its own named `<name>nodes-N.csv`, ... */
export class RowWriter {
  private readonly nodes: CsvGroups;
  private readonly relationships: CsvGroups;
  private readonly deferred = { nodes: 0, relationships: 0 };
  private nodeRows = 0;

  constructor(dir: string, name: string) {
    this.nodes = new CsvGroups(dir, `${name}nodes`, [":ID", ":LABEL"]);
    this.relationships = new CsvGroups(dir, `${name}relationships`, [":START_ID", ":END_ID", ":TYPE"]);
  }

  node(node: Omit<NodeRecord, "k">): void {
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

  /** A relationship between the nodes of these keys (importId). */
  relationship(record: { type: string; props: Record<string, unknown> }, start: string, end: string): void {
    const { fields, deferred } = fieldsOf(record.props as Record<string, EncodedValue>);
    if (deferred) {
      this.deferred.relationships += 1;
      fields.push([RESTORE_DEFERRED_KEY, { type: "string", text: quoted(JSON.stringify({ p: deferred, l: [] })) }]);
    }
    this.relationships.add([start, end, quoted(record.type)], fields);
  }

  /** Closes every file without writing the headers: the import is abandoned, and its directory with it. */
  discard(): void {
    this.nodes.discard();
    this.relationships.discard();
  }

  close(): WrittenRows {
    return {
      nodes: this.nodes.close(),
      relationships: this.relationships.close(),
      nodeRows: this.nodeRows,
      multiline: this.nodes.multiline || this.relationships.multiline,
      longestField: Math.max(this.nodes.longestField, this.relationships.longestField),
      deferred: this.deferred,
    };
  }
}
