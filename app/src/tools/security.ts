// security_stats (admin): the shared revocation and lockout state, and this replica's view of it.
import { z } from "zod";
import type { SecurityState } from "../auth/security-state.js";
import { defineTool, textResult, type ToolDefinition } from "../mcp/registry.js";
import type { SecurityStore } from "../store/security-store.js";

export function securityTools(store: SecurityStore, state: SecurityState): ToolDefinition[] {
  return [
    defineTool({
      name: "security_stats",
      title: "Security statistics",
      description: "Counts of active revocations, revoke-alls and lockouts, and the freshness of this replica's copy.",
      inputSchema: z.object({}).strict(),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async () =>
        textResult({
          store: await store.stats(),
          replica: { ...state.counts, stalenessMs: state.stalenessMs, syncFailures: state.syncFailures },
        }),
    }),
  ];
}
