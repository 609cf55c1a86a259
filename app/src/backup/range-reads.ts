// The backup's readers: worker threads (range-reader.ts) that each read one range of store ids at
// a time, so the decoding a backup spends its time on runs on several cores. Ranges are handed
// out in order as readers finish them; chunks come back in the order they are read, each one
// acknowledged once the backup has taken it, so at most a few per reader are in memory.
import { getHeapStatistics } from "node:v8";
import type { Worker } from "node:worker_threads";
import type { Driver } from "neo4j-driver";
import type { BackupConnection } from "./driver.js";
import { startWorker, workerError } from "./start-worker.js";
import { BackupFormatError } from "./values.js";

export interface ReaderSettings extends BackupConnection {
  database: string;
}

export type ReadKind = "nodes" | "relationships";

export interface ReaderRequest {
  type: "read";
  kind: ReadKind;
  from: number;
  /** Exclusive; null reads every id from `from` on. */
  to: number | null;
  fetchSize: number;
}

export interface NodeChunk {
  type: "nodes";
  /** Node lines, each ending in a newline. */
  text: string;
  /** Their element ids, in the order of the lines. */
  ids: string[];
  labels: Record<string, number>;
}

export interface RelationshipChunk {
  type: "relationships";
  /** One line per relationship (no newline) that names both endpoints by id, and those ids and its type. */
  lines: string[];
  starts: string[];
  ends: string[];
  types: string[];
}

export type ReaderMessage =
  NodeChunk | RelationshipChunk | { type: "done" } | { type: "error"; name: string; message: string };

/** Ranges per reader: enough that one reader left with a dense range does not hold up the others for long. */
const RANGES_PER_READER = 16;
const MIN_RANGE = 1000;

/** The highest store id of a node or relationship now, or null if there is none. */
export async function highestId(driver: Driver, database: string, kind: ReadKind): Promise<number | null> {
  const session = driver.session({
    database,
    defaultAccessMode: "READ",
    notificationFilter: { disabledCategories: ["DEPRECATION"] },
  });
  try {
    const query = kind === "nodes" ? "MATCH (n) RETURN max(id(n)) AS max" : "MATCH ()-[r]->() RETURN max(id(r)) AS max";
    const max = (await session.run(query)).records[0]?.get("max") as { toNumber(): number } | null | undefined;
    return max === null || max === undefined ? null : max.toNumber();
  } finally {
    await session.close();
  }
}

/** [from, to) ranges up to `highest`, then an open one for whatever is created meanwhile. */
export function planRanges(highest: number | null, readers: number): Array<{ from: number; to: number | null }> {
  if (highest === null) return [{ from: 0, to: null }];
  const size = Math.max(MIN_RANGE, Math.ceil((highest + 1) / (readers * RANGES_PER_READER)));
  const ranges: Array<{ from: number; to: number | null }> = [];
  for (let from = 0; from <= highest; from += size) ranges.push({ from, to: Math.min(highest + 1, from + size) });
  ranges.push({ from: highest + 1, to: null });
  return ranges;
}

const readerError = (name: string, message: string): Error =>
  workerError(name, message, [BackupFormatError], "a backup reader");

export class RangeReaders {
  private readonly workers: Worker[];

  constructor(settings: ReaderSettings, count: number) {
    // Each reader gets a third of the process's heap cap (the Jobs' --max-old-space-size) and a
    // young generation of at most 32 MB, so that two readers and the main thread together stay
    // inside the container's memory limit: their heaps fill towards these caps before a
    // collection. V8's --max-semi-space-size, which the Jobs set, is process-wide and takes the
    // young generation's place (infra/charts/backup.ts).
    const heapMb = Math.max(32, Math.floor(getHeapStatistics().heap_size_limit / 1024 / 1024 / 3));
    this.workers = Array.from({ length: count }, () =>
      startWorker(new URL("./range-reader.js", import.meta.url), {
        workerData: settings,
        resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32 },
      }),
    );
  }

  get count(): number {
    return this.workers.length;
  }

  /** Every node or relationship, as chunks from whichever of the first `lanes` readers has one. */
  async *read(
    kind: ReadKind,
    highest: number | null,
    { lanes, fetchSize }: { lanes: number; fetchSize: number },
  ): AsyncGenerator<NodeChunk | RelationshipChunk> {
    const workers = this.workers.slice(0, Math.max(1, lanes));
    const ranges = planRanges(highest, workers.length);
    const ready: Array<{ chunk: NodeChunk | RelationshipChunk; from: Worker }> = [];
    let reading = 0;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      const resume = wake;
      wake = undefined;
      resume?.();
    };
    const dispatch = (worker: Worker) => {
      const range = ranges.shift();
      if (!range) return;
      reading += 1;
      worker.postMessage({ type: "read", kind, ...range, fetchSize } satisfies ReaderRequest);
    };
    const listeners = workers.map((worker) => {
      const onMessage = (message: ReaderMessage) => {
        if (message.type === "done") {
          reading -= 1;
          dispatch(worker);
        } else if (message.type === "error") failure ??= readerError(message.name, message.message);
        else ready.push({ chunk: message, from: worker });
        notify();
      };
      const onError = (error: Error) => {
        failure ??= readerError(error.name, error.message);
        notify();
      };
      const onExit = (code: number) => onError(new Error(`exited with code ${code}`));
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
      return () => worker.off("message", onMessage).off("error", onError).off("exit", onExit);
    });
    try {
      for (const worker of workers) dispatch(worker);
      for (;;) {
        if (failure) throw failure;
        const next = ready.shift();
        if (next) {
          yield next.chunk;
          next.from.postMessage({ type: "credit" });
        } else if (reading === 0 && ranges.length === 0) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      for (const remove of listeners) remove();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
