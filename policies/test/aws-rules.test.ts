import { describe, it } from "node:test";
import { bucketEncryption, bucketPublicAccess, bucketTlsOnly, bucketVersioning } from "../rules/aws/s3.js";
import { iamNoWildcards, irsaTrustPinned, kmsKeyRotation } from "../rules/aws/kms-iam.js";
import { accepts, aws, rejects } from "./fixtures.js";

const TLS_DENY = {
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe("s3 rules", () => {
  const encryption = (sseAlgorithm: string) =>
    aws("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "enc", {
      bucket: "b",
      rules: [
        { applyServerSideEncryptionByDefault: { sseAlgorithm, kmsMasterKeyId: "arn:aws:kms:eu-west-1:1:key/k" } },
      ],
    });
  it("s3-kms-encryption accepts aws:kms and rejects AES256", () => {
    accepts(bucketEncryption, encryption("aws:kms"));
    rejects(bucketEncryption, encryption("AES256"), /sseAlgorithm is AES256/);
    rejects(
      bucketEncryption,
      aws("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "enc", {
        bucket: "b",
        rules: [],
      }),
      /has no rule/,
    );
  });
  it("s3-versioning accepts Enabled and rejects Suspended", () => {
    accepts(
      bucketVersioning,
      aws("aws:s3/bucketVersioning:BucketVersioning", "v", {
        bucket: "b",
        versioningConfiguration: { status: "Enabled" },
      }),
    );
    rejects(
      bucketVersioning,
      aws("aws:s3/bucketVersioning:BucketVersioning", "v", {
        bucket: "b",
        versioningConfiguration: { status: "Suspended" },
      }),
      /versioning status is "Suspended"/,
    );
  });
  it("s3-public-access-block wants all four settings", () => {
    const all = {
      bucket: "b",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    };
    accepts(bucketPublicAccess, aws("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", all));
    rejects(
      bucketPublicAccess,
      aws("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", { ...all, restrictPublicBuckets: false }),
      /restrictPublicBuckets is not true/,
    );
  });
  it("s3-tls-only wants a Deny on aws:SecureTransport false, and no Allow for everyone", () => {
    accepts(bucketTlsOnly, aws("aws:s3/bucketPolicy:BucketPolicy", "pol", { bucket: "b", policy: doc(TLS_DENY) }));
    rejects(
      bucketTlsOnly,
      aws("aws:s3/bucketPolicy:BucketPolicy", "pol", {
        bucket: "b",
        policy: doc({ ...TLS_DENY, Condition: { Bool: { "aws:SecureTransport": "true" } } }),
      }),
      /no statement denies s3:\*/,
    );
    rejects(
      bucketTlsOnly,
      aws("aws:s3/bucketPolicy:BucketPolicy", "pol", {
        bucket: "b",
        policy: doc(TLS_DENY, {
          Sid: "Open",
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::b/*",
        }),
      }),
      /allows any principal/,
    );
    rejects(
      bucketTlsOnly,
      aws("aws:s3/bucketPolicy:BucketPolicy", "pol", { bucket: "b", policy: "{not json" }),
      /not a readable policy document/,
    );
  });
});

describe("kms-key-rotation", () => {
  it("wants rotation on symmetric keys only", () => {
    accepts(kmsKeyRotation, aws("aws:kms/key:Key", "k", { enableKeyRotation: true }));
    rejects(kmsKeyRotation, aws("aws:kms/key:Key", "k", { enableKeyRotation: false }), /enableKeyRotation is not true/);
    accepts(kmsKeyRotation, aws("aws:kms/key:Key", "k", { customerMasterKeySpec: "RSA_2048" }));
  });
});

describe("iam-no-wildcards", () => {
  const policy = (statement: Record<string, unknown>) =>
    aws("aws:iam/rolePolicy:RolePolicy", "p", { role: "r", policy: doc({ Effect: "Allow", ...statement }) });
  it("accepts exact actions on a prefix", () =>
    accepts(
      iamNoWildcards,
      policy({ Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::b/backups/*" }),
    ));
  it("rejects wildcard actions", () => {
    rejects(iamNoWildcards, policy({ Action: "s3:*", Resource: "arn:aws:s3:::b/backups/*" }), /wildcard action s3:\*/);
    rejects(iamNoWildcards, policy({ Action: "*", Resource: "arn:aws:s3:::b" }), /wildcard action \*/);
    rejects(iamNoWildcards, policy({ NotAction: "iam:*", Resource: "arn:aws:s3:::b" }), /NotAction/);
  });
  it("rejects every-resource grants, however they are written", () => {
    rejects(iamNoWildcards, policy({ Action: "kms:Decrypt", Resource: "*" }), /every resource \(\*\)/);
    rejects(iamNoWildcards, policy({ Action: "s3:GetObject", Resource: "arn:aws:s3:::*" }), /every resource/);
    rejects(
      iamNoWildcards,
      policy({ Action: "kms:Decrypt", Resource: "arn:aws:kms:eu-west-1:123456789012:key/*" }),
      /every resource/,
    );
  });
  it("reads inline policies of a role and one-statement documents", () => {
    rejects(
      iamNoWildcards,
      aws("aws:iam/role:Role", "r", {
        inlinePolicies: [
          { name: "x", policy: JSON.stringify({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }) },
        ],
      }),
      /wildcard action/,
    );
  });
});

describe("irsa-trust-pinned", () => {
  const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/ABC";
  const role = (condition: Record<string, unknown>) =>
    aws("aws:iam/role:Role", "r", {
      assumeRolePolicy: doc({
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: condition,
      }),
    });
  it("accepts one ServiceAccount and the STS audience", () =>
    accepts(
      irsaTrustPinned,
      role({
        StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:kit:backup", [`${issuer}:aud`]: "sts.amazonaws.com" },
      }),
    ));
  it("rejects a wildcard subject, a StringLike, a missing condition or audience", () => {
    rejects(
      irsaTrustPinned,
      role({
        StringLike: { [`${issuer}:sub`]: "system:serviceaccount:kit:*" },
        StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" },
      }),
      /does not pin .*:sub/,
    );
    rejects(
      irsaTrustPinned,
      role({
        StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:*:*", [`${issuer}:aud`]: "sts.amazonaws.com" },
      }),
      /does not pin .*:sub/,
    );
    rejects(
      irsaTrustPinned,
      role({
        StringEquals: {
          [`${issuer}:sub`]: ["system:serviceaccount:kit:a", "system:serviceaccount:kit:b"],
          [`${issuer}:aud`]: "sts.amazonaws.com",
        },
      }),
      /exactly one ServiceAccount/,
    );
    rejects(irsaTrustPinned, role({}), /does not pin/);
    rejects(
      irsaTrustPinned,
      role({ StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:kit:backup" } }),
      /:aud to sts.amazonaws.com/,
    );
  });
});
