// Operator commands run against the environment they are given; with none (no NEO4J_URI), they
// use the local stack that `npm start` / `npm run services` brought up, and its backup bucket.
import { readFileSync } from "node:fs";
import path from "node:path";
import { cacheRoot } from "../dev-services/toolchain.js";

export const LOCAL_BUCKET = "mcp-bastion-backups";

export function localStackEnvFile(): string {
  return path.join(cacheRoot(), "local-stack", "services.env");
}

/** Parses the `export NAME='value'` lines writeEnvFile produces. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^export ([A-Z0-9_]+)='((?:[^']|'\\'')*)'$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2].replaceAll(`'\\''`, "'");
  }
  return env;
}

export function operatorEnv(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (source.NEO4J_URI) return source;
  let text: string;
  try {
    text = readFileSync(localStackEnvFile(), "utf8");
  } catch {
    throw new Error(
      `NEO4J_URI is not set and no local stack is running (${localStackEnvFile()} is missing): start one with npm start, or set the environment`,
    );
  }
  return { S3_BUCKET: LOCAL_BUCKET, ...parseEnvFile(text), ...source };
}
