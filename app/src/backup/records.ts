// The backup's data format: one JSON record per line, checked line by line on the way back in,
// and the names the restore reserves for its own bookkeeping in the target database.
import { z } from "zod";
import { BackupFormatError } from "./values.js";

/** Labels and property keys the restore uses while it runs; a backup that holds them is refused. */
export const RESTORE_MARKER_LABEL = "__McpBastionRestore";
export const RESTORE_STAGED_LABEL = "__McpBastionRestoreNode";
export const RESTORE_ID_KEY = "__restoreId";
export const RESTORE_ENDPOINT_ONLY_KEY = "__restoreEndpointOnly";
/** What a bulk import could not carry exactly, kept on the node or relationship until the restore writes it online. */
export const RESTORE_DEFERRED_KEY = "__restoreDeferred";

const reservedLabels = new Set([RESTORE_MARKER_LABEL, RESTORE_STAGED_LABEL]);
const reservedKeys = new Set([RESTORE_ID_KEY, RESTORE_ENDPOINT_ONLY_KEY, RESTORE_DEFERRED_KEY]);

/** The first of these labels and property keys that the restore reserves, if any. */
export function reservedName(labels: readonly string[], keys: readonly string[]): string | undefined {
  return labels.find((name) => reservedLabels.has(name)) ?? keys.find((key) => reservedKeys.has(key));
}

// Neo4j refuses empty token names, so a backup never holds one.
const token = z.string().min(1);
const label = token.refine((name) => !reservedLabels.has(name), {
  message: "is a label the restore reserves for itself",
});
// Values are checked where they are decoded (values.ts), with messages of their own.
const properties = z.record(
  token.refine((key) => !reservedKeys.has(key), { message: "is a property key the restore reserves for itself" }),
  z.unknown(),
);
const node = { id: token, labels: z.array(label), props: properties };
// A relationship names an endpoint the backup has already written by its id alone, and carries
// the whole of one it has not (a node created while the backup ran), which the restore creates.
const endpoint = z.union([token, z.object(node)], { error: "expected a node id or a whole node" });

const nodeRecord = z.object({ k: z.literal("node"), ...node });
const relationshipRecord = z.object({
  k: z.literal("rel"),
  id: token,
  type: token,
  props: properties,
  start: endpoint,
  end: endpoint,
});
const backupRecord = z.discriminatedUnion("k", [
  z.object({
    k: z.literal("header"),
    formatVersion: z.number().int(),
    database: z.string(),
    id: z.string(),
    startedAt: z.string(),
  }),
  z.object({ k: z.literal("schema"), cypher: z.string() }),
  nodeRecord,
  relationshipRecord,
  z.object({
    k: z.literal("end"),
    nodes: z.number().int().nonnegative(),
    relationships: z.number().int().nonnegative(),
    schema: z.number().int().nonnegative(),
  }),
]);

export type NodeRecord = z.infer<typeof nodeRecord>;
export type Endpoint = z.infer<typeof endpoint>;
export type RelationshipRecord = z.infer<typeof relationshipRecord>;
export type BackupRecord = z.infer<typeof backupRecord>;

/** Where in a record a problem is, as `end.labels[0]` or `props["a key"]`. */
function describePath(path: readonly PropertyKey[]): string {
  const segments = path.map((segment, index) => {
    if (typeof segment === "number") return `[${segment}]`;
    const name = String(segment);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
      ? `${index > 0 ? "." : ""}${name}`
      : `[${JSON.stringify(name.slice(0, 80))}]`;
  });
  return segments.join("") || "the record";
}

/**
 * An endpoint is an id or a whole node: when both fail, the problem is reported from the branch
 * that got furthest (`end.labels[0]: ...`), and as the union's own message when neither got in.
 */
function innermost(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union") return issue;
  const furthest = issue.errors
    .map((branch) => branch[0])
    .filter((branchIssue) => branchIssue !== undefined)
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!furthest || furthest.path.length === 0) return issue;
  return { ...furthest, path: [...issue.path, ...furthest.path] } as z.core.$ZodIssue;
}

const isToken = (value: unknown): value is string => typeof value === "string" && value.length > 0;

/** Exactly these own keys, in any order: zod would strip any others, so a record with more takes the schema's path. */
function hasExactKeys(value: object, count: number, keys: readonly string[]): boolean {
  let own = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    own += 1;
  }
  return own === count && keys.every((key) => Object.hasOwn(value, key));
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const NODE_KEYS = ["id", "labels", "props"] as const;

function isNodeShape(value: Record<string, unknown>): boolean {
  if (!isToken(value.id) || !Array.isArray(value.labels) || !isPlainObject(value.props)) return false;
  for (const name of value.labels) if (!isToken(name) || reservedLabels.has(name)) return false;
  for (const key in value.props) if (key.length === 0 || reservedKeys.has(key)) return false;
  return true;
}

const isEndpoint = (value: unknown): boolean =>
  isToken(value) || (isPlainObject(value) && hasExactKeys(value, 3, NODE_KEYS) && isNodeShape(value));

/**
 * Node and relationship lines, nearly all of a backup, checked by hand: a record that passes is
 * one the schema accepts unchanged (same rules, no extra keys), so it is returned as parsed.
 * Anything else, valid or not, goes through the schema, which alone words the refusals.
 */
function fastRecord(value: unknown): BackupRecord | undefined {
  if (!isPlainObject(value)) return undefined;
  if (value.k === "node")
    return hasExactKeys(value, 4, ["k", ...NODE_KEYS]) && isNodeShape(value) ? (value as NodeRecord) : undefined;
  if (value.k !== "rel" || !hasExactKeys(value, 6, ["k", "id", "type", "props", "start", "end"])) return undefined;
  if (
    !isToken(value.id) ||
    !isToken(value.type) ||
    !isPlainObject(value.props) ||
    !isEndpoint(value.start) ||
    !isEndpoint(value.end)
  )
    return undefined;
  for (const key in value.props) if (key.length === 0 || reservedKeys.has(key)) return undefined;
  return value as RelationshipRecord;
}

/** One line of a backup as a record, or a format error that says what is wrong with it. */
export function parseRecord(line: string): BackupRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new BackupFormatError("not valid JSON");
  }
  return fastRecord(value) ?? recordFromSchema(value);
}

/** A parsed line checked by the schema alone: what `parseRecord` must always agree with. */
export function recordFromSchema(value: unknown): BackupRecord {
  const parsed = backupRecord.safeParse(value);
  if (parsed.success) return parsed.data;
  const [first] = parsed.error.issues;
  if (!first) throw new BackupFormatError("malformed record");
  const issue = innermost(first);
  // A refused property key is reported with the key's own issue, not zod's "Invalid key in record".
  const message = issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  throw new BackupFormatError(`${describePath(issue.path)}: ${message}`);
}
