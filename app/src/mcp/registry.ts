// The tool registry: tools are data (name, schema, handler), and every call passes through it:
// permission from the matrix (access/permissions.ts), argument validation, timing and audit.
// The request guard asks the same matrix earlier, only so a refusal can be an HTTP 403 naming
// the scope to ask for; this check is the one no call can go around.
import type { CallToolResult, Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Principal } from "../auth/authenticator.js";
import { TOOL_PERMISSIONS, type ToolName } from "../access/permissions.js";
import { roleSatisfies, type Role } from "../access/roles.js";
import type { Auditor } from "../telemetry/audit.js";
import { capToolResult } from "../guards/limits.js";
import { describeIssues } from "../validation.js";

export interface ToolContext {
  readonly principal: Principal;
  readonly signal: AbortSignal;
  /** Adds to this call's audit entry: a digest, a size, a verdict, never an argument's value. */
  readonly audit?: (detail: string) => void;
}

export interface ToolDefinition<Schema extends z.ZodObject = z.ZodObject> {
  readonly name: ToolName;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: Schema;
  readonly annotations?: Tool["annotations"];
  handler(args: z.infer<Schema>, context: ToolContext): Promise<CallToolResult>;
}

/** Keeps a tool's argument type tied to its schema. */
export function defineTool<Schema extends z.ZodObject>(tool: ToolDefinition<Schema>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

export class UnknownToolError extends Error {
  override readonly name = "UnknownToolError";
}

export class ToolPermissionError extends Error {
  override readonly name = "ToolPermissionError";
  constructor(
    readonly tool: string,
    readonly requiredRole: Role,
  ) {
    super(`tool ${tool} needs role ${requiredRole}`);
  }
}

interface RegisteredTool {
  definition: ToolDefinition;
  role: Role;
  listing: Tool;
}

export function textResult(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value) }] };
}

export function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }] };
}

export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();

  constructor(
    definitions: readonly ToolDefinition[],
    private readonly auditor: Auditor,
    private readonly limits: { maxResultBytes: number; timeoutMs: number },
    /** The permission matrix; the kit's own unless a test brings tools of its own. */
    permissions: Readonly<Record<string, Role>> = TOOL_PERMISSIONS,
  ) {
    for (const definition of definitions) {
      const role = Object.hasOwn(permissions, definition.name) ? permissions[definition.name] : undefined;
      if (role === undefined) throw new Error(`tool ${definition.name} has no entry in the permission matrix`);
      if (this.tools.has(definition.name)) throw new Error(`tool ${definition.name} is registered twice`);
      const inputSchema = z.toJSONSchema(definition.inputSchema, {
        target: "draft-7",
        io: "input",
      }) as Tool["inputSchema"];
      delete (inputSchema as Record<string, unknown>).$schema;
      this.tools.set(definition.name, {
        definition,
        role,
        listing: {
          name: definition.name,
          title: definition.title,
          description: definition.description,
          inputSchema,
          annotations: definition.annotations,
        },
      });
    }
    const missing = Object.keys(permissions).filter((name) => !this.tools.has(name));
    if (missing.length > 0)
      throw new Error(`permission matrix names tools that are not registered: ${missing.join(", ")}`);
  }

  /** The tools this role may call, and only those. */
  listFor(role: Role): Tool[] {
    return [...this.tools.values()].filter((tool) => roleSatisfies(role, tool.role)).map((tool) => tool.listing);
  }

  /** The role a known tool needs, or undefined for an unknown tool. */
  roleFor(name: string): Role | undefined {
    return this.tools.get(name)?.role;
  }

  /** Records a refusal decided before the call reached the registry (at the HTTP layer). */
  auditRefusal(principal: Principal, tool: string, reason: string): void {
    this.auditor.record({
      kind: "tool_call",
      decision: "deny",
      principal: principal.sub,
      role: principal.role,
      tool,
      reason,
    });
  }

  async call(name: string, rawArgs: unknown, context: ToolContext): Promise<CallToolResult> {
    const { principal } = context;
    const tool = this.tools.get(name);
    if (!tool) {
      this.auditRefusal(principal, name.slice(0, 128), "unknown_tool");
      throw new UnknownToolError(`unknown tool: ${name.slice(0, 128)}`);
    }
    if (!roleSatisfies(principal.role, tool.role)) {
      this.auditRefusal(principal, name, "insufficient_scope");
      throw new ToolPermissionError(name, tool.role);
    }
    const parsed = tool.definition.inputSchema.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      this.auditRefusal(principal, name, "invalid_arguments");
      return errorResult(`invalid arguments: ${describeIssues(parsed.error, "arguments").join("; ")}`);
    }
    const started = performance.now();
    const notes: string[] = [];
    const audit = (detail: string) => void (notes.length < 8 && notes.push(detail.slice(0, 512)));
    let result: CallToolResult;
    let errorClass: string | undefined;
    try {
      result = await this.runWithTimeout(tool.definition, parsed.data, { ...context, audit });
    } catch (error) {
      errorClass = error instanceof Error ? error.name : "UnknownError";
      result = errorResult(
        errorClass === "ToolTimeoutError"
          ? `tool ${name} timed out after ${this.limits.timeoutMs} ms`
          : `tool ${name} failed (${errorClass})`,
      );
    }
    const capped = capToolResult(result, this.limits.maxResultBytes);
    result = capped.result;
    this.auditor.record({
      kind: "tool_call",
      decision: errorClass ? "error" : result.isError ? "error" : "allow",
      principal: principal.sub,
      role: principal.role,
      tool: name,
      durationMs: Math.round(performance.now() - started),
      resultBytes: capped.originalBytes,
      errorClass,
      detail: `arguments ${argumentShape(parsed.data)}${notes.map((note) => `; ${note}`).join("")}${capped.truncated ? `; result of ${capped.originalBytes} bytes cut to ${this.limits.maxResultBytes}` : ""}`,
      ...(capped.truncated ? { reason: "truncated" } : {}),
    });
    return result;
  }

  /** Runs a handler with its own abort signal, which fires on timeout or when the client goes. */
  private async runWithTimeout(tool: ToolDefinition, args: unknown, context: ToolContext): Promise<CallToolResult> {
    const controller = new AbortController();
    const onClientAbort = () => controller.abort(context.signal.reason);
    context.signal.addEventListener("abort", onClientAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ToolTimeoutError(`timed out after ${this.limits.timeoutMs} ms`);
        reject(error); // settles the race first, whatever the handler does when aborted
        controller.abort(error);
      }, this.limits.timeoutMs);
    });
    try {
      return await Promise.race([tool.handler(args as never, { ...context, signal: controller.signal }), timedOut]);
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener("abort", onClientAbort);
    }
  }
}

/** The shape of a tool's arguments (names and types, never values), for the audit trail. */
export function argumentShape(value: unknown, depth = 0): string {
  if (Array.isArray(value)) return depth > 2 ? "array" : `array(${value.length})`;
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  if (depth > 2) return "object";
  const fields = Object.entries(value as Record<string, unknown>)
    .slice(0, 20)
    .map(([key, inner]) => `${key}:${argumentShape(inner, depth + 1)}`);
  return `{${fields.join(",")}}`;
}

export class ToolTimeoutError extends Error {
  override readonly name = "ToolTimeoutError";
}
