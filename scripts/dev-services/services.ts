// Starts the real services the kit talks to (Neo4j, MinIO) for the tests and the local stack,
// and describes how to reach them as the environment the app and scripts read.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { startMinio } from "./minio.js";
import { startNeo4j } from "./neo4j.js";

export interface Services {
  /** NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD_FILE, S3_ENDPOINT, S3_REGION, ... */
  readonly env: Readonly<Record<string, string>>;
  /** Stops every service; resolves when all have exited. */
  stop(): Promise<void>;
}

/**
 * Reads a secret kept in `dir`, creating it on first use. Secrets live in files with mode 0600
 * so that they never appear in a process listing or an environment dump.
 */
async function persistentSecret(dir: string, name: string): Promise<{ file: string; value: string }> {
  const file = path.join(dir, name);
  try {
    return { file, value: (await readFile(file, "utf8")).trim() };
  } catch {
    const value = randomBytes(24).toString("base64url");
    await writeFile(file, `${value}\n`, { mode: 0o600, flag: "wx" });
    return { file, value };
  }
}

/**
 * Starts Neo4j and MinIO with state under `stateDir`. Credentials are generated once per state
 * directory and reused, so a persistent local stack keeps working across restarts.
 */
export async function startServices(stateDir: string): Promise<Services> {
  const secretsDir = path.join(stateDir, "secrets");
  await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  const neo4jPassword = await persistentSecret(secretsDir, "neo4j-password");
  const s3Secret = await persistentSecret(secretsDir, "s3-secret-access-key");
  const s3AccessKeyId = "bastion-local";

  const neo4jHome = path.join(stateDir, "neo4j");
  const minioDir = path.join(stateDir, "minio");
  await mkdir(neo4jHome, { recursive: true, mode: 0o700 });
  await mkdir(minioDir, { recursive: true, mode: 0o700 });

  const [neo4j, minio] = await Promise.allSettled([
    startNeo4j({ homeDir: neo4jHome, passwordFile: neo4jPassword.file }),
    startMinio({
      dataDir: path.join(minioDir, "data"),
      logFile: path.join(minioDir, "minio.log"),
      accessKeyId: s3AccessKeyId,
      secretAccessKey: s3Secret.value,
    }),
  ]);
  const started = [neo4j, minio].flatMap((result) => (result.status === "fulfilled" ? [result.value.process] : []));
  const stop = async () => {
    await Promise.all(started.map((service) => service.stop()));
  };
  if (neo4j.status === "rejected" || minio.status === "rejected") {
    await stop();
    const reasons = [neo4j, minio].flatMap((result) =>
      result.status === "rejected" ? [String((result.reason as Error).message ?? result.reason)] : [],
    );
    throw new Error(`could not start the local services:\n- ${reasons.join("\n- ")}`);
  }

  return {
    env: {
      NEO4J_URI: neo4j.value.uri,
      NEO4J_USER: neo4j.value.user,
      NEO4J_PASSWORD_FILE: neo4j.value.passwordFile,
      S3_ENDPOINT: minio.value.endpoint,
      S3_REGION: "us-east-1",
      S3_FORCE_PATH_STYLE: "true",
      S3_ACCESS_KEY_ID: s3AccessKeyId,
      S3_SECRET_ACCESS_KEY_FILE: s3Secret.file,
    },
    stop,
  };
}
