// The in-cluster restore Job is the backup CronJob's own template with the restore command.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { V1CronJob } from "@kubernetes/client-node";
import { kitObjects } from "../../infra/charts/index.js";
import { parseSettings } from "../../infra/config.js";
import { podSecurityRestricted } from "../../policies/rules/kubernetes/pod-security-restricted.js";
import { DEFAULT_CONFIG } from "../../policies/lib/types.js";
import { restoreJobFrom } from "../lib/restore-job.js";
import { MINIMAL_LOCAL_SETTINGS } from "../../infra/test/support/settings.js";

const settings = parseSettings({ ...MINIMAL_LOCAL_SETTINGS });
const { workloads } = kitObjects(settings, {
  mcpImage: `r/mcp@sha256:${"d".repeat(64)}`,
  bucket: "b",
  s3Region: "us-east-1",
  s3Endpoint: "http://minio:9000",
});
const cronJob = workloads.find((object) => object.kind === "CronJob") as unknown as V1CronJob;

it("builds the restore Job from the backup CronJob: same identity, settings, secrets and hardening", () => {
  const job = restoreJobFrom(cronJob, ["restore", "latest", "--wipe", "--json"], "neo4j-restore-x");
  const pod = job.spec?.template.spec;
  const backupPod = cronJob.spec?.jobTemplate.spec?.template.spec;
  assert.equal(job.metadata?.namespace, "mcp-bastion");
  assert.equal(pod?.serviceAccountName, backupPod?.serviceAccountName);
  assert.deepEqual(pod?.volumes, backupPod?.volumes);
  assert.equal(
    job.spec?.template.metadata?.labels?.["app.kubernetes.io/name"],
    "backup",
    "the backup's NetworkPolicy and mesh identity apply",
  );
  assert.deepEqual(pod?.containers[0]?.args, ["dist/main.js", "restore", "restore", "latest", "--wipe", "--json"]);
  assert.equal(pod?.containers[0]?.image, backupPod?.containers[0]?.image);
  assert.equal(job.spec?.backoffLimit, 0);
  assert.deepEqual(
    podSecurityRestricted.check(
      { type: "kubernetes:batch/v1:Job", name: "job", props: job as unknown as Record<string, unknown> },
      DEFAULT_CONFIG,
    ),
    [],
  );
});

it("refuses a CronJob without a container", () => {
  assert.throws(
    () =>
      restoreJobFrom(
        { metadata: { name: "x" }, spec: { schedule: "* * * * *", jobTemplate: {} } },
        ["restore", "latest"],
        "j",
      ),
    /has no job template with a container/,
  );
});
