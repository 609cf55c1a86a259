// A warm pool of contained workers. Each worker boots the interpreter ahead of time (about two
// seconds) and then runs exactly one program, so nothing one program leaves behind reaches the
// next. While a program runs, the pool holds its caps from outside the process: wall time, CPU
// time and resident memory from the kernel's accounting, and the bytes it may write back; past
// any of them the process is killed. A killed or finished worker is replaced in the background.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { processUsage, spawnContained, type ContainedProcess, type NetworkIsolation } from "./contained-process.js";
import { VALIDATOR_SOURCE, type Verdict } from "./validator.js";

export interface PoolLimits {
  /** Warm workers kept booted. */
  readonly poolSize: number;
  /** Programs running at once in this process (the pod's cap). */
  readonly maxConcurrent: number;
  /** WebAssembly memory a program may grow to. */
  readonly memoryBytes: number;
  /** Bytes of stdout, and of stderr, a program's result keeps. */
  readonly maxOutputBytes: number;
  readonly networkIsolation: NetworkIsolation;
  /** The longest time limit a job may ask for; sets the kernel's CPU backstop. */
  readonly maxTimeMs?: number;
}

export interface Job {
  readonly code: string;
  readonly stdin: string;
  readonly timeLimitMs: number;
  /** Layer 1. Only the tests of the layers behind it turn it off. */
  readonly validate: boolean;
  readonly strict: boolean;
}

export type Termination =
  "exited" | "refused" | "time-limit" | "cpu-limit" | "memory-limit" | "output-limit" | "cancelled" | "crashed";

export interface Outcome {
  readonly termination: Termination;
  readonly verdict: Verdict;
  /** The program's exit status; null when it did not run to its end. */
  readonly exitStatus: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What the program wrote in all, of which stdout and stderr keep at most maxOutputBytes. */
  readonly stdoutBytes: number;
  readonly stderrBytes: number;
  readonly durationMs: number;
}

export class SandboxBusyError extends Error {
  override readonly name = "SandboxBusyError";
}

/** The JavaScript heap beside the WebAssembly memory: the interpreter's bridge objects, output. */
const HEAP_MIB = 192;
/** A booted worker's resident memory besides what the program grows (measured near 180 MiB). */
const PROCESS_OVERHEAD_BYTES = 320 * 1024 * 1024;
const BOOT_TIMEOUT_MS = 60_000;
/** CPU seconds a worker may use booting (about 2-3 on an idle core), before its program's share. */
const BOOT_CPU_SECONDS = 60;
const WATCH_INTERVAL_MS = 20;
/** The result line escapes output as JSON, which at worst grows it sixfold. */
const protocolCap = (limits: PoolLimits) => 2 * 6 * limits.maxOutputBytes + 64 * 1024;

const workerEntry = fileURLToPath(new URL("./worker.mjs", import.meta.url));
const pyodideDir = path.dirname(createRequire(import.meta.url).resolve("pyodide/pyodide.mjs"));

interface Worker {
  process: ContainedProcess;
  lines: AsyncIterator<string>;
  /** Set when the worker wrote more than the protocol cap and was killed for it. */
  overflowed: boolean;
}

