// The restore's writes: nodes and relationships in UNWIND batches, each committed together with
// the restore's position in the backup (the marker's `line`), so a batch is written exactly once
// however often the restore is interrupted and run again. That is what lets the writes CREATE
// instead of MERGE, and leaves no bookkeeping on relationships to remove afterwards.
import neo4j, { type Driver, type Integer, type QueryResult } from "neo4j-driver";
import {
  RESTORE_ENDPOINT_ONLY_KEY as ENDPOINT_ONLY,
  RESTORE_ID_KEY as STAGED_ID,
  RESTORE_MARKER_LABEL as MARKER,
  RESTORE_STAGED_LABEL as STAGED,
  type Endpoint,
  type NodeRecord,
} from "./records.js";
import { splitElementId } from "./node-ids.js";
import { decodeProperties } from "./values.js";
import { VerificationError } from "./verify.js";

/**
 * The key a restored node is found by while relationships are written: the store id as an integer
 * when the element id has the prefix of the backup's first node (nearly always all of them; an
 * integer index is the cheaper one to fill and to search), the whole element id otherwise. The
 * two kinds never meet: an id of that prefix is never kept as a string.
 */
class RestoreKeys {
  private prefix: string | undefined;

  of(elementId: string): Integer | string {
    const split = splitElementId(elementId);
    if (!split) return elementId;
    this.prefix ??= split.prefix;
    return split.prefix === this.prefix ? neo4j.int(split.id) : elementId;
  }
}

interface NodeRow {
  key: Integer | string;
  labels: string[];
  props: Record<string, unknown>;
}

interface EndpointRow {
  key: Integer | string;
  node: NodeRow | null;
}

interface RelationshipRow {
  type: string;
  props: Record<string, unknown>;
  start: EndpointRow;
  end: EndpointRow;
}

// The batch and the position it brings the restore to commit together or not at all. The marker
// is written last, so a batch holds its lock only for its own commit.
const ADVANCE = `WITH count(*) AS written MATCH (m:${MARKER}) SET m.line = $line RETURN written`;

const NODE_BATCH = `
UNWIND $rows AS row
CREATE (n:${STAGED} {${STAGED_ID}: row.key})
SET n += row.props
SET n:$(row.labels)
${ADVANCE}`;

// An endpoint the line carries whole is created unless it is there (a format 1 backup carries
// every endpoint whole on every line); one named by id must be there already. A row whose
// endpoint is missing matches nothing, which the count reveals.
const mergeEndpoint = (side: "start" | "end") => `
CALL (row) {
  WITH row WHERE row.${side}.node IS NOT NULL
  MERGE (n:${STAGED} {${STAGED_ID}: row.${side}.key})
    ON CREATE SET n += row.${side}.node.props, n:$(row.${side}.node.labels), n.${ENDPOINT_ONLY} = true
}`;

const relationshipBatch = (carried: string) => `
UNWIND $rows AS row
${carried}
MATCH (a:${STAGED} {${STAGED_ID}: row.start.key}), (b:${STAGED} {${STAGED_ID}: row.end.key})
CREATE (a)-[r:$(row.type)]->(b)
SET r = row.props
${ADVANCE}`;

// Most batches carry no node whole: they skip the subqueries, which cost their time on every row.
const RELATIONSHIP_BATCH = relationshipBatch("");
const CARRYING_RELATIONSHIP_BATCH = relationshipBatch(`${mergeEndpoint("start")}\n${mergeEndpoint("end")}`);

/** Runs one write transaction; `check` sees its result and rolls it back by throwing. */
async function write(
  driver: Driver,
  database: string,
  query: string,
  parameters: Record<string, unknown>,
  check: (result: QueryResult) => void,
) {
  const session = driver.session({ database });
  try {
    await session.executeWrite(async (tx) => {
      check(await tx.run(query, parameters));
    });
  } finally {
    await session.close();
  }
}

const writtenOf = (result: QueryResult) => Number(result.records[0]?.get("written") ?? 0);

/**
 * One write at a time, in order, while the caller reads and decodes the next batch: the
 * database and this process work at once instead of in turn. A batch of large values is awaited
 * at once, so memory holds one large batch, not two.
 */
class OrderedWrites {
  private running: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(private readonly overlapBytes: number) {}

  async submit(bytes: number, work: () => Promise<void>): Promise<void> {
    await this.drain();
    this.running = work().catch((error: unknown) => {
      this.failure ??= { error };
    });
    if (bytes > this.overlapBytes) await this.drain();
  }

  /** Resolves once every submitted write has committed; rejects with the first that failed. */
  async drain(): Promise<void> {
    await this.running;
    if (this.failure) throw this.failure.error;
  }
}

export interface BatchLimits {
  rows: number;
  bytes: number;
}

/**
 * Rows for one kind of UNWIND write, written when either the row or the byte limit is reached;
 * `line` is the position in the backup of the last record the pending rows came from.
 */
