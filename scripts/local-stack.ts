// npm start: the local stack. Neo4j and MinIO on 127.0.0.1, then the MCP server trusting the
// local development key; prints the MCP URL and how to mint a token. Ctrl-C stops everything.
//
// Exit codes: 0 stopped cleanly, 1 something failed to start, 2 bad arguments.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServices } from "./dev-services/services.js";
import { startServiceProcess } from "./dev-services/service-process.js";
import { cacheRoot } from "./dev-services/toolchain.js";
import { parseOptions, runMain, untilSignal, usageProblem, writeEnvFile } from "./lib/cli.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const usage = `usage: npm start -- [--port N] [--state DIR]

Starts Neo4j, MinIO and the MCP server on 127.0.0.1 (development mode: the server trusts the
local development key that \`npm run token -- mint\` signs with).

  --port N      the MCP server's port (default 8080)
  --state DIR   where data, logs and credentials live (default: ${path.join(cacheRoot(), "local-stack")})

Exit codes: 0 stopped cleanly, 1 something failed to start, 2 bad arguments.`;

async function main(): Promise<number> {
  const parsed = parseOptions({ port: { type: "string", default: "8080" }, state: { type: "string" } }, usage);
  if (!("values" in parsed)) return parsed.exitCode;
  const options = parsed.values;
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return usageProblem(usage, `--port: '${options.port}' is not a port number`);
  const stateDir = path.resolve(options.state ?? path.join(cacheRoot(), "local-stack"));
  const services = await startServices(stateDir);
  await writeEnvFile(path.join(stateDir, "services.env"), services.env);
  const baseUrl = `http://127.0.0.1:${port}`;
  let server;
  try {
    await mkdir(path.join(stateDir, "server"), { recursive: true });
    ({ process: server } = await startServiceProcess({
      name: "mcp-bastion server",
      command: process.execPath,
      args: ["--import", "tsx", path.join(root, "app/src/main.ts")],
      env: { ...process.env, ...services.env, NODE_ENV: "development", MCP_HOST: "127.0.0.1", MCP_PORT: String(port) },
      logFile: path.join(stateDir, "server", "server.log"),
      ready: { probe: async () => ((await fetch(`${baseUrl}/readyz`)).ok ? baseUrl : undefined) },
      timeoutMs: 60_000,
    }));
  } catch (error) {
    await services.stop();
    throw error;
  }
  console.log(`
mcp-bastion is running.

  MCP endpoint   ${baseUrl}/mcp   (Streamable HTTP, Authorization: Bearer <token>)
  Mint a token   npm run token -- mint --sub alice --roles operator --ttl 15m
  Try it         curl -s ${baseUrl}/mcp -H "authorization: Bearer $(npm run -s token -- mint --sub alice --roles admin)" \\
                   -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \\
                   -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
  Metrics        http://127.0.0.1:9464/metrics   (a separate port, never the MCP one)
  Server log     ${path.join(stateDir, "server", "server.log")}
  Services env   ${path.join(stateDir, "services.env")}

Ctrl-C stops the server, Neo4j and MinIO.`);
  const signal = await untilSignal();
  console.error(`${signal}: stopping`);
  await server.stop();
  await services.stop();
  return 0;
}

runMain(main);
