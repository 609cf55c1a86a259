// `npm run cluster` and `npm run deploy` as a user runs them, for the tests that drive both:
// the cluster command in the background until it prints KUBECONFIG= and STACK=, the deploy
// command to completion with its JSON result.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "../../program.js";

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DeployJson {
  exitCode: number;
  changes?: Record<string, number>;
  steps?: Array<{ op: string; type: string; name: string }>;
  outputs?: Record<string, unknown>;
  violations?: Array<{ policy: string; resource?: string; message: string }>;
}

export function finish(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A project script run with the test's Node and tsx, as `npm run <script>` runs it. */
export const runScript = (script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Finished> =>
  finish(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "scripts", script), ...args], env);

/** `npm run deploy -- <args> --json` for `stack`, as a pipeline would run it. */
export async function deployStack(
  stack: string,
  kubeconfig: string,
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<DeployJson> {
  const run = await runScript("deploy.ts", [...args, "--stack", stack, "--kubeconfig", kubeconfig, "--json"], env);
  try {
    const result = JSON.parse(run.stdout) as DeployJson;
    assert.equal(result.exitCode, run.code, "the JSON result carries the exit code");
    return result;
  } catch (error) {
    throw new Error(
      `deploy ${args.join(" ")} exited ${run.code}: ${(error as Error).message}\n${run.stderr.slice(-4000)}`,
      { cause: error },
    );
  }
}

export interface ClusterCommand {
  readonly kubeconfig: string;
  readonly stack: string;
  /** The tail of what it wrote to stderr. */
  log(): string;
  /** SIGTERM, as Ctrl-C; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** `npm run cluster -- <args>` in the background, resolved once it has printed its two lines. */
export async function startClusterCommand(args: string[], env: NodeJS.ProcessEnv): Promise<ClusterCommand> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", path.join(PROJECT_ROOT, "scripts", "cluster.ts"), ...args],
    { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let printed = "";
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-8000)));
  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
      const lines = Object.fromEntries(
        printed
          .split("\n")
          .flatMap((line) =>
            /^(KUBECONFIG|STACK)=(.+)$/.exec(line) ? [[line.split("=")[0], line.slice(line.indexOf("=") + 1)]] : [],
          ),
      );
      if (lines.KUBECONFIG && lines.STACK) resolve(lines as Record<string, string>);
    });
    void exited.then((code) => reject(new Error(`npm run cluster exited ${code} before it was ready:\n${log}`)));
  });
  return {
    kubeconfig: ready.KUBECONFIG as string,
    stack: ready.STACK as string,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
