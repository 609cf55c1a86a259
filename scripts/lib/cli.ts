// Shared plumbing of the operator commands: options and --help (the contract in
// app/src/command-line.ts, which the image's commands keep too), exit codes, running in the
// foreground until Ctrl-C / SIGTERM, and printing an environment.
import { writeFile } from "node:fs/promises";

export { parseOptions, usageProblem, wantsHelp } from "../../app/src/command-line.js";

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve(signal));
  });
}

/** Shell `export` lines for an environment; values are quoted so any shell can source them. */
export function exportLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}='${value.replaceAll("'", `'\\''`)}'`)
    .join("\n");
}

/** Writes the environment to a file (mode 0600) that another shell can `source`. */
export async function writeEnvFile(file: string, env: Readonly<Record<string, string>>): Promise<void> {
  await writeFile(file, `${exportLines(env)}\n`, { mode: 0o600 });
}

/** Runs a command's main function and exits with its code; an error is printed and exits 1. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
