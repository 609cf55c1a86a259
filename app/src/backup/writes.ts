// The restore's writes: nodes and relationships in UNWIND batches, each committed together with
// the restore's position in the backup (the marker's `line`), so a batch is written exactly once
// however often the restore is interrupted and run again. That is what lets the writes CREATE
// instead of MERGE, and leaves no bookkeeping on relationships to remove afterwards.
//
// Two batches are in flight at once: the next one is packed, sent and parsed while Neo4j writes
// the one before it. They still run one after the other, in order: each batch first locks the
// marker and goes on only if the marker's position is where the batch before it left it.
import neo4j, { type Driver, type Integer } from "neo4j-driver";
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

/**
 * A batch's writes between the marker's lock and its advance. Writing the marker locks it until
 * the batch commits, and the position is read under that lock: a batch whose predecessor has
 * not committed yet (or has failed) returns no record and writes nothing. The batch and the
 * position it brings the restore to commit together or not at all.
 */
const inTurn = (writes: string) => `
MATCH (m:${MARKER})
SET m.writing = $line
WITH m WHERE m.line = $previous
CALL (m) {
${writes}
  RETURN count(*) AS written
}
SET m.line = $line
REMOVE m.writing
RETURN written`;

const NODE_BATCH = inTurn(`
  UNWIND $rows AS row
  CREATE (n:${STAGED} {${STAGED_ID}: row.key})
  SET n += row.props
  SET n:$(row.labels)`);

// An endpoint the line carries whole is created unless it is there (a format 1 backup carries
// every endpoint whole on every line); one named by id must be there already. A row whose
// endpoint is missing matches nothing, which the count reveals.
const mergeEndpoint = (side: "start" | "end") => `
CALL (row) {
  WITH row WHERE row.${side}.node IS NOT NULL
  MERGE (n:${STAGED} {${STAGED_ID}: row.${side}.key})
    ON CREATE SET n += row.${side}.node.props, n:$(row.${side}.node.labels), n.${ENDPOINT_ONLY} = true
}`;

const relationshipBatch = (carried: string) =>
  inTurn(`
  UNWIND $rows AS row
  ${carried}
  MATCH (a:${STAGED} {${STAGED_ID}: row.start.key}), (b:${STAGED} {${STAGED_ID}: row.end.key})
  CREATE (a)-[r:$(row.type)]->(b)
  SET r = row.props`);

// Most batches carry no node whole: they skip the subqueries, which cost their time on every row.
const RELATIONSHIP_BATCH = relationshipBatch("");
const CARRYING_RELATIONSHIP_BATCH = relationshipBatch(`${mergeEndpoint("start")}\n${mergeEndpoint("end")}`);

/** A batch that found the marker short of the batch before it: it wrote nothing and is tried again once that one has committed. */
class NotInTurn extends Error {}

/**
 * Runs one batch in a write transaction of its own; `check` sees how many rows it wrote and rolls
 * it back by throwing. Resolves false, having written nothing, when the batch before it has not
 * committed yet.
 */
async function writeInTurn(
  driver: Driver,
  database: string,
  query: string,
  parameters: Record<string, unknown>,
  check: (written: number) => void,
): Promise<boolean> {
  const session = driver.session({ database });
  try {
    await session.executeWrite(async (tx) => {
      const [record] = (await tx.run(query, parameters)).records;
      // Thrown to roll back: the marker's lock was written, and must not be committed.
      if (!record) throw new NotInTurn();
      check(Number(record.get("written")));
    });
    return true;
  } catch (error) {
    if (error instanceof NotInTurn) return false;
    throw error;
  } finally {
    await session.close();
  }
}

/**
 * The batches' writes, in order, at most two in flight, while the caller reads and decodes the
 * next batch: the database and this process work at once instead of in turn. Each batch is told
 * the position of the one before it. A batch of large values is written alone and awaited at
 * once, so memory holds one large batch, not several.
 */
class OrderedWrites {
  private readonly inFlight: Array<Promise<void>> = [];
  private failure: { error: unknown } | undefined;

  /** `line`: the restore's position before the first batch this run writes. */
  constructor(
    private readonly overlapBytes: number,
    private line: number,
  ) {}

  /** `write(previous)` writes a batch if the marker is at `previous`, and resolves whether it did. */
  async submit(bytes: number, line: number, write: (previous: number) => Promise<boolean>): Promise<void> {
    // A batch of large values runs alone: before it and after it, nothing else is in flight.
    const alone = bytes > this.overlapBytes;
    while (this.inFlight.length >= (alone ? 1 : 2)) await this.settle();
    // A failed batch ends the restore once what is in flight has settled: nothing runs on after it.
    if (this.failure) return this.drain();
    const previous = this.line;
    this.line = line;
    // Never rejects: a batch's failure is recorded, not thrown.
    const before = this.inFlight.at(-1) ?? Promise.resolve();
    const running = (async () => {
      if (await write(previous)) return;
      // Its predecessor had not committed: once it has (a failure of its own is reported by it), once more.
      await before;
      if (this.failure) return;
      if (!(await write(previous)))
        throw new Error(`the restore's marker is not at line ${previous}: another restore is writing to this database`);
    })().catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.inFlight.push(running);
    if (alone) await this.drain();
  }

  private async settle(): Promise<void> {
    await this.inFlight[0];
    this.inFlight.shift();
  }

  /** Resolves once every submitted write has committed; rejects with the first that failed. */
  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.settle();
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
    private readonly writeRows: (rows: Row[], line: number, previous: number) => Promise<boolean>,
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
    await this.writes.submit(bytes, line, (previous) => this.writeRows(rows, line, previous));
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

  /** `line`: the restore's position before this run's first batch (the marker's `line`). */
  constructor(
    driver: Driver,
    database: string,
    limits: BatchLimits,
    line: number,
    onWritten: (kind: "nodes" | "relationships", count: number) => void,
  ) {
    this.writes = new OrderedWrites(limits.bytes / 2, line);
    this.nodes = new WriteBatch<NodeRow>(limits, this.writes, async (rows, line, previous) => {
      const written = await writeInTurn(driver, database, NODE_BATCH, { rows, line, previous }, (written) => {
        if (written !== rows.length) throw new Error(`a node batch wrote ${written} of ${rows.length} nodes`);
      });
      if (written) onWritten("nodes", rows.length);
      return written;
    });
    this.relationships = new WriteBatch<RelationshipRow>(limits, this.writes, async (rows, line, previous) => {
      const query = rows.some((row) => row.start.node !== null || row.end.node !== null)
        ? CARRYING_RELATIONSHIP_BATCH
        : RELATIONSHIP_BATCH;
      const written = await writeInTurn(driver, database, query, { rows, line, previous }, (written) => {
        if (written !== rows.length)
          throw new VerificationError(
            `${rows.length - written} of ${rows.length} relationships in a batch name an endpoint that is not in the restored graph`,
          );
      });
      if (written) onWritten("relationships", rows.length);
      return written;
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
