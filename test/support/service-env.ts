// What a test needs to reach the services that `npm test` started for the run.
import { readFileSync } from "node:fs";
import { S3Client } from "@aws-sdk/client-s3";

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run tests through \`npm test\` (or \`npm test -- <file>\`), which starts Neo4j and MinIO first`,
    );
  }
  return value;
}

export interface Neo4jAccess {
  uri: string;
  user: string;
  password: string;
  passwordFile: string;
}

export interface S3Access {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  secretAccessKeyFile: string;
}

export function neo4jAccess(): Neo4jAccess {
  const passwordFile = required("NEO4J_PASSWORD_FILE");
  return {
    uri: required("NEO4J_URI"),
    user: required("NEO4J_USER"),
    password: readFileSync(passwordFile, "utf8").trim(),
    passwordFile,
  };
}

export function s3Access(): S3Access {
  const secretAccessKeyFile = required("S3_SECRET_ACCESS_KEY_FILE");
  return {
    endpoint: required("S3_ENDPOINT"),
    region: required("S3_REGION"),
    accessKeyId: required("S3_ACCESS_KEY_ID"),
    secretAccessKey: readFileSync(secretAccessKeyFile, "utf8").trim(),
    secretAccessKeyFile,
  };
}

/** An S3 client of the run's MinIO, path-style as MinIO serves it. */
export function s3Client(access: S3Access = s3Access()): S3Client {
  return new S3Client({
    endpoint: access.endpoint,
    region: access.region,
    forcePathStyle: true,
    credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
  });
}
