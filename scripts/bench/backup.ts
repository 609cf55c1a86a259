// npm run bench:backup [-- --sizes 100000,1000000]: backup and restore throughput (nodes/s,
// relationships/s, MB/s) and peak memory (RSS and live heap of the backup and restore
// processes) at each graph size, from one run, next to Neo4j's own offline dump and load of the
// same graph in the same run, with our time as a multiple of theirs. Each graph has twice as many
// relationships as nodes and every property type. Peak memory should not grow with the graph:
// both sides stream.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import neo4j, { type Driver } from "neo4j-driver";
import { generateGraph } from "../dev-services/backup-graph.js";
import { startMinio } from "../dev-services/minio.js";
import { startNeo4j, type Neo4jInstance } from "../dev-services/neo4j.js";
import { BACKUP_NODE_OPTIONS } from "../../infra/charts/backup.js";
import { parseOptions, runMain } from "../lib/cli.js";
import { cpuSeconds, neo4jDump, neo4jLoad, type ToolRun } from "./neo4j-reference.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WORKER = fileURLToPath(new URL("./backup-worker.ts", import.meta.url));

interface Measurement {
  seconds: number;
  cpuSeconds: number;
  /** CPU of the importer the import step runs (0 for the others). */
  childCpuSeconds: number;
  maxRssMb: number;
  liveHeapMb: number;
  nodes: number;
  relationships: number;
  megabytes: number;
  /** Seconds per phase of a restore, or of the import's two passes. */
  phases: Record<string, number>;
}

/** One backup or restore in a process of its own; `neo4jPid` is the server it talks to, whose CPU time is counted too. */
async function measure(
  args: string[],
  env: NodeJS.ProcessEnv,
  neo4jPid: number,
): Promise<Measurement & { neo4jCpuSeconds: number }> {
  const before = cpuSeconds(neo4jPid);
  const measured = await measureWorker(args, env);
  return { ...measured, neo4jCpuSeconds: cpuSeconds(neo4jPid) - before };
}

function measureWorker(args: string[], env: NodeJS.ProcessEnv): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    // The same heap options as the backup CronJob and restore Job.
    const child = spawn(
      process.execPath,
      [...BACKUP_NODE_OPTIONS.split(" "), "--expose-gc", "--import", "tsx", WORKER, ...args],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Measurement)
        : reject(new Error(`${args.join(" ")} exited ${code}`)),
    );
  });
}

interface Row {
  step: string;
  seconds: number;
  nodes: number;
  relationships: number;
  megabytes: number;
  maxRssMb: number;
  liveHeapMb?: number;
  /** CPU seconds of this process and of Neo4j, when the step has both. */
  cpuSeconds: number;
  neo4jCpuSeconds?: number;
  versus?: string;
}

const COLUMNS =
  "    nodes  step               seconds   nodes/s    rels/s    MB/s  RSS MB  heap MB  CPU s (ours+Neo4j)  vs Neo4j";

function printRow(size: number, row: Row): void {
  const rate = (count: number) => String(Math.round(count / row.seconds)).padStart(8);
  console.log(
    [
      String(size).padStart(9),
      row.step.padEnd(17),
      row.seconds.toFixed(1).padStart(8),
      rate(row.nodes),
      rate(row.relationships),
      (row.megabytes / row.seconds).toFixed(1).padStart(6),
      row.maxRssMb.toFixed(0).padStart(6),
      (row.liveHeapMb === undefined ? "-" : row.liveHeapMb.toFixed(0)).padStart(7),
      (row.neo4jCpuSeconds === undefined
        ? row.cpuSeconds.toFixed(1)
        : `${row.cpuSeconds.toFixed(1)}+${row.neo4jCpuSeconds.toFixed(1)}`
      ).padStart(18),
      row.versus ?? "",
    ].join("  "),
  );
}

