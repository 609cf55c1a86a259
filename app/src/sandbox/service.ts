// The sandbox pod's process (`dist/main.js sandbox`): a warm pool behind one HTTP endpoint that
// only the MCP server can reach (its NetworkPolicy). It holds no credential and trusts no
// caller's word on validation: every program is validated here again, and strict mode, when set
// here, holds whatever the caller asks.
import Fastify, { type FastifyInstance } from "fastify";
import { z } from "zod";
import { describeIssues } from "../validation.js";
import { SandboxBusyError, WarmPool } from "./pool.js";
import { parseSandboxSettings, type SandboxSettings } from "./settings.js";

export const SANDBOX_PORT = 8090;

/**
 * The service and the pool behind it. `warm()` starts the pool's interpreters; until it has,
 * /readyz answers 503. It is not an onReady hook: Pyodide's start on a busy node can outlast
 * fastify's plugin timeout, which would kill the process before it ever listened.
 */
export async function buildSandboxService(
  settings: SandboxSettings,
): Promise<{ app: FastifyInstance; pool: WarmPool; warm: () => Promise<void> }> {
  const pool = new WarmPool(settings);
  const request = z
    .object({
      code: z.string().min(1).max(settings.maxCodeBytes),
      stdin: z.string().max(settings.maxStdinBytes).default(""),
      timeLimitMs: z.number().int().min(100).max(settings.maxTimeMs),
      strict: z.boolean().default(false),
    })
    .strict();
  const app = Fastify({
    logger: { level: "info" },
    bodyLimit: 4 * (settings.maxCodeBytes + settings.maxStdinBytes) + 4096,
  });
  let ready = false;
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/readyz", async (_request, reply) => reply.code(ready ? 200 : 503).send({ ready }));
  app.post("/run", async (incoming, reply) => {
    const parsed = request.safeParse(incoming.body);
    if (!parsed.success) return reply.code(400).send({ error: describeIssues(parsed.error, "body").join("; ") });
    const job = { ...parsed.data, strict: settings.strict || parsed.data.strict, validate: true };
    const controller = new AbortController();
    // The caller gone (the server's own timeout, or its client left): the program is killed.
    reply.raw.once("close", () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    try {
      return await pool.run(job, controller.signal);
    } catch (error) {
      if (error instanceof SandboxBusyError) return reply.code(429).send({ error: error.message });
      throw error;
    }
  });
  app.addHook("onClose", () => pool.close());
  const warm = async (): Promise<void> => {
    await pool.start();
    ready = true;
  };
  return { app, pool, warm };
}

/** Entry of the sandbox pod's container. */
export async function runSandboxService(): Promise<void> {
  const parsed = parseSandboxSettings(process.env);
  if ("problems" in parsed) {
    console.error(`mcp-bastion sandbox: invalid configuration:\n  ${parsed.problems.join("\n  ")}`);
    process.exit(2);
  }
  const { app, warm } = await buildSandboxService(parsed.settings);
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.once(signal, () => void app.close().then(() => process.exit(0)));
  await app.listen({
    host: process.env.SANDBOX_HOST ?? "0.0.0.0",
    port: Number(process.env.SANDBOX_PORT ?? SANDBOX_PORT),
  });
  await warm();
}
