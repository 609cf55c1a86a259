// The backup's settings (the CronJob's ConfigMap, or the local environment): where Neo4j is,
// where the backups go, and how they are encrypted. Secrets only from files.
import { accessSync, constants } from "node:fs";
import { z } from "zod";
import { ConfigError, readSecretFile } from "../config.js";
import { neo4jConnectionSettings } from "../store/neo4j-settings.js";
import { describeIssues } from "../validation.js";

const schema = z.object({
  ...neo4jConnectionSettings,
  NEO4J_CA_FILE: z.string().min(1).optional(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name"),
  S3_PREFIX: z
    .string()
    .regex(/^([a-z0-9][a-z0-9/_-]*\/)?$/, "must be empty or a key prefix ending in '/'")
    .default("backups/"),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_FORCE_PATH_STYLE: z.enum(["true", "false"]).default("false"),
  S3_KMS_KEY_ID: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID_FILE: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY_FILE: z.string().min(1).optional(),
});

export interface BackupConfig {
  /** caFile: the CA bundle Bolt TLS is verified against (the kit's CA in the cluster); unset, the system's. */
  neo4j: { uri: string; user: string; password: string; database: string; caFile?: string };
  s3: {
    bucket: string;
    prefix: string;
    region: string;
    endpoint?: string;
    forcePathStyle: boolean;
    kmsKeyId?: string;
    /** Static credentials (MinIO, local use); absent: the AWS default chain (IRSA on EKS). */
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
}

/** A file the backup reads at connect time, checked now so that a wrong path is a configuration error. */
function readableFile(name: string, file: string): string {
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new ConfigError(`${name}: ${file} cannot be read`);
  }
  return file;
}

export function loadBackupConfig(source: NodeJS.ProcessEnv = process.env): BackupConfig {
  if (source.S3_SECRET_ACCESS_KEY !== undefined || source.NEO4J_PASSWORD !== undefined) {
    throw new ConfigError("secrets are read from files: set S3_SECRET_ACCESS_KEY_FILE and NEO4J_PASSWORD_FILE instead");
  }
  const parsed = schema.safeParse(source);
  if (!parsed.success)
    throw new ConfigError(
      `invalid backup configuration:\n  ${describeIssues(parsed.error, "environment").join("\n  ")}`,
    );
  const env = parsed.data;
  const accessKeyId = env.S3_ACCESS_KEY_ID_FILE
    ? readSecretFile("S3_ACCESS_KEY_ID_FILE", env.S3_ACCESS_KEY_ID_FILE)
    : env.S3_ACCESS_KEY_ID;
  if (!accessKeyId !== !env.S3_SECRET_ACCESS_KEY_FILE) {
    throw new ConfigError(
      "set both S3_ACCESS_KEY_ID (or _FILE) and S3_SECRET_ACCESS_KEY_FILE, or neither (to use the AWS credential chain)",
    );
  }
  return {
    neo4j: {
      uri: env.NEO4J_URI,
      user: env.NEO4J_USER,
      password: readSecretFile("NEO4J_PASSWORD_FILE", env.NEO4J_PASSWORD_FILE),
      database: env.NEO4J_DATABASE,
      ...(env.NEO4J_CA_FILE ? { caFile: readableFile("NEO4J_CA_FILE", env.NEO4J_CA_FILE) } : {}),
    },
    s3: {
      bucket: env.S3_BUCKET,
      prefix: env.S3_PREFIX,
      region: env.S3_REGION,
      forcePathStyle: env.S3_FORCE_PATH_STYLE === "true",
      ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
      ...(env.S3_KMS_KEY_ID ? { kmsKeyId: env.S3_KMS_KEY_ID } : {}),
      ...(accessKeyId && env.S3_SECRET_ACCESS_KEY_FILE
        ? {
            credentials: {
              accessKeyId,
              secretAccessKey: readSecretFile("S3_SECRET_ACCESS_KEY_FILE", env.S3_SECRET_ACCESS_KEY_FILE),
            },
          }
        : {}),
    },
  };
}
