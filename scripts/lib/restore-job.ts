// The in-cluster restore Job: the backup CronJob's own job template (its ServiceAccount and IAM
// role, its settings, its mounted secrets, its NetworkPolicy identity and its hardening) with
// the image's restore command instead of the backup, the way `kubectl create job --from` does.
import type { V1CronJob, V1Job } from "@kubernetes/client-node";

export function restoreJobFrom(cronJob: V1CronJob, restoreArgs: string[], name: string): V1Job {
  const template = cronJob.spec?.jobTemplate;
  const podSpec = template?.spec?.template.spec;
  const [container] = podSpec?.containers ?? [];
  if (!template?.spec || !podSpec || !container)
    throw new Error(`CronJob ${cronJob.metadata?.name ?? "?"} has no job template with a container`);
  const entry = container.args?.[0];
  if (!entry)
    throw new Error(
      `the backup container of ${cronJob.metadata?.name ?? "?"} has no args naming the image's entry script`,
    );
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace: cronJob.metadata?.namespace,
      labels: { ...(template.metadata?.labels ?? {}), "app.kubernetes.io/component": "restore" },
      annotations: {
        "mcp-bastion.dev/restore-of": restoreArgs.find((arg) => !arg.startsWith("-") && arg !== "restore") ?? "",
      },
    },
    spec: {
      ...template.spec,
      // A restore is run once and watched by an operator; a failed one is re-run by hand.
      backoffLimit: 0,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        ...template.spec.template,
        spec: {
          ...podSpec,
          restartPolicy: "Never",
          containers: [{ ...container, name: "restore", args: [entry, "restore", ...restoreArgs] }],
        },
      },
    },
  };
}