/** "verify 3.1 s, nodes 10.4 s, ...", in the order the phases came. */
function formatPhases(phases: Record<string, number>): string {
  return Object.entries(phases)
    .map(([phase, seconds]) => `${phase} ${seconds.toFixed(1)} s`)
    .join(", ");
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
  const passwordFile = path.join(work, "neo4j-password");
  const password = randomBytes(18).toString("base64url");
  await writeFile(passwordFile, password, { mode: 0o600 });
  const s3SecretFile = path.join(work, "s3-secret");
  const s3Secret = randomBytes(18).toString("base64url");
  await writeFile(s3SecretFile, s3Secret, { mode: 0o600 });
  const sourceHome = path.join(work, "source");
  const dumpDir = path.join(work, "dump");
  await Promise.all(["source", "target"].map((name) => mkdir(path.join(work, name))));
  // The source as the local stack runs it (startServices' settings); it is stopped for Neo4j's dump and started again.
  const startSource = () => startNeo4j({ homeDir: sourceHome, passwordFile });
  let source: Neo4jInstance | undefined;
  let sourceDriver: Driver | undefined;
  const minio = await startMinio({
    dataDir: path.join(work, "minio"),
    logFile: path.join(work, "minio.log"),
    accessKeyId: "bench",
    secretAccessKey: s3Secret,
  });
  const targetHome = path.join(work, "target");
  const startTarget = () => startNeo4j({ homeDir: targetHome, passwordFile, heap: "2g", pageCacheMb: 512 });
  let target = await startTarget();
  const s3Env = {
    S3_BUCKET: "bench-backups",
    S3_PREFIX: "backups/",
    S3_ENDPOINT: minio.endpoint,
    S3_REGION: "us-east-1",
    S3_FORCE_PATH_STYLE: "true",
    S3_ACCESS_KEY_ID: "bench",
    S3_SECRET_ACCESS_KEY_FILE: s3SecretFile,
  };
  console.log(COLUMNS);
  try {
    for (const size of sizes) {
      source = await startSource();
      sourceDriver = neo4j.driver(source.uri, neo4j.auth.basic("neo4j", password));
      const reset = sourceDriver.session();
      await reset.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS");
      await reset.close();
      const generated = Date.now();
      await generateGraph(sourceDriver, size, size * 2);
      console.error(
        `generated ${size} nodes, ${size * 2} relationships in ${((Date.now() - generated) / 1000).toFixed(0)} s`,
      );
      const env = { ...process.env, ...s3Env, NEO4J_URI: source.uri, NEO4J_PASSWORD_FILE: passwordFile };
      const backup = await measure(["backup"], env, source.process.pid);
      const restore = await measure(["restore", target.uri], env, target.process.pid);
      // The same backup by bulk import into the stopped target, then its online end once Neo4j runs again.
      await target.process.stop();
      const imported = await measure(["import", targetHome], env, 0);
      target = await startTarget();
      const finished = await measure(["finish", target.uri], env, target.process.pid);
      await sourceDriver.close();
      await source.process.stop();
      source = undefined;
      const dump = await neo4jDump(sourceHome, dumpDir);
      const loadHome = path.join(work, `load-${size}`);
      const load = await neo4jLoad(loadHome, dumpDir);
      await rm(loadHome, { recursive: true, force: true });
      const graph = { nodes: backup.nodes, relationships: backup.relationships };
      const versus = (ours: Measurement & { neo4jCpuSeconds: number }, theirs: ToolRun, name: string) =>
        `${(ours.seconds / theirs.seconds).toFixed(1)}x ${name} (CPU ${((ours.cpuSeconds + ours.neo4jCpuSeconds) / theirs.cpuSeconds).toFixed(1)}x)`;
      printRow(size, { step: "backup", ...backup, versus: versus(backup, dump, "dump") });
      printRow(size, { step: "dump", ...graph, ...dump });
      printRow(size, { step: "restore", ...restore, versus: versus(restore, load, "load") });
      printRow(size, { step: "load", ...graph, ...load, megabytes: dump.megabytes });
      const importCpu = imported.cpuSeconds + imported.childCpuSeconds;
      printRow(size, { step: "import", ...imported, cpuSeconds: importCpu });
      printRow(size, { step: "finish", ...finished });
      const byImport = {
        seconds: imported.seconds + finished.seconds,
        cpuSeconds: importCpu + finished.cpuSeconds,
        neo4jCpuSeconds: finished.neo4jCpuSeconds,
        maxRssMb: Math.max(imported.maxRssMb, finished.maxRssMb),
        liveHeapMb: Math.max(imported.liveHeapMb, finished.liveHeapMb),
      };
      printRow(size, {
        step: "restore by import",
        ...graph,
        megabytes: backup.megabytes,
        ...byImport,
        versus: `${versus({ ...imported, ...byImport }, load, "load")}, ${(restore.seconds / byImport.seconds).toFixed(1)}x faster than online`,
      });
      for (const [step, { phases }] of [
        ["restore", restore],
        ["import", imported],
        ["finish", finished],
      ] as const)
        console.log(`${" ".repeat(11)}${`${step} phases:`.padEnd(17)}  ${formatPhases(phases)}`);
    }
  } finally {
    await sourceDriver?.close();
    await source?.process.stop();
    await target.process.stop();
    await minio.process.stop();
    await rm(work, { recursive: true, force: true });
  }
  console.log(
    "(nodes/s and rels/s: the graph's nodes and relationships over the step's time. MB/s: the compressed backup, or Neo4j's dump file. " +
      "import: the bulk import of the same backup into the stopped target (our process: verify and convert, then Neo4j's importer, whose CPU is counted; its memory is its own, -Xmx1g and 2G off-heap); " +
      "finish: its online end once the target runs again (deferred values, schema, counts; Neo4j's start is not counted); restore by import: the two together. " +
      "RSS: peak resident memory of the process. heap: the largest live heap after a full collection. CPU s: CPU seconds of the backup or restore " +
      "process plus those of the Neo4j server it talks to, or of Neo4j's tool (steadier than seconds on a shared machine). restore includes its verification pass " +
      "and, for the second size on, the wipe of the previous graph; load writes into an empty home.)",
  );
  return 0;
});
