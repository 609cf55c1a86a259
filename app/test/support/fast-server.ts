// The fast tier's server: the same buildServer as production, with the in-memory security and
// audit stores, real jose keys and a real token verifier, exercised through fastify's inject.
// No socket is opened and nothing reaches Neo4j: the graph tools work on the in-memory graph,
// and graph_query, whose Cypher only Neo4j can run, is checked by its guard and then refused.
// run_python's local pool starts only when a test calls it.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { SecurityState } from "../../src/auth/security-state.js";
import { createTokenVerifier } from "../../src/auth/token-verifier.js";
import { loadConfig } from "../../src/config.js";
import { buildServer } from "../../src/server.js";
import { sandboxFor } from "../../src/sandbox/sandbox.js";
import { MemoryAuditStore } from "../../src/store/memory-audit-store.js";
import { MemoryGraphStore } from "../../src/store/memory-graph-store.js";
import { MemorySecurityStore } from "../../src/store/memory-security-store.js";
import { Metrics } from "../../src/telemetry/metrics.js";
import { auditTools } from "../../src/tools/audit.js";
import { fetchTool } from "../../src/tools/fetch.js";
import { fileTools } from "../../src/tools/files.js";
import { graphQueryTool, graphTools } from "../../src/tools/graph.js";
import { runPythonTool } from "../../src/tools/python.js";
import { whoamiTool } from "../../src/tools/identity.js";
import { securityTools } from "../../src/tools/security.js";
import type { ClientRequest, TestTarget } from "./client.js";
import { capturedLogger, minterFor, TEST_ISSUER, testKeys, writeJwks } from "./identity.js";

/** The resource URL of every fast server: inject's default Host (localhost:80) is its own. */
export const FAST_RESOURCE_URL = "http://localhost/mcp";

export interface FastServer extends TestTarget {
  readonly app: FastifyInstance;
  readonly securityStore: MemorySecurityStore;
  readonly securityState: SecurityState;
  readonly auditStore: MemoryAuditStore;
  close(): Promise<void>;
}

/** Builds a server; `env` overrides settings (LOCKOUT_*, RATE_LIMIT_* ...) as for the real one. */
export async function startFastServer(env: Record<string, string | undefined> = {}): Promise<FastServer> {
  const dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-fast-"));
  const keys = await testKeys();
  // The schema asks for Neo4j's address and password file; this server never opens them.
  const unusedPassword = path.join(dir, "neo4j-password");
  await writeFile(unusedPassword, "not-used-by-the-fast-tier\n");
  const filesDir = path.join(dir, "files");
  await mkdir(filesDir);
  const config = await loadConfig({
    NODE_ENV: "test",
    MCP_HOST: "127.0.0.1",
    MCP_PORT: "8080",
    MCP_RESOURCE_URL: FAST_RESOURCE_URL,
    AUTH_ISSUER: TEST_ISSUER,
    AUTH_JWKS_FILE: await writeJwks(dir, keys),
    NEO4J_URI: "bolt://127.0.0.1:7687",
    NEO4J_PASSWORD_FILE: unusedPassword,
    LOG_LEVEL: "info",
    FILES_BASE_DIR: filesDir,
    ...env,
  });
  const securityStore = new MemorySecurityStore();
  const auditStore = new MemoryAuditStore();
  const securityState = new SecurityState(securityStore, config.securitySync);
  const { logger, logs } = capturedLogger(config.logLevel);
  const sandbox = sandboxFor(config.sandbox, false);
  const app = await buildServer({
    config,
    verify: await createTokenVerifier(config.auth, config.resourceUrl),
    securityStore,
    securityState,
    auditStore,
    metrics: new Metrics(),
    logger,
    tools: [
      whoamiTool,
      fetchTool({
        ...config.fetch,
        // No network in this tier: a name that needs resolving is refused as unresolvable.
        resolve: async (host) => {
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
        },
      }),
      ...fileTools({ baseDir: filesDir, maxBytes: config.files.maxBytes }),
      ...securityTools(securityStore, securityState),
      ...auditTools(auditStore),
      ...graphTools(new MemoryGraphStore()),
      graphQueryTool(async () => {
        throw new Error("graph_query runs Cypher, which only Neo4j can; this server keeps its graph in memory");
      }),
      runPythonTool(sandbox, config.sandbox),
    ],
  });
  await securityState.start();
  return {
    app,
    config,
    keys,
    logs,
    securityStore,
    securityState,
    auditStore,
    mint: minterFor(keys, config.resourceUrl),
    send: async (request: ClientRequest) => {
      const response = await app.inject({
        method: (request.method ?? "GET") as "GET",
        url: request.path,
        headers: request.headers ?? {},
        ...(request.body !== undefined ? { payload: request.body } : {}),
        remoteAddress: request.from ?? "127.0.0.1",
      });
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : String(value));
      }
      const empty = response.statusCode === 204 || response.statusCode === 304 || request.method === "HEAD";
      return new Response(empty ? null : response.rawPayload, { status: response.statusCode, headers });
    },
    close: async () => {
      securityState.stop();
      await app.close();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
