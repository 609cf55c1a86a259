// A node or relationship as the backup reads it from Neo4j, as a backup record. Fields rather than
// the Node and Relationship themselves are queried: the driver then builds no entity objects
// (with their integer ids) that the backup would take apart again.
import { Integer, type Record as Neo4jRecord } from "neo4j-driver";
import { reservedName, type NodeRecord, type RelationshipRecord } from "./records.js";
import { BackupFormatError, encodeValue, type EncodedValue } from "./values.js";

/**
 * The temporal types Neo4j takes apart for the backup, with the fields the backup writes for
 * each (values.ts). Handed a datetime, the driver computes its local fields from the UTC instant
 * with 64-bit integer arithmetic of its own: in bench:backup at 1M nodes that was 8 of each
 * reader's 50 CPU seconds, and more in collecting the garbage it leaves, where Neo4j's own
 * accessors cost it little. Lists of temporals are rare, and are left to the driver.
 */
const TEMPORAL_FIELDS = [
  [
    "ZONED DATETIME",
    "dt",
    ["year", "month", "day", "hour", "minute", "second", "nanosecond", "offsetSeconds", "timezone"],
  ],
  ["LOCAL DATETIME", "ldt", ["year", "month", "day", "hour", "minute", "second", "nanosecond"]],
  ["DATE", "date", ["year", "month", "day"]],
  ["ZONED TIME", "time", ["hour", "minute", "second", "nanosecond", "offsetSeconds"]],
  ["LOCAL TIME", "ltime", ["hour", "minute", "second", "nanosecond"]],
] as const;

/**
 * A map's properties as a list of pairs, [key, value], where a temporal value is instead
 * [key, tag, ...its fields]. `map` names a map bound in the query.
 */
function propertyPairs(map: string): string {
  const value = `${map}[key]`;
  const cases = TEMPORAL_FIELDS.map(
    ([type, tag, fields]) =>
      `WHEN ${value} IS :: ${type} NOT NULL THEN [key, '${tag}', ${fields.map((field) => `${value}.${field}`).join(", ")}]`,
  );
  return `[key IN keys(${map}) | CASE ${cases.join(" ")} ELSE [key, ${value}] END]`;
}

/** What a query that matched a node `n` returns for the backup (its properties read once). */
export const NODE_RESULT = `WITH n, properties(n) AS map RETURN elementId(n) AS id, labels(n) AS labels, ${propertyPairs("map")} AS props`;
/** What a query that matched `(a)-[r]->(b)` returns for the backup. */
export const RELATIONSHIP_RESULT = `WITH a, r, b, properties(r) AS map RETURN elementId(r) AS id, type(r) AS type, ${propertyPairs("map")} AS props, elementId(a) AS start, elementId(b) AS end`;

/** Java's id of a fixed offset ("Z", "+01:00", "-03:30:15"), as opposed to a region's ("Europe/Paris", "UTC"). */
const OFFSET_ID = /^(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/;

const whole = (field: unknown): number => (Integer.isInteger(field) ? (field as Integer).toNumber() : Number(field));

/** One pair of propertyPairs as the backup's value: what encodeValue writes for the value itself. */
function encodePair(pair: unknown[]): EncodedValue {
  if (pair.length === 2) return encodeValue(pair[1]);
  const [tag, ...fields] = pair.slice(1) as [string, ...unknown[]];
  switch (tag) {
    case "dt": {
      const zone = fields[8] as string;
      return {
        dt: fields.slice(0, 7).map(whole) as [number, number, number, number, number, number, number],
        off: whole(fields[7]),
        ...(OFFSET_ID.test(zone) ? {} : { tz: zone }),
      };
    }
    case "ldt":
      return { ldt: fields.map(whole) as [number, number, number, number, number, number, number] };
    case "date":
      return { date: fields.map(whole) as [number, number, number] };
    case "time":
      return { time: fields.map(whole) as [number, number, number, number, number] };
    case "ltime":
      return { ltime: fields.map(whole) as [number, number, number, number] };
    default:
      throw new BackupFormatError(`Neo4j returned a property of an unexpected shape (${String(tag)})`);
  }
}

/** The props field of a record read with NODE_RESULT or RELATIONSHIP_RESULT, encoded. */
function encodedProperties(record: Neo4jRecord): Record<string, EncodedValue> {
  // No prototype: a key named __proto__ is then a property like any other.
  const encoded = Object.create(null) as Record<string, EncodedValue>;
  for (const pair of record.get("props") as unknown[][]) encoded[pair[0] as string] = encodePair(pair);
  return encoded;
}

/** A backup that uses the restore's own names could never be restored: refused while it is taken. */
function assertRestorable(kind: string, id: string, labels: readonly string[], properties: object): void {
  const name = reservedName(labels, Object.keys(properties));
  if (name !== undefined)
    throw new BackupFormatError(
      `${kind} ${id} uses the name ${name}, which the restore reserves for itself; rename it before backing up`,
    );
}

export function nodeRecord(record: Neo4jRecord): Omit<NodeRecord, "k"> {
  const id = record.get("id") as string;
  const labels = record.get("labels") as string[];
  const props = encodedProperties(record);
  assertRestorable("node", id, labels, props);
  return { id, labels: labels.sort(), props };
}

/** A relationship with both endpoints by id; the backup decides what it writes for each. */
export function relationshipOf(record: Neo4jRecord): RelationshipRecord & { start: string; end: string } {
  const id = record.get("id") as string;
  const props = encodedProperties(record);
  assertRestorable("relationship", id, [], props);
  return {
    k: "rel",
    id,
    type: record.get("type") as string,
    props,
    start: record.get("start") as string,
    end: record.get("end") as string,
  };
}
