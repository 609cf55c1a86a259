// How a schema failure is told: one "where: what" line per problem, in the words of the
// settings ("must be at least 2", "is required"), never in the validator's ("Too small:
// expected number to be >=2"). The server's environment, request bodies, tool arguments and the
// stack settings (infra/) all speak through this one wording.
import type { z } from "zod";

// The validator's own messages start so; a message a schema wrote itself is kept as it is.
const STOCK_WORDING = /^(Too small|Too big|Invalid|Unrecognized key)/;

function count(amount: unknown, origin: string | undefined): string {
  const n = String(amount);
  if (origin === "string") return `${n} character${n === "1" ? "" : "s"} long`;
  if (origin === "array" || origin === "set") return `${n} entr${n === "1" ? "y" : "ies"}`;
  return n;
}

const KIND_NAMES: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  string: "text",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  record: "an object",
};

/** What is wrong, without the setting's name: "must be at most 65535", "is required". */
export function describeProblem(issue: z.core.$ZodIssue, unknownNoun = "key"): string {
  if (issue.code !== "unrecognized_keys" && !STOCK_WORDING.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown ${unknownNoun}(s) ${issue.keys.join(", ")}`;
    case "invalid_type":
      // zod reports a missing value as one received undefined.
      if (/received undefined$/.test(issue.message)) return "is required";
      return `must be ${KIND_NAMES[issue.expected] ?? `a ${issue.expected}`}`;
    case "too_small":
      if (issue.origin === "string" && Number(issue.minimum) === 1) return "must not be empty";
      if (issue.origin === "array" && Number(issue.minimum) === 1) return "must list at least one entry";
      return `must be ${issue.inclusive === false ? "more than" : "at least"} ${count(issue.minimum, issue.origin)}`;
    case "too_big":
      return `must be ${issue.inclusive === false ? "less than" : "at most"} ${count(issue.maximum, issue.origin)}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "not_multiple_of":
      return Number(issue.divisor) === 1 ? "must be a whole number" : `must be a multiple of ${String(issue.divisor)}`;
    case "invalid_format":
      if (issue.format === "url") return "must be a URL";
      if (issue.format === "regex") return `must match the pattern ${String(issue.pattern)}`;
      return `must be ${/^[aeiou]/i.test(issue.format) ? "an" : "a"} ${issue.format}`;
    case "invalid_union":
      return "matches none of the accepted forms";
    case "invalid_key":
      return "has a key that is not accepted";
    case "invalid_element":
      return "has an entry that is not accepted";
    default:
      return "is not accepted";
  }
}

/** Where an issue is, as a path of keys and list indexes joined by dots ("mcpAllowedOrigins.0"). */
export type Locate = (path: readonly PropertyKey[]) => string;

const dotted: Locate = (path) => path.map(String).join(".");

/**
 * Where an issue is within an environment variable: the variable, then the list entry (counted
 * from 1) or the place inside its JSON ("FETCH_ALLOWED_PORTS entry 2", "RATE_LIMIT_OVERRIDES
 * at roles.admin.burst"), so that no line reads like a variable that does not exist.
 */
export const locateInVariable: Locate = (path) => {
  const [variable, ...inside] = path.map(String);
  if (inside.length === 0) return variable ?? "";
  if (inside.length === 1 && /^\d+$/.test(inside[0] ?? "")) return `${variable} entry ${Number(inside[0]) + 1}`;
  return `${variable} at ${inside.join(".")}`;
};

export interface IssueWording {
  /** Names the input when an issue is about all of it ("environment", "body"). */
  whole: string;
  /** What a key the schema does not know is called ("setting", "field"); "key" by default. */
  unknownNoun?: string;
  /** How a path is named; dotted keys by default. */
  locate?: Locate;
}

/** One line for one issue, "where: what". */
export function describeIssue(issue: z.core.$ZodIssue, wording: IssueWording): string {
  const { whole, unknownNoun = "key", locate = dotted } = wording;
  if (issue.code === "unrecognized_keys" && issue.path.length === 0) return describeProblem(issue, unknownNoun);
  return `${issue.path.length > 0 ? locate(issue.path) : whole}: ${describeProblem(issue, unknownNoun)}`;
}

export function describeIssues(error: z.ZodError, wording: IssueWording | string): string[] {
  const options = typeof wording === "string" ? { whole: wording } : wording;
  return error.issues.map((issue) => describeIssue(issue, options));
}
