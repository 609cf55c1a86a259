// Layer 3 on one machine: the worker runs as a separate process that inherits nothing the
// server has. Its environment is empty; it gets only stdin, stdout and stderr (libuv opens
// every other descriptor close-on-exec); it starts in an empty temporary directory; Node's
// permission model lets it read only the interpreter's files and its own script and forbids
// child processes, worker threads, native addons and WASI; code generation from strings is off;
// when the server runs as root it drops to an unprivileged user; and, unless the deployment
// isolates the network itself (the sandbox pod's NetworkPolicy), it starts in a network
// namespace of its own, which holds no interface but a loopback that is down.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export type NetworkIsolation = "namespace" | "network-policy";

export interface ContainmentOptions {
  /** The files and directories the process may read. */
  readonly readable: readonly string[];
  readonly networkIsolation: NetworkIsolation;
  /** V8's old-space cap, in MiB: the JavaScript heap beside the WebAssembly memory. */
  readonly heapMiB: number;
  /** Arguments after the entry script. */
  readonly args?: readonly string[];
  /**
   * The kernel's CPU-time limit for the whole process (RLIMIT_CPU), a backstop that holds even if
   * the parent dies; with it no file may be written (RLIMIT_FSIZE 0) and no core dumped.
   */
  readonly cpuSeconds?: number;
}

export interface ContainedProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Kills the process at once and removes its working directory. */
  destroy(): Promise<void>;
}

/** The unprivileged user a root server runs its workers as. */
const NOBODY = 65534;

const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split(".").map(Number);
/** Node 22.13 renamed the permission flag; older releases know only the experimental one. */
const PERMISSION_FLAG =
  nodeMajor > 22 || (nodeMajor === 22 && nodeMinor >= 13) ? "--permission" : "--experimental-permission";

export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
}

let prlimitFound: boolean | undefined;
/** prlimit(1) from util-linux; the distroless image has none, and there the pod's cgroup limits hold. */
function hasPrlimit(): boolean {
  prlimitFound ??= spawnSync("prlimit", ["--version"], { env: {}, stdio: "ignore", timeout: 10_000 }).status === 0;
  return prlimitFound;
}

let unshareChecked: boolean | undefined;
/** Whether this machine can give a worker a network namespace (unshare and user namespaces). */
export function canIsolateNetwork(): boolean {
  unshareChecked ??=
    spawnSync("unshare", ["--user", "--net", "--", process.execPath, "-e", "0"], {
      env: {},
      stdio: "ignore",
      timeout: 10_000,
      ...dropPrivileges(),
    }).status === 0;
  return unshareChecked;
}

function dropPrivileges(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
}

export function nodeArguments(entry: string, options: ContainmentOptions): string[] {
  return [
    PERMISSION_FLAG,
    ...options.readable.map((file) => `--allow-fs-read=${file}`),
    "--disallow-code-generation-from-strings",
    `--max-old-space-size=${options.heapMiB}`,
    "--no-warnings",
    entry,
    ...(options.args ?? []),
  ];
}

export async function spawnContained(entry: string, options: ContainmentOptions): Promise<ContainedProcess> {
  if (options.networkIsolation === "namespace" && !canIsolateNetwork()) {
    throw new SandboxUnavailableError(
      "SANDBOX_NETWORK_ISOLATION=namespace needs unshare(1) and user namespaces; neither works here (use network-policy only where a NetworkPolicy denies the pod's egress)",
    );
  }
  const workDir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-sandbox-"));
  const identity = dropPrivileges();
  if (identity.uid !== undefined) await chown(workDir, identity.uid, identity.gid ?? NOBODY);
  const limits =
    options.cpuSeconds !== undefined && hasPrlimit()
      ? ["prlimit", `--cpu=${Math.ceil(options.cpuSeconds)}`, "--fsize=0", "--core=0", "--"]
      : [];
  const isolation = options.networkIsolation === "namespace" ? ["unshare", "--user", "--net", "--"] : [];
  const [command = process.execPath, ...commandArgs] = [
    ...isolation,
    ...limits,
    process.execPath,
    ...nodeArguments(entry, options),
  ];
  const child = spawn(command, commandArgs, {
    cwd: workDir,
    env: {},
    stdio: ["pipe", "pipe", "pipe"],
    detached: false,
    ...identity,
  });
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid as number));
    child.once("error", reject);
  }).catch(async (error: unknown) => {
    await rm(workDir, { recursive: true, force: true });
    throw new SandboxUnavailableError(
      `the sandbox worker could not start: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  });
  let destroyed: Promise<void> | undefined;
  return {
    child,
    pid: spawned,
    destroy: () => {
      destroyed ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGKILL");
          await exited;
        }
        await rm(workDir, { recursive: true, force: true });
      })();
      return destroyed;
    },
  };
}

export interface ProcessUsage {
  readonly cpuMs: number;
  readonly rssBytes: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, fixed at 100 on Linux for /proc
const PAGE_BYTES = 4096;

/** CPU time and resident memory of a live process, from the kernel's own accounting. */
export async function processUsage(pid: number): Promise<ProcessUsage | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name may hold spaces and parentheses; the fields start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, rssBytes: Number(fields[21]) * PAGE_BYTES };
}
