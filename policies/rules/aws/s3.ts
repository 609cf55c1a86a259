// The resource-level half of the S3 rules: each bucket-side resource is secure on its own. The
// stack rule (rules/stack/buckets.ts) checks that every bucket has all of them.
import { asArray, asObject } from "../../lib/kubernetes.js";
import { statementsOf, listOf } from "../../lib/iam.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

export const ENCRYPTION_TYPES = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
export const VERSIONING_TYPES = [
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketVersioningV2:BucketVersioningV2",
];
export const PUBLIC_ACCESS_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
export const BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy";
export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

/** The rules' sseAlgorithm values from a standalone configuration or a bucket's inline one. */
function sseAlgorithms(props: Record<string, unknown>): string[] {
  const rules = asArray(props.rules);
  const inline = asObject(props.serverSideEncryptionConfiguration).rule;
  if (inline !== undefined) rules.push(asObject(inline));
  return rules.map((rule) => String(asObject(rule.applyServerSideEncryptionByDefault).sseAlgorithm ?? ""));
}

export const bucketEncryption: ResourceRule = {
  name: "s3-kms-encryption",
  description: "S3 bucket encryption is SSE-KMS (aws:kms or aws:kms:dsse).",
  appliesTo: (type) => ENCRYPTION_TYPES.includes(type),
  check(resource) {
    const algorithms = sseAlgorithms(resource.props);
    if (algorithms.length === 0)
      return [
        violation("the encryption configuration has no rule", "add a rule with sseAlgorithm aws:kms and your KMS key"),
      ];
    return algorithms
      .filter((algorithm) => algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse")
      .map((algorithm) =>
        violation(`sseAlgorithm is ${algorithm || "unset"}`, "use sseAlgorithm aws:kms with a customer KMS key"),
      );
  },
};

export const bucketVersioning: ResourceRule = {
  name: "s3-versioning",
  description: "S3 bucket versioning is Enabled.",
  appliesTo: (type) => VERSIONING_TYPES.includes(type),
  check(resource) {
    const status = asObject(resource.props.versioningConfiguration).status;
    return status === "Enabled"
      ? []
      : [
          violation(
            `versioning status is ${JSON.stringify(status ?? null)}`,
            "set versioningConfiguration.status: Enabled",
          ),
        ];
  },
};

export const bucketPublicAccess: ResourceRule = {
  name: "s3-public-access-block",
  description: "S3 public access block has all four settings on.",
  appliesTo: (type) => type === PUBLIC_ACCESS_TYPE,
  check(resource) {
    return ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]
      .filter((field) => resource.props[field] !== true)
      .map((field) => violation(`${field} is not true`, `set ${field}: true`));
  },
};

/** Whether a bucket policy denies every request made without TLS. */
export function deniesInsecureTransport(policy: unknown): boolean {
  const statements = statementsOf(policy) ?? [];
  return statements.some((statement) => {
    if (statement.Effect !== "Deny") return false;
    const actions = listOf(statement.Action);
    if (!actions.some((action) => action === "s3:*" || action === "*")) return false;
    const insecure = asObject(statement.Condition?.Bool)["aws:SecureTransport"];
    return listOf(insecure).includes("false");
  });
}

export const bucketTlsOnly: ResourceRule = {
  name: "s3-tls-only",
  description: "S3 bucket policies deny every request made without TLS (aws:SecureTransport false).",
  appliesTo: (type) => type === BUCKET_POLICY_TYPE,
  check(resource) {
    const out: Violation[] = [];
    const statements = statementsOf(resource.props.policy);
    if (!statements)
      return [
        violation(
          "the bucket policy is not a readable policy document",
          "write the policy as JSON with a Statement list",
        ),
      ];
    if (!deniesInsecureTransport(resource.props.policy))
      out.push(
        violation(
          "no statement denies s3:* when aws:SecureTransport is false",
          'add {"Effect":"Deny","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}',
        ),
      );
    for (const statement of statements) {
      if (
        statement.Effect === "Allow" &&
        (statement.Principal === "*" || listOf(asObject(statement.Principal).AWS).includes("*"))
      ) {
        out.push(
          violation(
            `statement ${statement.Sid ?? ""} allows any principal`.replace("  ", " "),
            "name the principals that need access",
          ),
        );
      }
    }
    return out;
  },
};
