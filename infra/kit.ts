// The whole kit as one component: cloud resources, the platform releases, the objects the
// charts synthesize, in the order they must exist, all children of one Kit. index.ts (through
// program.ts) declares it with the stack's settings.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kitObjects, type DeployValues } from "./charts/index.js";
import { objectStoreEndpoint } from "./charts/addresses.js";
import { mcpResourceUrl, type Settings } from "./config.js";
import { BackupIdentity } from "./components/backup-identity.js";
import { BackupStorage } from "./components/backup-storage.js";
import { Credentials } from "./components/credentials.js";
import { McpImage } from "./components/image.js";
import { KubeObjects } from "./components/kube-objects.js";
import { PlatformReleases } from "./components/platform-releases.js";

export interface KitArgs {
  /** The stack's validated settings (config.ts); the Kit maps them onto each component's args. */
  readonly settings: Settings;
  /** The repository root: the image's build context. */
  readonly projectRoot: string;
}

export interface KitOutputs {
  mcpUrl: pulumi.Output<string>;
  namespace: pulumi.Output<string>;
  bucket: pulumi.Output<string>;
  kmsKeyArn: pulumi.Output<string | undefined>;
  backupSchedule: pulumi.Output<string>;
  image: pulumi.Output<string>;
  neo4jPassword: pulumi.Output<string>;
}

/** Stands in for deploy-time values when listing which objects exist; never deployed. */
const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;

/**
 * Stacks deployed before the Kit existed hold its children at the stack's root: the alias
 * moves each under the Kit in place (their own children follow), so nothing is replaced.
 */
const FORMERLY_AT_ROOT = [{ parent: pulumi.rootStackResource }];

export class Kit extends pulumi.ComponentResource implements KitOutputs {
  readonly mcpUrl: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;
  readonly bucket: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Output<string | undefined>;
  readonly backupSchedule: pulumi.Output<string>;
  readonly image: pulumi.Output<string>;
  readonly neo4jPassword: pulumi.Output<string>;

