// checkov, the manifest scanner the infra tests use as an outside judge: installed once from
// PyPI into a virtualenv in the cache (outside the repo), run as `python -m checkov.main` so
// the virtualenv works wherever installOnce renamed it to.
import { spawn } from "node:child_process";
import path from "node:path";
import { cacheRoot, installOnce, requireTool, runCommand } from "./toolchain.js";

export const CHECKOV_VERSION = "3.3.30";

export async function ensureCheckov(): Promise<string> {
  const dir = path.join(cacheRoot(), `checkov-${CHECKOV_VERSION}`);
  await installOnce(dir, async (staging) => {
    await requireTool(
      "python3",
      ["--version"],
      "Install Python 3.9 or newer with venv (Debian: apt-get install python3 python3-venv).",
    );
    await runCommand("python3", ["-m", "venv", staging]);
    await runCommand(path.join(staging, "bin", "python"), [
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      `checkov==${CHECKOV_VERSION}`,
    ]);
  });
  return path.join(dir, "bin", "python");
}

export interface CheckovFailure {
  checkId: string;
  checkName: string;
  resource: string;
  file: string;
}

export interface CheckovReport {
  passed: number;
  failed: CheckovFailure[];
  skipped: { checkId: string; resource: string; reason: string }[];
}

/** Scans a directory of Kubernetes manifests; `skipChecks` are check ids with their reasons. */
export async function scanManifests(directory: string, skipChecks: readonly string[] = []): Promise<CheckovReport> {
  const python = await ensureCheckov();
  const args = [
    "-m",
    "checkov.main",
    "-d",
    directory,
    "--framework",
    "kubernetes",
    "--skip-download",
    "--output",
    "json",
    "--quiet",
    "--compact",
  ];
  if (skipChecks.length > 0) args.push("--skip-check", skipChecks.join(","));
  const stdout = await runScanner(python, args);
  return parseReport(stdout);
}

/** checkov exits 1 when a check fails; the JSON report is what is judged, so both are fine. */
function runScanner(python: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      env: { ...process.env, LOG_LEVEL: "ERROR" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 || code === 1) resolve(stdout);
      else reject(new Error(`checkov exited ${code}: ${stderr.trim().split("\n").slice(-10).join("\n")}`));
    });
  });
}

function parseReport(stdout: string): CheckovReport {
  const parsed = JSON.parse(stdout) as unknown;
  const reports = (Array.isArray(parsed) ? parsed : [parsed]) as {
    summary?: { passed?: number };
    results?: {
      failed_checks?: { check_id: string; check_name: string; resource: string; file_path: string }[];
      skipped_checks?: { check_id: string; resource: string; suppress_comment?: string }[];
    };
  }[];
  const report: CheckovReport = { passed: 0, failed: [], skipped: [] };
  for (const entry of reports) {
    report.passed += entry.summary?.passed ?? 0;
    for (const failure of entry.results?.failed_checks ?? []) {
      report.failed.push({
        checkId: failure.check_id,
        checkName: failure.check_name,
        resource: failure.resource,
        file: failure.file_path,
      });
    }
    for (const skip of entry.results?.skipped_checks ?? []) {
      report.skipped.push({ checkId: skip.check_id, resource: skip.resource, reason: skip.suppress_comment ?? "" });
    }
  }
  return report;
}
