// Test graphs for backup and restore, and a canonical checksum of a graph computed with the
// driver alone (none of the backup code), so a restore is judged independently.
import { createHash } from "node:crypto";
import neo4j, { Integer, isDateTime, isPoint, type Driver } from "neo4j-driver";

/** Nodes :Item (every third also :Triple) with uid and varied values; every 500th carries every type. */
export async function generateGraph(driver: Driver, nodes: number, relationships: number): Promise<void> {
  const session = driver.session();
  try {
    await session.run("CREATE CONSTRAINT item_uid IF NOT EXISTS FOR (n:Item) REQUIRE n.uid IS UNIQUE");
    await session.run("CREATE INDEX item_name IF NOT EXISTS FOR (n:Item) ON (n.name)");
    await session.run("CREATE TEXT INDEX item_text IF NOT EXISTS FOR (n:Item) ON (n.text)");
    await session.run(
      `UNWIND range(0, $nodes - 1) AS i
       CALL { WITH i
         CREATE (n:Item {uid: i, name: 'item-' + i, big: 9007199254740993 + i, f: toFloat(i) / 7.0, ok: i % 2 = 0, text: 'ü🙂 ' + toString(i)})
         FOREACH (_ IN CASE WHEN i % 3 = 0 THEN [1] ELSE [] END | SET n:Triple)
       } IN TRANSACTIONS OF 10000 ROWS`,
      { nodes: neo4j.int(nodes) },
    );
    await session.run(
      `MATCH (n:Item) WHERE n.uid % 500 = 0
       SET n.negZero = -0.0, n.nan = 0.0 / 0.0, n.inf = 1.0 / 0.0, n.ninf = -1.0 / 0.0,
           n.maxInt = 9223372036854775807, n.minInt = -9223372036854775808, n.bytes = $bytes, n.empty = '',
           n.d = date('2024-02-29'), n.t = time('12:34:56.123456789+02:00'), n.lt = localtime('01:02:03.000000001'),
           n.dto = datetime('2024-01-01T10:00:00.5+05:30'), n.dtz = datetime('2024-10-27T02:30:00[Europe/Paris]'),
           n.ldt = localdatetime('2024-01-01T10:00:00.123'), n.dur = duration('P1Y2M3DT4H5M6.000000007S'),
           n.p2 = point({x: 1.5, y: -0.0}), n.p3 = point({x: 1.0, y: 2.0, z: -3.5}),
           n.geo = point({longitude: 13.4, latitude: 52.5}), n.geo3 = point({longitude: 13.4, latitude: 52.5, height: 34.0}),
           n.ints = [1, 9007199254740993], n.floats = [-0.0, 1.5], n.strings = ['a', '', '\\u2028'], n.bools = [true, false],
           n.dates = [date('2020-01-01'), date('1970-01-01')], n.uni = $unicode`,
      { bytes: new Int8Array([0, 1, 127, -128, -1]), unicode: "\u0000 ß ∑ 🙂 \u{10FFFF} \uFFFD" },
    );
    await session.run(
      `UNWIND range(0, $relationships - 1) AS i
       CALL { WITH i
         MATCH (a:Item {uid: i % $nodes}), (b:Item {uid: (i * 7 + 3) % $nodes})
         CREATE (a)-[:LINK {w: i, at: datetime({epochSeconds: i, timezone: '+01:00'})}]->(b)
       } IN TRANSACTIONS OF 10000 ROWS`,
      { relationships: neo4j.int(relationships), nodes: neo4j.int(nodes) },
    );
    await session.run(
      "MATCH (n:Item) WHERE n.uid % 5000 = 1 CREATE (n)-[:SELF {p: point({x: 0.0, y: 0.0}), d: duration('PT1S')}]->(n)",
    );
  } finally {
    await session.close();
  }
}

function canonical(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return `b:${value}`;
  if (typeof value === "string") return `s:${JSON.stringify(value)}`;
  if (typeof value === "number") return `f:${Object.is(value, -0) ? "-0" : String(value)}`;
  if (Integer.isInteger(value)) return `i:${(value as Integer).toString()}`;
  if (ArrayBuffer.isView(value))
    return `x:${value.constructor.name}:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isPoint(value as object)) {
    const point = value as { srid: unknown; x: number; y: number; z?: number };
    return `pt:${String(point.srid)}:${[point.x, point.y, point.z].map((axis) => (axis === undefined ? "" : canonical(axis))).join(":")}`;
  }
  if (isDateTime(value as object)) {
    const dateTime = value as { timeZoneId?: string; timeZoneOffsetSeconds?: unknown };
    return `dt:${String(value)}:${dateTime.timeZoneId ?? ""}:${String(dateTime.timeZoneOffsetSeconds ?? "")}`;
  }
  const name = (value as object).constructor.name;
  return `${name}:${String(value)}`;
}

const properties = (props: Record<string, unknown>): string =>
  Object.keys(props)
    .sort()
    .map((key) => `${key}=${canonical(props[key])}`)
    .join(";");

export interface GraphDigest {
  nodes: number;
  relationships: number;
  sha256: string;
  schema: string[];
}

/** Nodes are identified by their uid property (every test node has one). */
export async function graphDigest(driver: Driver, where = "true"): Promise<GraphDigest> {
  const session = driver.session({ defaultAccessMode: "READ" });
  try {
    const lines: string[] = [];
    const nodes = await session.run(
      `MATCH (n) WHERE ${where} RETURN n.uid AS uid, labels(n) AS labels, properties(n) AS props`,
    );
    for (const record of nodes.records)
      lines.push(
        `N|${canonical(record.get("uid"))}|${(record.get("labels") as string[]).sort().join(":")}|${properties(record.get("props") as Record<string, unknown>)}`,
      );
    const relationships = await session.run(
      `MATCH (a)-[r]->(b) WHERE ${where.replaceAll("n.", "a.")} AND ${where.replaceAll("n.", "b.")} RETURN a.uid AS a, type(r) AS type, b.uid AS b, properties(r) AS props`,
    );
    for (const record of relationships.records)
      lines.push(
        `R|${canonical(record.get("a"))}|${String(record.get("type"))}|${canonical(record.get("b"))}|${properties(record.get("props") as Record<string, unknown>)}`,
      );
    lines.sort();
    const joined = (field: string) => `reduce(text = '', item IN coalesce(${field}, []) | text + item + ',')`;
    const schema = await session.run(
      `SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties RETURN name + ' ' + type + ' ' + ${joined("labelsOrTypes")} + ' ' + ${joined("properties")} AS line ORDER BY line`,
    );
    const indexes = await session.run(
      `SHOW INDEXES YIELD name, type, labelsOrTypes, properties WHERE type <> 'LOOKUP' RETURN name + ' ' + type + ' ' + ${joined("labelsOrTypes")} + ' ' + ${joined("properties")} AS line ORDER BY line`,
    );
    return {
      nodes: nodes.records.length,
      relationships: relationships.records.length,
      sha256: createHash("sha256").update(lines.join("\n")).digest("hex"),
      schema: [...schema.records, ...indexes.records].map((record) => String(record.get("line"))),
    };
  } finally {
    await session.close();
  }
}