class WriteBatch<Row> {
  private rows: Row[] = [];
  private bytes = 0;
  private line = 0;

  constructor(
    private readonly limits: BatchLimits,
    private readonly writes: OrderedWrites,
    private readonly writeRows: (rows: Row[], line: number) => Promise<void>,
  ) {}

  get pending(): number {
    return this.rows.length;
  }

  async add(row: Row, bytes: number, line: number): Promise<void> {
    this.rows.push(row);
    this.bytes += bytes;
    this.line = line;
    if (this.rows.length >= this.limits.rows || this.bytes >= this.limits.bytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const { rows, bytes, line } = this;
    this.rows = [];
    this.bytes = 0;
    await this.writes.submit(bytes, () => this.writeRows(rows, line));
  }
}

/** The restore's two kinds of batch over one ordered stream of writes. */
export class GraphWriter {
  private readonly writes: OrderedWrites;
  private readonly keys = new RestoreKeys();

  private readonly nodes: WriteBatch<NodeRow>;
  private readonly relationships: WriteBatch<RelationshipRow>;
  // Nodes the pending relationship batch carries whole: a line that names one by id waits for it to be written.
  private readonly carriedInBatch = new Set<string>();

  constructor(
    driver: Driver,
    database: string,
    limits: BatchLimits,
    onWritten: (kind: "nodes" | "relationships", count: number) => void,
  ) {
    this.writes = new OrderedWrites(limits.bytes / 2);
    this.nodes = new WriteBatch<NodeRow>(limits, this.writes, async (rows, line) => {
      await write(driver, database, NODE_BATCH, { rows, line }, (result) => {
        if (writtenOf(result) !== rows.length)
          throw new Error(`a node batch wrote ${writtenOf(result)} of ${rows.length} nodes`);
      });
      onWritten("nodes", rows.length);
    });
    this.relationships = new WriteBatch<RelationshipRow>(limits, this.writes, async (rows, line) => {
      const query = rows.some((row) => row.start.node !== null || row.end.node !== null)
        ? CARRYING_RELATIONSHIP_BATCH
        : RELATIONSHIP_BATCH;
      await write(driver, database, query, { rows, line }, (result) => {
        const written = writtenOf(result);
        if (written !== rows.length)
          throw new VerificationError(
            `${rows.length - written} of ${rows.length} relationships in a batch name an endpoint that is not in the restored graph`,
          );
      });
      onWritten("relationships", rows.length);
    });
  }

  private nodeRow(node: Omit<NodeRecord, "k">): NodeRow {
    return { key: this.keys.of(node.id), labels: node.labels, props: decodeProperties(node.props) };
  }

  /** A relationship's endpoint as the write takes it: the node itself only when the line carries it whole. */
  private endpointRow(endpoint: Endpoint): EndpointRow {
    return typeof endpoint === "string"
      ? { key: this.keys.of(endpoint), node: null }
      : { key: this.keys.of(endpoint.id), node: this.nodeRow(endpoint) };
  }

  /** A record an earlier run wrote: its ids are still read in order, so every run keys the nodes alike. */
  skip(record: { id: string } | { start: Endpoint; end: Endpoint }): void {
    if ("start" in record)
      for (const endpoint of [record.start, record.end])
        this.keys.of(typeof endpoint === "string" ? endpoint : endpoint.id);
    else this.keys.of(record.id);
  }

  addNode(node: Omit<NodeRecord, "k">, bytes: number, line: number): Promise<void> {
    return this.nodes.add(this.nodeRow(node), bytes, line);
  }

  async addRelationship(
    record: { id: string; type: string; props: unknown; start: Endpoint; end: Endpoint },
    bytes: number,
    line: number,
  ): Promise<void> {
    // Every node is written before the first relationship that may point at it (the writes are in order).
    await this.nodes.flush();
    const endpoints = [record.start, record.end];
    if (endpoints.some((endpoint) => typeof endpoint === "string" && this.carriedInBatch.has(endpoint)))
      await this.flushRelationships();
    for (const endpoint of endpoints) if (typeof endpoint !== "string") this.carriedInBatch.add(endpoint.id);
    const row: RelationshipRow = {
      type: record.type,
      props: decodeProperties(record.props),
      start: this.endpointRow(record.start),
      end: this.endpointRow(record.end),
    };
    await this.relationships.add(row, bytes, line);
    if (this.relationships.pending === 0) this.carriedInBatch.clear();
  }

  // A later batch is written after this one has committed, so it finds the nodes this one carries.
  private async flushRelationships(): Promise<void> {
    await this.relationships.flush();
    this.carriedInBatch.clear();
  }

  /** Writes what is pending and resolves once every batch has committed. */
  async finish(): Promise<void> {
    await this.nodes.flush();
    await this.relationships.flush();
    await this.writes.drain();
  }
}
