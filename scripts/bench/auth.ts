// npm run bench:auth: what the security stack costs per request, against real Neo4j.
//  1. p50/p99 of the auth pipeline alone (verify + revocation + lockout + role check);
//  2. p50/p99 of the same revocation question asked of Neo4j directly, for comparison;
//  3. tools/call requests per second, full security stack vs the same transport and tools
//     with no security at all, as a ratio. Runs are interleaved to spread machine noise.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import Fastify from "fastify";
import pino from "pino";
import { createAuthenticator, type Principal } from "../../app/src/auth/authenticator.js";
import { mintToken } from "../../app/src/auth/mint.js";
import { composeServer } from "../../app/src/compose.js";
import { loadConfig } from "../../app/src/config.js";
import { ToolRegistry } from "../../app/src/mcp/registry.js";
import { mountMcp } from "../../app/src/mcp/transport.js";
import { AuditStore } from "../../app/src/store/audit-store.js";
import { SecurityStore } from "../../app/src/store/security-store.js";
import { createTokenVerifier } from "../../app/src/auth/token-verifier.js";
import { Auditor } from "../../app/src/telemetry/audit.js";
import { whoamiTool } from "../../app/src/tools/identity.js";
import { auditTools } from "../../app/src/tools/audit.js";
import { graphQueryTool, graphTools } from "../../app/src/tools/graph.js";
import { fetchTool, systemResolver } from "../../app/src/tools/fetch.js";
import { fileTools } from "../../app/src/tools/files.js";
import { GraphStore } from "../../app/src/store/graph-store.js";
import { securityTools } from "../../app/src/tools/security.js";
import { startServices } from "../../test/support/services.js";
import { freePort } from "../../test/support/service-process.js";
import { closedLoop, percentile } from "./load.js";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

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
    await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "bench", alg: "ES256" }] }));
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
    const token = await mintToken({ ...(await exportJWK(privateKey)), kid: "bench", alg: "ES256" }, {
      sub: "bench-user", roles: ["operator"], issuer: "https://issuer.bench", audience: config.resourceUrl, ttlSeconds: 3600,
    });

    // 1. The auth pipeline alone, called the way the onRequest hook calls it.
    const store = new SecurityStore(server.driver, config.neo4j.database);
    const auditor = new Auditor(new AuditStore(server.driver, config.neo4j.database), pino({ level: "silent" }));
    const authenticate = createAuthenticator({ config, verify: await createTokenVerifier(config.auth, config.resourceUrl), state: server.securityState, store, auditor });
    const pipeline: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const started = performance.now();
      await authenticate({ url: "/mcp", authorization: `Bearer ${token}`, ip: "127.0.0.1" });
      pipeline.push(performance.now() - started);
    }
    await auditor.flush();

    // 2. The same revocation question asked of Neo4j on every request instead.
    const lookups: number[] = [];
    for (let i = 0; i < Math.min(ITERATIONS, 2000); i++) {
      const started = performance.now();
      await server.driver.executeQuery("MATCH (r:RevokedToken {id: $id}) RETURN count(r) AS n", { id: "f".repeat(64) }, { database: config.neo4j.database });
      lookups.push(performance.now() - started);
    }

    // 3. Throughput: the full server vs the same transport and tools with no security stack.
    const bareAuditor = new Auditor(new AuditStore(server.driver, config.neo4j.database), pino({ level: "silent" }));
    const bare = Fastify({ logger: false });
    const fixed = { sub: "bench-user", role: "operator" } as Principal;
    mountMcp(bare, new ToolRegistry([whoamiTool, ...graphTools(new GraphStore(server.driver, config.neo4j.database)), graphQueryTool(async () => ({})), fetchTool({ ...config.fetch, resolve: systemResolver }), ...fileTools({ baseDir: dir, maxBytes: 1024 }), ...securityTools(store, server.securityState), ...auditTools(new AuditStore(server.driver, config.neo4j.database))], bareAuditor, config.tools), () => ({ ...fixed, token: { exp: 4e9 } } as Principal), () => () => undefined);
    const barePort = await freePort();
    await bare.listen({ host: "127.0.0.1", port: barePort });

    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami", arguments: {} } });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const secured: number[] = [];
    const open: number[] = [];
    let failures = 0;
    const runSecured = (seconds: number) =>
      closedLoop(`http://127.0.0.1:${port}/mcp`, { ...headers, authorization: `Bearer ${token}` }, body, { concurrency: CONCURRENCY, seconds });
    const runOpen = (seconds: number) => closedLoop(`http://127.0.0.1:${barePort}/mcp`, headers, body, { concurrency: CONCURRENCY, seconds });
    // One short warm-up of each (JIT, connection pools), then interleaved measured rounds that
    // alternate which side goes first, so a machine that speeds up or slows down over the run
    // favours neither.
    await runSecured(2);
    await runOpen(2);
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0 ? await runSecured(SECONDS) : await runOpen(SECONDS);
      const second = round % 2 === 0 ? await runOpen(SECONDS) : await runSecured(SECONDS);
      const [withStack, without] = round % 2 === 0 ? [first, second] : [second, first];
      secured.push(withStack.perSecond);
      open.push(without.perSecond);
      failures += withStack.failures + without.failures;
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const securedRps = median(secured);
    const openRps = median(open);

    console.log("bench:auth (one run, real Neo4j on loopback)");
    console.log(`  auth pipeline per request:        ${summary(pipeline)}`);
    console.log(`  Neo4j revocation lookup instead:  ${summary(lookups)}`);
    console.log(`  tools/call, full security stack:  ${securedRps.toFixed(0)} req/s (rounds: ${secured.map((v) => v.toFixed(0)).join(", ")})`);
    console.log(`  tools/call, no security stack:    ${openRps.toFixed(0)} req/s (rounds: ${open.map((v) => v.toFixed(0)).join(", ")})`);
    console.log(`  throughput ratio secured/open:    ${(securedRps / openRps).toFixed(3)} (overhead ${((1 - securedRps / openRps) * 100).toFixed(1)} %)`);
    console.log(`  failed requests:                  ${failures}`);

    await bare.close();
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
