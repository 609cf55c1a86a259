// Both generations of the official MCP client connect over Streamable HTTP, list tools and call one.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

function textOf(result: unknown): string {
  const [first] = ((result as { content?: unknown }).content ?? []) as Array<{ type: string; text?: string }>;
  assert.equal(first?.type, "text");
  return first.text ?? "";
}

interface Generation {
  name: string;
  connect(url: URL, token: string): Promise<{
    listTools(): Promise<{ tools: Array<{ name: string }> }>;
    callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
    getServerVersion(): { name: string } | undefined;
    close(): Promise<void>;
  }>;
}

const generations: Generation[] = [
  {
    name: "v1 client (@modelcontextprotocol/sdk)",
    connect: async (url, token) => {
      const client = new ClientV1({ name: "bastion-test-v1", version: "1.0.0" });
      await client.connect(new TransportV1(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return client;
    },
  },
  {
    name: "v2 client (@modelcontextprotocol/client)",
    connect: async (url, token) => {
      const client = new ClientV2({ name: "bastion-test-v2", version: "2.0.0" });
      await client.connect(new TransportV2(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return client;
    },
  },
];

describe("official MCP clients", () => {
  for (const generation of generations) {
    test(`${generation.name}: initialize, list tools by role, call tools`, async () => {
      const graph = ["add_observations", "create_entities", "create_relations", "delete_entities", "delete_observations", "delete_relations", "fetch_url", "list_files", "open_nodes", "read_file", "read_graph", "run_python", "search_nodes"];
      for (const [role, expectedTools] of [
        ["operator", [...graph, "whoami"].sort()],
        ["admin", [...graph, "audit_search", "graph_query", "security_stats", "whoami"].sort()],
      ] as const) {
        const sub = uniqueSub(role);
        const client = await generation.connect(new URL(server.mcpUrl), await server.mint({ sub, roles: [role] }));
        try {
          assert.equal(client.getServerVersion()?.name, "mcp-bastion");
          const { tools } = await client.listTools();
          assert.deepEqual(tools.map((tool) => tool.name).sort(), expectedTools);
          const whoami = JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })));
          assert.deepEqual({ sub: whoami.sub, role: whoami.role }, { sub, role });
          if (role === "admin") {
            const stats = JSON.parse(textOf(await client.callTool({ name: "security_stats", arguments: {} })));
            assert.equal(typeof stats.store.activeRevocations, "number");
          }
        } finally {
          await client.close();
        }
      }
    });
  }

  test("a client without a token is refused before it can initialize", async () => {
    const client = new ClientV1({ name: "anonymous", version: "1.0.0" });
    await assert.rejects(client.connect(new TransportV1(new URL(server.mcpUrl))), (error: { code?: number; message: string }) => {
      assert.equal(error.code, 401);
      assert.match(error.message, /missing_token/);
      return true;
    });
  });

  test("no session id is issued, so none can stand in for a token", async () => {
    const token = await server.mint({ sub: uniqueSub("session"), roles: ["guest"] });
    const response = await fetch(server.mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("mcp-session-id"), null);
    const replay = await fetch(server.mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": "anything" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    assert.equal(replay.status, 401);
  });
});
