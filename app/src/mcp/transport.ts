// The /mcp endpoint on the v2 server SDK. A request of the 2026-07-28 revision (it carries the
// per-request _meta envelope) goes to createMcpHandler; a 2025-era request (initialize, then
// plain JSON-RPC) to a stateless Streamable HTTP transport answering in JSON. Either way each
// request gets a protocol server bound to the caller that authenticated it, so there is no
// session id that could stand in for a token.
import {
  createMcpHandler,
  isLegacyRequest,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
} from "@modelcontextprotocol/server";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../auth/authenticator.js";
import { scopeOf } from "../access/roles.js";
import { ToolPermissionError, UnknownToolError, type ToolRegistry } from "./registry.js";
import type { RequestGuard } from "./request-guard.js";

export const SERVER_INFO = { name: "mcp-bastion", version: "0.1.0" };

// Every protocol server would otherwise build its own Ajv instance, the largest single cost of
// a per-request server; the validator holds no per-caller state, so one serves them all.
const SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();

/** The authenticated caller travels to the server factory inside the SDK's AuthInfo. */
function authInfoOf(principal: Principal, token: string): AuthInfo {
  return {
    token,
    clientId: principal.sub,
    scopes: [scopeOf(principal.role)],
    expiresAt: principal.token.exp,
    extra: { principal },
  };
}

function principalOf(authInfo: AuthInfo | undefined): Principal {
  const principal = authInfo?.extra?.principal as Principal | undefined;
  // The transport is mounted behind authentication; a request without a caller is a wiring bug.
  if (principal === undefined) throw new Error("an MCP request reached the protocol server without a caller");
  return principal;
}

function createProtocolServer(registry: ToolRegistry, principal: Principal): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    jsonSchemaValidator: SCHEMA_VALIDATOR,
  });
  server.setRequestHandler("tools/list", async () => ({ tools: registry.listFor(principal.role) }));
  server.setRequestHandler("tools/call", async (request, ctx) => {
    try {
      return await registry.call(request.params.name, request.params.arguments, {
        principal,
        signal: ctx.mcpReq.signal,
      });
    } catch (error) {
      if (error instanceof UnknownToolError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
      if (error instanceof ToolPermissionError)
        throw new ProtocolError(ProtocolErrorCode.InvalidRequest, "insufficient scope");
      throw error;
    }
  });
  return server;
}

/** Serves 2025-era requests: one stateless transport per request, JSON answers. */
async function serveLegacy(
  server: Server,
  request: Request,
  options: { authInfo: AuthInfo; parsedBody: unknown },
): Promise<Response> {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, options);
  } finally {
    void transport.close();
    void server.close();
  }
}

/** The fastify request as the web-standard Request the SDK serves; aborted when the client goes. */
function webRequest(request: FastifyRequest, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  // The URL's origin is never read by the SDK's serving path; a fixed one keeps header text (a
  // forwarded host) out of URL parsing.
  return new Request(new URL(request.url, "http://mcp.internal"), { method: request.method, headers, signal });
}

export function mountMcp(
  app: FastifyInstance,
  registry: ToolRegistry,
  callerOf: (request: FastifyRequest) => Principal,
  guard: RequestGuard,
): void {
  const factory = ({ authInfo }: { authInfo?: AuthInfo }) => createProtocolServer(registry, principalOf(authInfo));
  const modern = createMcpHandler(factory, {
    legacy: "reject",
    responseMode: "auto",
    onerror: (error) => app.log.debug({ err: error }, "mcp request refused by the protocol layer"),
  });
  app.addHook("onClose", async () => modern.close());

  app.post("/mcp", async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = callerOf(request);
    const done = await guard(principal, request.body);
    const aborted = new AbortController();
    reply.raw.on("close", () => {
      done();
      aborted.abort();
    });
    const web = webRequest(request, aborted.signal);
    const options = { authInfo: authInfoOf(principal, request.headers.authorization ?? ""), parsedBody: request.body };
    const response = (await isLegacyRequest(web, request.body))
      ? await serveLegacy(factory(options), web, options)
      : await modern.fetch(web, options);
    return reply.send(response);
  });
  // Stateless: there is no session to open a stream on (GET) or to end (DELETE).
  const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(405)
      .header("allow", "POST")
      .send({
        jsonrpc: "2.0",
        id: null,
        error: {
          code: ProtocolErrorCode.InvalidRequest,
          message: "Method not allowed: this endpoint is stateless; POST JSON-RPC messages",
        },
      });
  app.get("/mcp", notAllowed);
  app.delete("/mcp", notAllowed);
}
