// The kit's Pulumi program as one function: `pulumi up` (through index.ts) and the deploy
// command's Automation API runs (an inline program) both call it, so both deploy the same kit.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import { deployKit } from "./kit.js";
import { readSettings } from "./read-settings.js";

/** The repository root: the image's build context. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Reads the stack's settings, declares the whole kit, and returns the stack outputs. */
export function kitProgram(): Record<string, pulumi.Output<unknown>> {
  return { ...deployKit(readSettings(), { projectRoot: PROJECT_ROOT }) };
}
