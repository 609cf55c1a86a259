// The command-line contract every command keeps, the image's (backup, restore) and the
// operator's (scripts/): --help anywhere prints the usage and exits 0 before anything else is
// read; a usage problem is named once, on one line with the usage's first line and a pointer to
// --help, and exits 2 before any environment or network is touched.
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values<T extends Options> = ReturnType<typeof parseArgs<{ options: T; args: string[]; strict: true }>>["values"];

export const USAGE_EXIT = 2;

/** The environment now, or a function that reads it only once the arguments are known to be good. */
export type CommandEnv = NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv);

/** True when --help or -h stands anywhere before a `--`. */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}

/** Prints one usage problem and returns the usage exit code. */
export function usageProblem(usage: string, problem: string): typeof USAGE_EXIT {
  console.error(`${problem} (${usage.split("\n")[0]}; --help for more)`);
  return USAGE_EXIT;
}

/**
 * Parses strict options. --help prints the usage (exit code 0); a bad option names the problem
 * once (exit code 2); otherwise the parsed values.
 */
export function parseOptions<const T extends Options>(
  options: T,
  usage: string,
  args: string[] = process.argv.slice(2),
  { allowPositionals = false } = {},
): { values: Values<T>; positionals: string[] } | { exitCode: 0 | 2 } {
  if (wantsHelp(args)) {
    console.log(usage);
    return { exitCode: 0 };
  }
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals });
    return { values: parsed.values as Values<T>, positionals: parsed.positionals };
  } catch (error) {
    // node's message adds advice on positionals that these commands do not take.
    const problem =
      (error as Error).message.split(". This command does not take")[0]?.split(". To specify a positional")[0] ?? "";
    return { exitCode: usageProblem(usage, problem) };
  }
}
