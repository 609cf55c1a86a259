// Runs admin Cypher in a READ access-mode transaction with a timeout and a row limit, and turns
// what comes back into plain JSON.
import neo4j, { type Driver } from "neo4j-driver";

export interface QueryResult {
  columns: string[];
  rows: Array<Record<string, unknown>>;
  /** True when the query had more rows than the limit. */
  truncated: boolean;
}

export function toJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value !== "object") return value;
  if (neo4j.isInt(value)) return value.inSafeRange() ? value.toNumber() : value.toString();
  if (neo4j.isNode(value)) return { labels: value.labels, properties: toJson(value.properties) };
  if (neo4j.isRelationship(value)) return { type: value.type, properties: toJson(value.properties) };
  if (neo4j.isPath(value))
    return value.segments.map((segment) => ({
      start: toJson(segment.start),
      relationship: toJson(segment.relationship),
      end: toJson(segment.end),
    }));
  // A byte array comes back as an Int8Array: base64, never an object of one key per byte.
  if (ArrayBuffer.isView(value))
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (Array.isArray(value)) return value.map(toJson);
  if (neo4j.isPoint(value)) {
    return { srid: Number(value.srid), x: value.x, y: value.y, ...(value.z !== undefined ? { z: value.z } : {}) };
  }
  if (
    neo4j.isDate(value) ||
    neo4j.isDateTime(value) ||
    neo4j.isLocalDateTime(value) ||
    neo4j.isTime(value) ||
    neo4j.isLocalTime(value) ||
    neo4j.isDuration(value)
  ) {
    return value.toString();
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toJson(inner)]));
}

export async function runReadOnly(
  driver: Driver,
  database: string,
  query: string,
  params: Record<string, unknown>,
  limits: { timeoutMs: number; maxRows: number },
): Promise<QueryResult> {
  const session = driver.session({ database, defaultAccessMode: neo4j.session.READ });
  try {
    return await session.executeRead(
      async (tx) => {
        const rows: Array<Record<string, unknown>> = [];
        let columns: string[] = [];
        let truncated = false;
        for await (const record of tx.run(query, params)) {
          if (rows.length === limits.maxRows) {
            truncated = true;
            break;
          }
          columns = record.keys as string[];
          rows.push(Object.fromEntries(record.keys.map((key) => [key, toJson(record.get(key))])));
        }
        return { columns, rows, truncated };
      },
      { timeout: limits.timeoutMs },
    );
  } finally {
    await session.close();
  }
}
