// A small closed-loop HTTP load generator for the benchmarks: N workers on keep-alive
// connections, each sending its next request when the previous one is answered.
// closedLoopInChild runs it in a process of its own, so the client's work (building requests,
// parsing responses) is not charged to the server being measured.
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";

export interface LoadResult {
  requests: number;
  failures: number;
  seconds: number;
  perSecond: number;
}

export async function closedLoop(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { concurrency: number; seconds: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const target = new URL(url);
  const deadline = Date.now() + opts.seconds * 1000;
  let requests = 0;
  let failures = 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: { ...headers, "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) requests += 1;
            else failures += 1;
            resolve();
          });
        },
      );
      req.on("error", () => {
        failures += 1;
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (Date.now() < deadline) await once();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests, failures, seconds, perSecond: requests / seconds };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface LoadJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  opts: { concurrency: number; seconds: number };
}

const THIS_FILE = fileURLToPath(import.meta.url);

export function closedLoopInChild(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { concurrency: number; seconds: number },
): Promise<LoadResult> {
  const job: LoadJob = { url, headers, body, opts };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", THIS_FILE], {
      env: { ...process.env, BENCH_LOAD_JOB: JSON.stringify(job) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(stdout) as LoadResult) : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

if (process.argv[1] === THIS_FILE && process.env.BENCH_LOAD_JOB) {
  const job = JSON.parse(process.env.BENCH_LOAD_JOB) as LoadJob;
  closedLoop(job.url, job.headers, job.body, job.opts).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