/** Splits a stream into lines, killing the process if it writes more than the cap. */
function lineReader(process: ContainedProcess, cap: number, onOverflow: () => void): AsyncIterator<string> {
  const queue: string[] = [];
  const waiting: Array<(result: IteratorResult<string>) => void> = [];
  let buffered = "";
  let size = 0;
  let ended = false;
  const deliver = (line: string) => {
    const next = waiting.shift();
    if (next) next({ value: line, done: false });
    else queue.push(line);
  };
  process.child.stdout.setEncoding("utf8");
  process.child.stdout.on("data", (chunk: string) => {
    size += chunk.length;
    if (size > cap) {
      onOverflow();
      return;
    }
    buffered += chunk;
    for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
      deliver(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  process.child.stdout.on("close", () => {
    ended = true;
    for (const next of waiting.splice(0)) next({ value: undefined, done: true });
  });
  return {
    next: () => {
      const line = queue.shift();
      if (line !== undefined) return Promise.resolve({ value: line, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

export class WarmPool {
  private readonly idle: Array<Promise<Worker>> = [];
  private running = 0;
  private closed = false;

  constructor(private readonly limits: PoolLimits) {}

  /** Boots the warm workers; resolves once the first is ready, so a broken set-up fails here. */
  async start(): Promise<void> {
    for (let i = 0; i < this.limits.poolSize; i++) this.refill();
    if (this.idle[0]) await this.idle[0];
  }

  /** Resolves when every warm worker has booted (or failed to). */
  async warm(): Promise<void> {
    await Promise.allSettled(this.idle);
  }

  get active(): number {
    return this.running;
  }

  /** Runs one program; an abort (the caller gone, the tool's timeout) kills it at once. */
  async run(job: Job, signal?: AbortSignal): Promise<Outcome> {
    if (this.closed) throw new SandboxBusyError("the sandbox is shutting down");
    if (this.running >= this.limits.maxConcurrent)
      throw new SandboxBusyError(`the sandbox already runs ${this.running} programs, its limit`);
    this.running++;
    try {
      const worker = await (this.idle.shift() ?? this.boot());
      this.refill();
      try {
        return await this.execute(worker, job, signal);
      } finally {
        await worker.process.destroy();
      }
    } finally {
      this.running--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = await Promise.allSettled(this.idle.splice(0));
    await Promise.all(
      workers.map((settled) => (settled.status === "fulfilled" ? settled.value.process.destroy() : undefined)),
    );
  }

  private refill(): void {
    if (this.closed) return;
    const worker = this.boot();
    worker.catch(() => undefined); // a failed boot surfaces to the run that takes it
    this.idle.push(worker);
  }

  private async boot(): Promise<Worker> {
    const process = await spawnContained(workerEntry, {
      readable: [pyodideDir, workerEntry],
      networkIsolation: this.limits.networkIsolation,
      heapMiB: HEAP_MIB,
      cpuSeconds: BOOT_CPU_SECONDS + (this.limits.maxTimeMs ?? 600_000) / 1000,
    });
    process.child.stderr.resume(); // diagnostics are not relayed: they could carry program output
    process.child.stdin.on("error", () => undefined); // a killed worker's pipe: the exit says why
    const worker: Worker = { process, lines: undefined as unknown as AsyncIterator<string>, overflowed: false };
    worker.lines = lineReader(process, protocolCap(this.limits), () => {
      worker.overflowed = true;
      process.child.kill("SIGKILL");
    });
    const { lines } = worker;
    const boot = {
      pyodide: pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href,
      validator: VALIDATOR_SOURCE,
      maxMemoryBytes: this.limits.memoryBytes,
      maxOutputBytes: this.limits.maxOutputBytes,
    };
    process.child.stdin.write(`${JSON.stringify(boot)}\n`);
    const timer = setTimeout(() => void process.destroy(), BOOT_TIMEOUT_MS);
    try {
      const ready = await lines.next();
      if (ready.done || (JSON.parse(ready.value) as { type?: string }).type !== "ready") {
        throw new Error(
          `the sandbox worker did not boot (exit ${process.child.exitCode ?? process.child.signalCode ?? "unknown"})`,
        );
      }
    } catch (error) {
      await process.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return worker;
  }

  private async execute(worker: Worker, job: Job, signal: AbortSignal | undefined): Promise<Outcome> {
    const started = performance.now();
    const { pid, child } = worker.process;
    let killedFor: Termination | undefined;
    const kill = (reason: Termination) => {
      killedFor ??= reason;
      child.kill("SIGKILL");
    };
    const cpuAtStart = (await processUsage(pid))?.cpuMs ?? 0;
    const maxRss = this.limits.memoryBytes + PROCESS_OVERHEAD_BYTES;
    const wall = setTimeout(() => kill("time-limit"), job.timeLimitMs);
    const onAbort = () => kill("cancelled");
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const watch = setInterval(() => {
      void processUsage(pid).then((usage) => {
        if (!usage) return;
        if (usage.cpuMs - cpuAtStart > job.timeLimitMs) kill("cpu-limit");
        else if (usage.rssBytes > maxRss) kill("memory-limit");
      });
    }, WATCH_INTERVAL_MS);
    try {
      child.stdin.write(
        `${JSON.stringify({ code: job.code, stdin: job.stdin, validate: job.validate, strict: job.strict })}\n`,
      );
      const line = await worker.lines.next();
      const durationMs = Math.round(performance.now() - started);
      if (line.done) {
        // The stream ended without a result: a cap killed the worker, or it died by itself.
        return emptyOutcome(killedFor ?? (worker.overflowed ? "output-limit" : "crashed"), durationMs);
      }
      const result = parseResult(line.value);
      if (!result) return emptyOutcome(killedFor ?? "crashed", durationMs); // not the worker's own line
      return {
        termination: result.ran ? "exited" : "refused",
        verdict: result.verdict,
        exitStatus: result.exitStatus,
        stdout: result.stdout,
        stderr: result.stderr,
        stdoutBytes: result.stdoutBytes,
        stderrBytes: result.stderrBytes,
        durationMs,
      };
    } finally {
      clearTimeout(wall);
      clearInterval(watch);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

type WorkerResult = Omit<Outcome, "termination" | "durationMs"> & { ran: boolean };

function parseResult(line: string): WorkerResult | undefined {
  try {
    const result = JSON.parse(line) as WorkerResult & { type?: string };
    return result.type === "result" ? result : undefined;
  } catch {
    return undefined;
  }
}

function emptyOutcome(termination: Termination, durationMs: number): Outcome {
  return {
    termination,
    verdict: { ok: true, strict: false, violations: [] },
    exitStatus: null,
    stdout: "",
    stderr: "",
    stdoutBytes: 0,
    stderrBytes: 0,
    durationMs,
  };
}
