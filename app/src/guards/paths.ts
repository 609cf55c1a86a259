// Path checks for the sandboxed file tools. The name is checked as text first (pure); the file
// is then opened without following a final symlink and judged by what was actually opened
// (its real path and type), so there is no gap between checking and opening.
import { constants } from "node:fs";
import { lstat, open, readlink, realpath, type FileHandle } from "node:fs/promises";
import path from "node:path";

export class PathBlockedError extends Error {
  override readonly name = "PathBlockedError";
  constructor(rule: string) {
    super(`blocked: ${rule}`);
  }
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/** Checks a requested relative path as text; returns its normalized segments. */
export function checkRelativePath(requested: string): string[] {
  if (requested.length > 1024) throw new PathBlockedError("path longer than 1024 characters");
  if (requested.includes("\0")) throw new PathBlockedError("null byte in path");
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0001-\u001f\u007f]/.test(requested)) throw new PathBlockedError("control character in path");
  if (requested.includes("\\")) throw new PathBlockedError("backslash in path (Windows separator)");
  if (/%(2e|2f|5c|00|25)/i.test(requested)) throw new PathBlockedError("percent-encoded path characters");
  if (/^[a-z]:/i.test(requested)) throw new PathBlockedError("drive letter in path");
  if (requested.startsWith("/") || requested.startsWith("~")) throw new PathBlockedError("absolute path");
  const normalized = requested.normalize("NFKC");
  if (normalized !== requested && /(\.\.|\/)/.test(normalized))
    throw new PathBlockedError("Unicode look-alikes of '.' or '/'");
  const segments = requested.split("/").filter((segment) => segment !== "" && segment !== ".");
  for (const segment of segments) {
    if (segment === "..") throw new PathBlockedError("'..' escapes the base directory");
    if (WINDOWS_RESERVED.test(segment)) throw new PathBlockedError(`Windows reserved name ${segment}`);
    if (/[. ]$/.test(segment)) throw new PathBlockedError(`name ending in a dot or space: ${segment}`);
  }
  return segments;
}

function inside(base: string, candidate: string): boolean {
  return candidate === base || candidate.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

/**
 * Opens `requested` under `baseDir` for reading: a regular file (or a directory when
 * `directory`), never a device or FIFO, whose real path lies inside the base directory.
 */
export async function openInside(
  baseDir: string,
  requested: string,
  kind: "file" | "directory",
): Promise<{ handle: FileHandle; realPath: string }> {
  const segments = checkRelativePath(requested);
  const base = await realpath(baseDir);
  const flags =
    constants.O_RDONLY |
    constants.O_NOFOLLOW |
    constants.O_NONBLOCK |
    (kind === "directory" ? constants.O_DIRECTORY : 0);
  let handle: FileHandle;
  const target = path.join(base, ...segments);
  try {
    handle = await open(target, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Only to word the refusal: the open already refused, whatever lstat says now.
    const isLink =
      code === "ELOOP" ||
      (code === "ENOTDIR" &&
        (await lstat(target).then(
          (s) => s.isSymbolicLink(),
          () => false,
        )));
    if (isLink) throw new PathBlockedError("the path is a symbolic link");
    if (code === "ENOENT") throw new PathBlockedError("no such file");
    if (code === "ENOTDIR")
      throw new PathBlockedError(kind === "directory" ? "not a directory" : "a path segment is not a directory");
    if (code === "EACCES") throw new PathBlockedError("permission denied");
    throw error;
  }
  try {
    // What was opened, after every directory symlink on the way: the kernel's answer.
    const realPath = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!inside(base, realPath)) throw new PathBlockedError("the path resolves outside the base directory");
    const stats = await handle.stat();
    if (kind === "file" && !stats.isFile()) {
      throw new PathBlockedError(
        stats.isFIFO()
          ? "a FIFO"
          : stats.isCharacterDevice() || stats.isBlockDevice()
            ? "a device file"
            : stats.isSocket()
              ? "a socket"
              : "not a regular file",
      );
    }
    return { handle, realPath };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
