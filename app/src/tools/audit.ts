// audit_search (admin): the audit trail by principal, tool, kind, decision and time range.
import { z } from "zod";
import { defineTool, textResult, type ToolDefinition } from "../mcp/registry.js";
import { AUDIT_DECISIONS, AUDIT_KINDS, type AuditStore } from "../store/audit-store.js";

const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));

export function auditTools(store: AuditStore): ToolDefinition[] {
  return [
    defineTool({
      name: "audit_search",
      title: "Search the audit trail",
      description:
        "Audit events, newest first, filtered by principal, tool, kind, decision and an ISO-8601 time range.",
      inputSchema: z
        .object({
          principal: z.string().min(1).max(256).optional(),
          tool: z.string().min(1).max(128).optional(),
          kind: z.enum(AUDIT_KINDS).optional(),
          decision: z.enum(AUDIT_DECISIONS).optional(),
          from: instant.optional(),
          to: instant.optional(),
          limit: z.number().int().min(1).max(500).default(50),
        })
        .strict()
        .refine((query) => query.from === undefined || query.to === undefined || query.from < query.to, {
          message: "from must be before to",
          path: ["from"],
        }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async (query) => {
        const events = await store.search(query);
        return textResult({ count: events.length, events });
      },
    }),
  ];
}
