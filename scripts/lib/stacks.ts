// Which stack a command means: any stack with a settings file Pulumi.NAME.yaml at the project
// root, the examples and an operator's own alike.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SettingsError } from "../../infra/config.js";

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** What is wrong with --stack NAME, or undefined when Pulumi.NAME.yaml is there. */
export function stackProblem(stack: string): string | undefined {
  if (!STACK_NAME.test(stack))
    return `--stack ${JSON.stringify(stack)} is not a stack name (letters, digits, '-', '_', '.')`;
  if (!existsSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)))
    return `--stack ${stack}: there is no Pulumi.${stack}.yaml in the project root (copy an example stack file)`;
  return undefined;
}

/**
 * Runs the program for a stack; bad settings are printed once, with the stack's file, and give
 * exit code 2 (every bad key is named at once, see infra/config.ts).
 */
export async function withStackSettings<T>(stack: string, run: () => Promise<T>): Promise<T | { exitCode: 2 }> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(`Pulumi.${stack}.yaml: ${error.message}`);
    return { exitCode: 2 };
  }
}
