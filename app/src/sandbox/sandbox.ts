// Where run_python's programs go: a local pool of contained workers (development, tests), the
// sandbox pod's service (the deployed stack), or nowhere (production with no sandbox pod: the
// MCP pod holds credentials, so it never runs a program itself). Each caller may run only so
// many programs at once, wherever they run.
import { SandboxBusyError, WarmPool, type Outcome } from "./pool.js";
import type { SandboxSettings } from "./settings.js";

export interface SandboxRequest {
  readonly code: string;
  readonly stdin: string;
  readonly timeLimitMs: number;
  readonly strict: boolean;
}

export interface Sandbox {
  run(request: SandboxRequest, user: string, signal?: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}

export class SandboxDisabledError extends Error {
  override readonly name = "SandboxDisabledError";
}

export class SandboxRemoteError extends Error {
  override readonly name = "SandboxRemoteError";
}

/** Concurrent programs per user; past the cap a call is refused, not queued. */
export class PerUserLimit {
  private readonly running = new Map<string, number>();
  constructor(private readonly max: number) {}

  async hold<T>(user: string, work: () => Promise<T>): Promise<T> {
    const count = this.running.get(user) ?? 0;
    if (count >= this.max)
      throw new SandboxBusyError(`you already run ${count} program${count === 1 ? "" : "s"}, the limit per user`);
    this.running.set(user, count + 1);
    try {
      return await work();
    } finally {
      const left = (this.running.get(user) ?? 1) - 1;
      if (left === 0) this.running.delete(user);
      else this.running.set(user, left);
    }
  }
}

/** Workers on this machine; the pool boots on the first call, so a server that never runs Python pays nothing. */
export function localSandbox(settings: SandboxSettings): Sandbox & { pool(): Promise<WarmPool> } {
  const perUser = new PerUserLimit(settings.maxPerUser);
  let pool: Promise<WarmPool> | undefined;
  const started = () => {
    pool ??= (async () => {
      const created = new WarmPool(settings);
      await created.start();
      return created;
    })();
    pool.catch(() => (pool = undefined)); // a failed start is tried again by the next call
    return pool;
  };
  return {
    pool: started,
    run: (request, user, signal) =>
      perUser.hold(user, async () => (await started()).run({ ...request, validate: true }, signal)),
    close: async () => {
      if (pool) await (await pool.catch(() => undefined))?.close();
    },
  };
}

/** The sandbox pod's service; the response is bounded like a worker's own result. */
export function remoteSandbox(settings: SandboxSettings & { url: string }): Sandbox {
  const perUser = new PerUserLimit(settings.maxPerUser);
  const endpoint = new URL("run", settings.url.endsWith("/") ? settings.url : `${settings.url}/`);
  return {
    run: (request, user, signal) =>
      perUser.hold(user, async () => {
        const timeout = AbortSignal.timeout(request.timeLimitMs + 90_000); // a cold worker boots first
        const response = await fetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(request),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        }).catch((error: unknown) => {
          throw new SandboxRemoteError(`the sandbox service did not answer (${(error as Error).name})`);
        });
        const text = await response.text();
        if (text.length > 16 * settings.maxOutputBytes + 64 * 1024)
          throw new SandboxRemoteError("the sandbox service answered more than a result can hold");
        if (response.status === 429)
          throw new SandboxBusyError((JSON.parse(text) as { error?: string }).error ?? "the sandbox is busy");
        if (!response.ok) throw new SandboxRemoteError(`the sandbox service answered ${response.status}`);
        return JSON.parse(text) as Outcome;
      }),
    close: async () => undefined,
  };
}

export function disabledSandbox(reason: string): Sandbox {
  return {
    run: async () => {
      throw new SandboxDisabledError(reason);
    },
    close: async () => undefined,
  };
}

/** The sandbox a server's settings call for. */
export function sandboxFor(settings: SandboxSettings, production: boolean): Sandbox {
  if (settings.url) return remoteSandbox({ ...settings, url: settings.url });
  if (production)
    return disabledSandbox(
      "run_python is not enabled: in production programs run only in the sandbox pod (SANDBOX_URL)",
    );
  return localSandbox(settings);
}
