// The knowledge-graph tools. Each runs in the caller's tenant (from the token), never one named
// in the arguments: there is no argument that could reach another tenant's data.
import { z } from "zod";
import { assertReadOnlyCypher, CypherRefusedError } from "../guards/cypher.js";
import { defineTool, errorResult, textResult, type ToolDefinition } from "../mcp/registry.js";
import type { GraphStore } from "../store/graph-store.js";

const name = z.string().trim().min(1).max(256);
const observation = z.string().min(1).max(4096);
const MAX_ITEMS = 100;

function distinct<T>(key: (item: T) => string) {
  return (items: T[]) => new Set(items.map(key)).size === items.length;
}

const entity = z
  .object({ name, entityType: name, observations: z.array(observation).max(MAX_ITEMS).default([]) })
  .strict();
const relation = z.object({ from: name, to: name, relationType: name }).strict();
const relations = z.array(relation).min(1).max(MAX_ITEMS);
const names = z.array(name).min(1).max(MAX_ITEMS);

const writes = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;
const deletes = { readOnlyHint: false, destructiveHint: true, openWorldHint: false } as const;
const reads = { readOnlyHint: true, openWorldHint: false } as const;

export function graphTools(store: GraphStore): ToolDefinition[] {
  return [
    defineTool({
      name: "create_entities",
      title: "Create entities",
      description:
        "Creates entities (name, type, observations) in your tenant's knowledge graph; existing names are left as they are.",
      inputSchema: z
        .object({
          entities: z
            .array(entity)
            .min(1)
            .max(MAX_ITEMS)
            .refine(
              distinct((e: { name: string }) => e.name),
              "entity names must be distinct",
            ),
        })
        .strict(),
      annotations: writes,
      handler: async ({ entities }, { principal }) =>
        textResult({ created: await store.createEntities(principal.tenant, entities) }),
    }),
    defineTool({
      name: "create_relations",
      title: "Create relations",
      description: "Creates directed relations between existing entities; relation types are written in active voice.",
      inputSchema: z.object({ relations }).strict(),
      annotations: writes,
      handler: async (args, { principal }) =>
        textResult({ created: await store.createRelations(principal.tenant, args.relations) }),
    }),
    defineTool({
      name: "add_observations",
      title: "Add observations",
      description: "Adds observations to existing entities; observations already present are skipped.",
      inputSchema: z
        .object({
          observations: z
            .array(z.object({ entityName: name, contents: z.array(observation).min(1).max(MAX_ITEMS) }).strict())
            .min(1)
            .max(MAX_ITEMS),
        })
        .strict(),
      annotations: writes,
      handler: async ({ observations }, { principal }) =>
        textResult({ results: await store.addObservations(principal.tenant, observations) }),
    }),
    defineTool({
      name: "delete_entities",
      title: "Delete entities",
      description: "Deletes entities and their relations.",
      inputSchema: z.object({ entityNames: names }).strict(),
      annotations: deletes,
      handler: async ({ entityNames }, { principal }) =>
        textResult({ deleted: await store.deleteEntities(principal.tenant, entityNames) }),
    }),
    defineTool({
      name: "delete_observations",
      title: "Delete observations",
      description: "Removes the given observations from entities.",
      inputSchema: z
        .object({
          deletions: z
            .array(z.object({ entityName: name, observations: z.array(observation).min(1).max(MAX_ITEMS) }).strict())
            .min(1)
            .max(MAX_ITEMS),
        })
        .strict(),
      annotations: deletes,
      handler: async ({ deletions }, { principal }) =>
        textResult({ entitiesChanged: await store.deleteObservations(principal.tenant, deletions) }),
    }),
    defineTool({
      name: "delete_relations",
      title: "Delete relations",
      description: "Deletes the given relations.",
      inputSchema: z.object({ relations }).strict(),
      annotations: deletes,
      handler: async (args, { principal }) =>
        textResult({ deleted: await store.deleteRelations(principal.tenant, args.relations) }),
    }),
    defineTool({
      name: "search_nodes",
      title: "Search nodes",
      description:
        "Entities whose name, type or an observation contains the text (case-insensitive), with the relations among them.",
      inputSchema: z
        .object({ query: z.string().min(1).max(256), limit: z.number().int().min(1).max(200).default(50) })
        .strict(),
      annotations: reads,
      handler: async ({ query, limit }, { principal }) =>
        textResult(await store.searchNodes(principal.tenant, query, limit)),
    }),
    defineTool({
      name: "open_nodes",
      title: "Open nodes",
      description: "The named entities and the relations among them.",
      inputSchema: z.object({ names }).strict(),
      annotations: reads,
      handler: async (args, { principal }) => textResult(await store.openNodes(principal.tenant, args.names)),
    }),
    defineTool({
      name: "read_graph",
      title: "Read the graph",
      description: "Your tenant's graph one page at a time, in name order; pass nextCursor back for the next page.",
      inputSchema: z.object({ cursor: name.optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
      annotations: reads,
      handler: async ({ cursor, limit }, { principal }) =>
        textResult(await store.readGraph(principal.tenant, cursor, limit)),
    }),
  ];
}

export function graphQueryTool(
  run: (query: string, params: Record<string, unknown>) => Promise<unknown>,
): ToolDefinition {
  return defineTool({
    name: "graph_query",
    title: "Read-only Cypher",
    description:
      "Runs a read-only Cypher query with parameters (admin). Writes, schema and DBMS administration, file loading and non-allowlisted procedures are refused.",
    inputSchema: z
      .object({
        query: z.string().min(1).max(10_000),
        params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.json()).default({}),
      })
      .strict(),
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ query, params }) => {
      try {
        assertReadOnlyCypher(query);
      } catch (error) {
        if (error instanceof CypherRefusedError) return errorResult(error.message);
        throw error;
      }
      return textResult(await run(query, params as Record<string, unknown>));
    },
  });
}
