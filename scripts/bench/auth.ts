// npm run bench:auth: what the security stack costs per request, against real Neo4j.
//  1. p50/p99 of the auth pipeline alone (verify + revocation + lockout + role check);
//  2. p50/p99 of the same revocation question asked of Neo4j directly, for comparison;
//  3. tools/call requests per second, full security stack vs the same transport and tools
//     with no security at all (same logger, metrics and tool audit), as a ratio, and the
//     servers' CPU time per request, the secured one also for the same call on the 2026-07-28
//     revision; and the framework floor: a bare fastify route answering
//     the same JSON-RPC body with a fixed result, driven by the same load generator. Runs are
//     interleaved to spread machine noise.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import Fastify, { type FastifyBaseLogger } from "fastify";
import pino from "pino";
import { createAuthenticator, type Principal } from "../../app/src/auth/authenticator.js";
import { mintToken } from "../../app/src/auth/mint.js";
import { composeServer } from "../../app/src/compose.js";
import { loadConfig } from "../../app/src/config.js";
import { ToolRegistry } from "../../app/src/mcp/registry.js";
import { mountMcp } from "../../app/src/mcp/transport.js";
import { Neo4jAuditStore } from "../../app/src/store/audit-store.js";
import { Neo4jSecurityStore } from "../../app/src/store/security-store.js";
import { createTokenVerifier } from "../../app/src/auth/token-verifier.js";
import { Auditor } from "../../app/src/telemetry/audit.js";
import { Metrics } from "../../app/src/telemetry/metrics.js";
import { whoamiTool } from "../../app/src/tools/identity.js";
import { auditTools } from "../../app/src/tools/audit.js";
import { graphQueryTool, graphTools } from "../../app/src/tools/graph.js";
import { fetchTool, systemResolver } from "../../app/src/tools/fetch.js";
import { fileTools } from "../../app/src/tools/files.js";
import { Neo4jGraphStore } from "../../app/src/store/graph-store.js";
import { securityTools } from "../../app/src/tools/security.js";
import { runPythonTool } from "../../app/src/tools/python.js";
import { disabledSandbox } from "../../app/src/sandbox/sandbox.js";
import { startServices } from "../dev-services/services.js";
import { freePort } from "../dev-services/service-process.js";
import { closedLoopInChild, percentile, type LoadResult } from "./load.js";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP_PAIRS = Number(process.env.BENCH_WARMUP_PAIRS ?? 4);

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${(percentile(sorted, 50) * 1000).toFixed(0)} us, p99 ${(percentile(sorted, 99) * 1000).toFixed(0)} us (n=${samples.length})`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-bench-"));
  const services = await startServices(path.join(dir, "services"));
  try {
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const jwksFile = path.join(dir, "jwks.json");
    await writeFile(
      jwksFile,
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "bench", alg: "ES256" }] }),
    );
    const port = await freePort();
    const config = await loadConfig({
      ...services.env,
      NODE_ENV: "test",
      MCP_PORT: String(port),
      AUTH_ISSUER: "https://issuer.bench",
      AUTH_JWKS_FILE: jwksFile,
      LOG_LEVEL: "silent",
      // One user drives all the load: the limiter still runs on every request, but never refuses.
      RATE_LIMIT_PER_MINUTE: "1000000",
      RATE_LIMIT_BURST: "100000",
      TOOL_MAX_CONCURRENCY_PER_USER: "1000",
    });
    const server = await composeServer(config, { logger: pino({ level: "silent" }) });
    await server.app.listen({ host: "127.0.0.1", port });
    const token = await mintToken(
      { ...(await exportJWK(privateKey)), kid: "bench", alg: "ES256" },
      {
        sub: "bench-user",
        roles: ["operator"],
        issuer: "https://issuer.bench",
        audience: config.resourceUrl,
        ttlSeconds: 3600,
      },
    );

    const store = new Neo4jSecurityStore(server.driver, config.neo4j.database);
    // The servers compared in 3: the full server, and the same transport and tools without the
    // security stack.
    // The bare server keeps what is not security: the request logger (silent here), metrics and
    // the audit of tool calls, so the ratio measures the security stack alone.
    const bareMetrics = new Metrics();
    const bareAuditor = new Auditor(
      new Neo4jAuditStore(server.driver, config.neo4j.database),
      pino({ level: "silent" }),
      (event) => bareMetrics.observe(event),
    );
    const bare = Fastify({ loggerInstance: pino({ level: "silent" }) as FastifyBaseLogger });
    bareMetrics.instrument(bare);
    const fixed = { sub: "bench-user", role: "operator" } as Principal;
    mountMcp(
      bare,
      new ToolRegistry(
        [
          whoamiTool,
          ...graphTools(new Neo4jGraphStore(server.driver, config.neo4j.database)),
          graphQueryTool(async () => ({})),
          fetchTool({ ...config.fetch, resolve: systemResolver }),
          ...fileTools({ baseDir: dir, maxBytes: 1024 }),
          ...securityTools(store, server.securityState),
          ...auditTools(new Neo4jAuditStore(server.driver, config.neo4j.database)),
          runPythonTool(disabledSandbox("not part of this bench"), config.sandbox),
        ],
        bareAuditor,
        config.tools,
      ),
      () => ({ ...fixed, token: { exp: 4e9 } }) as Principal,
      async () => () => undefined,
    );
    const barePort = await freePort();
    await bare.listen({ host: "127.0.0.1", port: barePort });
    // The floor: what fastify and the loopback HTTP exchange cost before any MCP code runs.
    const floor = Fastify({ loggerInstance: pino({ level: "silent" }) as FastifyBaseLogger });
    floor.post("/mcp", async (request) => ({
      jsonrpc: "2.0",
      id: (request.body as { id?: unknown }).id ?? null,
      result: {
        content: [
          {
            type: "text",
            text: JSON.stringify({ sub: "bench-user", role: "operator", expiresAt: new Date(4e12).toISOString() }),
          },
        ],
      },
    }));
    const floorPort = await freePort();
    await floor.listen({ host: "127.0.0.1", port: floorPort });

    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "whoami", arguments: {} },
    });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    // The same call on the 2026-07-28 revision: the per-request envelope and its headers.
    const envelope = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const modernBody = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "whoami", arguments: {}, _meta: envelope },
    });
    const modernHeaders = {
      ...headers,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "whoami",
    };
    const secured: number[] = [];
    const open: number[] = [];
    const floorRps: number[] = [];
    const securedCpu: number[] = [];
    const openCpu: number[] = [];
    const floorCpu: number[] = [];
    const modernCpu: number[] = [];
    let failures = 0;
    // The load generator runs in a child process, so this process's CPU time is the servers'
    // own: CPU per request is a steadier figure than throughput on a shared machine.
    const measured = async (run: Promise<LoadResult>) => {
      const before = process.cpuUsage();
      const result = await run;
      const used = process.cpuUsage(before);
      return { ...result, cpuUsPerRequest: (used.user + used.system) / Math.max(1, result.requests) };
    };
    const runSecured = (seconds: number) =>
      measured(
        closedLoopInChild(`http://127.0.0.1:${port}/mcp`, { ...headers, authorization: `Bearer ${token}` }, body, {
          concurrency: CONCURRENCY,
          seconds,
        }),
      );
    const runOpen = (seconds: number) =>
      measured(
        closedLoopInChild(`http://127.0.0.1:${barePort}/mcp`, headers, body, { concurrency: CONCURRENCY, seconds }),
      );
    const runModern = (seconds: number) =>
      measured(
        closedLoopInChild(
          `http://127.0.0.1:${port}/mcp`,
          { ...modernHeaders, authorization: `Bearer ${token}` },
          modernBody,
          { concurrency: CONCURRENCY, seconds },
        ),
      );
    const runFloor = (seconds: number) =>
      measured(
        closedLoopInChild(`http://127.0.0.1:${floorPort}/mcp`, headers, body, { concurrency: CONCURRENCY, seconds }),
      );
    // A warm-up of both sides in turn (the JIT here and in Neo4j takes tens of seconds to
    // settle), then interleaved measured rounds that alternate which side goes first, so a
    // machine that speeds up or slows down over the run favours neither.
    for (let i = 0; i < WARMUP_PAIRS; i++) {
      await runSecured(3);
      await runOpen(3);
      await runFloor(1);
    }
    // 1. The auth pipeline alone, called the way the onRequest hook calls it (after the warm-up,
    //    so Neo4j answers the security-state pulls at its settled speed).
    const auditor = new Auditor(new Neo4jAuditStore(server.driver, config.neo4j.database), pino({ level: "silent" }));
    const authenticate = createAuthenticator({
      config,
      verify: await createTokenVerifier(config.auth, config.resourceUrl),
      state: server.securityState,
      store,
      auditor,
    });
    const pipeline: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const started = performance.now();
      await authenticate({ url: "/mcp", authorization: `Bearer ${token}`, ip: "127.0.0.1" });
      pipeline.push(performance.now() - started);
      // A server's event loop turns between requests: timers (the security-state pull) must run.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await auditor.flush();

    // 2. The same revocation question asked of Neo4j on every request instead.
    const lookups: number[] = [];
    for (let i = 0; i < Math.min(ITERATIONS, 2000); i++) {
      const started = performance.now();
      await server.driver.executeQuery(
        "MATCH (r:RevokedToken {id: $id}) RETURN count(r) AS n",
        { id: "f".repeat(64) },
        { database: config.neo4j.database },
      );
      lookups.push(performance.now() - started);
    }

    // 3. Throughput and CPU per request, in interleaved rounds.
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0 ? await runSecured(SECONDS) : await runOpen(SECONDS);
      const second = round % 2 === 0 ? await runOpen(SECONDS) : await runSecured(SECONDS);
      const [withStack, without] = round % 2 === 0 ? [first, second] : [second, first];
      secured.push(withStack.perSecond);
      open.push(without.perSecond);
      securedCpu.push(withStack.cpuUsPerRequest);
      openCpu.push(without.cpuUsPerRequest);
      const current = await runModern(SECONDS);
      modernCpu.push(current.cpuUsPerRequest);
      failures += current.failures;
      const bareRoute = await runFloor(SECONDS);
      floorRps.push(bareRoute.perSecond);
      floorCpu.push(bareRoute.cpuUsPerRequest);
      failures += withStack.failures + without.failures + bareRoute.failures;
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const securedRps = median(secured);
    const openRps = median(open);

    console.log("bench:auth (one run, real Neo4j on loopback)");
    console.log(`  auth pipeline per request:        ${summary(pipeline)}`);
    console.log(`  Neo4j revocation lookup instead:  ${summary(lookups)}`);
    console.log(
      `  tools/call, full security stack:  ${securedRps.toFixed(0)} req/s (rounds: ${secured.map((v) => v.toFixed(0)).join(", ")})`,
    );
    console.log(
      `  tools/call, no security stack:    ${openRps.toFixed(0)} req/s (rounds: ${open.map((v) => v.toFixed(0)).join(", ")})`,
    );
    console.log(
      `  throughput ratio secured/open:    ${(securedRps / openRps).toFixed(3)} (overhead ${((1 - securedRps / openRps) * 100).toFixed(1)} %)`,
    );
    console.log(
      `  bare fastify route (the floor):   ${median(floorRps).toFixed(0)} req/s (rounds: ${floorRps.map((v) => v.toFixed(0)).join(", ")})`,
    );
    console.log(
      `  server CPU per request:           ${median(floorCpu).toFixed(0)} us floor, ${median(openCpu).toFixed(0)} us open, ${median(securedCpu).toFixed(0)} us secured`,
    );
    console.log(`  secured, 2026-07-28 request:      ${median(modernCpu).toFixed(0)} us CPU per request`);
    console.log(
      `  CPU ratios:                       secured/floor ${(median(securedCpu) / median(floorCpu)).toFixed(2)}x, open/secured ${(median(openCpu) / median(securedCpu)).toFixed(3)}`,
    );
    console.log(`  failed requests:                  ${failures}`);

    await bare.close();
    await floor.close();
    await bareAuditor.flush();
    await server.close();
  } finally {
    await services.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
