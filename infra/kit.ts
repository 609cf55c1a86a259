// The whole kit as one Pulumi program: cloud resources, the platform releases, the objects the
// charts synthesize, in the order they must exist. index.ts calls it with the stack's settings.
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

export function deployKit(settings: Settings, options: { projectRoot: string }): KitOutputs {
  // A ConfigMap's data changes in place (a replacement would delete it under its running pods).
  const provider = new k8s.Provider("cluster", { enableServerSideApply: true, enableConfigMapMutable: true });
  const releases = new PlatformReleases("platform", { settings, provider });

  let storage: BackupStorage | undefined;
  let identity: BackupIdentity | undefined;
  if (settings.platform === "aws") {
    if (!settings.awsOidcProviderArn) throw new pulumi.RunError("awsOidcProviderArn is required on the aws platform");
    storage = new BackupStorage("backups", { settings });
    identity = new BackupIdentity("backup-identity", {
      settings,
      oidcProviderArn: settings.awsOidcProviderArn,
      bucketArn: storage.bucketArn,
      kmsKeyArn: storage.kmsKeyArn,
    });
  }
  const image = new McpImage("mcp-server-image", {
    settings,
    projectRoot: options.projectRoot,
    ...(storage ? { kmsKeyArn: storage.kmsKeyArn } : {}),
  });

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
    { dependsOn: releases.foundations },
  );
  const controlPlane = releases.linkerdControlPlane([platformObjects]);
  const credentials = new Credentials("credentials", { settings, provider, dependsOn: platformObjects.namespaces });
  new KubeObjects(
    "workload-objects",
    {
      plan: plan.workloads,
      resolved: resolved.apply((objects) => objects.workloads),
      provider,
      awaitReadiness: settings.awaitReadiness,
    },
    { dependsOn: [platformObjects, ...credentials.secrets, ...(controlPlane ? [controlPlane] : [])] },
  );

  return {
    mcpUrl: pulumi.output(mcpResourceUrl(settings)),
    namespace: pulumi.output(settings.namespace),
    bucket: deployValues.apply((values) => values.bucket),
    kmsKeyArn: deployValues.apply((values) => values.kmsKeyArn),
    backupSchedule: pulumi.output(settings.backupSchedule),
    image: image.ref,
    neo4jPassword: credentials.neo4jPassword,
  };
}
