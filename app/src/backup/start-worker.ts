// Starting one of the backup's worker threads: the compiled module, or, when this runs from its
// TypeScript source (tests, the operator scripts), that source through tsx, whose loader a
// worker thread does not inherit.
import { Worker, type WorkerOptions } from "node:worker_threads";

/** `module` is the worker's URL as compiled (`new URL("./x.js", import.meta.url)` of a caller in the same folder). */
export function startWorker(module: URL, options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(module, options);
  const source = module.href.replace(/\.js$/, ".ts");
  const loader = import.meta.resolve("tsx/esm/api");
  return new Worker(
    `import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`,
    { ...options, eval: true },
  );
}

/**
 * An error a worker thread reported by name and message, as the main thread rethrows it: a
 * refusal the operator can act on keeps its type (one of `kept`), so the command reports it in
 * one line; anything else says which thread failed.
 */
export function workerError(
  name: string,
  message: string,
  kept: ReadonlyArray<new (message: string) => Error>,
  thread: string,
): Error {
  const Kept = kept.find((type) => type.name === name);
  return Kept ? new Kept(message) : new Error(`${thread} failed: ${message}`);
}
