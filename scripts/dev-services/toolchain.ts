// Shared plumbing for the real-service launchers: where installs are cached, how a missing
// prerequisite is reported, and how a one-shot command is run with its output kept for errors.
import { spawn } from "node:child_process";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

/** A tool the launchers need is not installed; the message says which and how to get it. */
export class PrerequisiteError extends Error {
  override readonly name = "PrerequisiteError";
}

/**
 * Undoes a start that failed, then rethrows its error: a cleanup that fails as well is added to
 * that error's message rather than taking its place, so the cause of the failure is never lost.
 */
export async function cleanUpAndRethrow(error: unknown, cleanUp: () => Promise<unknown>): Promise<never> {
  try {
    await cleanUp();
  } catch (cleanUpError) {
    const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
    throw new AggregateError(
      [error, cleanUpError],
      `${message(error)}\n(cleaning up after it failed too: ${message(cleanUpError)})`,
      { cause: cleanUpError },
    );
  }
  throw error;
}

/** Root of the install cache, outside the repository so that clones and CI runs share it. */
export function cacheRoot(): string {
  if (process.env.MCP_BASTION_CACHE) return path.resolve(process.env.MCP_BASTION_CACHE);
  const xdg = process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache");
  return path.join(xdg, "mcp-bastion");
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit throws with the tail of its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") reject(new PrerequisiteError(`'${command}' was not found on PATH`));
      else reject(error);
    });
    child.on("close", (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      const tail = (stderr || stdout).trim().split("\n").slice(-15).join("\n");
      reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

/** Fails with a PrerequisiteError naming the tool and how to install it when it is missing. */
export async function requireTool(command: string, versionArgs: readonly string[], howToGet: string): Promise<void> {
  try {
    await runCommand(command, versionArgs);
  } catch (error) {
    if (error instanceof PrerequisiteError) {
      throw new PrerequisiteError(`${command} is required but was not found on PATH. ${howToGet}`);
    }
    throw error;
  }
}

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `work` holding the lock directory `lock`: a process that finds it held waits while its
 * owner lives, so two runs on one machine (a test run and `npm run deploy`, say) never build
 * the same thing twice at once. A lock whose owner died is taken over.
 */
async function withLock(lock: string, work: () => Promise<void>): Promise<void> {
  for (let announced = false; ;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number((await readFile(path.join(lock, "pid"), "utf8").catch(() => "")).trim());
    const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
    if ((owner > 0 && !isAlive(owner)) || (owner === 0 && age > 60_000)) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (!announced)
      process.stderr.write(
        `waiting for another process (pid ${owner || "?"}) that installs ${path.basename(lock, ".lock")}\n`,
      );
    announced = true;
    await delay(2_000);
  }
  try {
    await writeFile(path.join(lock, "pid"), String(process.pid));
    await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Installs into `finalDir` once: `build` fills a private staging directory which is renamed
 * into place only when complete, so an interrupted install never looks finished; a lock makes
 * concurrent runs wait for the one that builds instead of building beside it.
 */
export async function installOnce(finalDir: string, build: (stagingDir: string) => Promise<void>): Promise<string> {
  if (await exists(finalDir)) return finalDir;
  await mkdir(path.dirname(finalDir), { recursive: true });
  await withLock(`${finalDir}.lock`, async () => {
    if (await exists(finalDir)) return;
    const staging = `${finalDir}.staging-${process.pid}-${Date.now()}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    try {
      await build(staging);
      await rename(staging, finalDir);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
  return finalDir;
}
