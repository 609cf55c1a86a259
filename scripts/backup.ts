// npm run backup [-- prune --keep N] [--json]: the image's backup command, run here against
// the environment (or, with none, the local stack). Exit codes: 0 done, 1 failed, 2 bad
// arguments or configuration.
import { backupUsage, runBackupCommand } from "../app/src/backup/cli.js";
import { operatorEnv } from "./lib/local-env.js";
import { runMain } from "./lib/cli.js";

// The environment is read only once the arguments are good: --help and usage errors need none.
runMain(() => runBackupCommand(process.argv.slice(2), () => operatorEnv(), backupUsage("npm run backup --")));
