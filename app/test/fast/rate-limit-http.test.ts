// Rate limits on the wire: per user and per tool, overridable per role and tool, 429 with
// Retry-After, and every refusal audited.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTool, MCP_HEADERS, uniqueSub } from "../support/client.js";
import { startFastServer, type FastServer } from "../support/fast-server.js";

let server: FastServer;
before(async () => {
  server = await startFastServer({
    RATE_LIMIT_PER_MINUTE: "60",
    RATE_LIMIT_BURST: "3",
    RATE_LIMIT_OVERRIDES: JSON.stringify({
      roles: { operator: { perMinute: 60, burst: 5 } },
      tools: { security_stats: { perMinute: 6, burst: 1 } },
    }),
  });
});
after(() => server.close());

async function listTools(token: string): Promise<number> {
  const response = await server.send({
    method: "POST",
    path: "/mcp",
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  return response.status;
}

describe("rate limits", () => {
  test("a user's burst per tool, then 429 with Retry-After, audited; other tools, requests and users are not affected", async () => {
    const sub = uniqueSub("burst");
    const token = await server.mint({ sub, roles: ["guest"] });
    for (let i = 1; i <= 3; i++) assert.equal((await callTool(server, token, "whoami")).status, 200, `call ${i}`);
    const refused = await callTool(server, token, "whoami");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.match(((await refused.json()) as { message: string }).message, /rate limit exceeded for tool whoami/);

    assert.equal(await listTools(token), 200, "a request that is no tool call has its own bucket");
    const other = await server.mint({ sub: uniqueSub("other"), roles: ["guest"] });
    assert.equal((await callTool(server, other, "whoami")).status, 200, "another user has their own bucket");

    await server.app.auditor.flush();
    const events = await server.auditStore.search({ kind: "rate_limit", principal: sub, limit: 10 });
    assert.deepEqual(
      events.map((event) => [event.tool, event.decision]),
      [["whoami", "deny"]],
    );

    await new Promise((resolve) => setTimeout(resolve, 1_050));
    assert.equal((await callTool(server, token, "whoami")).status, 200, "one more after a second");
  });

  test("a role override raises the burst; a tool override wins over the role", async () => {
    const operator = await server.mint({ sub: uniqueSub("operator"), roles: ["operator"] });
    for (let i = 1; i <= 5; i++) assert.equal((await callTool(server, operator, "whoami")).status, 200, `call ${i}`);
    assert.equal((await callTool(server, operator, "whoami")).status, 429);

    const admin = await server.mint({ sub: uniqueSub("admin"), roles: ["admin"] });
    assert.equal((await callTool(server, admin, "security_stats")).status, 200);
    const refused = await callTool(server, admin, "security_stats");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "10");
  });

  test("a batch counts every message", async () => {
    const token = await server.mint({ sub: uniqueSub("batch"), roles: ["guest"] });
    const call = (id: number) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "whoami", arguments: {} },
    });
    const response = await server.send({
      method: "POST",
      path: "/mcp",
      headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
      body: JSON.stringify([call(1), call(2), call(3), call(4)]),
    });
    assert.equal(response.status, 429);
  });
});
