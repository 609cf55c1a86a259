// `npm run test:fast`: the fast tier (app/test/fast), on Node 24 like the whole run, with no
// service started: the server is built with its in-memory stores and spoken to through inject.
// Neo4j's and MinIO's addresses are taken out of the environment, so a test of this tier that
// reached for a real service would fail rather than quietly use one.
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { productionNode, withNodeOnPath } from "./node-runtime.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const fastDir = path.join(root, "app", "test", "fast");

async function main(): Promise<number> {
  const requested = process.argv.slice(2).map((file) => path.resolve(file));
  const files =
    requested.length > 0
      ? requested
      : (await readdir(fastDir))
          .filter((name) => name.endsWith(".test.ts"))
          .sort()
          .map((name) => path.join(fastDir, name));
  if (files.length === 0) {
    console.error(`no test files in ${path.relative(root, fastDir)}`);
    return 1;
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(NEO4J|S3|AWS|MINIO)_/.test(name)));
  const node = productionNode();
  return new Promise((resolve) => {
    const child = spawn(node, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], {
      cwd: root,
      stdio: "inherit",
      env: withNodeOnPath(node, env),
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
