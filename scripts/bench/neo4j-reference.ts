// The reference for bench:backup: Neo4j's own offline `neo4j-admin database dump` and `load`,
// run from the classes of the jars the kit already installs (org.neo4j.cli.AdminTool), on the
// same stopped database the backup read. What a logical backup through Bolt is measured against.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { neo4jAdminCommand } from "../dev-services/neo4j.js";

export interface ToolRun {
  seconds: number;
  /** The tool's peak resident memory, sampled from /proc while it runs. */
  maxRssMb: number;
  /** The tool's CPU time (user and system), sampled likewise: on a shared machine, steadier than its seconds. */
  cpuSeconds: number;
}

/** CPU time (user and system) a running process has used so far, in seconds (0 once it has gone). */
export function cpuSeconds(pid: number): number {
  try {
    // Fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s; the name (field 2) may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The high-water mark of a process's resident memory, in MB (0 once it has gone). */
function peakRssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((entry) => entry.startsWith("VmHWM:"));
    return line ? Number(line.replace(/\D+/g, "")) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs `neo4j-admin <args>` against the Neo4j home `homeDir` (data under homeDir/data, as the launcher lays it out). */
async function neo4jAdmin(homeDir: string, args: string[]): Promise<ToolRun> {
  const admin = await neo4jAdminCommand();
  // An empty configuration directory: the defaults, with the home's data directory.
  const confDir = path.join(homeDir, "admin-conf");
  await mkdir(confDir, { recursive: true });
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(admin.command, [...admin.args, ...args], {
      env: { ...process.env, NEO4J_HOME: homeDir, NEO4J_CONF: confDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let maxRssMb = 0;
    let cpu = 0;
    const sampler = setInterval(() => {
      maxRssMb = Math.max(maxRssMb, peakRssMb(child.pid ?? 0));
      cpu = Math.max(cpu, cpuSeconds(child.pid ?? 0));
    }, 100);
    for (const stream of [child.stdout, child.stderr])
      stream.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error) => {
      clearInterval(sampler);
      reject(error);
    });
    child.on("close", (code) => {
      clearInterval(sampler);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ seconds, maxRssMb, cpuSeconds: cpu });
      else reject(new Error(`neo4j-admin ${args.join(" ")} exited ${code}:\n${output.slice(-2000)}`));
    });
  });
}

/** Dumps database `neo4j` of the stopped home `sourceHome` into `dumpDir`; returns the run and the dump's size. */
export async function neo4jDump(sourceHome: string, dumpDir: string): Promise<ToolRun & { megabytes: number }> {
  await mkdir(dumpDir, { recursive: true });
  const run = await neo4jAdmin(sourceHome, [
    "database",
    "dump",
    "neo4j",
    `--to-path=${dumpDir}`,
    "--overwrite-destination=true",
  ]);
  let bytes = 0;
  for (const name of await readdir(dumpDir)) bytes += (await stat(path.join(dumpDir, name))).size;
  return { ...run, megabytes: bytes / 1e6 };
}

/** Loads the dump in `dumpDir` into a new, empty home `targetHome`. */
export async function neo4jLoad(targetHome: string, dumpDir: string): Promise<ToolRun> {
  await mkdir(targetHome, { recursive: true });
  return neo4jAdmin(targetHome, [
    "database",
    "load",
    "neo4j",
    `--from-path=${dumpDir}`,
    "--overwrite-destination=true",
  ]);
}
