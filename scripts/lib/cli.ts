// Shared plumbing of the operator commands: options and --help, exit codes, running in the
// foreground until Ctrl-C / SIGTERM, and printing an environment.
import { writeFile } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values<T extends Options> = ReturnType<typeof parseArgs<{ options: T; args: string[]; strict: true }>>["values"];

/**
 * Parses strict options. --help prints the usage (exit code 0); a bad option names the problem
 * once, with the command's usage line and a pointer to --help (exit code 2); otherwise the
 * parsed values.
 */
export function parseOptions<const T extends Options>(
  options: T,
  usage: string,
  args: string[] = process.argv.slice(2),
  { allowPositionals = false } = {},
): { values: Values<T>; positionals: string[] } | { exitCode: 0 | 2 } {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    return { exitCode: 0 };
  }
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals });
    return { values: parsed.values as Values<T>, positionals: parsed.positionals };
  } catch (error) {
    // node's message adds advice on positionals that these commands do not take.
    const problem = (error as Error).message.split(". To specify a positional")[0];
    console.error(`${problem} (${usage.split("\n")[0]}; --help for more)`);
    return { exitCode: 2 };
  }
}

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
