// The backup bucket on AWS: SSE-KMS with a customer key that rotates, versioning, no public
// access, TLS-only and KMS-only writes enforced by the bucket policy, retention by lifecycle
// rule and, when asked, Object Lock.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config.js";

export interface BackupStorageArgs {
  readonly settings: Settings;
}

/** The bucket policy: refuse plain HTTP, and any put that is not SSE-KMS with the kit's key. */
export function bucketPolicyDocument(bucketArn: string, kmsKeyArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyUnencryptedPuts",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
      {
        Sid: "DenyOtherKmsKeys",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn } },
      },
    ],
  });
}

export class BackupStorage extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: BackupStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:aws:BackupStorage", name, {}, opts);
    const { settings } = args;
    const parent = { parent: this };

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `mcp-bastion backups (${settings.namespace})`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: 30,
      },
      parent,
    );
    new aws.kms.Alias(
      `${name}-key-alias`,
      { name: `alias/mcp-bastion-${settings.namespace}-backups`, targetKeyId: key.keyId },
      parent,
    );

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { objectLockEnabled: settings.backupObjectLock, forceDestroy: false },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
            bucketKeyEnabled: true,
          },
        ],
      },
      parent,
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([bucket.arn, key.arn])
          .apply(([bucketArn, keyArn]) => bucketPolicyDocument(bucketArn, keyArn)),
      },
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-retention`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "backup-retention",
            status: "Enabled",
            filter: { prefix: settings.backupPrefix },
            expiration: { days: settings.backupRetentionDays },
            noncurrentVersionExpiration: { noncurrentDays: 7 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 2 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    if (settings.backupObjectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        { bucket: bucket.id, rule: { defaultRetention: { mode: "GOVERNANCE", days: settings.backupRetentionDays } } },
        { parent: this, dependsOn: [versioning] },
      );
    }

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({ bucketName: this.bucketName, kmsKeyArn: this.kmsKeyArn });
  }
}
