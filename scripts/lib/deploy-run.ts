// One run of the deploy command against a stack: preview, up, destroy or outputs, with the
// policy pack always enforced. `up` previews first, and a mandatory violation stops it before
// anything is created or changed. The command line (scripts/deploy.ts) and pipelines that
// import this both get the same result: an exit code and one JSON-ready body.
import type { EngineEvent, OpMap, OutputMap, PulumiFn, Stack } from "@pulumi/pulumi/automation/index.js";
import { SettingsError } from "../../infra/config.js";
import { settingsFromConfig } from "../../infra/read-settings.js";
import { POLICY_ANALYZER, PROJECT_NAME } from "./engine.js";

export const DEPLOY_EXIT = { ok: 0, failed: 1, usage: 2, policy: 3, settings: 4 } as const;
export const DEPLOY_COMMANDS = ["preview", "up", "destroy", "outputs"] as const;
export type DeployCommand = (typeof DEPLOY_COMMANDS)[number];

export interface Violation {
  policy: string;
  resource: string | undefined;
  message: string;
}

/** One resource the run creates, updates, replaces or deletes. */
export interface Step {
  op: string;
  type: string;
  name: string;
}

export interface DeployRequest {
  readonly command: DeployCommand;
  readonly stack: Stack;
  /** Asked before up and destroy change anything; false stops with the usage code. */
  readonly confirm: (question: string) => Promise<boolean>;
  /** The engine's progress, for people. */
  readonly onOutput: (text: string) => void;
  /** Problems, for people. */
  readonly onError: (text: string) => void;
  readonly showSecrets?: boolean;
  /** Another program than the kit's own: a pipeline's wrapper of kitProgram. @default the stack's */
  readonly program?: PulumiFn;
}

export interface DeployResult {
  readonly exitCode: (typeof DEPLOY_EXIT)[keyof typeof DEPLOY_EXIT];
  readonly body: {
    changes?: OpMap;
    steps?: Step[];
    outputs?: Record<string, unknown>;
    violations?: Violation[];
    error?: string;
  };
}

/** What the engine reports while it runs: violations and changing steps for the result. */
class Watch {
  readonly violations: Violation[] = [];
  readonly steps: Step[] = [];

  constructor(private readonly onOutput: (text: string) => void) {}

  options() {
    return {
      onOutput: this.onOutput,
      color: "never" as const,
      onEvent: (event: EngineEvent) => {
        const policy = event.policyEvent;
        if (policy?.enforcementLevel === "mandatory")
          this.violations.push({
            policy: policy.policyName,
            resource: policy.resourceUrn?.split("::").at(-1),
            message: policy.message.trim(),
          });
        const step = event.resourcePreEvent?.metadata;
        if (step && step.op !== "same" && step.op !== "read")
          this.steps.push({ op: step.op, type: step.type, name: step.urn.split("::").at(-1) ?? step.urn });
      },
    };
  }
}

function shownOutputs(outputs: OutputMap, showSecrets: boolean): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, output]) => [key, output.secret && !showSecrets ? "[secret]" : output.value]),
  );
}

/** The settings the engine would hand the program, validated before the engine runs it. */
async function checkSettings(stack: Stack): Promise<void> {
  const config = await stack.getAllConfig();
  settingsFromConfig(
    Object.entries(config).map(([key, { value, secret }]) => ({ key, value, secret: secret ?? false })),
    PROJECT_NAME,
  );
}

export async function runDeploy(request: DeployRequest): Promise<DeployResult> {
  const { command, stack } = request;
  const showSecrets = request.showSecrets ?? false;
  if (command === "outputs")
    return { exitCode: DEPLOY_EXIT.ok, body: { outputs: shownOutputs(await stack.outputs(), showSecrets) } };

  if (command === "destroy") {
    if (!(await request.confirm(`Delete everything stack ${stack.name} created?`)))
      return notConfirmed(request, command);
    const watch = new Watch(request.onOutput);
    const destroyed = await stack.destroy(watch.options());
    return { exitCode: DEPLOY_EXIT.ok, body: { changes: destroyed.summary.resourceChanges ?? {}, steps: watch.steps } };
  }

  try {
    await checkSettings(stack);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    request.onError(`deploy: ${error.message}`);
    return { exitCode: DEPLOY_EXIT.settings, body: { error: error.message } };
  }

  const program = request.program ? { program: request.program } : {};
  const previewed = new Watch(request.onOutput);
  let changes: OpMap;
  try {
    changes = (await stack.preview({ ...previewed.options(), ...program, policyPacks: [POLICY_ANALYZER], diff: false }))
      .changeSummary;
  } catch (error) {
    if (previewed.violations.length === 0) throw error;
    changes = {};
  }
  if (previewed.violations.length > 0)
    return refused(request, previewed.violations, "deploy: the policy pack refused the change; nothing was changed:");
  if (command === "preview") return { exitCode: DEPLOY_EXIT.ok, body: { changes, steps: previewed.steps } };

  if (!(await request.confirm(`Apply these changes to stack ${stack.name}?`))) return notConfirmed(request, command);
  const applying = new Watch(request.onOutput);
  try {
    const applied = await stack.up({ ...applying.options(), ...program, policyPacks: [POLICY_ANALYZER] });
    return {
      exitCode: DEPLOY_EXIT.ok,
      body: {
        changes: applied.summary.resourceChanges ?? {},
        steps: applying.steps,
        outputs: shownOutputs(applied.outputs, showSecrets),
      },
    };
  } catch (error) {
    if (applying.violations.length === 0) throw error;
    return refused(
      request,
      applying.violations,
      "deploy: the policy pack refused part of the change while it was applied; what it had judged before may have changed:",
    );
  }
}

function refused(request: DeployRequest, violations: Violation[], headline: string): DeployResult {
  request.onError(headline);
  for (const violation of violations)
    request.onError(`  ${violation.policy} (${violation.resource ?? "stack"}): ${violation.message}`);
  return { exitCode: DEPLOY_EXIT.policy, body: { violations } };
}

function notConfirmed(request: DeployRequest, command: DeployCommand): DeployResult {
  request.onError(`deploy: ${command} was not confirmed; nothing was changed`);
  return { exitCode: DEPLOY_EXIT.usage, body: { error: `${command} was not confirmed` } };
}
