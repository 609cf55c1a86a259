// npm run synth -- --stack aws|local [--out DIR]
// Writes every Kubernetes object the Pulumi program creates for an example stack to
// dist/manifests/<stack>/, one file per object, with no cluster and no Pulumi CLI: the program
// runs under Pulumi's mocks. Secret values are redacted. Exit codes: 0 written, 1 failed,
// 2 bad arguments.
import { join } from "node:path";
import { helmReleasesOf, manifestsOf, writeManifests } from "../infra/offline/manifests.js";
import { EXAMPLE_STACKS, PROJECT_ROOT, runProgram } from "../infra/offline/mock-run.js";
import { parseOptions, runMain } from "./lib/cli.js";

const USAGE = `usage: npm run synth -- --stack ${EXAMPLE_STACKS.join("|")} [--out DIR] [--json]`;

runMain(async () => {
  const parsed = parseOptions({ stack: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } }, USAGE);
  if ("exitCode" in parsed) return parsed.exitCode;
  const options = parsed.values;
  const stack = options.stack;
  if (typeof stack !== "string" || !(EXAMPLE_STACKS as readonly string[]).includes(stack)) {
    console.error(`synth: --stack must be one of ${EXAMPLE_STACKS.join(", ")}\n${USAGE}`);
    return 2;
  }
  const out = typeof options.out === "string" ? options.out : join(PROJECT_ROOT, "dist", "manifests", stack);
  const run = await runProgram(stack);
  const files = writeManifests(out, manifestsOf(run));
  const releases = helmReleasesOf(run);
  if (options.json) {
    console.log(JSON.stringify({ stack, directory: out, objects: files.length, helmReleases: releases }));
  } else {
    console.log(`${stack}: ${files.length} objects written to ${out}`);
    for (const release of releases) console.log(`  Helm release (applied by Pulumi, not synthesized): ${release.chart} ${release.version}`);
  }
  return 0;
});
