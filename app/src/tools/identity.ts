// whoami: who the server thinks the caller is. Useful to check a token end to end.
import { z } from "zod";
import { defineTool, textResult } from "../mcp/registry.js";

export const whoamiTool = defineTool({
  name: "whoami",
  title: "Who am I",
  description: "Returns the caller's subject, role and token expiry as the server sees them.",
  inputSchema: z.object({}).strict(),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (_args, { principal }) =>
    textResult({
      sub: principal.sub,
      role: principal.role,
      expiresAt: new Date(principal.token.exp * 1000).toISOString(),
    }),
});
