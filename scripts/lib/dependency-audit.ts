// The dependency gate's judgement, apart from running npm: which advisories of an `npm audit
// --json` report fail the run, which are accepted (and until when), and whether app/Dockerfile
// still installs the tree the gate audits.
import { z } from "zod";

export const FAILING_SEVERITIES = new Set(["high", "critical"]);

export interface Finding {
  readonly advisory: string;
  readonly package: string;
  readonly severity: string;
  readonly title: string;
  readonly url: string;
  readonly range: string;
}

const acceptedFinding = z
  .object({
    advisory: z
      .string()
      .regex(/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/, "must be a GitHub advisory id (GHSA-xxxx-xxxx-xxxx)"),
    package: z.string().min(1),
    reason: z.string().min(20, "must say why the finding does not reach this project (20 characters or more)"),
    reviewBy: z.iso.date("must be a date (YYYY-MM-DD) after which the acceptance lapses"),
  })
  .strict();
export const acceptedFindings = z.array(acceptedFinding);
export type AcceptedFinding = z.infer<typeof acceptedFinding>;

const advisory = z.object({
  name: z.string(),
  title: z.string(),
  url: z.string(),
  severity: z.string(),
  range: z.string().default(""),
});
const auditReport = z.object({
  vulnerabilities: z.record(z.string(), z.object({ via: z.array(z.union([z.string(), advisory])) })),
});

/** The advisories of a report, once each (a package's dependents repeat them by name only). */
export function findingsOf(report: unknown): Finding[] {
  const parsed = auditReport.safeParse(report);
  if (!parsed.success) throw new Error("npm audit's report has an unknown shape: nothing was audited");
  const found = new Map<string, Finding>();
  for (const entry of Object.values(parsed.data.vulnerabilities)) {
    for (const via of entry.via) {
      if (typeof via === "string") continue;
      const id = via.url.split("/").pop() ?? via.url;
      found.set(`${id} ${via.name}`, {
        advisory: id,
        package: via.name,
        severity: via.severity,
        title: via.title,
        url: via.url,
        range: via.range,
      });
    }
  }
  return [...found.values()].sort((a, b) => a.package.localeCompare(b.package) || a.advisory.localeCompare(b.advisory));
}

export interface Verdict {
  readonly failing: Finding[];
  readonly accepted: { finding: Finding; acceptance: AcceptedFinding }[];
  readonly lapsed: { finding: Finding; acceptance: AcceptedFinding }[];
  readonly informational: Finding[];
  /** Acceptances that match no finding any more: they should be removed. */
  readonly unused: AcceptedFinding[];
}

export function judge(findings: readonly Finding[], accepted: readonly AcceptedFinding[], today: string): Verdict {
  const verdict: Verdict = { failing: [], accepted: [], lapsed: [], informational: [], unused: [] };
  const used = new Set<AcceptedFinding>();
  for (const finding of findings) {
    const acceptance = accepted.find(
      (entry) => entry.advisory === finding.advisory && entry.package === finding.package,
    );
    if (acceptance) used.add(acceptance);
    if (!FAILING_SEVERITIES.has(finding.severity)) verdict.informational.push(finding);
    else if (!acceptance) verdict.failing.push(finding);
    else if (acceptance.reviewBy < today) verdict.lapsed.push({ finding, acceptance });
    else verdict.accepted.push({ finding, acceptance });
  }
  verdict.unused.push(...accepted.filter((entry) => !used.has(entry)));
  return verdict;
}

/**
 * The gate audits the root lock's production tree; that is the image's tree only while
 * app/Dockerfile installs that lock and prunes the dev dependencies. Returns what breaks that.
 */
export function imageInstallProblems(dockerfile: string): string[] {
  const problems: string[] = [];
  if (!/^COPY\s+package\.json\s+package-lock\.json\s/m.test(dockerfile))
    problems.push("it no longer copies the root package.json and package-lock.json");
  if (!/\bnpm ci\b/.test(dockerfile)) problems.push("it no longer installs with npm ci (the lock, exactly)");
  if (!/\bnpm (prune|ci)\b[^\n]*--omit=dev/.test(dockerfile)) problems.push("it no longer omits the dev dependencies");
  return problems;
}
