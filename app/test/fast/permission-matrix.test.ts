// The role x tool matrix, every refused cell and every role's tools/list, judged against the
// table written out by hand (support/permission-table.ts); the allowed cells run their tools on
// the real services (permission-matrix.test.ts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TOOL_PERMISSIONS } from "../../src/access/permissions.js";
import { ROLES } from "../../src/access/roles.js";
import { callTool, MCP_HEADERS, uniqueSub } from "../support/client.js";
import { startFastServer, type FastServer } from "../support/fast-server.js";
import { ARGS, EXPECTED, listTools, neededRole } from "../support/permission-table.js";

let server: FastServer;
before(async () => {
  server = await startFastServer();
});
after(() => server.close());

async function auditedCalls(sub: string, tool: string): Promise<Array<[string, string | undefined]>> {
  await server.app.auditor.flush();
  const events = await server.auditStore.search({ kind: "tool_call", principal: sub, tool, limit: 10 });
  return events.map((event) => [event.decision, event.reason]);
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
      assert.deepEqual(await listTools(server, token), expected);
    });

    for (const [tool, cells] of Object.entries(EXPECTED)) {
      if (cells[role]) continue;
      test(`${role} x ${tool}: refused with 403 insufficient_scope and audited`, async () => {
        const sub = uniqueSub(`${role}-${tool}`);
        const token = await server.mint({ sub, roles: [role], extraClaims: { tenant: sub } });
        const response = await callTool(server, token, tool, ARGS[tool]);
        assert.equal(response.status, 403);
        assert.match(
          response.headers.get("www-authenticate") ?? "",
          new RegExp(`error="insufficient_scope", scope="mcp:${neededRole(tool)}"`),
        );
        assert.deepEqual(await auditedCalls(sub, tool), [["deny", "insufficient_scope"]]);
      });
    }
  }

  test("the highest of several roles counts; unknown role names are ignored", async () => {
    const token = await server.mint({ sub: uniqueSub("multi"), roles: ["guest", "nonsense", "admin"] });
    assert.deepEqual(await listTools(server, token), Object.keys(EXPECTED).sort());
  });

  test("an unknown tool is refused and audited", async () => {
    const sub = uniqueSub("unknown");
    const token = await server.mint({ sub, roles: ["admin"] });
    const response = await callTool(server, token, "drop_database");
    const body = (await response.json()) as { error?: { message: string } };
    assert.match(body.error?.message ?? "", /unknown tool/);
    await server.app.auditor.flush();
    const events = await server.auditStore.search({ principal: sub, tool: "drop_database", limit: 10 });
    assert.equal(events[0]?.reason, "unknown_tool");
  });

  test("a batch hiding a forbidden call behind an allowed one is refused whole", async () => {
    const token = await server.mint({ sub: uniqueSub("batch"), roles: ["guest"] });
    const response = await server.send({
      method: "POST",
      path: "/mcp",
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
