// npm run bench:backup [-- --sizes 100000,1000000]: backup and restore throughput (nodes/s,
// MB/s) and peak memory (RSS of the backup and restore processes) at each graph size, from one
// run. Each graph has twice as many relationships as nodes and every property type. Peak memory
// should not grow with the graph: both sides stream.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import neo4j from "neo4j-driver";
import { generateGraph } from "../../app/test/backup-graph.js";
import { startNeo4j } from "../../test/support/neo4j.js";
import { startServices } from "../../test/support/services.js";
import { BACKUP_HEAP_MB } from "../../infra/charts/backup.js";
import { parseOptions, runMain } from "../lib/cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WORKER = fileURLToPath(new URL("./backup-worker.ts", import.meta.url));

interface Measurement {
  seconds: number;
  maxRssMb: number;
  liveHeapMb: number;
  nodes: number;
  relationships: number;
  megabytes: number;
}

function measure(args: string[], env: NodeJS.ProcessEnv): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    // The same heap cap as the backup CronJob and restore Job.
    const child = spawn(process.execPath, [`--max-old-space-size=${BACKUP_HEAP_MB}`, "--expose-gc", "--import", "tsx", WORKER, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Measurement) : reject(new Error(`${args.join(" ")} exited ${code}`))));
  });
}

runMain(async () => {
  const parsed = parseOptions({ sizes: { type: "string" } }, "usage: npm run bench:backup [-- --sizes 100000,1000000]");
  if ("exitCode" in parsed) return parsed.exitCode;
  const sizes = (parsed.values.sizes ?? "100000,1000000").split(",").map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1000)) {
    console.error("bench:backup: --sizes must be whole numbers of at least 1000");
    return 2;
  }
  const work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-bench-backup-"));
  const services = await startServices(path.join(work, "services"));
  const targetPassword = path.join(work, "target-password");
  await writeFile(targetPassword, readFileSync(services.env.NEO4J_PASSWORD_FILE ?? "", "utf8"), { mode: 0o600 });
  await mkdir(path.join(work, "target"));
  const target = await startNeo4j({ homeDir: path.join(work, "target"), passwordFile: targetPassword, heap: "2g", pageCacheMb: 512 });
  const password = readFileSync(targetPassword, "utf8").trim();
  const source = neo4j.driver(services.env.NEO4J_URI ?? "", neo4j.auth.basic("neo4j", password));
  const env = { ...process.env, ...services.env, S3_BUCKET: "bench-backups", S3_PREFIX: "backups/" };
  const header = "    nodes  backup/s   MB/s  RSS MB  heap MB  restore/s   MB/s  RSS MB  heap MB  seconds b/r";
  console.log(header);
  try {
    for (const size of sizes) {
      const reset = source.session();
      await reset.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS");
      await reset.close();
      const generated = Date.now();
      await generateGraph(source, size, size * 2);
      console.error(`generated ${size} nodes, ${size * 2} relationships in ${((Date.now() - generated) / 1000).toFixed(0)} s`);
      const backup = await measure(["backup"], env);
      const restore = await measure(["restore", target.uri], env);
      console.log(
        [
          String(size).padStart(9),
          `${Math.round(backup.nodes / backup.seconds)}`.padStart(9),
          (backup.megabytes / backup.seconds).toFixed(1).padStart(7),
          backup.maxRssMb.toFixed(0).padStart(7),
          backup.liveHeapMb.toFixed(0).padStart(7),
          `${Math.round(restore.nodes / restore.seconds)}`.padStart(9),
          (restore.megabytes / restore.seconds).toFixed(1).padStart(7),
          restore.maxRssMb.toFixed(0).padStart(7),
          restore.liveHeapMb.toFixed(0).padStart(7),
          `${backup.seconds.toFixed(1)}/${restore.seconds.toFixed(1)}`.padStart(12),
        ].join("  "),
      );
    }
  } finally {
    await source.close();
    await target.process.stop();
    await services.stop();
    await rm(work, { recursive: true, force: true });
  }
  console.log("(nodes/s counts nodes; each graph also has 2x as many relationships. MB/s: compressed backup size. RSS: peak resident memory. heap: the largest live heap after a full collection.)");
  return 0;
});
