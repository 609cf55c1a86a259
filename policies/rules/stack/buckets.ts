// Every S3 bucket of the stack has SSE-KMS, versioning, a public access block and a TLS-only
// policy: the bucket-side resources are separate in the AWS provider, so only the stack can tell.
import { asArray } from "../../lib/kubernetes.js";
import {
  BUCKET_POLICY_TYPE,
  BUCKET_TYPES,
  ENCRYPTION_TYPES,
  PUBLIC_ACCESS_TYPE,
  VERSIONING_TYPES,
  deniesInsecureTransport,
} from "../aws/s3.js";
import type { CheckedResource, StackRule, StackViolation } from "../../lib/types.js";

/** Whether `attachment` (whose `bucket` property names a bucket) belongs to `bucket`. */
function attachedTo(attachment: CheckedResource, bucket: CheckedResource): boolean {
  if ((attachment.dependencies?.bucket ?? []).includes(bucket.name)) return true;
  const target = attachment.props.bucket;
  return target !== undefined && (target === bucket.props.bucket || target === bucket.props.id);
}

export const bucketsComplete: StackRule = {
  name: "s3-bucket-complete",
  description:
    "Every S3 bucket has SSE-KMS encryption, versioning enabled, a full public access block and a TLS-only bucket policy.",
  check(resources) {
    const out: StackViolation[] = [];
    for (const bucket of resources.filter((resource) => BUCKET_TYPES.includes(resource.type))) {
      const attached = (types: string[]) =>
        resources.filter((resource) => types.includes(resource.type) && attachedTo(resource, bucket));
      const inlineKms =
        asArray(
          (bucket.props.serverSideEncryptionConfiguration as { rule?: unknown } | undefined)?.rule
            ? [bucket.props.serverSideEncryptionConfiguration]
            : [],
        ).length > 0;
      const missing = (message: string, fix: string) => out.push({ resource: bucket.name, message, fix });
      if (!inlineKms && attached(ENCRYPTION_TYPES).length === 0)
        missing(
          "has no server-side encryption configuration",
          "add a BucketServerSideEncryptionConfiguration with aws:kms",
        );
      if (
        attached(VERSIONING_TYPES).length === 0 &&
        (bucket.props.versioning as { enabled?: boolean } | undefined)?.enabled !== true
      )
        missing("has no versioning", "add a BucketVersioning with status Enabled");
      if (attached([PUBLIC_ACCESS_TYPE]).length === 0)
        missing("has no public access block", "add a BucketPublicAccessBlock with all four settings true");
      if (!attached([BUCKET_POLICY_TYPE]).some((policy) => deniesInsecureTransport(policy.props.policy)))
        missing(
          "has no policy denying non-TLS access",
          "add a BucketPolicy that denies s3:* when aws:SecureTransport is false",
        );
    }
    return out;
  },
};
