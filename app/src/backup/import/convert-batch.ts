// The conversion of one batch of a backup's lines, on a conversion thread: each line parsed and
// checked against the record format, and each node and relationship written as the importer's
// row. What needs the whole backup in order (which nodes earlier lines hold, the counts, the end
// record) is left to the main thread: it gets each line's kind and the ids to check, compactly.
import { parseRecord, type BackupRecord } from "../records.js";
import { BackupFormatError } from "../values.js";
import { VerificationError, batchLines } from "../verify.js";
import { ImportShapeError } from "./csv-groups.js";
import { importId, type RowWriter } from "./rows.js";

/** What each line of a batch held. */
export const LineKind = {
  empty: 0,
  header: 1,
  schema: 2,
  node: 3,
  /** A relationship that names both endpoints by id. */
  relationship: 4,
  /** A relationship that carries an endpoint whole (format 1): the main thread writes it. */
  carrying: 5,
  end: 6,
  /** The line at which the batch stopped: see `failure`. */
  failed: 7,
} as const;

export interface ConvertedBatch {
  lines: number;
  kinds: Uint8Array;
  /**
   * The ids the main thread checks, in line order: a node line's id, and a relationship line's
   * own id, start and end. Joined into one string, with where each ends, which costs far less to
   * hand between threads than as many strings.
   */
  idText: string;
  idEnds: Uint32Array;
  /** The schema lines' statements, and the lines that carry an endpoint whole, in order. */
  schema: string[];
  carrying: string[];
  /**
   * The line that could not be read (stage "line": not a record) or converted (stage "record":
   * a value the format refuses); the batch stops there.
   */
  failure?: { index: number; stage: "line" | "record"; message: string };
}

const KIND_OF: Record<BackupRecord["k"], number> = {
  header: LineKind.header,
  schema: LineKind.schema,
  node: LineKind.node,
  rel: LineKind.relationship,
  end: LineKind.end,
};

/** A refusal of the data itself, as opposed to a failure of the machine (a full disk), which is thrown. */
const refusesData = (error: unknown) =>
  error instanceof BackupFormatError || error instanceof VerificationError || error instanceof ImportShapeError;

export function convertBatch(batch: string, rows: RowWriter): ConvertedBatch {
  const lines = [...batchLines(batch)];
  const kinds = new Uint8Array(lines.length);
  const ids: string[] = [];
  const schema: string[] = [];
  const carrying: string[] = [];
  const result = (failure?: ConvertedBatch["failure"]): ConvertedBatch => {
    const idEnds = new Uint32Array(ids.length);
    let end = 0;
    ids.forEach((id, index) => (idEnds[index] = end += id.length));
    return {
      lines: lines.length,
      kinds,
      idText: ids.join(""),
      idEnds,
      schema,
      carrying,
      ...(failure ? { failure } : {}),
    };
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (line === "") continue;
    let record: BackupRecord;
    try {
      record = parseRecord(line);
    } catch (error) {
      if (!refusesData(error)) throw error;
      kinds[index] = LineKind.failed;
      return result({ index, stage: "line", message: (error as Error).message });
    }
    try {
      if (record.k === "node") {
        rows.node(record);
        ids.push(record.id);
      } else if (record.k === "rel") {
        if (typeof record.start !== "string" || typeof record.end !== "string") {
          kinds[index] = LineKind.carrying;
          carrying.push(line);
          continue;
        }
        rows.relationship(record, importId(record.start), importId(record.end));
        ids.push(record.id, record.start, record.end);
      } else if (record.k === "schema") schema.push(record.cypher);
    } catch (error) {
      if (!refusesData(error)) throw error;
      // A shape the importer cannot take is not a damaged backup: it is reported as what it is.
      if (error instanceof ImportShapeError) throw error;
      kinds[index] = LineKind.failed;
      return result({ index, stage: "record", message: (error as Error).message });
    }
    kinds[index] = KIND_OF[record.k];
  }
  return result();
}
