// npm run deploy -- preview|up|destroy|outputs --stack NAME [--kubeconfig FILE] [--yes] [--json] [--show-secrets]
// The kit's Pulumi program applied by the real engine through the Automation API: the same
// program `pulumi up` runs, with the policy pack always enforced (scripts/lib/deploy-run.ts).
import { access } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { CommandError, ConcurrentUpdateError } from "@pulumi/pulumi/automation/index.js";
import { parseOptions, runMain, usageProblem } from "./lib/cli.js";
import { stackProblem } from "./lib/stacks.js";
import { assertReachable, loadKubeConfig } from "./lib/kube-config.js";
import { DEPLOY_COMMANDS, DEPLOY_EXIT, runDeploy, type DeployCommand, type DeployResult } from "./lib/deploy-run.js";
import { openEngine } from "./lib/engine.js";

const USAGE = `usage: npm run deploy -- preview|up|destroy|outputs --stack NAME [--kubeconfig FILE] [--yes] [--json] [--show-secrets]
  preview   what up would change, judged by the policy pack
  up        preview, then apply (asks first on a terminal; --yes to apply without asking)
  destroy   delete everything the stack created (--yes to skip the question)
  outputs   the stack's outputs (secrets shown only with --show-secrets)
The stack's settings are Pulumi.NAME.yaml in the project root. State goes to PULUMI_BACKEND_URL,
else to a local backend in the kit's cache; secrets are encrypted with PULUMI_CONFIG_PASSPHRASE(_FILE),
else with a passphrase generated into a file there (mode 0600).
Progress goes to stderr; --json prints one JSON result on stdout.
Exit codes: 0 done, 1 the engine or the cluster failed, 2 usage, 3 a policy violation stopped it
(nothing changed), 4 the stack's settings are invalid (nothing changed).`;

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

async function ask(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

function printOutputs(outputs: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(outputs))
    console.log(`${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
}

runMain(async () => {
  const parsed = parseOptions(
    {
      stack: { type: "string", short: "s" },
      kubeconfig: { type: "string" },
      yes: { type: "boolean", short: "y" },
      json: { type: "boolean" },
      "show-secrets": { type: "boolean" },
    },
    USAGE,
    process.argv.slice(2),
    { allowPositionals: true },
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const { values, positionals } = parsed;
  const usage = (problem: string) => usageProblem(USAGE, problem);
  const [command, ...extra] = positionals;
  if (command === undefined) return usage("a command is needed: preview, up, destroy or outputs");
  if (!(DEPLOY_COMMANDS as readonly string[]).includes(command))
    return usage(`unknown command ${JSON.stringify(command)}`);
  if (extra.length > 0) return usage(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (values.stack === undefined) return usage("--stack NAME is required");
  const stackIsBad = stackProblem(values.stack);
  if (stackIsBad) return usage(stackIsBad);
  if (values.kubeconfig !== undefined && !(await exists(values.kubeconfig)))
    return usage(`--kubeconfig ${values.kubeconfig}: no such file`);
  if ((command === "up" || command === "destroy") && !values.yes && !process.stdin.isTTY)
    return usage(`${command} changes the cluster: pass --yes to run it without a terminal`);

  if (command !== "outputs") {
    try {
      await assertReachable(await loadKubeConfig({ kubeconfig: values.kubeconfig }));
    } catch (error) {
      console.error(`deploy: ${(error as Error).message}`);
      return DEPLOY_EXIT.failed;
    }
  }
  const { stack } = await openEngine(values.stack, { kubeconfig: values.kubeconfig });
  const run = runDeploy({
    command: command as DeployCommand,
    stack,
    confirm: async (question) => values.yes === true || ask(question),
    onOutput: (text) => process.stderr.write(text),
    onError: (text) => console.error(text),
    showSecrets: values["show-secrets"] ?? false,
  }).catch((error: unknown) => {
    if (!(error instanceof CommandError)) throw error;
    // The engine's output was streamed already; its error lines say what failed.
    const lines = String(error.message)
      .split("\n")
      .filter((line) => /^\s*error:/.test(line));
    const reason =
      error instanceof ConcurrentUpdateError
        ? "another update of this stack is running"
        : [...new Set(lines.map((line) => line.trim()))].slice(-5).join("\n  ") || "see its output above";
    console.error(`deploy: ${command} failed: ${reason}`);
    return { exitCode: DEPLOY_EXIT.failed, body: { error: reason } } satisfies DeployResult as DeployResult;
  });
  const { exitCode, body } = await run;
  if (values.json) console.log(JSON.stringify({ command, stack: values.stack, exitCode, ...body }, null, 2));
  else if (body.outputs && exitCode === DEPLOY_EXIT.ok) printOutputs(body.outputs);
  else if (body.changes && exitCode === DEPLOY_EXIT.ok)
    console.error(`deploy: ${command} of ${values.stack}: ${JSON.stringify(body.changes)}`);
  return exitCode;
});
