// Both generations of the official MCP client connect over Streamable HTTP, list tools and call
// one: the v2 client on the 2026-07-28 revision, the v1 client on the 2025 revision it knows.
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
  /** The protocol revision this client generation must end up speaking. */
  revision: string;
  connect(
    url: URL,
    token: string,
  ): Promise<{
    protocolVersion(): string | undefined;
    listTools(): Promise<{ tools: Array<{ name: string }> }>;
    callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
    getServerVersion(): { name: string } | undefined;
    close(): Promise<void>;
  }>;
}

const generations: Generation[] = [
  {
    name: "v1 client (@modelcontextprotocol/sdk)",
    revision: "2025-11-25",
    connect: async (url, token) => {
      const client = new ClientV1({ name: "bastion-test-v1", version: "1.0.0" });
      const transport = new TransportV1(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } });
      await client.connect(transport);
      return Object.assign(client, { protocolVersion: () => transport.protocolVersion });
    },
  },
  {
    name: "v2 client (@modelcontextprotocol/client) negotiating the current revision",
    revision: "2026-07-28",
    connect: async (url, token) => {
      const client = new ClientV2(
        { name: "bastion-test-v2", version: "2.0.0" },
        { versionNegotiation: { mode: "auto" } },
      );
      await client.connect(new TransportV2(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return Object.assign(client, { protocolVersion: () => client.getNegotiatedProtocolVersion() });
    },
  },
  {
    // The v2 client's default is the 2025 handshake; the server answers it statelessly.
    name: "v2 client (@modelcontextprotocol/client) with its default, the 2025 handshake",
    revision: "2025-11-25",
    connect: async (url, token) => {
      const client = new ClientV2({ name: "bastion-test-v2", version: "2.0.0" });
      await client.connect(new TransportV2(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return Object.assign(client, { protocolVersion: () => client.getNegotiatedProtocolVersion() });
    },
  },
];

describe("official MCP clients", () => {
  for (const generation of generations) {
    test(`${generation.name}: initialize, list tools by role, call tools`, async () => {
      const graph = [
        "add_observations",
        "create_entities",
        "create_relations",
        "delete_entities",
        "delete_observations",
        "delete_relations",
        "fetch_url",
        "list_files",
        "open_nodes",
        "read_file",
        "read_graph",
        "run_python",
        "search_nodes",
      ];
      for (const [role, expectedTools] of [
        ["operator", [...graph, "whoami"].sort()],
        ["admin", [...graph, "audit_search", "graph_query", "security_stats", "whoami"].sort()],
      ] as const) {
        const sub = uniqueSub(role);
        const client = await generation.connect(new URL(server.mcpUrl), await server.mint({ sub, roles: [role] }));
        try {
          assert.equal(client.getServerVersion()?.name, "mcp-bastion");
          assert.equal(client.protocolVersion(), generation.revision);
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

  test("v2 client on the current revision: a tool above its role is refused with the step-up 403", async () => {
    const client = new ClientV2(
      { name: "bastion-test-v2", version: "2.0.0" },
      { versionNegotiation: { mode: "auto" } },
    );
    await client.connect(
      new TransportV2(new URL(server.mcpUrl), {
        requestInit: {
          headers: { authorization: `Bearer ${await server.mint({ sub: uniqueSub("reader"), roles: ["readonly"] })}` },
        },
      }),
    );
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
      await assert.rejects(client.callTool({ name: "security_stats", arguments: {} }), (error: Error) => {
        // The client read the WWW-Authenticate challenge: the scope to ask the authorization server for.
        assert.match(error.message, /Insufficient scope: required "mcp:admin"/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test("GET and DELETE are refused with 405: there is no session to stream from or end", async () => {
    const token = await server.mint({ sub: uniqueSub("methods"), roles: ["guest"] });
    for (const method of ["GET", "DELETE"]) {
      const response = await fetch(server.mcpUrl, {
        method,
        headers: { accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get("allow"), "POST");
    }
  });

  test("a client without a token is refused before it can initialize", async () => {
    const client = new ClientV1({ name: "anonymous", version: "1.0.0" });
    await assert.rejects(
      client.connect(new TransportV1(new URL(server.mcpUrl))),
      (error: { code?: number; message: string }) => {
        assert.equal(error.code, 401);
        assert.match(error.message, /missing_token/);
        return true;
      },
    );
  });

  test("no session id is issued, so none can stand in for a token", async () => {
    const token = await server.mint({ sub: uniqueSub("session"), roles: ["guest"] });
    const response = await fetch(server.mcpUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("mcp-session-id"), null);
    const replay = await fetch(server.mcpUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": "anything",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    assert.equal(replay.status, 401);
  });
});
