// How the tests talk to a server, whichever tier serves it: a real socket (harness.ts) or
// fastify's inject (fast-server.ts). Both answer with a web-standard Response, so one test
// body asserts the same things against either.
import type { Config } from "../../src/config.js";
import type { MintRequest, SigningKey, TestKeys } from "./identity.js";

export interface ClientRequest {
  method?: string;
  /** Path and query, such as /mcp or /auth/revoke. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client's source address (a loopback address of its own); absent: 127.0.0.1. */
  from?: string;
}

export interface TestTarget {
  readonly config: Config;
  readonly keys: TestKeys;
  /** Every log line the server wrote, as raw JSON text. */
  readonly logs: string[];
  send(request: ClientRequest): Promise<Response>;
  mint(options: MintRequest, key?: SigningKey): Promise<string>;
}

export const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** A JSON-RPC tools/call over plain HTTP, the way any client sends it. */
export function toolCallBody(name: string, args: Record<string, unknown> = {}, id = 1): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
}

export function callTool(
  target: TestTarget,
  token: string | undefined,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Response> {
  return target.send({
    method: "POST",
    path: "/mcp",
    headers: { ...MCP_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: toolCallBody(name, args),
  });
}

export function uniqueSub(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * A loopback source address of its own (127.x.y.z) for a test whose failures are counted per
 * client address, so that they never lock out the other tests, which all come from 127.0.0.1.
 */
export function privateLoopbackAddress(): string {
  const octet = () => 1 + Math.floor(Math.random() * 250);
  return `127.${octet()}.${octet()}.${octet()}`;
}
