// Environment (and *_FILE secrets) -> typed, validated configuration. A bad environment stops
// the process with one message that names every bad setting and what is wrong with it. The
// parts live in settings/: the schema (environment.ts), the secret files (secret-files.ts) and
// the mapping onto each module's options (server-options.ts).
import { DEV_ISSUER, ensureDevKeys } from "./auth/dev-keys.js";
import { parseSandboxSettings } from "./sandbox/settings.js";
import { ConfigError } from "./settings/config-error.js";
import { parseEnvironment } from "./settings/environment.js";
import { readServerSecrets, secretsInEnvironment } from "./settings/secret-files.js";
import { serverOptions, type Config } from "./settings/server-options.js";
import { describeIssue, locateInVariable } from "./validation.js";

export { ConfigError } from "./settings/config-error.js";
export { readSecretFile } from "./settings/secret-files.js";
export type { Config } from "./settings/server-options.js";

/**
 * Outside production, a server with no key configured trusts the local development key, so
 * that `npm start` and `npm run token -- mint` work together with no set-up.
 */
async function withDevelopmentDefaults(source: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  if (source.NODE_ENV === "production" || source.AUTH_JWKS_URL || source.AUTH_JWKS_FILE) return source;
  const { jwksFile } = await ensureDevKeys();
  return { ...source, AUTH_JWKS_FILE: jwksFile, AUTH_ISSUER: source.AUTH_ISSUER ?? DEV_ISSUER };
}

/** Validates the environment; throws a ConfigError naming every bad setting at once. */
export async function loadConfig(rawSource: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const source = await withDevelopmentDefaults(rawSource);
  const parsed = parseEnvironment(source);
  const sandbox = parseSandboxSettings(source);
  const secrets = readServerSecrets(source);
  const problems = [
    ...secretsInEnvironment(source),
    ...(parsed.success
      ? []
      : parsed.issues.map((issue) => describeIssue(issue, { whole: "environment", locate: locateInVariable }))),
    ...("problems" in sandbox ? sandbox.problems : []),
    ...("problems" in secrets ? secrets.problems : []),
  ];
  if (problems.length > 0 || !parsed.success || "problems" in sandbox || "problems" in secrets) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  return serverOptions(parsed.data, sandbox.settings, secrets.secrets);
}
