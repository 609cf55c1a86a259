// MinIO, built from the Go module proxy into the cache on first use, serving S3 on 127.0.0.1.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { cacheRoot, installOnce, requireTool, runCommand } from "./toolchain.js";
import { freePort, startServiceProcess, type ServiceProcess } from "./service-process.js";

// The module proxy does not serve MinIO's RELEASE.* tags (they are not semantic versions), so
// the build is pinned by pseudo-version: the last commit of the now archived repository, which
// carries the fixes of RELEASE.2025-10-15T17-29-55Z and later. Its go.mod has no replace lines.
export const MINIO_MODULE = "github.com/minio/minio";
export const MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c";

export interface MinioInstance {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly process: ServiceProcess;
}

export interface MinioOptions {
  dataDir: string;
  logFile: string;
  accessKeyId: string;
  /** At least 8 characters (MinIO's own rule). */
  secretAccessKey: string;
}

export async function installMinio(): Promise<string> {
  const dir = path.join(cacheRoot(), `minio-${MINIO_VERSION}`);
  await installOnce(dir, async (staging) => {
    await requireTool(
      "go",
      ["version"],
      "Install Go 1.24 or newer (https://go.dev/doc/install, or Debian: apt-get install golang).",
    );
    process.stderr.write(
      `building MinIO ${MINIO_VERSION} from the Go module proxy into ${dir} (first run only, a few minutes)\n`,
    );
    try {
      await runCommand("go", ["install", `${MINIO_MODULE}@${MINIO_VERSION}`], {
        env: { ...process.env, GOBIN: path.join(staging, "bin"), CGO_ENABLED: "0", GOFLAGS: "-trimpath" },
      });
    } catch (error) {
      throw new Error(`building MinIO failed (is the Go module proxy reachable?): ${(error as Error).message}`, {
        cause: error,
      });
    }
  });
  return path.join(dir, "bin", "minio");
}

export async function startMinio(options: MinioOptions): Promise<MinioInstance> {
  const binary = await installMinio();
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  const { process: child } = await startServiceProcess({
    name: "minio",
    command: binary,
    args: [
      "server",
      options.dataDir,
      "--address",
      `127.0.0.1:${port}`,
      "--console-address",
      `127.0.0.1:${consolePort}`,
      "--quiet",
      "--anonymous",
    ],
    // MinIO takes its root credentials only from its environment; this child is a local test
    // service, the product itself never passes secrets this way.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MINIO_ROOT_USER: options.accessKeyId,
      MINIO_ROOT_PASSWORD: options.secretAccessKey,
      MINIO_BROWSER: "off",
      MINIO_UPDATE: "off",
    },
    logFile: options.logFile,
    ready: {
      probe: async () => {
        const response = await fetch(`${endpoint}/minio/health/ready`);
        return response.ok ? endpoint : undefined;
      },
    },
    timeoutMs: 60_000,
  });
  return { endpoint, accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, process: child };
}
