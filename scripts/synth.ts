// npm run synth -- --stack NAME [--out DIR] [--json]
// Writes every Kubernetes object the Pulumi program creates for a stack (Pulumi.NAME.yaml) to
// dist/manifests/<stack>/, one file per object, with no cluster and no Pulumi CLI: the program
// runs under Pulumi's mocks. Secret values are redacted. Exit codes: 0 written, 1 failed,
// 2 bad arguments or settings.
import { join } from "node:path";
import { helmReleasesOf, manifestsOf, writeManifests } from "../infra/offline/manifests.js";
import { EXAMPLE_STACKS, PROJECT_ROOT, runProgram } from "../infra/offline/mock-run.js";
import { parseOptions, runMain, usageProblem } from "./lib/cli.js";
import { stackProblem, withStackSettings } from "./lib/stacks.js";

const USAGE = `usage: npm run synth -- --stack NAME [--out DIR] [--json]
Writes every Kubernetes object of the stack whose settings are Pulumi.NAME.yaml (the examples:
${EXAMPLE_STACKS.join(", ")}) to dist/manifests/NAME/, or --out DIR.
Exit codes: 0 written, 1 failed, 2 bad arguments or settings.`;

runMain(async () => {
  const parsed = parseOptions({ stack: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } }, USAGE);
  if ("exitCode" in parsed) return parsed.exitCode;
  const options = parsed.values;
  const stack = options.stack;
  if (stack === undefined) return usageProblem(USAGE, "--stack is required");
  const problem = stackProblem(stack);
  if (problem) return usageProblem(USAGE, problem);
  const out = typeof options.out === "string" ? options.out : join(PROJECT_ROOT, "dist", "manifests", stack);
  const run = await withStackSettings(stack, () => runProgram(stack));
  if ("exitCode" in run) return run.exitCode;
  const files = writeManifests(out, manifestsOf(run));
  const releases = helmReleasesOf(run);
  if (options.json) {
    console.log(JSON.stringify({ stack, directory: out, objects: files.length, helmReleases: releases }));
  } else {
    console.log(`${stack}: ${files.length} objects written to ${out}`);
    for (const release of releases)
      console.log(`  Helm release (applied by Pulumi, not synthesized): ${release.chart} ${release.version}`);
  }
  return 0;
});
