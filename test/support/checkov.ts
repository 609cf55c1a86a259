// checkov, the manifest scanner the infra tests use as an outside judge: installed once from
// PyPI into a virtualenv in the cache (outside the repo), run as `python -m checkov.main` so
// the virtualenv works wherever installOnce renamed it to.
import path from "node:path";
import { cacheRoot, installOnce, requireTool, runCommand } from "./toolchain.js";

export const CHECKOV_VERSION = "3.3.30";

export async function ensureCheckov(): Promise<string> {
  const dir = path.join(cacheRoot(), `checkov-${CHECKOV_VERSION}`);
  await installOnce(dir, async (staging) => {
    await requireTool("python3", ["--version"], "Install Python 3.9 or newer with venv (Debian: apt-get install python3 python3-venv).");
    await runCommand("python3", ["-m", "venv", staging]);
    await runCommand(path.join(staging, "bin", "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", `checkov==${CHECKOV_VERSION}`]);
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
  const args = ["-m", "checkov.main", "-d", directory, "--framework", "kubernetes", "--skip-download", "--output", "json", "--quiet", "--compact"];
  if (skipChecks.length > 0) args.push("--skip-check", skipChecks.join(","));
  // checkov exits 1 when a check fails; the JSON report is what we judge, so read it either way.
  const output = await runCommand(python, args, { env: { ...process.env, BC_SKIP_MAPPING: "TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: "false", LOG_LEVEL: "ERROR" } }).catch(
    (error: Error) => ({ stdout: extractJson(error.message), stderr: "" }),
  );
  return parseReport(output.stdout);
}

function extractJson(text: string): string {
  const start = text.indexOf("{");
  return start >= 0 ? text.slice(start) : text;
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
      report.failed.push({ checkId: failure.check_id, checkName: failure.check_name, resource: failure.resource, file: failure.file_path });
    }
    for (const skip of entry.results?.skipped_checks ?? []) {
      report.skipped.push({ checkId: skip.check_id, resource: skip.resource, reason: skip.suppress_comment ?? "" });
    }
  }
  return report;
}
