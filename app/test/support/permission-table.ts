// The role x tool matrix as the tests expect it, every cell written out by hand so that a change
// to the matrix in the code shows up as a failing cell rather than passing silently; both tiers
// judge the server by it (fast/permission-matrix.test.ts the refusals, permission-matrix.test.ts
// the allowed cells' tools running on the real services).
import type { Role } from "../../src/access/roles.js";
import { MCP_HEADERS, type TestTarget } from "./client.js";

const READ = { guest: false, readonly: true, operator: true, admin: true };
const WRITE = { guest: false, readonly: false, operator: true, admin: true };
export const EXPECTED: Record<string, Record<Role, boolean>> = {
  whoami: { guest: true, readonly: true, operator: true, admin: true },
  search_nodes: READ,
  open_nodes: READ,
  read_graph: READ,
  read_file: READ,
  list_files: READ,
  create_entities: WRITE,
  create_relations: WRITE,
  add_observations: WRITE,
  delete_entities: WRITE,
  delete_relations: WRITE,
  delete_observations: WRITE,
  fetch_url: WRITE,
  run_python: WRITE,
  security_stats: { guest: false, readonly: false, operator: false, admin: true },
  graph_query: { guest: false, readonly: false, operator: false, admin: true },
  audit_search: { guest: false, readonly: false, operator: false, admin: true },
};

/** Valid arguments per tool, so an allowed cell really runs the tool. */
export const ARGS: Record<string, Record<string, unknown>> = {
  search_nodes: { query: "x" },
  graph_query: { query: "RETURN 1 AS one" },
  read_file: { path: "nothing.txt" },
  // No network in tests: a refused target still shows the tool ran for this role.
  fetch_url: { url: "http://127.0.0.1/" },
  run_python: { code: "print(6 * 7)" },
  open_nodes: { names: ["x"] },
  create_entities: { entities: [{ name: "matrix-entity", entityType: "test" }] },
  create_relations: { relations: [{ from: "a", to: "b", relationType: "knows" }] },
  add_observations: { observations: [{ entityName: "a", contents: ["o"] }] },
  delete_entities: { entityNames: ["nothing-here"] },
  delete_relations: { relations: [{ from: "a", to: "b", relationType: "knows" }] },
  delete_observations: { deletions: [{ entityName: "a", observations: ["o"] }] },
};

/** The least role that may call `tool`: the scope a 403 names. */
export function neededRole(tool: string): Role {
  const cells = EXPECTED[tool];
  if (!cells) throw new Error(`no expected cells for ${tool}`);
  return cells.guest ? "guest" : cells.readonly ? "readonly" : cells.operator ? "operator" : "admin";
}

export async function listTools(target: TestTarget, token: string): Promise<string[]> {
  const response = await target.send({
    method: "POST",
    path: "/mcp",
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  if (response.status !== 200) throw new Error(`tools/list answered ${response.status}`);
  const body = (await response.json()) as { result: { tools: Array<{ name: string }> } };
  return body.result.tools.map((tool) => tool.name).sort();
}
