// The scheduled Neo4j backup: a CronJob running the server image's backup command, one run at
// a time, with a deadline; its own ServiceAccount carries the IAM role on AWS (IRSA).
import { Chart, Cron, Duration, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import {
  IDS,
  NAMES,
  mountSecretFiles,
  objectLabels,
  pinPodSeccomp,
  podLabels,
  resources,
  restrictedContainer,
  restrictedWorkload,
} from "./common.js";
import { SECRET_MOUNTS, mountNeo4jClientFiles, neo4jBoltUri } from "./addresses.js";
import type { DeployValues } from "./deploy-values.js";

/**
 * The V8 heap the backup and restore run within, well inside the container's 512Mi limit. Both
 * stream, so a fixed heap serves any graph size; bench:backup measures them under this same cap,
 * which a graph-sized allocation would break.
 */
const BACKUP_HEAP_MB = 192;

/**
 * The young generation of each of the backup's and restore's threads, in MB per semi-space (it
 * holds two). V8's flag for it is process-wide: it sets the main thread's and the backup's
 * reader threads' alike. Left to V8, the main thread's grows to 134 MB, and bench:backup measured
 * the backup's peak RSS at 394 MB (100k nodes) and 498 MB (1M). At 4 MB the readers, which
 * decode fast and keep part of what they decode across a collection, spent about two fifths of
 * their time collecting garbage (15.5 s of scavenges each at 1M nodes); at 16 MB the backup of 1M
 * nodes took 43.0-49.5 s against 53.6-62.0 s (CPU 63-69 s against 84-94 s) at 363-371 MB of peak
 * RSS against 273-281 MB (two readers, four runs of each, alternating). The restore and the
 * import, whose main thread does their work, gain nothing from it (one restore and two imports
 * of each: no phase faster beyond the runs' noise) and peak about 30 MB higher (restore 223 MB
 * against 194, import 229-237 MB against 201-204).
 */
export const BACKUP_SEMI_SPACE_MB = 16;

/** The backup's and restore's Node.js options: the heap cap and the young generation. */
export const BACKUP_NODE_OPTIONS = `--max-old-space-size=${BACKUP_HEAP_MB} --max-semi-space-size=${BACKUP_SEMI_SPACE_MB}`;

/** Where the backups go: the deploy-time values of the bucket, and the backup's own settings. */
export interface BackupProps extends Omit<DeployValues, "mcpImage"> {
  /** The kit's namespace (the backup reaches Neo4j there). */
  readonly namespace: string;
  /** The MCP server's image, by digest: it also runs the backup. */
  readonly image: string;
  /**
   * The image's backup command.
   * @default ["dist/main.js", "backup"]
   */
  readonly args?: readonly string[];
  /**
   * When the backup runs: a five-field cron schedule.
   * @default "17 *\/6 * * *"
   */
  readonly schedule?: string;
  /**
   * The key prefix the backups are written under.
   * @default "backups/"
   */
  readonly prefix?: string;
  /**
   * Where the job sends its traces, as environment (mcp-server-env.ts telemetryEnv).
   * @default {}: no traces
   */
  readonly telemetry?: Readonly<Record<string, string>>;
}

/** The backup's settings, as the environment app/src/backup reads. */
function backupEnvironment(props: BackupProps): Record<string, string> {
  return {
    NODE_ENV: "production",
    NODE_OPTIONS: BACKUP_NODE_OPTIONS,
    NEO4J_URI: neo4jBoltUri(props.namespace),
    NEO4J_USER: "neo4j",
    NEO4J_PASSWORD_FILE: `${SECRET_MOUNTS.neo4j}/password`,
    // Bolt TLS verified against the kit's CA alone, as the server's is; S3 over TLS uses NODE_EXTRA_CA_CERTS.
    NEO4J_CA_FILE: `${SECRET_MOUNTS.caBundle}/ca.crt`,
    NODE_EXTRA_CA_CERTS: `${SECRET_MOUNTS.caBundle}/ca.crt`,
    S3_BUCKET: props.bucket,
    S3_PREFIX: props.prefix ?? "backups/",
    S3_REGION: props.s3Region,
    ...(props.kmsKeyArn ? { S3_KMS_KEY_ID: props.kmsKeyArn } : {}),
    ...(props.s3Endpoint
      ? {
          S3_ENDPOINT: props.s3Endpoint,
          S3_FORCE_PATH_STYLE: "true",
          S3_ACCESS_KEY_ID_FILE: `${SECRET_MOUNTS.objectStore}/access-key-id`,
          S3_SECRET_ACCESS_KEY_FILE: `${SECRET_MOUNTS.objectStore}/secret-access-key`,
        }
      : {}),
  };
}

export class BackupChart extends Chart {
  constructor(scope: Construct, id: string, props: BackupProps) {
    super(scope, id, { namespace: props.namespace, labels: objectLabels("backup") });

    const config = new kplus.ConfigMap(this, "config", {
      metadata: { name: NAMES.backupConfig },
      data: { ...backupEnvironment(props), ...props.telemetry },
    });
    const workload = restrictedWorkload(this, NAMES.backup, IDS.backup, { labels: podLabels("backup") });
    if (props.backupRoleArn) {
      workload.serviceAccount.metadata.addAnnotation("eks.amazonaws.com/role-arn", props.backupRoleArn);
      workload.serviceAccount.metadata.addAnnotation("eks.amazonaws.com/sts-regional-endpoints", "true");
    }

    const cronJob = new kplus.CronJob(this, "cronjob", {
      ...workload,
      schedule: cronOf(props.schedule ?? "17 */6 * * *"),
      timeZone: "Etc/UTC",
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.minutes(30),
      successfulJobsRetained: 3,
      failedJobsRetained: 3,
      activeDeadline: Duration.hours(4),
      backoffLimit: 2,
      restartPolicy: kplus.RestartPolicy.NEVER,
      containers: [
        restrictedContainer(IDS.backup, {
          name: "backup",
          image: props.image,
          args: [...(props.args ?? ["dist/main.js", "backup"])],
          envFrom: [kplus.Env.fromConfigMap(config)],
          resources: resources({ cpuRequest: "200m", cpuLimit: "1", memoryRequest: "256Mi", memoryLimit: "512Mi" }),
        }),
      ],
    });
    pinPodSeccomp(cronJob, "/spec/jobTemplate/spec/template/spec");

    const [container] = cronJob.containers;
    if (!container) throw new Error("the backup CronJob has no container");
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(256) }));
    mountNeo4jClientFiles(this, container);
    if (props.s3Endpoint) {
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
