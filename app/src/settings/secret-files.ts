// Secrets and trust bundles come from files (*_FILE), never from the environment itself: this
// reads them, and names each file that cannot be read, is empty or holds no certificate.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.js";

const SECRETS_IN_ENVIRONMENT = [
  "NEO4J_PASSWORD",
  "S3_SECRET_ACCESS_KEY",
  "AUTH_PRIVATE_KEY",
  "RATE_LIMIT_STORE_PASSWORD",
];

function unreadable(setting: string, file: string, error: unknown): ConfigError {
  return new ConfigError(
    `${setting}: cannot read the file ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
  );
}

/** The trimmed content of a secret file; a ConfigError naming the setting when there is none. */
export function readSecretFile(setting: string, file: string): string {
  let value: string;
  try {
    value = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw unreadable(setting, file, error);
  }
  if (!value) throw new ConfigError(`${setting}: the file ${file} is empty`);
  return value;
}

/** A trust bundle must be readable and start with a PEM certificate, or the start stops here. */
export function assertCertificateBundle(setting: string, file: string): void {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    throw unreadable(setting, file, error);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(`${setting}: the file ${file} holds no PEM certificate`);
  }
}

/** A secret passed in the environment is a deployment mistake: one problem per such variable. */
export function secretsInEnvironment(source: NodeJS.ProcessEnv): string[] {
  return SECRETS_IN_ENVIRONMENT.filter((name) => source[name] !== undefined).map(
    (name) => `${name}: secrets are read from files; set ${name}_FILE instead`,
  );
}

export interface ServerSecrets {
  neo4jPassword: string;
  rateLimitStorePassword: string | undefined;
}

/**
 * Reads the server's secret files and checks its trust bundles, each named in the problems it
 * has; a setting left unset is the schema's to report, so it is passed over here.
 */
export function readServerSecrets(source: NodeJS.ProcessEnv): { secrets: ServerSecrets } | { problems: string[] } {
  const problems: string[] = [];
  const attempt = <T>(run: () => T): T | undefined => {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  };
  const given = (name: string): string | undefined => source[name] || undefined;
  const passwordFile = given("NEO4J_PASSWORD_FILE");
  const neo4jPassword = passwordFile ? attempt(() => readSecretFile("NEO4J_PASSWORD_FILE", passwordFile)) : undefined;
  const storePasswordFile = given("RATE_LIMIT_STORE_PASSWORD_FILE");
  const rateLimitStorePassword = storePasswordFile
    ? attempt(() => readSecretFile("RATE_LIMIT_STORE_PASSWORD_FILE", storePasswordFile))
    : undefined;
  for (const setting of ["NEO4J_CA_FILE", "RATE_LIMIT_STORE_CA_FILE"]) {
    const bundle = given(setting);
    if (bundle) attempt(() => assertCertificateBundle(setting, bundle));
  }
  if (problems.length > 0 || neo4jPassword === undefined) return { problems };
  return { secrets: { neo4jPassword, rateLimitStorePassword } };
}
