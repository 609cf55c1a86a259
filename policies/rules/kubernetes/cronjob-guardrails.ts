// A CronJob must not pile up runs, nor start long after its slot, nor run forever.
import { asObject, isKind } from "../../lib/kubernetes.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

export const cronJobGuardrails: ResourceRule = {
  name: "cronjob-guardrails",
  description: "CronJobs use concurrencyPolicy Forbid, a starting deadline and a run deadline.",
  appliesTo: isKind("CronJob"),
  check(resource) {
    const spec = asObject(resource.props.spec);
    const out: Violation[] = [];
    if (spec.concurrencyPolicy !== "Forbid")
      out.push(
        violation(
          `spec.concurrencyPolicy is ${JSON.stringify(spec.concurrencyPolicy ?? "Allow (default)")}`,
          "set concurrencyPolicy: Forbid",
        ),
      );
    if (!(Number(spec.startingDeadlineSeconds) > 0))
      out.push(violation("spec.startingDeadlineSeconds is not set", "set startingDeadlineSeconds"));
    const jobSpec = asObject(asObject(spec.jobTemplate).spec);
    if (!(Number(jobSpec.activeDeadlineSeconds) > 0))
      out.push(
        violation(
          "spec.jobTemplate.spec.activeDeadlineSeconds is not set",
          "set activeDeadlineSeconds so a stuck run ends",
        ),
      );
    return out;
  },
};
