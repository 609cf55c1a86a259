// `npm test`: builds the test cluster's programs and the Pulumi engine if needed, starts one
// Neo4j and one MinIO for the whole run through the same launcher as the local stack, runs every
// test file with Node's test runner on Node 24 (the image's runtime), and always stops the services.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { installNodeCluster } from "../../scripts/dev-services/kit-cluster.js";
import { installKubeCluster } from "../../scripts/dev-services/kube-cluster.js";
import { productionNode, withNodeOnPath } from "./node-runtime.js";
import { installPulumiEngine } from "../../scripts/dev-services/pulumi-builds.js";
import { startServices, type Services } from "../../scripts/dev-services/services.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const testRoots = ["app", "infra", "policies", "scripts", "test"];
const skipDirs = new Set(["node_modules", "dist"]);

async function findTests(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !skipDirs.has(entry.name)) found.push(...(await findTests(full)));
    else if (entry.isFile() && entry.name.endsWith(".test.ts")) found.push(full);
  }
  return found;
}

// Tests that start node themselves (process.execPath, or npx and tsx through PATH) get the same one.
function runNodeTests(files: string[], env: Record<string, string>): Promise<number> {
  const node = productionNode();
  return new Promise((resolve) => {
    const child = spawn(
      node,
      ["--import", "tsx", "--test", "--test-reporter=spec", "--test-timeout=1200000", ...files],
      {
        cwd: root,
        stdio: "inherit",
        env: withNodeOnPath(node, { ...process.env, ...env }),
      },
    );
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const requested = process.argv.slice(2).map((file) => path.resolve(file));
  const files =
    requested.length > 0
      ? requested
      : (await Promise.all(testRoots.map((dir) => findTests(path.join(root, dir))))).flat().sort();
  if (files.length === 0) {
    console.error("no test files found");
    return 1;
  }

  console.error(`tests run on ${productionNode()}`);
  const stateDir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-test-"));
  let services: Services | undefined;
  const stopAll = async () => {
    await services?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  }
  try {
    // Built before any test runs (first run only, minutes), so no test spends its time limit on it.
    const built = Date.now();
    await installKubeCluster();
    console.error(`test cluster programs ready in ${((Date.now() - built) / 1000).toFixed(1)} s`);
    // The node's programs and the kit's images (first run only, about 20 minutes on two cores)
    // build while the tests before the end-to-end suite run; its cluster waits on their locks.
    const node = files.some((file) => file.endsWith("node-e2e.test.ts"))
      ? installNodeCluster().then(
          () =>
            console.error(`the node and the kit's images ready after ${((Date.now() - built) / 1000).toFixed(1)} s`),
          (error: unknown) =>
            console.error(`building the node or the kit's images failed: ${(error as Error).message}`),
        )
      : Promise.resolve();
    // The Pulumi engine (first run only, many minutes) builds while the tests that do not need
    // it run; a test that does waits on the install's lock until it is there.
    const engine = installPulumiEngine().then(
      () => console.error(`the Pulumi engine ready after ${((Date.now() - built) / 1000).toFixed(1)} s`),
      (error: unknown) => console.error(`building the Pulumi engine failed: ${(error as Error).message}`),
    );
    const started = Date.now();
    services = await startServices(stateDir);
    console.error(
      `services ready in ${((Date.now() - started) / 1000).toFixed(1)} s: Neo4j ${services.env.NEO4J_URI}, MinIO ${services.env.S3_ENDPOINT}`,
    );
    const code = await runNodeTests(files, { ...services.env, MCP_BASTION_TEST_STATE: stateDir });
    await engine;
    await node;
    return code;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
