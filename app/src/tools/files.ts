// read_file and list_files (readonly): inside one configured base directory, through the path
// guard; contents are capped.
import { opendir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { openInside, PathBlockedError } from "../guards/paths.js";
import { defineTool, errorResult, textResult, type ToolDefinition } from "../mcp/registry.js";

export interface FileToolOptions {
  baseDir: string;
  maxBytes: number;
}

// Generous here so that the path guard, not the schema, words the refusal of a long path.
const relativePath = z.string().max(4096);

async function guarded<T>(work: () => Promise<T>) {
  try {
    return textResult(await work());
  } catch (error) {
    if (error instanceof PathBlockedError) return errorResult(error.message);
    throw error;
  }
}

export function fileTools(options: FileToolOptions): ToolDefinition[] {
  return [
    defineTool({
      name: "read_file",
      title: "Read a file",
      description: "Reads a text file by its path relative to the served directory; large files are cut.",
      inputSchema: z.object({ path: relativePath.min(1) }).strict(),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async (args) =>
        guarded(async () => {
          const { handle } = await openInside(options.baseDir, args.path, "file");
          try {
            const buffer = Buffer.alloc(options.maxBytes + 1);
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
            const truncated = bytesRead > options.maxBytes;
            return {
              path: args.path,
              truncated,
              content: buffer.subarray(0, Math.min(bytesRead, options.maxBytes)).toString("utf8"),
            };
          } finally {
            await handle.close();
          }
        }),
    }),
    defineTool({
      name: "list_files",
      title: "List files",
      description:
        "Lists a directory relative to the served directory (default: its root). Symbolic links are shown, never followed.",
      inputSchema: z.object({ path: relativePath.default("") }).strict(),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async (args) =>
        guarded(async () => {
          const { handle } = await openInside(options.baseDir, args.path, "directory");
          try {
            const entries: Array<{ name: string; type: string }> = [];
            // Listed through the descriptor that was checked (its /proc link), not by name again,
            // so a directory swapped in after the check is never the one listed.
            for await (const entry of await opendir(`/proc/self/fd/${handle.fd}`)) {
              const type = entry.isFile()
                ? "file"
                : entry.isDirectory()
                  ? "directory"
                  : entry.isSymbolicLink()
                    ? "symlink"
                    : "other";
              entries.push({ name: entry.name, type });
              if (entries.length >= 1000) break;
            }
            entries.sort((a, b) => a.name.localeCompare(b.name));
            return { path: args.path === "" ? "." : path.normalize(args.path), entries };
          } finally {
            await handle.close();
          }
        }),
    }),
  ];
}