  constructor(name: string, args: KitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:index:Kit", name, {}, opts);
    const { settings } = args;
    const child = { parent: this, aliases: FORMERLY_AT_ROOT };
    // A ConfigMap's data changes in place (a replacement would delete it under its running pods).
    const provider = new k8s.Provider("cluster", { enableServerSideApply: true, enableConfigMapMutable: true }, child);
    const releases = new PlatformReleases(
      "platform",
      {
        provider,
        installCertManager: settings.installCertManager,
        installTrustManager: settings.installTrustManager,
        installLinkerd: settings.installLinkerd && settings.meshEnabled,
        certManagerChartVersion: settings.certManagerChartVersion,
        trustManagerChartVersion: settings.trustManagerChartVersion,
        linkerdChartVersion: settings.linkerdChartVersion,
        certManagerNamespace: settings.certManagerNamespace,
        linkerdNamespace: settings.linkerdNamespace,
        prometheusOperator: settings.prometheusOperator,
      },
      child,
    );

    let storage: BackupStorage | undefined;
    let identity: BackupIdentity | undefined;
    if (settings.platform === "aws") {
      if (!settings.awsOidcProviderArn)
        throw new pulumi.ResourceError("awsOidcProviderArn is required on the aws platform", this);
      storage = new BackupStorage(
        "backups",
        {
          namespace: settings.namespace,
          backupPrefix: settings.backupPrefix,
          retentionDays: settings.backupRetentionDays,
          objectLock: settings.backupObjectLock,
        },
        child,
      );
      identity = new BackupIdentity(
        "backup-identity",
        {
          oidcProviderArn: settings.awsOidcProviderArn,
          namespace: settings.namespace,
          backupPrefix: settings.backupPrefix,
          bucketArn: storage.bucketArn,
          kmsKeyArn: storage.kmsKeyArn,
        },
        child,
      );
    }
    const image = new McpImage(
      "mcp-server-image",
      {
        platform: settings.platform,
        projectRoot: args.projectRoot,
        imageRef: settings.imageRef,
        repository: settings.imageRepository,
        kmsKeyArn: storage?.kmsKeyArn,
      },
      child,
    );

    const localBucket = `${settings.namespace}-backups`;
    const deployValues: pulumi.Output<DeployValues> = pulumi
      .all([
        image.ref,
        storage?.bucketName ?? localBucket,
        storage?.kmsKeyArn,
        identity?.roleArn,
        storage ? aws.getRegionOutput().region : "us-east-1",
      ])
      .apply(([mcpImage, bucket, kmsKeyArn, backupRoleArn, s3Region]) => ({
        mcpImage,
        bucket,
        s3Region,
        ...(kmsKeyArn ? { kmsKeyArn } : {}),
        ...(backupRoleArn ? { backupRoleArn } : {}),
        ...(settings.platform === "local" ? { s3Endpoint: objectStoreEndpoint(settings.namespace) } : {}),
      }));
    const placeholder: DeployValues = {
      mcpImage: `placeholder@${PLACEHOLDER_DIGEST}`,
      bucket: "placeholder",
      s3Region: "placeholder",
      ...(storage
        ? { kmsKeyArn: "placeholder", backupRoleArn: "placeholder" }
        : { s3Endpoint: objectStoreEndpoint(settings.namespace) }),
    };
    const plan = kitObjects(settings, placeholder);
    const resolved = deployValues.apply((values) => kitObjects(settings, values));

    const platformObjects = new KubeObjects(
      "platform-objects",
      {
        plan: plan.platform,
        resolved: resolved.apply((objects) => objects.platform),
        provider,
        awaitReadiness: settings.awaitReadiness,
      },
      { ...child, dependsOn: releases.foundations },
    );
    const controlPlane = releases.linkerdControlPlane([platformObjects]);
    const credentials = new Credentials(
      "credentials",
      {
        provider,
        dependsOn: platformObjects.namespaces,
        namespace: settings.namespace,
        neo4jPassword: settings.neo4jPassword,
        objectStore:
          settings.platform === "local"
            ? { accessKeyId: settings.objectStoreAccessKeyId, secretAccessKey: settings.objectStoreSecretAccessKey }
            : undefined,
        rateLimitStore: settings.rateLimitStore,
        rateLimitStorePassword: settings.rateLimitStorePassword,
      },
      child,
    );
    new KubeObjects(
      "workload-objects",
      {
        plan: plan.workloads,
        resolved: resolved.apply((objects) => objects.workloads),
        provider,
        awaitReadiness: settings.awaitReadiness,
      },
      { ...child, dependsOn: [platformObjects, ...credentials.secrets, ...(controlPlane ? [controlPlane] : [])] },
    );

    this.mcpUrl = pulumi.output(mcpResourceUrl(settings));
    this.namespace = pulumi.output(settings.namespace);
    this.bucket = deployValues.apply((values) => values.bucket);
    this.kmsKeyArn = deployValues.apply((values) => values.kmsKeyArn);
    this.backupSchedule = pulumi.output(settings.backupSchedule);
    this.image = image.ref;
    this.neo4jPassword = credentials.neo4jPassword;
    this.registerOutputs(this.outputs());
  }

  /** The stack outputs index.ts exports. */
  outputs(): KitOutputs {
    return {
      mcpUrl: this.mcpUrl,
      namespace: this.namespace,
      bucket: this.bucket,
      kmsKeyArn: this.kmsKeyArn,
      backupSchedule: this.backupSchedule,
      image: this.image,
      neo4jPassword: this.neo4jPassword,
    };
  }
}

/** Declares the kit for a stack's settings and returns its outputs. */
export function deployKit(settings: Settings, options: { projectRoot: string }): KitOutputs {
  return new Kit("mcp-bastion", { settings, projectRoot: options.projectRoot }).outputs();
}
