// Starts the real server (real Neo4j from the test run, real jose keys) on a loopback port, with
// its log lines captured, and mints tokens for it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { request as httpRequest } from "node:http";
import { composeServer, type ComposedServer } from "../../src/compose.js";
import { loadConfig } from "../../src/config.js";
import type { Resolver } from "../../src/tools/fetch.js";
import { freePort } from "../../../scripts/dev-services/service-process.js";
import type { ClientRequest, TestTarget } from "./client.js";
import { capturedLogger, minterFor, TEST_ISSUER, testKeys, writeJwks, type TestKeys } from "./identity.js";

export { callTool, MCP_HEADERS, privateLoopbackAddress, toolCallBody, uniqueSub, type TestTarget } from "./client.js";
export { TEST_ISSUER, type SigningKey } from "./identity.js";

export interface TestServer extends TestTarget {
  readonly baseUrl: string;
  readonly mcpUrl: string;
  readonly server: ComposedServer;
  close(): Promise<void>;
}

/** Starts a server; `env` overrides settings (LOCKOUT_*, SECURITY_* ...). */
export async function startTestServer(
  env: Record<string, string | undefined> = {},
  shared?: { keys?: TestKeys; port?: number; resolve?: Resolver },
): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-app-"));
  const keys = shared?.keys ?? (await testKeys());
  const jwksFile = await writeJwks(dir, keys);
  const port = await freePort();
  const scheme = env.MCP_TLS_CERT_FILE ? "https" : "http";
  const baseUrl = `${scheme}://127.0.0.1:${port}`;
  // Every replica of one deployment shares the resource URL, whatever port it listens on.
  const resourceUrl = shared?.port ? `${scheme}://127.0.0.1:${shared.port}/mcp` : `${baseUrl}/mcp`;
  const config = await loadConfig({
    NODE_ENV: "test",
    MCP_HOST: "127.0.0.1",
    MCP_PORT: String(port),
    MCP_RESOURCE_URL: resourceUrl,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_JWKS_FILE: jwksFile,
    NEO4J_URI: process.env.NEO4J_URI,
    NEO4J_USER: process.env.NEO4J_USER,
    NEO4J_PASSWORD_FILE: process.env.NEO4J_PASSWORD_FILE,
    LOG_LEVEL: "info",
    // Fail-closed after 1 s of no revocation pull is the production default; on a loaded
    // two-core test machine a pull can stall that long, so tests that do not measure the
    // bound give it more room (the outage tests set it back to 1 s).
    SECURITY_MAX_STALENESS_MS: "5000",
    // Refused tokens from 127.0.0.1 are counted against that one address in the Neo4j every
    // test file shares, so a lockout at the default 5 would spill from file to file; the files
    // that test the lockout set it themselves.
    LOCKOUT_MAX_FAILURES: "1000",
    ...env,
  });
  const { logger, logs } = capturedLogger(config.logLevel);
  const server = await composeServer(config, { logger, ...(shared?.resolve ? { resolve: shared.resolve } : {}) });
  await server.app.listen({ host: "127.0.0.1", port });
  return {
    baseUrl,
    mcpUrl: `${baseUrl}/mcp`,
    config,
    server,
    keys,
    logs,
    mint: minterFor(keys, resourceUrl),
    send: (request: ClientRequest) => {
      const url = `${baseUrl}${request.path}`;
      const init = { method: request.method ?? "GET", headers: request.headers ?? {}, body: request.body };
      return request.from ? requestFrom(request.from, url, init) : fetch(url, init);
    },
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** fetch-like request sent from a chosen loopback source address (node:http sets no Host of its own). */
function requestFrom(
  localAddress: string,
  url: string,
  init: { method: string; headers: Record<string, string>; body: string | undefined },
): Promise<Response> {
  const { method, headers, body } = init;
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method,
        localAddress,
        headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
          }
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: responseHeaders }));
        });
      },
    );
    req.on("error", reject);
    req.end(body ?? "");
  });
}
