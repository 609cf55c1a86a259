// Settings problems in the words of the settings, not of the validator: "must be at least 2",
// "is required", never "Too small: expected number to be >=2".
import type { z } from "zod";

const STOCK_WORDING = /^(Too small|Too big|Invalid input|Invalid option|Invalid value|Invalid number|Unrecognized key)/;

/** One line for one validation issue of a setting. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.join(".") : "stack config";
  // A message the schema wrote itself is kept; only the validator's stock wording is replaced.
  if (issue.code !== "unrecognized_keys" && !STOCK_WORDING.test(issue.message)) return `${key}: ${issue.message}`;
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown setting(s) ${issue.keys.join(", ")}`;
    case "invalid_type":
      return issue.input === undefined ? `${key}: is required` : `${key}: must be a ${issue.expected}`;
    case "too_small":
      return `${key}: must be ${issue.inclusive === false ? "more than" : "at least"} ${String(issue.minimum)}${issue.origin === "string" ? " characters long" : issue.origin === "array" ? " entries" : ""}`;
    case "too_big":
      return `${key}: must be ${issue.inclusive === false ? "less than" : "at most"} ${String(issue.maximum)}${issue.origin === "string" ? " characters long" : issue.origin === "array" ? " entries" : ""}`;
    case "invalid_value":
      return `${key}: must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "not_multiple_of":
      return `${key}: must be a whole number`;
    default:
      return `${key}: ${issue.message}`;
  }
}
