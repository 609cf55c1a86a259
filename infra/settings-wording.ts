// Settings problems in the words of the settings, not of the validator: "must be at least 2",
// "is required", never "Too small: expected number to be >=2". The wording is the server's own
// (app/src/validation.ts), so the stack file and the server's environment are told alike.
import type { z } from "zod";
import { describeIssue as describeSettingIssue } from "../app/src/validation.js";

/** One line for one validation issue of a setting. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  return describeSettingIssue(issue, { whole: "stack config", unknownNoun: "setting" });
}
