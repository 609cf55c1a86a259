// Process entry: config -> server -> listen; graceful shutdown on SIGTERM/SIGINT.
import { composeServer } from "./compose.js";
import { ConfigError, loadConfig } from "./config.js";

/** The image's commands; the entrypoint is node, so `dist/main.js <command>`. */
const COMMANDS = ["serve", "backup", "restore", "sandbox"] as const;

async function main(): Promise<void> {
  const [command = "serve", ...rest] = process.argv.slice(2);
  if (command === "backup") {
    const { runBackupCommand } = await import("./backup/cli.js");
    process.exit(await runBackupCommand(rest));
  }
  if (command === "restore") {
    const { runRestoreCommand } = await import("./backup/restore-cli.js");
    process.exit(await runRestoreCommand(rest));
  }
  if (command === "sandbox" && rest.length === 0) {
    const { runSandboxService } = await import("./sandbox/service.js");
    return runSandboxService();
  }
  if (!(COMMANDS as readonly string[]).includes(command) || rest.length > 0) {
    console.error(`mcp-bastion: unknown command "${[command, ...rest].join(" ")}"; commands: ${COMMANDS.join(", ")}`);
    process.exit(2);
  }
  const config = await loadConfig();
  const server = await composeServer(config);
  let shuttingDown = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      server.app.log.info({ signal }, "draining in-flight requests before shutdown");
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          server.app.log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
  await server.app.listen({ host: config.host, port: config.port });
  await server.metricsApp.listen({ host: config.metrics.host, port: config.metrics.port });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`mcp-bastion: ${error.message}`);
    process.exit(2);
  }
  console.error("mcp-bastion: failed to start:", error);
  process.exit(1);
});
