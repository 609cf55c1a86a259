// Wires the real dependencies (Neo4j driver, stores, security state, verifier, tools) into the
// server. main.ts and the tests both start the server through this one function.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Driver } from "neo4j-driver";
import { SecurityState } from "./auth/security-state.js";
import { createTokenVerifier } from "./auth/token-verifier.js";
import type { Config } from "./config.js";
import { buildServer } from "./server.js";
import { Neo4jAuditStore } from "./store/audit-store.js";
import { createDriver } from "./store/driver.js";
import { ensureSchema } from "./store/schema.js";
import { Neo4jSecurityStore } from "./store/security-store.js";
import type { CertificatePair } from "./tls/certificate-files.js";
import type { FileReloader } from "./tls/file-reloader.js";
import { initialCertificate, reloadCertificates } from "./tls/serving.js";
import { Metrics } from "./telemetry/metrics.js";
import { Neo4jGraphStore } from "./store/graph-store.js";
import { auditTools } from "./tools/audit.js";
import { fetchTool, systemResolver, type Resolver } from "./tools/fetch.js";
import { fileTools } from "./tools/files.js";
import { graphQueryTool, graphTools } from "./tools/graph.js";
import { runReadOnly } from "./store/read-only-query.js";
import { whoamiTool } from "./tools/identity.js";
import { securityTools } from "./tools/security.js";
import { runPythonTool } from "./tools/python.js";
import { sandboxFor } from "./sandbox/sandbox.js";
import { RedisRateLimitStore } from "./guards/rate-limit-redis.js";
import { cypherKind, startTelemetry } from "./telemetry/otel.js";

const CLEANUP_INTERVAL_MS = 60_000;
const GRAPH_QUERY_LIMITS = { timeoutMs: 10_000, maxRows: 1_000 };

export interface ComposedServer {
  app: FastifyInstance;
  /** The certificate files' reloader when the MCP port serves TLS. */
  certificates: FileReloader<CertificatePair> | undefined;
  /** Serves /metrics on its own port, so the MCP port never exposes it. */
  metricsApp: FastifyInstance;
  driver: Driver;
  securityState: SecurityState;
  /** Stops background work, drains the server and closes the driver, in that order. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  logger?: FastifyBaseLogger;
  /** How fetch_url resolves host names; the system resolver unless a test brings its own. */
  resolve?: Resolver;
}

export async function composeServer(config: Config, options: ComposeOptions = {}): Promise<ComposedServer> {
  // Before anything is opened: a bad certificate pair stops the start with nothing to clean up.
  const certificate = config.tls ? await initialCertificate(config.tls) : undefined;
  const driver = createDriver(config.neo4j);
  const metrics = new Metrics();
  metrics.watchDriver(driver);
  const securityStore = new Neo4jSecurityStore(driver, config.neo4j.database);
  const auditStore = new Neo4jAuditStore(driver, config.neo4j.database);
  const verify = await createTokenVerifier(config.auth, config.resourceUrl);
  let schemaReady = false;
  const securityState = new SecurityState(securityStore, {
    intervalMs: config.securitySync.intervalMs,
    maxStalenessMs: config.securitySync.maxStalenessMs,
    onError: (error) => app.log.warn({ err: error }, "security state pull failed"),
  });
  const sandbox = sandboxFor(config.sandbox, config.env === "production");
  // Shared buckets when a store is configured; the server starts even while it is down and
  // denies with 503 until it answers (the client reconnects by itself).
  const rateLimitStore = config.rateLimitStore ? new RedisRateLimitStore(config.rateLimitStore) : undefined;
  const telemetry = config.telemetry ? startTelemetry(config.telemetry) : undefined;
  telemetry?.watchDriver(driver, config.neo4j.database);
  const readOnly = (query: string, params: Record<string, unknown>) =>
    runReadOnly(driver, config.neo4j.database, query, params, GRAPH_QUERY_LIMITS);
  const app = await buildServer({
    config,
    verify,
    securityStore,
    securityState,
    auditStore,
    metrics,
    ...(rateLimitStore ? { rateLimitStore } : {}),
    ...(telemetry ? { telemetry } : {}),
    tools: [
      whoamiTool,
      ...graphTools(new Neo4jGraphStore(driver, config.neo4j.database)),
      fetchTool({ ...config.fetch, resolve: options.resolve ?? systemResolver }),
      ...fileTools({
        baseDir: config.files.baseDir ?? (await mkdtemp(path.join(tmpdir(), "mcp-bastion-files-"))),
        maxBytes: config.files.maxBytes,
      }),
      graphQueryTool((query, params) =>
        telemetry
          ? telemetry.query(cypherKind(query), config.neo4j.database, () => readOnly(query, params))
          : readOnly(query, params),
      ),
      ...securityTools(securityStore, securityState),
      ...auditTools(auditStore),
      runPythonTool(sandbox, config.sandbox),
    ],
    ...(options.logger ? { logger: options.logger } : {}),
    ...(certificate ? { https: { cert: certificate.cert, key: certificate.key } } : {}),
  });
  const certificates =
    certificate && config.tls ? reloadCertificates(app, config.tls, certificate, app.log) : undefined;
  app.get("/readyz", async (_request, reply) => {
    const ready = schemaReady && securityState.isFresh;
    return reply
      .code(ready ? 200 : 503)
      .send({ ready, schema: schemaReady, securityStateFresh: securityState.isFresh });
  });

  let closing = false;
  // Start even when Neo4j is down and report not-ready: the orchestrator keeps traffic away,
  // requests are denied with 503 meanwhile, and the schema is ensured once the store answers.
  const ensureSchemaUntilDone = async (): Promise<void> => {
    for (let attempt = 0; !closing; attempt++) {
      try {
        await ensureSchema(driver, config.neo4j.database);
        schemaReady = true;
        return;
      } catch (error) {
        if (attempt === 0) app.log.error({ err: error }, "Neo4j schema could not be ensured; retrying every 2 s");
        await new Promise((resolve) => setTimeout(resolve, 2_000).unref());
      }
    }
  };
  const schemaDone = ensureSchemaUntilDone();
  await Promise.race([schemaDone, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  await securityState.start();
  const cleanup = setInterval(() => {
    securityStore
      .cleanup(config.auth.maxTokenLifetimeSeconds * 1000, config.lockout.windowMs)
      .catch((error: unknown) => app.log.warn({ err: error }, "security store cleanup failed"));
    auditStore
      .deleteOlderThan(Date.now() - config.auditRetentionDays * 86_400_000)
      .catch((error: unknown) => app.log.warn({ err: error }, "audit retention clean-up failed"));
  }, CLEANUP_INTERVAL_MS);
  cleanup.unref();

  const metricsApp = Fastify({ logger: false });
  metricsApp.get("/metrics", async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  return {
    app,
    certificates,
    metricsApp,
    driver,
    securityState,
    close: async () => {
      closing = true;
      clearInterval(cleanup);
      securityState.stop();
      certificates?.stop();
      await app.close();
      await sandbox.close();
      await rateLimitStore?.close();
      await metricsApp.close();
      await driver.close();
      // Last: the spans and audit records of the drain itself are sent too.
      await telemetry?.shutdown();
    },
  };
}
