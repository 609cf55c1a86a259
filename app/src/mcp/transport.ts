// The /mcp endpoint: Streamable HTTP, stateless. Each POST gets its own protocol server bound
// to the caller that authenticated it, so there is no session id that could stand in for a token.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../auth/authenticator.js";
import { ToolPermissionError, UnknownToolError, type ToolRegistry } from "./registry.js";
import type { RequestGuard } from "./request-guard.js";

export const SERVER_INFO = { name: "mcp-bastion", version: "0.1.0" };

// Every protocol server would otherwise build its own Ajv instance, the largest single cost of
// a stateless request; the validator holds no per-caller state, so one serves them all.
const SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();

function createProtocolServer(registry: ToolRegistry, principal: Principal): Server {
  const server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: false } }, jsonSchemaValidator: SCHEMA_VALIDATOR });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: registry.listFor(principal.role) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    try {
      return await registry.call(request.params.name, request.params.arguments, { principal, signal: extra.signal });
    } catch (error) {
      if (error instanceof UnknownToolError) throw new McpError(ErrorCode.InvalidParams, error.message);
      if (error instanceof ToolPermissionError) throw new McpError(ErrorCode.InvalidRequest, "insufficient scope");
      throw error;
    }
  });
  return server;
}

export function mountMcp(
  app: FastifyInstance,
  registry: ToolRegistry,
  principalOf: (request: FastifyRequest) => Principal,
  guard: RequestGuard,
): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = principalOf(request);
    const done = guard(principal, request.method === "POST" ? request.body : undefined);
    const server = createProtocolServer(registry, principal);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.raw.on("close", () => {
      done();
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // Headers set through fastify so far (the security headers) must reach the raw response.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value as string | string[]);
    }
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
  };
  app.post("/mcp", handle);
  app.get("/mcp", handle);
  app.delete("/mcp", handle);
}
