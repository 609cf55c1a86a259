// IAM policy documents, whatever form they come in (JSON text or object, one statement or many).
import { asObject } from "./kubernetes.js";

export interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document, or undefined when it cannot be read. */
export function statementsOf(document: unknown): Statement[] | undefined {
  let parsed: unknown = document;
  if (typeof document === "string") {
    try {
      parsed = JSON.parse(document) as unknown;
    } catch {
      return undefined;
    }
  }
  const statement = asObject(parsed).Statement;
  if (Array.isArray(statement)) return statement.map((entry) => asObject(entry) as Statement);
  if (statement && typeof statement === "object") return [statement as Statement];
  return undefined;
}

export const listOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

/** A resource that names everything of its kind: "*", "arn:aws:s3:::*", "arn:aws:kms:*:*:key/*". */
export function isWildcardResource(resource: string): boolean {
  if (resource === "*") return true;
  const parts = resource.split(":");
  if (parts[0] !== "arn" || parts.length < 6) return false;
  const name = parts.slice(5).join(":");
  return /^(\*|[A-Za-z-]+[/:]\*)$/.test(name);
}

/** The values a condition operator sets for a key, whatever the operator's qualifiers. */
export function conditionValues(statement: Statement, operator: string, key: string): string[] {
  const block = statement.Condition?.[operator];
  return block ? listOf(block[key]) : [];
}
