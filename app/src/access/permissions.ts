// The permission matrix: the least role each tool needs. The registry (mcp/registry.ts) enforces
// it for every tool; tools never check permissions themselves. A tool missing here cannot be
// registered.
import type { Role } from "./roles.js";

export const TOOL_PERMISSIONS = {
  whoami: "guest",
  search_nodes: "readonly",
  open_nodes: "readonly",
  read_graph: "readonly",
  read_file: "readonly",
  list_files: "readonly",
  create_entities: "operator",
  create_relations: "operator",
  add_observations: "operator",
  delete_entities: "operator",
  delete_relations: "operator",
  delete_observations: "operator",
  fetch_url: "operator",
  run_python: "operator",
  graph_query: "admin",
  security_stats: "admin",
  audit_search: "admin",
} as const satisfies Record<string, Role>;

export type ToolName = keyof typeof TOOL_PERMISSIONS;

export function requiredRole(tool: string): Role | undefined {
  return Object.hasOwn(TOOL_PERMISSIONS, tool) ? TOOL_PERMISSIONS[tool as ToolName] : undefined;
}
