// The scheduled Neo4j backup: a CronJob running the server image's backup command, one run at
// a time, with a deadline; its own ServiceAccount carries the IAM role on AWS (IRSA).
import { ApiObject, Chart, Cron, Duration, JsonPatch, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import type { Settings } from "../config.js";
import {
  IDS,
  NAMES,
  objectLabels,
  podLabels,
  resources,
  restrictedContainer,
  restrictedPod,
  mountSecretFiles,
} from "./common.js";
import { SECRET_MOUNTS, mountNeo4jClientFiles, neo4jBoltUri } from "./addresses.js";
import type { DeployValues } from "./deploy-values.js";
import { telemetryEnv } from "./mcp-server-env.js";

/**
 * The V8 heap the backup and restore run within, well inside the container's 512Mi limit. Both
 * stream, so a fixed heap serves any graph size; bench:backup measures them under this same cap,
 * which a graph-sized allocation would break.
 */
export const BACKUP_HEAP_MB = 192;

/** The backup's settings, shared with the restore Job the operator script creates. */
export function backupEnvironment(settings: Settings, deploy: DeployValues): Record<string, string> {
  return {
    NODE_ENV: "production",
    NODE_OPTIONS: `--max-old-space-size=${BACKUP_HEAP_MB}`,
    NEO4J_URI: neo4jBoltUri(settings.namespace),
    NEO4J_USER: "neo4j",
    NEO4J_PASSWORD_FILE: `${SECRET_MOUNTS.neo4j}/password`,
    // Bolt TLS verified against the kit's CA alone, as the server's is; S3 over TLS uses NODE_EXTRA_CA_CERTS.
    NEO4J_CA_FILE: `${SECRET_MOUNTS.caBundle}/ca.crt`,
    NODE_EXTRA_CA_CERTS: `${SECRET_MOUNTS.caBundle}/ca.crt`,
    S3_BUCKET: deploy.bucket,
    S3_PREFIX: settings.backupPrefix,
    S3_REGION: deploy.s3Region,
    ...(deploy.kmsKeyArn ? { S3_KMS_KEY_ID: deploy.kmsKeyArn } : {}),
    ...(deploy.s3Endpoint
      ? {
          S3_ENDPOINT: deploy.s3Endpoint,
          S3_FORCE_PATH_STYLE: "true",
          S3_ACCESS_KEY_ID_FILE: `${SECRET_MOUNTS.objectStore}/access-key-id`,
          S3_SECRET_ACCESS_KEY_FILE: `${SECRET_MOUNTS.objectStore}/secret-access-key`,
        }
      : {}),
  };
}

export class BackupChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings, deploy: DeployValues) {
    super(scope, id, { namespace: settings.namespace, labels: objectLabels("backup") });

    const config = new kplus.ConfigMap(this, "config", {
      metadata: { name: NAMES.backupConfig },
      data: { ...backupEnvironment(settings, deploy), ...telemetryEnv(settings, NAMES.backup) },
    });
    const serviceAccount = new kplus.ServiceAccount(this, "service-account", {
      metadata: {
        name: NAMES.backup,
        annotations: deploy.backupRoleArn
          ? { "eks.amazonaws.com/role-arn": deploy.backupRoleArn, "eks.amazonaws.com/sts-regional-endpoints": "true" }
          : {},
      },
      automountToken: false,
    });

    const cronJob = new kplus.CronJob(this, "cronjob", {
      metadata: { name: NAMES.backup },
      schedule: cronOf(settings.backupSchedule),
      timeZone: "Etc/UTC",
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.minutes(30),
      successfulJobsRetained: 3,
      failedJobsRetained: 3,
      activeDeadline: Duration.hours(4),
      backoffLimit: 2,
      select: false,
      podMetadata: { labels: podLabels("backup") },
      automountServiceAccountToken: false,
      serviceAccount,
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: restrictedPod(IDS.backup),
      containers: [
        {
          name: "backup",
          image: deploy.mcpImage,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: settings.imageBackupArgs,
          envFrom: [kplus.Env.fromConfigMap(config)],
          securityContext: restrictedContainer(IDS.backup),
          resources: resources("200m", "1", "256Mi", "512Mi"),
        },
      ],
    });
    ApiObject.of(cronJob).addJsonPatch(
      JsonPatch.add("/spec/jobTemplate/spec/template/spec/securityContext/seccompProfile", { type: "RuntimeDefault" }),
    );

    const [container] = cronJob.containers;
    if (!container) throw new Error("the backup CronJob has no container");
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(256) }));
    mountNeo4jClientFiles(this, container);
    if (deploy.s3Endpoint) {
      mountSecretFiles(
        this,
        container,
        SECRET_MOUNTS.objectStore,
        "object-store-credentials",
        NAMES.objectStoreCredentials,
        { "access-key-id": "access-key-id", "secret-access-key": "secret-access-key" },
      );
    }
  }
}

function cronOf(schedule: string): Cron {
  const [minute, hour, day, month, weekDay] = schedule.trim().split(/\s+/);
  return Cron.schedule({ minute, hour, day, month, weekDay });
}
