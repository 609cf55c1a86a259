// npm run services [-- --state DIR | --json]: starts Neo4j and MinIO on 127.0.0.1 and prints the
// environment that reaches them; stops both on Ctrl-C or SIGTERM.
//
// Exit codes: 0 stopped cleanly, 1 a service failed to start, 2 bad arguments.
import path from "node:path";
import { parseArgs } from "node:util";
import { startServices } from "../test/support/services.js";
import { cacheRoot } from "../test/support/toolchain.js";
import { exportLines, runMain, untilSignal, writeEnvFile } from "./lib/foreground.js";

const usage = `Usage: npm run services -- [--state DIR] [--json]

Starts Neo4j and MinIO on 127.0.0.1 and prints the environment that reaches them.
Data and generated credentials persist in the state directory between runs.

  --state DIR   where data, logs and credentials live (default: ${path.join(cacheRoot(), "local-stack")})
  --json        print the environment as one JSON object instead of shell exports
  --help        this text

Exit codes: 0 stopped cleanly, 1 a service failed to start, 2 bad arguments.`;

async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs({
      options: { state: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
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
