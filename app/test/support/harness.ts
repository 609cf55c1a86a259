// Starts the real server (real Neo4j from the test run, real jose keys) on a loopback port, with
// its log lines captured, and mints tokens for it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { request as httpRequest } from "node:http";
import { Writable } from "node:stream";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import pino from "pino";
import { mintToken, type MintOptions } from "../../src/auth/mint.js";
import { composeServer, type ComposedServer } from "../../src/compose.js";
import { loadConfig, type Config } from "../../src/config.js";
import type { Resolver } from "../../src/tools/fetch.js";
import { loggerOptions } from "../../src/telemetry/logger.js";
import { freePort } from "../../../scripts/dev-services/service-process.js";

export const TEST_ISSUER = "https://issuer.example.test";

export interface SigningKey {
  privateJwk: JWK & { kid: string; alg: string };
  publicJwk: JWK & { kid: string; alg: string };
}

export interface TestServer {
  readonly baseUrl: string;
  readonly mcpUrl: string;
  readonly config: Config;
  readonly server: ComposedServer;
  readonly keys: { es256: SigningKey; rs256: SigningKey };
  /** Every log line the server wrote, as raw JSON text. */
  readonly logs: string[];
  mint(options: Partial<MintOptions> & { sub: string; roles: readonly string[] }, key?: SigningKey): Promise<string>;
  close(): Promise<void>;
}

async function signingKey(alg: "ES256" | "RS256", kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" },
  };
}

/** Starts a server; `env` overrides settings (LOCKOUT_*, SECURITY_* ...). */
export async function startTestServer(
  env: Record<string, string | undefined> = {},
  shared?: { keys?: TestServer["keys"]; port?: number; resolve?: Resolver },
): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-app-"));
  const keys = shared?.keys ?? {
    es256: await signingKey("ES256", "test-es256"),
    rs256: await signingKey("RS256", "test-rs256"),
  };
  const jwksFile = path.join(dir, "jwks.json");
  await writeFile(jwksFile, JSON.stringify({ keys: [keys.es256.publicJwk, keys.rs256.publicJwk] }));
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
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  const logger = pino(loggerOptions(config.logLevel) as pino.LoggerOptions, sink);
  const server = await composeServer(config, { logger, ...(shared?.resolve ? { resolve: shared.resolve } : {}) });
  await server.app.listen({ host: "127.0.0.1", port });
  return {
    baseUrl,
    mcpUrl: `${baseUrl}/mcp`,
    config,
    server,
    keys,
    logs,
    mint: (options, key = keys.es256) =>
      mintToken(key.privateJwk, { issuer: TEST_ISSUER, audience: resourceUrl, ttlSeconds: 600, ...options }),
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A JSON-RPC tools/call over plain HTTP, the way any client sends it. */
export function toolCallBody(name: string, args: Record<string, unknown> = {}, id = 1): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
}

export const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

export async function callTool(
  server: TestServer,
  token: string | undefined,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Response> {
  return fetch(server.mcpUrl, {
    method: "POST",
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

/** fetch-like POST sent from a chosen loopback source address. */
export function postFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<Response> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: "POST",
        localAddress,
        headers: { ...headers, "content-length": Buffer.byteLength(body) },
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
    req.end(body);
  });
}
