// The sandbox's limits, from the environment: read by the MCP server (for run_python and a local
// pool) and by the sandbox pod's own process. Every limit has a secure default and a bound.
import { z } from "zod";
import { describeIssues } from "../validation.js";
import type { NetworkIsolation } from "./contained-process.js";

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const flag = z
  .enum(["true", "false"])
  .default("false")
  .transform((value) => value === "true");

const sandboxEnvSchema = z
  .object({
    /** The sandbox service (the sandbox pod); unset: a local pool of workers, outside production only. */
    SANDBOX_URL: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).optional(),
    SANDBOX_POOL_SIZE: int(0, 32, 2),
    SANDBOX_MAX_CONCURRENT: int(1, 256, 2),
    SANDBOX_MAX_PER_USER: int(1, 64, 1),
    SANDBOX_MEMORY_MB: int(32, 2048, 256),
    SANDBOX_MAX_OUTPUT_BYTES: int(1024, 1024 * 1024, 100 * 1024),
    SANDBOX_MAX_TIME_MS: int(100, 600_000, 10_000),
    SANDBOX_DEFAULT_TIME_MS: int(100, 600_000, 5_000),
    SANDBOX_MAX_CODE_BYTES: int(1, 1024 * 1024, 64 * 1024),
    SANDBOX_MAX_STDIN_BYTES: int(0, 1024 * 1024, 64 * 1024),
    SANDBOX_STRICT: flag,
    SANDBOX_NETWORK_ISOLATION: z.enum(["namespace", "network-policy"]).default("namespace"),
  })
  .superRefine((env, ctx) => {
    if (env.SANDBOX_DEFAULT_TIME_MS > env.SANDBOX_MAX_TIME_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["SANDBOX_DEFAULT_TIME_MS"],
        message: "must not exceed SANDBOX_MAX_TIME_MS",
      });
    }
  });

export interface SandboxSettings {
  readonly url: string | undefined;
  readonly poolSize: number;
  readonly maxConcurrent: number;
  readonly maxPerUser: number;
  readonly memoryBytes: number;
  readonly maxOutputBytes: number;
  readonly maxTimeMs: number;
  readonly defaultTimeMs: number;
  readonly maxCodeBytes: number;
  readonly maxStdinBytes: number;
  /** Strict validation for every program; a caller may ask for it, never turn it off. */
  readonly strict: boolean;
  readonly networkIsolation: NetworkIsolation;
}

/** The sandbox settings, or the problems that name each bad setting. */
export function parseSandboxSettings(
  source: NodeJS.ProcessEnv,
): { settings: SandboxSettings } | { problems: string[] } {
  const picked = Object.fromEntries(Object.entries(source).filter(([name]) => name.startsWith("SANDBOX_")));
  const parsed = sandboxEnvSchema.safeParse(picked);
  if (!parsed.success) return { problems: describeIssues(parsed.error, "environment") };
  const env = parsed.data;
  return {
    settings: {
      url: env.SANDBOX_URL,
      poolSize: env.SANDBOX_POOL_SIZE,
      maxConcurrent: env.SANDBOX_MAX_CONCURRENT,
      maxPerUser: env.SANDBOX_MAX_PER_USER,
      memoryBytes: env.SANDBOX_MEMORY_MB * 1024 * 1024,
      maxOutputBytes: env.SANDBOX_MAX_OUTPUT_BYTES,
      maxTimeMs: env.SANDBOX_MAX_TIME_MS,
      defaultTimeMs: env.SANDBOX_DEFAULT_TIME_MS,
      maxCodeBytes: env.SANDBOX_MAX_CODE_BYTES,
      maxStdinBytes: env.SANDBOX_MAX_STDIN_BYTES,
      strict: env.SANDBOX_STRICT,
      networkIsolation: env.SANDBOX_NETWORK_ISOLATION,
    },
  };
}
