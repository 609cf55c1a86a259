// Every cell of the role x tool matrix, written out by hand so that a change to the matrix in
// the code shows up here as a failing cell rather than passing silently.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ROLES, type Role } from "../src/access/roles.js";
import { TOOL_PERMISSIONS } from "../src/access/permissions.js";
import { callTool, MCP_HEADERS, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

const READ = { guest: false, readonly: true, operator: true, admin: true };
const WRITE = { guest: false, readonly: false, operator: true, admin: true };
const EXPECTED: Record<string, Record<Role, boolean>> = {
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
const ARGS: Record<string, Record<string, unknown>> = {
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

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function listTools(token: string): Promise<string[]> {
  const response = await fetch(server.mcpUrl, {
    method: "POST",
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { result: { tools: Array<{ name: string }> } };
  return body.result.tools.map((tool) => tool.name).sort();
}

describe("permission matrix", () => {
  test("the expected table covers exactly the tools the server has", () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), Object.keys(TOOL_PERMISSIONS).sort());
  });

  for (const role of ROLES) {
    test(`${role}: tools/list shows only what ${role} may call`, async () => {
      const token = await server.mint({ sub: uniqueSub(role), roles: [role] });
      const expected = Object.entries(EXPECTED)
        .filter(([, cells]) => cells[role])
        .map(([tool]) => tool)
        .sort();
      assert.deepEqual(await listTools(token), expected);
    });

    for (const [tool, cells] of Object.entries(EXPECTED)) {
      test(`${role} x ${tool}: ${cells[role] ? "allowed" : "refused with 403 insufficient_scope and audited"}`, async () => {
        const sub = uniqueSub(`${role}-${tool}`);
        // Each cell in a tenant of its own, so cells never see each other's data.
        const token = await server.mint({ sub, roles: [role], extraClaims: { tenant: sub } });
        const response = await callTool(server, token, tool, ARGS[tool]);
        if (cells[role]) {
          assert.equal(response.status, 200);
          const body = (await response.json()) as { result?: { isError?: boolean; content: Array<{ text: string }> } };
          if (tool === "fetch_url") assert.match(body.result?.content[0]?.text ?? "", /^blocked: loopback/);
          else if (tool === "read_file") assert.match(body.result?.content[0]?.text ?? "", /^blocked: no such file/);
          else assert.notEqual(body.result?.isError, true);
          return;
        }
        assert.equal(response.status, 403);
        const needed = cells.readonly ? "readonly" : cells.operator ? "operator" : "admin";
        assert.match(
          response.headers.get("www-authenticate") ?? "",
          new RegExp(`error="insufficient_scope", scope="mcp:${needed}"`),
        );
        await server.server.app.auditor.flush();
        const { records } = await server.server.driver.executeQuery(
          "MATCH (e:AuditEvent {kind: 'tool_call', principal: $sub, tool: $tool}) RETURN e.decision AS decision, e.reason AS reason",
          { sub, tool },
        );
        assert.deepEqual(
          records.map((record) => [record.get("decision"), record.get("reason")]),
          [["deny", "insufficient_scope"]],
        );
      });
    }
  }

  test("the highest of several roles counts; unknown role names are ignored", async () => {
    const token = await server.mint({ sub: uniqueSub("multi"), roles: ["guest", "nonsense", "admin"] });
    assert.deepEqual(await listTools(token), Object.keys(EXPECTED).sort());
  });

  test("an unknown tool is refused and audited", async () => {
    const sub = uniqueSub("unknown");
    const token = await server.mint({ sub, roles: ["admin"] });
    const response = await callTool(server, token, "drop_database");
    const body = (await response.json()) as { error?: { message: string } };
    assert.match(body.error?.message ?? "", /unknown tool/);
    await server.server.app.auditor.flush();
    const { records } = await server.server.driver.executeQuery(
      "MATCH (e:AuditEvent {principal: $sub, tool: 'drop_database'}) RETURN e.reason AS reason",
      { sub },
    );
    assert.equal(records[0]?.get("reason"), "unknown_tool");
  });

  test("a batch hiding a forbidden call behind an allowed one is refused whole", async () => {
    const token = await server.mint({ sub: uniqueSub("batch"), roles: ["guest"] });
    const response = await fetch(server.mcpUrl, {
      method: "POST",
      headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "security_stats", arguments: {} } },
      ]),
    });
    assert.equal(response.status, 403);
  });

  test("arguments a tool does not declare are refused", async () => {
    const token = await server.mint({ sub: uniqueSub("args"), roles: ["guest"] });
    const response = await callTool(server, token, "whoami", { sub: "someone-else" });
    const body = (await response.json()) as { result: { isError: boolean; content: Array<{ text: string }> } };
    assert.equal(body.result.isError, true);
    assert.match(body.result.content[0]?.text ?? "", /invalid arguments/);
  });
});
