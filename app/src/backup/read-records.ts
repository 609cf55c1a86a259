// A node or relationship as the backup reads it from Neo4j, as a backup record. Fields rather than
// the Node and Relationship themselves are queried: the driver then builds no entity objects
// (with their integer ids) that the backup would take apart again.
import type { Record as Neo4jRecord } from "neo4j-driver";
import { reservedName, type NodeRecord, type RelationshipRecord } from "./records.js";
import { BackupFormatError, encodeProperties } from "./values.js";

export const NODE_FIELDS = "elementId(n) AS id, labels(n) AS labels, properties(n) AS props";
export const RELATIONSHIP_FIELDS =
  "elementId(r) AS id, type(r) AS type, properties(r) AS props, elementId(a) AS start, elementId(b) AS end";

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
  const properties = record.get("props") as Record<string, unknown>;
  assertRestorable("node", id, labels, properties);
  return { id, labels: labels.sort(), props: encodeProperties(properties) };
}

/** A relationship with both endpoints by id; the backup decides what it writes for each. */
export function relationshipOf(record: Neo4jRecord): RelationshipRecord & { start: string; end: string } {
  const id = record.get("id") as string;
  const properties = record.get("props") as Record<string, unknown>;
  assertRestorable("relationship", id, [], properties);
  return {
    k: "rel",
    id,
    type: record.get("type") as string,
    props: encodeProperties(properties),
    start: record.get("start") as string,
    end: record.get("end") as string,
  };
}
