// npm run audit [-- --accepted FILE] [--json]
// The dependency gate: audits the production dependency tree of package-lock.json, which is the
// image's tree (app/Dockerfile installs that lock and prunes the dev dependencies; the gate
// checks that it still does), with npm audit. High and critical advisories fail, unless
// scripts/accepted-advisories.json accepts them with a reason until a review date.
// Exit codes: 0 passed, 1 findings (or the Dockerfile installs another tree), 2 bad arguments,
// 3 the registry's advisory service did not answer, so nothing was audited.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { acceptedFindings, findingsOf, imageInstallProblems, judge, type Finding } from "./lib/dependency-audit.js";
import { parseOptions, runMain } from "./lib/cli.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ACCEPTED = path.join(ROOT, "scripts", "accepted-advisories.json");

const USAGE = `usage: npm run audit [-- --accepted FILE] [--json]
Audits the production (image) dependency tree; high and critical advisories fail.
  --accepted FILE  the accepted advisories (default scripts/accepted-advisories.json)
  --json           print the verdict as JSON
Exit codes: 0 passed, 1 findings, 2 bad arguments, 3 the advisory service did not answer.
MCP_BASTION_AUDIT_UNREACHABLE=warn turns exit code 3 into a warning (for networks without it).`;

const line = (finding: Finding) =>
  `${finding.severity} ${finding.package} ${finding.range}: ${finding.title} (${finding.advisory}, ${finding.url})`;

function readAccepted(file: string) {
  const parsed = acceptedFindings.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  [${issue.path.join(".")}] ${issue.message}`);
  throw new Error(`${path.relative(ROOT, file)}:\n${problems.join("\n")}`);
}

runMain(async () => {
  const parsed = parseOptions({ accepted: { type: "string" }, json: { type: "boolean" } }, USAGE);
  if ("exitCode" in parsed) return parsed.exitCode;
  const { accepted: acceptedFile = ACCEPTED, json = false } = parsed.values;
  const accepted = readAccepted(acceptedFile);

  const dockerfileProblems = imageInstallProblems(readFileSync(path.join(ROOT, "app", "Dockerfile"), "utf8"));
  if (dockerfileProblems.length > 0) {
    console.error(`app/Dockerfile no longer installs the tree this gate audits: ${dockerfileProblems.join("; ")}`);
    return 1;
  }

  // --package-lock-only: the lock is what the image's npm ci installs, whatever node_modules holds.
  const run = spawnSync("npm", ["audit", "--omit=dev", "--package-lock-only", "--json"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
  });
  let report: { message?: string; error?: { summary?: string }; vulnerabilities?: unknown };
  try {
    report = JSON.parse(run.stdout) as typeof report;
  } catch {
    report = { message: run.stderr.trim() || `npm audit exited ${run.status}` };
  }
  if (report.vulnerabilities === undefined) {
    const reason = report.error?.summary || report.message || "no report";
    const warnOnly = process.env.MCP_BASTION_AUDIT_UNREACHABLE === "warn";
    console.error(
      `dependency audit: the registry's advisory service did not answer (${reason.split(" - ")[0]}): NOTHING WAS AUDITED${warnOnly ? " (MCP_BASTION_AUDIT_UNREACHABLE=warn)" : ""}`,
    );
    return warnOnly ? 0 : 3;
  }

  const verdict = judge(findingsOf(report), accepted, new Date().toISOString().slice(0, 10));
  if (json) {
    console.log(JSON.stringify(verdict));
  } else {
    for (const finding of verdict.failing) console.log(`FAIL ${line(finding)}`);
    for (const { finding, acceptance } of verdict.lapsed)
      console.log(`FAIL ${line(finding)}: accepted until ${acceptance.reviewBy}, review it again`);
    for (const { finding, acceptance } of verdict.accepted)
      console.log(`accepted until ${acceptance.reviewBy}: ${line(finding)}: ${acceptance.reason}`);
    for (const finding of verdict.informational) console.log(`note ${line(finding)}`);
    for (const acceptance of verdict.unused)
      console.log(
        `unused acceptance of ${acceptance.advisory} (${acceptance.package}): remove it from ${path.relative(ROOT, acceptedFile)}`,
      );
  }
  const failures = verdict.failing.length + verdict.lapsed.length;
  console.error(
    `dependency audit: ${failures} high or critical finding(s) failing, ${verdict.accepted.length} accepted, ${verdict.informational.length} below high`,
  );
  return failures > 0 ? 1 : 0;
});
