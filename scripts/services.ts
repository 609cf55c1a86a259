// npm run services [-- --state DIR | --json]: starts Neo4j and MinIO on 127.0.0.1 and prints the
// environment that reaches them; stops both on Ctrl-C or SIGTERM.
//
// Exit codes: 0 stopped cleanly, 1 a service failed to start, 2 bad arguments.
import path from "node:path";
import { startServices } from "./dev-services/services.js";
import { cacheRoot } from "./dev-services/toolchain.js";
import { exportLines, parseOptions, runMain, untilSignal, writeEnvFile } from "./lib/cli.js";

const usage = `usage: npm run services -- [--state DIR] [--json]

Starts Neo4j and MinIO on 127.0.0.1 and prints the environment that reaches them.
Data and generated credentials persist in the state directory between runs.

  --state DIR   where data, logs and credentials live (default: ${path.join(cacheRoot(), "local-stack")})
  --json        print the environment as one JSON object instead of shell exports
  --help        this text

Exit codes: 0 stopped cleanly, 1 a service failed to start, 2 bad arguments.`;

async function main(): Promise<number> {
  const parsed = parseOptions({ state: { type: "string" }, json: { type: "boolean" } }, usage);
  if (!("values" in parsed)) return parsed.exitCode;
  const options = parsed.values;
  const stateDir = path.resolve(options.state ?? path.join(cacheRoot(), "local-stack"));
  const services = await startServices(stateDir);
  const envFile = path.join(stateDir, "services.env");
  await writeEnvFile(envFile, services.env);
  if (options.json) {
    console.log(JSON.stringify(services.env));
  } else {
    console.log(exportLines(services.env));
    console.error(`\nNeo4j and MinIO are running; the same exports are in ${envFile}. Ctrl-C stops both.`);
  }
  const signal = await untilSignal();
  console.error(`${signal}: stopping services`);
  await services.stop();
  return 0;
}

runMain(main);
