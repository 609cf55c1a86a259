// run_python (operator): a Python program run in the sandbox (sandbox/). The answer carries the
// validation verdict, how the program ended, its exit status and its output (each stream capped,
// with the full size said). The audit entry gets the program's SHA-256, size and verdict, never
// the program.
import { createHash } from "node:crypto";
import { z } from "zod";
import { defineTool, errorResult, textResult, type ToolDefinition } from "../mcp/registry.js";
import { SandboxBusyError, type Outcome } from "../sandbox/pool.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { SandboxSettings } from "../sandbox/settings.js";
import type { Verdict } from "../sandbox/validator.js";

const utf8Bytes = (text: string) => Buffer.byteLength(text, "utf8");

function describeVerdict(verdict: Verdict): string {
  if (verdict.ok) return "accepted";
  return `refused ${verdict.violations.map((violation) => `${violation.rule}@${violation.line}`).join(",")}`;
}

const ENDINGS: Record<Outcome["termination"], string> = {
  exited: "",
  refused: "the program was refused by validation and did not run",
  "time-limit": "the program was stopped at its time limit",
  "cpu-limit": "the program was stopped at its CPU time limit",
  "memory-limit": "the program was stopped at its memory limit",
  "output-limit": "the program was stopped for writing past the output limit",
  cancelled: "the program was stopped because the call was cancelled",
  crashed: "the interpreter stopped without a result",
};

export function runPythonTool(sandbox: Sandbox, settings: SandboxSettings): ToolDefinition {
  return defineTool({
    name: "run_python",
    title: "Run Python",
    description:
      "Runs a Python 3 program in a sandbox (CPython on WebAssembly, in a contained process, no network, no files) and returns its stdout, stderr and exit status. " +
      "The program is validated first: dangerous imports (os, subprocess, socket, ...), builtins (eval, exec, open, ...) and dunder attributes are refused with the rule and the line. " +
      `Limits: ${settings.maxCodeBytes} bytes of code, ${settings.maxTimeMs} ms, ${Math.round(settings.memoryBytes / 1048576)} MiB, ${settings.maxOutputBytes} bytes of output per stream.`,
    inputSchema: z
      .object({
        code: z
          .string()
          .min(1)
          .refine((code) => utf8Bytes(code) <= settings.maxCodeBytes, `must be at most ${settings.maxCodeBytes} bytes`),
        stdin: z
          .string()
          .refine(
            (stdin) => utf8Bytes(stdin) <= settings.maxStdinBytes,
            `must be at most ${settings.maxStdinBytes} bytes`,
          )
          .optional(),
        timeLimitMs: z.number().int().min(100).max(settings.maxTimeMs).optional(),
        /** Asks for strict validation; a server set to strict keeps it whatever is asked. */
        strict: z.boolean().optional(),
      })
      .strict(),
    annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: false },
    handler: async ({ code, stdin, timeLimitMs, strict }, { principal, signal, audit }) => {
      const digest = createHash("sha256").update(code, "utf8").digest("hex");
      const note = (verdict: string) => audit?.(`code sha256=${digest} bytes=${utf8Bytes(code)} verdict=${verdict}`);
      let outcome: Outcome;
      try {
        outcome = await sandbox.run(
          {
            code,
            stdin: stdin ?? "",
            timeLimitMs: timeLimitMs ?? settings.defaultTimeMs,
            strict: settings.strict || strict === true,
          },
          `${principal.tenant}/${principal.sub}`,
          signal,
        );
      } catch (error) {
        note("not-checked");
        if (error instanceof SandboxBusyError)
          return errorResult(`run_python refused: ${error.message}; try again when a program has finished`);
        if (error instanceof Error && /^Sandbox(Disabled|Remote|Unavailable)Error$/.test(error.name))
          return errorResult(error.message);
        throw error;
      }
      note(`${describeVerdict(outcome.verdict)} termination=${outcome.termination}`);
      const body = {
        verdict: outcome.verdict,
        termination: outcome.termination,
        exitStatus: outcome.exitStatus,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        stdoutBytes: outcome.stdoutBytes,
        stderrBytes: outcome.stderrBytes,
        stdoutTruncated: outcome.stdoutBytes > settings.maxOutputBytes,
        stderrTruncated: outcome.stderrBytes > settings.maxOutputBytes,
        durationMs: outcome.durationMs,
      };
      if (outcome.termination === "exited") return textResult(body);
      return {
        isError: true,
        content: [
          { type: "text", text: ENDINGS[outcome.termination] },
          { type: "text", text: JSON.stringify(body) },
        ],
      };
    },
  });
}
