// A long-running child process (a database, an object store) with a readiness wait and a
// clean stop: SIGTERM first, SIGKILL only if it does not exit in time.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { cleanUpAndRethrow } from "./toolchain.js";

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Stops the process and resolves once it has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr go, for a post-mortem when start-up fails. */
  logFile: string;
  /**
   * How readiness shows: a stdout line matching `line` (its first group is the ready value),
   * or `probe` returning a value instead of undefined when polled.
   */
  ready: { line: RegExp } | { probe: () => Promise<string | undefined> };
  timeoutMs: number;
  stopTimeoutMs?: number;
}

/** How much of a process's last output a start-up error quotes. */
const LAST_OUTPUT_CHARS = 2_000;

const running = new Set<ChildProcess>();
// If the parent dies without stopping its services, do not leave them behind.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startServiceProcess(
  options: StartOptions,
): Promise<{ process: ServiceProcess; readyValue: string }> {
  const log = createWriteStream(options.logFile, { flags: "a", mode: 0o600 });
  const child = spawn(options.command, options.args, {
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawnFailed = new Promise<never>((_, reject) => child.once("error", reject));
  void exited.then(() => running.delete(child));
  child.stderr?.pipe(log, { end: false });
  child.stdout?.pipe(log, { end: false });
  // The end of its output goes into a start-up error: the log file may go with its directory.
  let lastOutput = "";
  const keepTail = (chunk: Buffer) => {
    lastOutput = (lastOutput + chunk.toString()).slice(-LAST_OUTPUT_CHARS);
  };
  child.stderr?.on("data", keepTail);
  child.stdout?.on("data", keepTail);
  const withOutput = (message: string) =>
    new Error(`${message}; see ${options.logFile}${lastOutput ? `\nits last output:\n${lastOutput.trimEnd()}` : ""}`);
  const stop = onceOnly(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), options.stopTimeoutMs ?? 30_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  });

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(withOutput(`${options.name} did not become ready within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  // Its output may still be arriving when it exits: wait for its pipes to close, briefly.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const diedEarly = exited.then(async () => {
    await Promise.race([closed, delay(1_000)]);
    const how = child.signalCode === null ? `code ${child.exitCode}` : `signal ${child.signalCode}`;
    throw withOutput(`${options.name} exited during start-up (${how})`);
  });
  try {
    const readyValue = await Promise.race([
      whenReady(child, options.ready, diedEarly),
      timedOut,
      diedEarly,
      spawnFailed,
    ]);
    return { process: { name: options.name, pid: child.pid ?? -1, stop }, readyValue };
  } catch (error) {
    return await cleanUpAndRethrow(error, stop);
  } finally {
    clearTimeout(timer);
    child.stderr?.off("data", keepTail);
    child.stdout?.off("data", keepTail);
  }
}

async function whenReady(
  child: ChildProcess,
  ready: StartOptions["ready"],
  diedEarly: Promise<never>,
): Promise<string> {
  if ("line" in ready) {
    const pattern = ready.line;
    const stdout = child.stdout as NodeJS.ReadableStream;
    return new Promise((resolve) => {
      let buffered = "";
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString();
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          const match = pattern.exec(line);
          if (match) {
            stdout.off("data", onData);
            return resolve(match[1] ?? line);
          }
        }
      };
      stdout.on("data", onData);
    });
  }
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) return diedEarly;
    const value = await ready.probe().catch(() => undefined);
    if (value !== undefined) return value;
    await delay(200);
  }
}

function onceOnly(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
