// npm run check [-- --stack NAME]... [--manifests PATH]... [--expose NAMESPACE/NAME]... [--json]
// Judges the kit with the policy pack's rules, without the Pulumi CLI: for each stack, every
// resource of a mocked run of the program and every manifest `npm run synth` writes for it
// (dist/manifests/<stack>, rewritten first); or any manifest files given with --manifests.
// Prints one line per violation: rule, resource, what is wrong, how to fix it.
// Exit codes: 0 no violation, 1 violations (or unreadable manifests), 2 bad arguments or settings.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { manifestsOf, writeManifests } from "../infra/offline/manifests.js";
import { EXAMPLE_STACKS, PROJECT_ROOT, revealOrRedact, runProgram } from "../infra/offline/mock-run.js";
import { evaluate, formatFinding, type Finding } from "../policies/evaluate.js";
import { readManifests } from "../policies/lib/manifests.js";
import type { CheckedResource, PackConfig } from "../policies/lib/types.js";
import { parseOptions, runMain, usageProblem } from "./lib/cli.js";
import { stackProblem, withStackSettings } from "./lib/stacks.js";

const USAGE = `usage: npm run check [-- --stack NAME]... [--manifests PATH]... [--expose NAMESPACE/NAME]... [--json]
Judges the stacks (Pulumi.NAME.yaml) and manifest files or folders with the policy pack's rules.
With no --stack and no --manifests, checks the example stacks (${EXAMPLE_STACKS.join(", ")}).
Exit codes: 0 no violation, 1 violations (or unreadable manifests), 2 bad arguments or settings.`;

interface Report {
  source: string;
  resources: number;
  findings: Finding[];
}

async function checkStack(stack: string, config: PackConfig): Promise<Report[]> {
  const run = await runProgram(stack);
  const mocked: CheckedResource[] = run.resources.map((resource) => ({
    type: resource.type,
    name: resource.name,
    props: {
      ...resource.state,
      ...(revealOrRedact(resource.inputs, (secret) => secret) as Record<string, unknown>),
      id: resource.id,
    },
  }));
  const directory = join(PROJECT_ROOT, "dist", "manifests", stack);
  writeManifests(directory, manifestsOf(run));
  return [
    { source: `${stack} (mocked run)`, resources: mocked.length, findings: evaluate(mocked, config) },
    checkManifests(directory, config, `${stack} (dist/manifests/${stack})`),
  ];
}

function checkManifests(path: string, config: PackConfig, source = path): Report {
  const { resources, problems } = readManifests(path);
  const findings = evaluate(resources, config);
  for (const problem of problems)
    findings.push({
      rule: "readable-manifest",
      resource: problem.file,
      message: problem.message,
      fix: "fix or remove the file",
    });
  return { source, resources: resources.length, findings };
}

runMain(async () => {
  const parsed = parseOptions(
    {
      stack: { type: "string", multiple: true },
      manifests: { type: "string", multiple: true },
      expose: { type: "string", multiple: true },
      json: { type: "boolean" },
    },
    USAGE,
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const { stack: stacks = [], manifests = [], expose = [], json = false } = parsed.values;
  for (const stack of stacks) {
    const problem = stackProblem(stack);
    if (problem) return usageProblem(USAGE, problem);
  }
  const missing = manifests.find((path) => !existsSync(path));
  if (missing !== undefined) return usageProblem(USAGE, `--manifests ${missing}: no such file or folder`);
  const config: PackConfig = { exposedServices: expose };

  // Pulumi's runtime is global to a process: several stacks run one child process each.
  const wanted = stacks.length === 0 && manifests.length === 0 ? [...EXAMPLE_STACKS] : stacks;
  if (wanted.length > 1 || (wanted.length === 1 && manifests.length > 0)) {
    let worst = 0;
    const script = fileURLToPath(import.meta.url);
    for (const target of [
      ...wanted.map((stack) => ["--stack", stack]),
      ...manifests.map((path) => ["--manifests", path]),
    ]) {
      const child = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          script,
          ...target,
          ...expose.flatMap((entry) => ["--expose", entry]),
          ...(json ? ["--json"] : []),
        ],
        { stdio: "inherit" },
      );
      worst = Math.max(worst, child.status ?? 1);
    }
    return worst;
  }

  const only = wanted[0];
  const reports =
    only === undefined
      ? manifests.map((path) => checkManifests(path, config))
      : await withStackSettings(only, () => checkStack(only, config));
  if ("exitCode" in reports) return reports.exitCode;
  const findings = reports.flatMap((report) => report.findings);
  if (json) {
    console.log(JSON.stringify({ reports }));
  } else {
    for (const finding of findings) console.log(formatFinding(finding));
    for (const report of reports)
      console.error(`${report.source}: ${report.findings.length} violation(s) in ${report.resources} resources`);
  }
  return findings.length > 0 ? 1 : 0;
});
