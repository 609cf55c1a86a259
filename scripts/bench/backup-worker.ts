// One measured backup or restore for bench:backup, in a process of its own so its peak RSS is
// its own: prints {seconds, cpuSeconds, childCpuSeconds, maxRssMb, liveHeapMb, nodes, relationships, megabytes, phases} as JSON.
// phases: seconds spent in each phase of a restore as it reports them, or the import's two passes.
// liveHeapMb is the largest heap left after a full collection, sampled every few seconds: what
// the process really holds, as opposed to garbage V8 has not yet had a reason to collect.
import { readFileSync } from "node:fs";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { appVersion } from "../../app/src/backup/cli.js";
import { backupDriver } from "../../app/src/backup/driver.js";
import { loadBackupConfig } from "../../app/src/backup/config.js";
import { runBackup } from "../../app/src/backup/take-backup.js";
import { restoreBackup } from "../../app/src/backup/restore.js";
import { importRestore } from "../../app/src/backup/import/import-restore.js";
import { neo4jAdminCommand } from "../dev-services/neo4j.js";
import { BackupStore, createS3Client } from "../../app/src/backup/storage.js";
import { runMain } from "../lib/cli.js";

runMain(async () => {
  // backup | restore URI (online) | import HOME (bulk import into a stopped Neo4j) | finish URI (its online end)
  const [mode, target] = process.argv.slice(2);
  const config = loadBackupConfig({
    ...process.env,
    ...((mode === "restore" || mode === "finish") && target ? { NEO4J_URI: target } : {}),
  });
  const client = createS3Client(config.s3);
  await client.send(new CreateBucketCommand({ Bucket: config.s3.bucket })).catch(() => undefined);
  const store = new BackupStore(client, config.s3, config.neo4j.database);
  const driver = backupDriver(config.neo4j);
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error("run with --expose-gc");
  let liveHeap = 0;
  const sampler = setInterval(() => {
    collect();
    liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
  }, 3000);
  const started = process.hrtime.bigint();
  const phases: Record<string, number> = {};
  let current = { phase: "", at: started };
  const enter = (phase: string) => {
    const now = process.hrtime.bigint();
    if (current.phase) phases[current.phase] = (phases[current.phase] ?? 0) + Number(now - current.at) / 1e9;
    current = { phase, at: now };
  };
  const onProgress = ({ phase }: { phase: string }) => {
    if (phase !== current.phase) enter(phase);
  };
  try {
    const manifest =
      mode === "backup"
        ? await runBackup(driver, store, { appVersion: appVersion(), connection: config.neo4j })
        : await store.resolve("latest");
    if (mode === "restore")
      await restoreBackup(driver, config.neo4j.database, store, manifest, { wipe: true, batchSize: 5000, onProgress });
    if (mode === "finish") await restoreBackup(driver, config.neo4j.database, store, manifest, { onProgress });
    enter("");
    if (mode === "import") {
      const imported = await importRestore(store, manifest, {
        home: target ?? "",
        database: config.neo4j.database,
        wipe: true,
        importer: await neo4jAdminCommand(),
      });
      Object.assign(phases, {
        "verify and convert": imported.convertSeconds,
        "Neo4j's importer": imported.importSeconds,
      });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    const cpu = process.cpuUsage();
    // The importer's CPU (a child this process waited for): fields 16 and 17 of /proc/self/stat, in 1/100 s.
    const stat = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
    const childCpuSeconds = (Number(stat[13]) + Number(stat[14])) / 100;
    console.log(
      JSON.stringify({
        seconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        childCpuSeconds,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        liveHeapMb: liveHeap / 1e6,
        nodes: manifest.counts.nodes,
        relationships: manifest.counts.relationships,
        megabytes: manifest.dataBytes / 1e6,
        phases,
      }),
    );
    return 0;
  } finally {
    clearInterval(sampler);
    await driver.close();
  }
});
