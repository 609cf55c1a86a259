// npm run bench:sandbox: what run_python's walls cost.
//  1. layer 1: milliseconds per validation check (the rule set in the real interpreter's ast),
//     for a small program and for one of about 300 lines;
//  2. the latency of a small program taken from a warm pool (interpreter already booted), and
//     the same program with no warm worker (the boot paid in the call), as a ratio.
import { percentile } from "./load.js";
import { loadValidator } from "../../app/src/sandbox/validator-runtime.js";
import { WarmPool, type Job } from "../../app/src/sandbox/pool.js";
import { canIsolateNetwork } from "../../app/src/sandbox/contained-process.js";

const CHECKS = Number(process.env.BENCH_CHECKS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 8);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 3);

const SMALL = "import json\nvalues = [n * n for n in range(10)]\nprint(json.dumps({'sum': sum(values)}))\n";
const FUNCTION = (index: number) =>
  [
    `def step_${index}(items, factor=${index}):`,
    "    total = 0",
    "    for position, item in enumerate(items):",
    "        if position % 2 == 0:",
    "            total += item * factor",
    "        else:",
    "            total -= item // (factor + 1)",
    "    return {'index': position, 'total': total, 'label': f'step {factor}'}",
    "",
  ].join("\n");
const LARGE = `import math\nfrom collections import Counter\n${Array.from({ length: 33 }, (_, index) => FUNCTION(index)).join("\n")}print(step_1(list(range(100))))\n`;

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  return `mean ${mean.toFixed(2)} ms, p50 ${percentile(sorted, 50).toFixed(2)} ms, p95 ${percentile(sorted, 95).toFixed(2)} ms (n=${samples.length})`;
}

function timeChecks(check: (code: string, strict: boolean) => unknown, code: string, strict: boolean): number[] {
  for (let i = 0; i < 50; i++) check(code, strict); // warm the interpreter's caches
  const samples: number[] = [];
  for (let i = 0; i < CHECKS; i++) {
    const started = performance.now();
    check(code, strict);
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main(): Promise<void> {
  const check = await loadValidator();
  const lines = LARGE.split("\n").length;
  console.log(`validation (layer 1), per check:`);
  console.log(`  small program (${SMALL.split("\n").length - 1} lines): ${stats(timeChecks(check, SMALL, false))}`);
  console.log(`  large program (${lines} lines):  ${stats(timeChecks(check, LARGE, false))}`);
  console.log(`  large program, strict:        ${stats(timeChecks(check, LARGE, true))}`);

  const networkIsolation = canIsolateNetwork() ? "namespace" : "network-policy";
  const limits = {
    maxConcurrent: 1,
    memoryBytes: 256 * 1024 * 1024,
    maxOutputBytes: 100 * 1024,
    networkIsolation,
  } as const;
  const job: Job = { code: SMALL, stdin: "", timeLimitMs: 10_000, validate: true, strict: false };
  const warm = new WarmPool({ ...limits, poolSize: 1 });
  const cold = new WarmPool({ ...limits, poolSize: 0 });
  try {
    await warm.start();
    const warmSamples: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await warm.warm(); // the refill booted in the background: this call finds a ready worker
      const started = performance.now();
      const outcome = await warm.run(job);
      warmSamples.push(performance.now() - started);
      if (outcome.stdout !== '{"sum": 285}\n') throw new Error(`unexpected output: ${JSON.stringify(outcome)}`);
    }
    const coldSamples: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const started = performance.now();
      await cold.run(job);
      coldSamples.push(performance.now() - started);
    }
    const median = (samples: number[]) =>
      percentile(
        [...samples].sort((a, b) => a - b),
        50,
      );
    console.log(`small program, validated and run (network isolation: ${networkIsolation}):`);
    console.log(`  warm pool:         ${stats(warmSamples)}`);
    console.log(`  no warm worker:    ${stats(coldSamples)}`);
    console.log(
      `  the warm pool answers ${(median(coldSamples) / median(warmSamples)).toFixed(1)}x sooner (medians, this run)`,
    );
  } finally {
    await warm.close();
    await cold.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
