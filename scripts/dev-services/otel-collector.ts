// An OpenTelemetry Collector with only the OTLP receiver and the file exporter, built from the
// Go module proxy into the cache on first use (otel-collector/main.go, a scratch module pinned
// to one collector release), receiving OTLP/HTTP on 127.0.0.1 and writing what it receives as
// JSON lines, for tests to read.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot, installOnce, requireTool, runCommand } from "./toolchain.js";
import { freePort, startServiceProcess, type ServiceProcess } from "./service-process.js";

/** The file exporter is served up to this release; the core modules are kept at the same one. */
export const COLLECTOR_VERSION = "v0.161.0";
const MODULES = [
  `go.opentelemetry.io/collector/otelcol@${COLLECTOR_VERSION}`,
  `go.opentelemetry.io/collector/receiver/otlpreceiver@${COLLECTOR_VERSION}`,
  `github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter@${COLLECTOR_VERSION}`,
];
const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "otel-collector", "main.go");

export interface CollectorInstance {
  /** The OTLP/HTTP base URL (what OTEL_EXPORTER_OTLP_ENDPOINT takes). */
  readonly endpoint: string;
  /** Everything received so far, as the exporter wrote it (one JSON document per line). */
  received(): Promise<string>;
  readonly process: ServiceProcess;
}

export async function installCollector(): Promise<string> {
  const dir = path.join(cacheRoot(), `otelcol-${COLLECTOR_VERSION}`);
  await installOnce(dir, async (staging) => {
    await requireTool(
      "go",
      ["version"],
      "Install Go 1.24 or newer (https://go.dev/doc/install, or Debian: apt-get install golang).",
    );
    process.stderr.write(
      `building the OpenTelemetry Collector ${COLLECTOR_VERSION} (OTLP receiver, file exporter) into ${dir} (first run only; minutes)\n`,
    );
    const source = path.join(staging, "src");
    await mkdir(source, { recursive: true });
    await copyFile(MAIN, path.join(source, "main.go"));
    const env = { ...process.env, GOFLAGS: "-mod=mod", CGO_ENABLED: "0" };
    try {
      await runCommand("go", ["mod", "init", "otelcol-test"], { cwd: source, env });
      for (const module of MODULES) await runCommand("go", ["mod", "edit", `-require=${module}`], { cwd: source, env });
      await runCommand("go", ["mod", "tidy"], { cwd: source, env });
      await runCommand("go", ["build", "-trimpath", "-o", path.join(staging, "bin", "otelcol"), "."], {
        cwd: source,
        env,
      });
    } catch (error) {
      throw new Error(
        `building the OpenTelemetry Collector failed (is the Go module proxy reachable?): ${(error as Error).message}`,
        { cause: error },
      );
    }
  });
  return path.join(dir, "bin", "otelcol");
}

export async function startCollector(options: { dir: string; logFile: string }): Promise<CollectorInstance> {
  const binary = await installCollector();
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const out = path.join(options.dir, "received.jsonl");
  await writeFile(out, "");
  const configFile = path.join(options.dir, "collector.yaml");
  await writeFile(
    configFile,
    [
      "receivers:",
      "  otlp:",
      "    protocols:",
      "      http:",
      `        endpoint: 127.0.0.1:${port}`,
      "exporters:",
      "  file:",
      `    path: ${out}`,
      "    flush_interval: 100ms",
      "service:",
      "  telemetry:",
      "    metrics:",
      "      level: none",
      "  pipelines:",
      "    traces: { receivers: [otlp], exporters: [file] }",
      "    logs: { receivers: [otlp], exporters: [file] }",
      "",
    ].join("\n"),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const { process: child } = await startServiceProcess({
    name: "otelcol",
    command: binary,
    args: ["--config", `file:${configFile}`],
    logFile: options.logFile,
    // Any answer on the port (404 for GET /) means the receiver listens.
    ready: { probe: async () => ((await fetch(`${endpoint}/`).catch(() => undefined)) ? endpoint : undefined) },
    timeoutMs: 30_000,
    stopTimeoutMs: 10_000,
  });
  return { endpoint, received: () => readFile(out, "utf8"), process: child };
}
