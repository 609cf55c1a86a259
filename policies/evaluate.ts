// Runs every rule over a set of resources and reports one finding per violation.
import { RESOURCE_RULES, STACK_RULES } from "./rules/index.js";
import { DEFAULT_CONFIG, type CheckedResource, type PackConfig } from "./lib/types.js";

export interface Finding {
  rule: string;
  resource: string;
  message: string;
  fix: string;
}

export function evaluate(resources: readonly CheckedResource[], config: PackConfig = DEFAULT_CONFIG): Finding[] {
  const findings: Finding[] = [];
  for (const resource of resources) {
    for (const rule of RESOURCE_RULES) {
      if (!rule.appliesTo(resource.type)) continue;
      for (const violation of rule.check(resource, config))
        findings.push({ rule: rule.name, resource: resource.name, ...violation });
    }
  }
  for (const rule of STACK_RULES) {
    for (const violation of rule.check([...resources], config)) findings.push({ rule: rule.name, ...violation });
  }
  return findings;
}

/** One line: rule, resource, what is wrong, how to fix it. */
export const formatFinding = (finding: Finding): string =>
  `${finding.rule}: ${finding.resource}: ${finding.message}. Fix: ${finding.fix}`;
