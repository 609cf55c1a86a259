// A Redis-protocol store for the shared rate limits: Debian's redis-server, installed with
// apt-get on first use when it is missing, serving on 127.0.0.1 with the kit's ACL, no disk.
import { access, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { valkeyAclLine } from "../../infra/charts/rate-limit-store.js";
import { cacheRoot, installOnce, PrerequisiteError, requireTool, runCommand } from "./toolchain.js";
import { freePort, startServiceProcess, type ServiceProcess } from "./service-process.js";

const REDIS_SERVER = "/usr/bin/redis-server";

export interface RedisInstance {
  /** redis://127.0.0.1:<port>, without credentials (the password is a file, as in production). */
  readonly url: string;
  readonly port: number;
  readonly password: string;
  readonly process: ServiceProcess;
}

export interface RedisOptions {
  dir: string;
  logFile: string;
  password: string;
  /** Listen on this port (a restart keeps its address); a free one when absent. */
  port?: number;
}

const present = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** The redis-server binary; installs Debian's package (once, under the cache's lock) when missing. */
export async function installRedis(): Promise<string> {
  if (await present(REDIS_SERVER)) return REDIS_SERVER;
  await installOnce(path.join(cacheRoot(), "redis-server-apt"), async () => {
    if (await present(REDIS_SERVER)) return;
    await requireTool(
      "apt-get",
      ["--version"],
      "Install Debian's redis-server package (apt-get install redis-server).",
    );
    if (process.getuid?.() !== 0)
      throw new PrerequisiteError("redis-server is missing: run sudo apt-get install redis-server");
    process.stderr.write("installing Debian's redis-server with apt-get (first run only)\n");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await runCommand("apt-get", ["update"], { env });
    await runCommand("apt-get", ["install", "-y", "--no-install-recommends", "redis-server"], { env });
  });
  if (!(await present(REDIS_SERVER)))
    throw new PrerequisiteError("apt-get finished but /usr/bin/redis-server is still missing");
  return REDIS_SERVER;
}

export async function startRedis(options: RedisOptions): Promise<RedisInstance> {
  const binary = await installRedis();
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const port = options.port ?? (await freePort());
  // The password goes in a private config file, never on the command line; the user is the
  // in-cluster store's, so the tests run against the same ACL.
  const configFile = path.join(options.dir, "redis.conf");
  await writeFile(
    configFile,
    [
      `bind 127.0.0.1`,
      `port ${port}`,
      valkeyAclLine(options.password).trim(),
      `dir ${options.dir}`,
      `save ""`,
      `appendonly no`,
      `protected-mode yes`,
      `daemonize no`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const { process: child } = await startServiceProcess({
    name: "redis-server",
    command: binary,
    args: [configFile],
    logFile: options.logFile,
    ready: { line: /(Ready to accept connections)/ },
    timeoutMs: 30_000,
    stopTimeoutMs: 10_000,
  });
  return { url: `redis://127.0.0.1:${port}`, port, password: options.password, process: child };
}
