// Neo4j Community, embedded in a small Java launcher (neo4j-launcher/), installed from Maven
// Central into the cache on first use and started with a Bolt listener on 127.0.0.1.
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot, installOnce, requireTool, runCommand } from "./toolchain.js";
import { startServiceProcess, type ServiceProcess } from "./service-process.js";

const launcherDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "neo4j-launcher");
const pomFile = path.join(launcherDir, "pom.xml");
const launcherSource = path.join(launcherDir, "src/main/java/mcpbastion/Neo4jLauncher.java");

export interface Neo4jInstance {
  readonly uri: string;
  readonly user: string;
  readonly passwordFile: string;
  readonly process: ServiceProcess;
}

export interface Neo4jOptions {
  /** Database home: data and logs live here and survive a restart. */
  homeDir: string;
  /** File holding the password of the `neo4j` user (at least 8 characters). */
  passwordFile: string;
  /** Bolt port; 0 lets the kernel choose. @default 0 */
  port?: number;
  /** JVM heap, e.g. "1g". @default "1g" */
  heap?: string;
  pageCacheMb?: number;
}

/** The Neo4j version, read from the launcher's pom so that one file pins it. */
export async function neo4jVersion(): Promise<string> {
  const pom = await readFile(pomFile, "utf8");
  const version = /<neo4j\.version>([^<]+)<\/neo4j\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`${pomFile} does not declare <neo4j.version>`);
  return version;
}

/** Downloads the Neo4j jars and compiles the launcher once; returns the Java class path. */
export async function installNeo4j(): Promise<string> {
  const version = await neo4jVersion();
  const fingerprint = createHash("sha256")
    .update(await readFile(pomFile))
    .update(await readFile(launcherSource))
    .digest("hex")
    .slice(0, 12);
  const dir = path.join(cacheRoot(), `neo4j-${version}-${fingerprint}`);
  await installOnce(dir, async (staging) => {
    await requireTool(
      "java",
      ["-version"],
      "Install a Java 17 runtime (Debian: apt-get install openjdk-17-jdk-headless).",
    );
    await requireTool(
      "javac",
      ["-version"],
      "Install a Java 17 JDK (Debian: apt-get install openjdk-17-jdk-headless).",
    );
    await requireTool("mvn", ["-v"], "Install Apache Maven (Debian: apt-get install maven).");
    process.stderr.write(`installing Neo4j ${version} from Maven Central into ${dir} (first run only)\n`);
    try {
      await runCommand("mvn", [
        "-B",
        "-q",
        "-f",
        pomFile,
        "dependency:copy-dependencies",
        `-DoutputDirectory=${path.join(staging, "lib")}`,
      ]);
    } catch (error) {
      throw new Error(
        `downloading Neo4j ${version} with Maven failed (is Maven Central reachable?): ${(error as Error).message}`,
        { cause: error },
      );
    }
    await runCommand("javac", [
      "--release",
      "17",
      "-d",
      path.join(staging, "classes"),
      "-cp",
      path.join(staging, "lib", "*"),
      launcherSource,
    ]);
  });
  const jars = await readdir(path.join(dir, "lib"));
  if (!jars.some((jar) => jar.startsWith("neo4j-kernel-")))
    throw new Error(`${dir} holds no Neo4j kernel; delete it and retry`);
  return [path.join(dir, "classes"), path.join(dir, "lib", "*")].join(path.delimiter);
}

/** `neo4j-admin` from the installed jars (org.neo4j.cli.AdminTool), with a heap of its own. */
export async function neo4jAdminCommand(heap = "1g"): Promise<{ command: string; args: string[] }> {
  return { command: "java", args: [`-Xmx${heap}`, "-cp", await installNeo4j(), "org.neo4j.cli.AdminTool"] };
}

/** Starts Neo4j and resolves once Bolt accepts the configured password. */
export async function startNeo4j(options: Neo4jOptions): Promise<Neo4jInstance> {
  const classPath = await installNeo4j();
  const { process, readyValue } = await startServiceProcess({
    name: "neo4j",
    command: "java",
    args: [
      `-Xmx${options.heap ?? "1g"}`,
      "-XX:+UseG1GC",
      "-cp",
      classPath,
      "mcpbastion.Neo4jLauncher",
      "--home",
      options.homeDir,
      "--password-file",
      options.passwordFile,
      "--port",
      String(options.port ?? 0),
      "--page-cache-mb",
      String(options.pageCacheMb ?? 128),
    ],
    logFile: path.join(options.homeDir, "launcher.log"),
    ready: { line: /^NEO4J_READY (bolt:\/\/\S+)$/ },
    timeoutMs: 180_000,
  });
  return { uri: readyValue, user: "neo4j", passwordFile: options.passwordFile, process };
}
