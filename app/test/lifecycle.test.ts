// Shutdown drains what is in flight before the Neo4j driver closes; oversized bodies are refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { callTool, MCP_HEADERS, startTestServer, uniqueSub } from "./support/harness.js";

test("close() lets an in-flight tool call finish, then refuses new connections", async () => {
  const server = await startTestServer();
  const admin = await server.mint({ sub: uniqueSub("drain"), roles: ["admin"] });
  const slow = callTool(server, admin, "graph_query", { query: "UNWIND range(1, 4000000) AS i RETURN count(i) AS n" });
  await new Promise((resolve) => setTimeout(resolve, 150)); // the query is running in Neo4j now
  const closed = server.close();
  const response = await slow;
  assert.equal(response.status, 200);
  const { result } = (await response.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
  assert.notEqual(result.isError, true, result.content[0]?.text);
  assert.deepEqual(JSON.parse(result.content[0]?.text ?? "{}").rows, [{ n: 4000000 }]);
  await closed;
  await assert.rejects(fetch(`${server.baseUrl}/healthz`), "the port is closed after shutdown");
});

test("a body over 1 MiB is refused with 413 before any tool runs", async () => {
  const server = await startTestServer();
  try {
    const token = await server.mint({ sub: uniqueSub("big-body"), roles: ["operator"] });
    const response = await fetch(server.mcpUrl, {
      method: "POST",
      headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "whoami", arguments: { pad: "x".repeat(2 * 1024 * 1024) } },
      }),
    });
    assert.equal(response.status, 413);
  } finally {
    await server.close();
  }
});
