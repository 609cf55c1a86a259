// The conversion threads of the restore by import (convert-worker.ts): the main thread reads and
// decompresses the backup and hands it out in batches of whole lines, each to the thread with the
// least waiting, and takes the results back in the order of the batches, so that it checks the
// lines in the backup's order. At most two batches per thread are out at a time, so a slow
// thread holds the reading back instead of filling memory.
import type { Worker } from "node:worker_threads";
import { startWorker, workerError } from "../start-worker.js";
import type { ConvertedBatch } from "./convert-batch.js";
import { ImportShapeError } from "./csv-groups.js";
import type { WrittenRows } from "./rows.js";

export interface ConverterData {
  dir: string;
  /** Its files' names begin with this. */
  name: string;
}

export type ConverterRequest = { type: "batch"; seq: number; text: string } | { type: "close" } | { type: "discard" };

export type ConverterMessage =
  | { type: "batch"; seq: number; batch: ConvertedBatch }
  | { type: "closed"; rows?: WrittenRows }
  | { type: "error"; name: string; message: string };

/** Batches a thread may have waiting: the one it converts and one behind it. */
const QUEUED_PER_THREAD = 2;

// A graph the importer cannot take keeps its type: the restore says to restore it online.
const converterError = (name: string, message: string): Error =>
  workerError(name, message, [ImportShapeError], "a conversion thread");

export class ConvertPool {
  private readonly workers: Worker[];
  private readonly queued: number[];
  private readonly converted = new Map<number, ConvertedBatch>();
  private readonly closed = new Map<number, WrittenRows | undefined>();
  private readonly exited = new Set<number>();
  private failure: Error | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(dir: string, threads: number) {
    this.workers = Array.from({ length: Math.max(1, threads) }, (_, index) =>
      startWorker(new URL("./convert-worker.js", import.meta.url), {
        workerData: { dir, name: `t${index}-` } satisfies ConverterData,
      }),
    );
    this.queued = this.workers.map(() => 0);
    this.workers.forEach((worker, index) => {
      worker.on("message", (message: ConverterMessage) => {
        if (message.type === "batch") {
          this.queued[index] = (this.queued[index] ?? 1) - 1;
          this.converted.set(message.seq, message.batch);
        } else if (message.type === "closed") this.closed.set(index, message.rows);
        else this.failure ??= converterError(message.name, message.message);
        this.notify();
      });
      worker.on("error", (error: Error) => {
        this.failure ??= converterError(error.name, error.message);
        this.notify();
      });
      worker.on("exit", (code: number) => {
        this.exited.add(index);
        if (!this.stopping) this.failure ??= new Error(`a conversion thread exited with code ${code}`);
        this.notify();
      });
    });
  }

  private notify(): void {
    const resume = this.wake;
    this.wake = undefined;
    resume?.();
  }

  /** Resolves with what `ready` finds once it finds something; rejects once a thread fails, unless told to go on. */
  private async until<T>(ready: () => T | undefined, { despiteFailure = false } = {}): Promise<T> {
    for (;;) {
      if (this.failure && !despiteFailure) throw this.failure;
      const value = ready();
      if (value !== undefined) return value;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private leastQueued(): number {
    let best = 0;
    for (let index = 1; index < this.queued.length; index += 1)
      if ((this.queued[index] ?? 0) < (this.queued[best] ?? 0)) best = index;
    return best;
  }

  /** Converts every batch, yielding each one's result in the order the batches came. */
  async *convert(batches: AsyncIterable<string>): AsyncGenerator<ConvertedBatch> {
    const iterator = batches[Symbol.asyncIterator]();
    const limit = this.workers.length * QUEUED_PER_THREAD;
    let sent = 0;
    let taken = 0;
    let exhausted = false;
    try {
      for (;;) {
        while (!exhausted && sent - taken < limit) {
          if (this.failure) throw this.failure;
          const next = await iterator.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          const index = this.leastQueued();
          this.queued[index] = (this.queued[index] ?? 0) + 1;
          this.workers[index]?.postMessage({ type: "batch", seq: sent, text: next.value } satisfies ConverterRequest);
          sent += 1;
        }
        if (taken === sent) return;
        const seq = taken;
        const batch = await this.until(() => this.converted.get(seq));
        this.converted.delete(seq);
        taken += 1;
        yield batch;
      }
    } finally {
      // Stopped early (a refusal, a failure): the download and decompression stop too.
      if (!exhausted) await iterator.return?.(undefined);
    }
  }

  private async stop(request: ConverterRequest): Promise<Array<WrittenRows | undefined>> {
    for (const worker of this.workers) worker.postMessage(request);
    const discarding = request.type === "discard";
    try {
      // Discarding waits for every thread to close its files or to be gone, whatever failed before.
      const answered = (index: number) => this.closed.has(index) || (discarding && this.exited.has(index));
      return await this.until(
        () =>
          this.workers.every((_, index) => answered(index))
            ? this.workers.map((_, index) => this.closed.get(index))
            : undefined,
        { despiteFailure: discarding },
      );
    } finally {
      this.stopping = true;
      await Promise.all(this.workers.map((worker) => worker.terminate()));
    }
  }

  /** Writes every thread's headers and closes its files: what each wrote. */
  async close(): Promise<WrittenRows[]> {
    return (await this.stop({ type: "close" })).filter((rows): rows is WrittenRows => rows !== undefined);
  }

  /** Closes every thread's files as they are and stops the threads: the import is abandoned. */
  async discard(): Promise<void> {
    if (this.stopping) return;
    await this.stop({ type: "discard" });
  }
}
