// Synthesizes a stack's manifests into a directory, in a child process of its own: Pulumi's
// runtime state is global to a process, so each mocked program run needs a fresh one.
import path from "node:path";
import { runCommand } from "../../../scripts/dev-services/toolchain.js";
import { PROJECT_ROOT } from "../../offline/mock-run.js";

export async function synthStack(stack: string, out: string): Promise<void> {
  await runCommand(
    process.execPath,
    ["--import", "tsx", path.join(PROJECT_ROOT, "scripts", "synth.ts"), "--stack", stack, "--out", out],
    { cwd: PROJECT_ROOT },
  );
}
