// The streaming logical backup: schema, nodes, then relationships (each carrying its endpoints,
// so a node deleted while the backup runs never leaves one dangling), as gzip'd JSON lines
// uploaded in parts while they are read. Memory stays flat however large the graph is.
import { createHash } from "node:crypto";
import { PassThrough, Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { Upload } from "@aws-sdk/lib-storage";
import type { Driver, Node as Neo4jNode } from "neo4j-driver";
import { encodeProperties, type EncodedValue } from "./values.js";
import { DATA_OBJECT, FORMAT_VERSION, backupId, type BackupStore, type Manifest } from "./storage.js";

export interface NodeRecord {
  k: "node";
  id: string;
  labels: string[];
  props: Record<string, EncodedValue>;
}
export interface RelationshipRecord {
  k: "rel";
  id: string;
  type: string;
  props: Record<string, EncodedValue>;
  start: Omit<NodeRecord, "k">;
  end: Omit<NodeRecord, "k">;
}
export type BackupRecord =
  | { k: "header"; formatVersion: number; database: string; id: string; startedAt: string }
  | { k: "schema"; cypher: string }
  | NodeRecord
  | RelationshipRecord
  | { k: "end"; nodes: number; relationships: number; schema: number };

export interface BackupProgress {
  phase: "schema" | "nodes" | "relationships" | "upload";
  nodes: number;
  relationships: number;
  bytes: number;
}

export interface BackupOptions {
  appVersion: string;
  /** Rows per fetch from Neo4j. */
  fetchSize?: number;
  onProgress?: (progress: BackupProgress) => void;
  now?: () => Date;
}

/** The statements that recreate the user's constraints and indexes (not the built-in lookups). */
export async function schemaStatements(driver: Driver, database: string): Promise<string[]> {
  const session = driver.session({ database, defaultAccessMode: "READ" });
  try {
    const constraints = await session.run("SHOW CONSTRAINTS YIELD createStatement RETURN createStatement ORDER BY createStatement");
    const indexes = await session.run(
      "SHOW INDEXES YIELD createStatement, owningConstraint, type WHERE owningConstraint IS NULL AND type <> 'LOOKUP' RETURN createStatement ORDER BY createStatement",
    );
    return [...constraints.records, ...indexes.records].map((record) => String(record.get("createStatement")));
  } finally {
    await session.close();
  }
}

const nodeRecord = (node: Neo4jNode): Omit<NodeRecord, "k"> => ({ id: node.elementId, labels: [...node.labels].sort(), props: encodeProperties(node.properties) });

async function* records(driver: Driver, database: string, manifest: Manifest, options: BackupOptions, progress: BackupProgress): AsyncGenerator<BackupRecord> {
  yield { k: "header", formatVersion: FORMAT_VERSION, database, id: manifest.id, startedAt: manifest.startedAt };
  for (const cypher of await schemaStatements(driver, database)) {
    manifest.counts.schema += 1;
    yield { k: "schema", cypher };
  }
  const session = driver.session({ database, defaultAccessMode: "READ", fetchSize: options.fetchSize ?? 2000 });
  try {
    progress.phase = "nodes";
    for await (const record of session.run("MATCH (n) RETURN n")) {
      const node = nodeRecord(record.get("n") as Neo4jNode);
      manifest.counts.nodes += 1;
      for (const label of node.labels) manifest.counts.nodesByLabel[label] = (manifest.counts.nodesByLabel[label] ?? 0) + 1;
      progress.nodes += 1;
      yield { k: "node", ...node };
    }
    progress.phase = "relationships";
    for await (const record of session.run("MATCH (a)-[r]->(b) RETURN a, r, b")) {
      const relationship = record.get("r") as { elementId: string; type: string; properties: Record<string, unknown> };
      manifest.counts.relationships += 1;
      manifest.counts.relationshipsByType[relationship.type] = (manifest.counts.relationshipsByType[relationship.type] ?? 0) + 1;
      progress.relationships += 1;
      yield {
        k: "rel",
        id: relationship.elementId,
        type: relationship.type,
        props: encodeProperties(relationship.properties),
        start: nodeRecord(record.get("a") as Neo4jNode),
        end: nodeRecord(record.get("b") as Neo4jNode),
      };
    }
  } finally {
    await session.close();
  }
  yield { k: "end", nodes: manifest.counts.nodes, relationships: manifest.counts.relationships, schema: manifest.counts.schema };
}

/** Takes one backup; resolves with its manifest once the manifest (written last) is stored. */
export async function runBackup(driver: Driver, store: BackupStore, options: BackupOptions): Promise<Manifest> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const id = backupId(started);
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    appVersion: options.appVersion,
    database: store.database,
    id,
    dataKey: store.keyOf(id, DATA_OBJECT),
    dataSha256: "",
    dataBytes: 0,
    counts: { schema: 0, nodes: 0, relationships: 0, nodesByLabel: {}, relationshipsByType: {} },
    startedAt: started.toISOString(),
    finishedAt: "",
  };
  const progress: BackupProgress = { phase: "schema", nodes: 0, relationships: 0, bytes: 0 };
  const hash = createHash("sha256");
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const upload = new Upload({
    client: store.client,
    params: { Bucket: store.s3.bucket, Key: manifest.dataKey, Body: body, ContentType: "application/gzip", ...store.encryption() },
    queueSize: 2,
    partSize: 8 * 1024 * 1024,
    leavePartsOnError: false,
  });
  const uploaded = upload.done();
  const toLines = new Transform({
    writableObjectMode: true,
    transform(record: BackupRecord, _encoding, done) {
      done(null, `${JSON.stringify(record)}\n`);
    },
  });
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      progress.bytes += chunk.length;
      options.onProgress?.(progress);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.from(records(driver, store.database, manifest, options, progress)), toLines, createGzip({ level: 6 }), measure, body);
    progress.phase = "upload";
    await uploaded;
  } catch (error) {
    await upload.abort().catch(() => undefined);
    throw error;
  }
  manifest.dataSha256 = hash.digest("hex");
  manifest.dataBytes = progress.bytes;
  manifest.finishedAt = now().toISOString();
  await store.writeManifest(manifest);
  return manifest;
}
