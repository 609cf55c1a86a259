// The backup job's AWS identity: an IAM role that only the backup ServiceAccount of the kit's
// namespace can assume, through the cluster's OIDC provider (IRSA), allowed to read and write
// objects under the backup prefix and to use the backup key: nothing else.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NAMES } from "../charts/common.js";

export interface BackupIdentityArgs {
  /** The cluster's IAM OIDC provider (arn:aws:iam::<account>:oidc-provider/<issuer>) the role trusts. */
  readonly oidcProviderArn: pulumi.Input<string>;
  /** The namespace of the one ServiceAccount that may assume the role. */
  readonly namespace: pulumi.Input<string>;
  /**
   * The ServiceAccount that may assume the role.
   * @default "neo4j-backup" (the backup CronJob's)
   */
  readonly serviceAccount?: pulumi.Input<string>;
  /** The backup bucket. */
  readonly bucketArn: pulumi.Input<string>;
  /**
   * The key prefix the role may read and write under.
   * @default "backups/"
   */
  readonly backupPrefix?: pulumi.Input<string>;
  /** The customer key the backups are encrypted with. */
  readonly kmsKeyArn: pulumi.Input<string>;
}

/** The OIDC issuer (host/path, no scheme) an IAM OIDC provider ARN names. */
export function oidcIssuer(providerArn: string): string {
  const issuer = providerArn.split(":oidc-provider/")[1];
  if (!issuer) throw new Error(`${providerArn} is not an IAM OIDC provider ARN`);
  return issuer;
}

export function trustPolicyDocument(providerArn: string, namespace: string, serviceAccount: string): string {
  const issuer = oidcIssuer(providerArn);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  });
}

/**
 * The role's access: objects under `prefix` only. A prefix without its trailing slash, or with
 * an IAM wildcard, would reach further (backups* matches backups-other/), so it is refused.
 */
export function accessPolicyDocument(bucketArn: string, prefix: string, kmsKeyArn: string): string {
  if (!/^[^*?]+\/$/.test(prefix))
    throw new Error(`backup prefix ${JSON.stringify(prefix)} must end in '/' and hold no IAM wildcard (* or ?)`);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "BackupObjects",
        Effect: "Allow",
        Action: [
          "s3:PutObject",
          "s3:GetObject",
          "s3:DeleteObject",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
        ],
        Resource: `${bucketArn}/${prefix}*`,
      },
      {
        Sid: "ListBackups",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
        Resource: bucketArn,
        Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
      },
      {
        Sid: "BackupKey",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"],
        Resource: kmsKeyArn,
      },
    ],
  });
}

export class BackupIdentity extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: BackupIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:aws:BackupIdentity", name, {}, opts);
    const serviceAccount = args.serviceAccount ?? NAMES.backup;
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: pulumi.interpolate`mcp-bastion backup job (${args.namespace}/${serviceAccount})`,
        assumeRolePolicy: pulumi
          .all([args.oidcProviderArn, args.namespace, serviceAccount])
          .apply(([providerArn, namespace, account]) => trustPolicyDocument(providerArn, namespace, account)),
        maxSessionDuration: 3600,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-access`,
      {
        role: role.id,
        policy: pulumi
          .all([args.bucketArn, args.backupPrefix ?? "backups/", args.kmsKeyArn])
          .apply(([bucketArn, prefix, keyArn]) => accessPolicyDocument(bucketArn, prefix, keyArn)),
      },
      { parent: this },
    );
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
