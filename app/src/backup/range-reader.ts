// A backup reader thread: reads the nodes or relationships of one range of store ids at a time,
// as the main thread hands them out, and sends them back as JSON lines. Several of these decode
// at once, which is where a backup spends its time (the driver's decoding, above all of temporal
// values, then the encoding into lines); the main thread only checks endpoints, counts, gzips
// and uploads. Each chunk waits for the main thread to take the previous ones (a credit), so a
// slow upload holds the readers back instead of filling memory.
import { parentPort, workerData } from "node:worker_threads";
import type { Record as Neo4jRecord } from "neo4j-driver";
import { backupDriver } from "./driver.js";
import { NODE_RESULT, RELATIONSHIP_RESULT, nodeRecord, relationshipOf } from "./read-records.js";
import type { ReaderRequest, ReaderSettings, ReaderMessage } from "./range-reads.js";

/** About this many characters of lines per message to the main thread. */
const CHUNK_CHARS = 64 * 1024;
/** Chunks a reader may send ahead of the main thread. */
const CREDITS = 2;

const settings = workerData as ReaderSettings;
const port = parentPort;
if (!port) throw new Error("range-reader runs as a worker thread");
const driver = backupDriver(settings);

let credits = CREDITS;
let waiting: (() => void) | undefined;

function send(message: ReaderMessage): Promise<void> | undefined {
  port?.postMessage(message);
  credits -= 1;
  if (credits > 0) return undefined;
  return new Promise((resolve) => (waiting = resolve));
}

/** Store ids in [from, to), or from `from` on when `to` is null (what was created after the ranges were planned). */
function rangeQuery(request: ReaderRequest): { query: string; parameters: Record<string, unknown> } {
  // id() is the only seekable integer key of an element; element ids are built from it.
  const match = request.kind === "nodes" ? "MATCH (n) WHERE id(n) = i" : "MATCH (a)-[r]->(b) WHERE id(r) = i";
  const open = request.kind === "nodes" ? "MATCH (n) WHERE id(n) >= $from" : "MATCH (a)-[r]->(b) WHERE id(r) >= $from";
  const fields = request.kind === "nodes" ? NODE_RESULT : RELATIONSHIP_RESULT;
  const query = request.to === null ? `${open} ${fields}` : `UNWIND range($from, $to - 1) AS i ${match} ${fields}`;
  return { query, parameters: { from: request.from, to: request.to ?? 0 } };
}

async function readNodes(records: AsyncIterable<Neo4jRecord>): Promise<void> {
  let text = "";
  let ids: string[] = [];
  let labels: Record<string, number> = {};
  for await (const record of records) {
    const node = nodeRecord(record);
    text += `${JSON.stringify({ k: "node", ...node })}\n`;
    ids.push(node.id);
    for (const label of node.labels) labels[label] = (labels[label] ?? 0) + 1;
    if (text.length >= CHUNK_CHARS) {
      await send({ type: "nodes", text, ids, labels });
      [text, ids, labels] = ["", [], {}];
    }
  }
  if (ids.length > 0) await send({ type: "nodes", text, ids, labels });
}

async function readRelationships(records: AsyncIterable<Neo4jRecord>): Promise<void> {
  let chars = 0;
  let chunk = { lines: [] as string[], starts: [] as string[], ends: [] as string[], types: [] as string[] };
  for await (const record of records) {
    const { start, end, ...relationship } = relationshipOf(record);
    const line = JSON.stringify({ ...relationship, start, end });
    chunk.lines.push(line);
    chunk.starts.push(start);
    chunk.ends.push(end);
    chunk.types.push(relationship.type);
    chars += line.length;
    if (chars >= CHUNK_CHARS) {
      await send({ type: "relationships", ...chunk });
      chars = 0;
      chunk = { lines: [], starts: [], ends: [], types: [] };
    }
  }
  if (chunk.lines.length > 0) await send({ type: "relationships", ...chunk });
}

async function read(request: ReaderRequest): Promise<void> {
  const session = driver.session({
    database: settings.database,
    defaultAccessMode: "READ",
    fetchSize: request.fetchSize,
    notificationFilter: { disabledCategories: ["DEPRECATION"] },
  });
  try {
    const { query, parameters } = rangeQuery(request);
    const records = session.run(query, parameters);
    await (request.kind === "nodes" ? readNodes(records) : readRelationships(records));
  } finally {
    await session.close();
  }
}

// The thread is terminated once the backup has read everything: its driver goes with it.
port.on("message", (message: ReaderRequest | { type: "credit" }) => {
  if (message.type === "credit") {
    credits += 1;
    const resume = waiting;
    waiting = undefined;
    resume?.();
  } else {
    read(message).then(
      () => port.postMessage({ type: "done" } satisfies ReaderMessage),
      (error: unknown) =>
        port.postMessage({
          type: "error",
          name: (error as Error).name,
          message: (error as Error).message,
        } satisfies ReaderMessage),
    );
  }
});
