// How a schema failure is told: one "where: what" line per problem, so a message names the
// setting, body field or argument that is wrong.
import type { z } from "zod";

export function describeIssues(error: z.ZodError, whole: string): string[] {
  return error.issues.map((issue) => `${issue.path.join(".") || whole}: ${issue.message}`);
}
