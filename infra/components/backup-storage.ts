// The backup bucket on AWS: SSE-KMS with a customer key that rotates, versioning, no public
// access, TLS-only and KMS-only writes enforced by the bucket policy, retention by lifecycle
// rule and, when asked, Object Lock.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface BackupStorageArgs {
  /** The kit's namespace: names the key's alias and describes the key. */
  readonly namespace: pulumi.Input<string>;
  /**
   * The key prefix the backups are written under; the retention rule applies only there.
   * @default "backups/"
   */
  readonly backupPrefix?: pulumi.Input<string>;
  /**
   * How many days a backup is kept (the lifecycle rule, and Object Lock's retention when on).
   * @default 30
   */
  readonly retentionDays?: pulumi.Input<number>;
  /**
   * Object Lock in governance mode: a backup cannot be deleted before its retention ends.
   * Only a new bucket can have it, so it is decided when the bucket is created.
   * @default false
   */
  readonly objectLock?: boolean;
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
    const namespace = pulumi.output(args.namespace);
    const backupPrefix = args.backupPrefix ?? "backups/";
    const retentionDays = args.retentionDays ?? 30;
    const objectLock = args.objectLock ?? false;
    const parent = { parent: this };

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: pulumi.interpolate`mcp-bastion backups (${namespace})`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: 30,
      },
      parent,
    );
    new aws.kms.Alias(
      `${name}-key-alias`,
      { name: pulumi.interpolate`alias/mcp-bastion-${namespace}-backups`, targetKeyId: key.keyId },
      parent,
    );

    const bucket = new aws.s3.Bucket(`${name}-bucket`, { objectLockEnabled: objectLock, forceDestroy: false }, parent);
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
            filter: { prefix: backupPrefix },
            expiration: { days: retentionDays },
            noncurrentVersionExpiration: { noncurrentDays: 7 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 2 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    if (objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        { bucket: bucket.id, rule: { defaultRetention: { mode: "GOVERNANCE", days: retentionDays } } },
        { parent: this, dependsOn: [versioning] },
      );
    }

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({ bucketName: this.bucketName, kmsKeyArn: this.kmsKeyArn });
  }
}
