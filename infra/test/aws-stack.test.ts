import assert from "node:assert/strict";
import { it } from "node:test";
import { expectedFlows, ENDPOINTS, PORTS } from "./support/flows.js";
import { allowedFlowTable } from "./support/network.js";
import { find, ofKind, type Json } from "./support/objects.js";
import { stackSuite } from "./support/stack-suite.js";
import type { RecordedResource } from "../offline/mock-run.js";

const one = (resources: RecordedResource[], type: string): RecordedResource => {
  const found = resources.filter((resource) => resource.type === type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0] as RecordedResource;
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const statements = (policy: unknown): Statement[] =>
  (JSON.parse(String(policy)) as { Statement: Statement[] }).Statement;
const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

stackSuite("aws", (get) => {
  it("allows exactly the intended network flows; the backup reaches S3 only at the configured ranges", () => {
    const policies = ofKind(get().objects, "NetworkPolicy");
    assert.deepEqual(
      allowedFlowTable(policies, ENDPOINTS, PORTS, "mcp-bastion"),
      expectedFlows("s3", { limitStore: "elasticache", collector: true }),
    );
  });

  it("encrypts the backup bucket with a rotating customer KMS key, versions it and blocks public access", () => {
    const { resources } = get().run;
    const key = one(resources, "aws:kms/key:Key");
    assert.equal(key.inputs.enableKeyRotation, true);
    const encryption = one(
      resources,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    const rule = (encryption.inputs.rules as Json[])[0] as { applyServerSideEncryptionByDefault: Json };
    assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    assert.match(String(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId), /^arn:aws:kms:/);
    assert.equal(
      (one(resources, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration as Json).status,
      "Enabled",
    );
    const block = one(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
    for (const field of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
      assert.equal(block[field], true, field);
    const lifecycle = one(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs
      .rules as Json[];
    assert.deepEqual((lifecycle[0] as { expiration: Json }).expiration, { days: 30 });
    assert.equal(one(resources, "aws:s3/bucket:Bucket").inputs.objectLockEnabled, true);
    assert.equal(
      (
        one(resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs.rule as {
          defaultRetention: Json;
        }
      ).defaultRetention.mode,
      "GOVERNANCE",
    );
  });

  it("denies plain-HTTP access and unencrypted or foreign-key puts in the bucket policy", () => {
    const policy = statements(one(get().run.resources, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    const tls = policy.find((statement) => statement.Condition?.Bool?.["aws:SecureTransport"] === "false");
    assert.equal(tls?.Effect, "Deny");
    assert.ok(
      policy.some(
        (statement) =>
          statement.Effect === "Deny" &&
          statement.Condition?.StringNotEquals?.["s3:x-amz-server-side-encryption"] === "aws:kms",
      ),
    );
    assert.ok(
      policy.some(
        (statement) =>
          statement.Effect === "Deny" &&
          statement.Condition?.StringNotEqualsIfExists?.["s3:x-amz-server-side-encryption-aws-kms-key-id"],
      ),
    );
  });

  it("lets only the backup ServiceAccount assume the backup role, for the backup prefix and the backup key only", () => {
    const { resources, outputs } = get().run;
    const role = one(resources, "aws:iam/role:Role");
    const [trust] = statements(role.inputs.assumeRolePolicy);
    assert.ok(trust);
    assert.equal(list(trust.Action).join(), "sts:AssumeRoleWithWebIdentity");
    const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    assert.deepEqual(trust.Condition?.StringEquals, {
      [`${issuer}:sub`]: "system:serviceaccount:mcp-bastion:neo4j-backup",
      [`${issuer}:aud`]: "sts.amazonaws.com",
    });
    const access = statements(one(resources, "aws:iam/rolePolicy:RolePolicy").inputs.policy);
    for (const statement of access) {
      for (const action of list(statement.Action)) assert.doesNotMatch(action, /\*/, `action ${action}`);
      for (const resource of list(statement.Resource)) {
        assert.notEqual(resource, "*");
        assert.ok(
          resource.includes(String(outputs.kmsKeyArn)) || /^arn:aws:s3:::[^*]+(\/backups\/\*)?$/.test(resource),
          `resource ${resource}`,
        );
      }
    }
    const serviceAccount = find(get().objects, "ServiceAccount", "neo4j-backup");
    assert.match(
      String(serviceAccount.metadata.annotations?.["eks.amazonaws.com/role-arn"]),
      /^arn:aws:iam::\d{12}:role\//,
    );
  });

  it("pushes the image to an immutable, scanned, KMS-encrypted ECR repository", () => {
    const repository = one(get().run.resources, "aws:ecr/repository:Repository").inputs;
    assert.equal(repository.imageTagMutability, "IMMUTABLE");
    assert.deepEqual(repository.imageScanningConfiguration, { scanOnPush: true });
    assert.equal((repository.encryptionConfigurations as Json[])[0]?.encryptionType, "KMS");
    assert.match(String(get().run.outputs.kmsKeyArn), /^arn:aws:kms:/);
  });

  it("declares a ServiceMonitor and the alert rules when the Prometheus operator is on", () => {
    const rules = find(get().objects, "PrometheusRule", "mcp-bastion").spec as {
      groups: { rules: { alert: string }[] }[];
    };
    const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    assert.deepEqual(alerts, [
      "McpToolFailureRate",
      "McpAuthenticationFailureSpike",
      "McpLockouts",
      "McpBackupMissing",
      "McpCertificateExpiringSoon",
      "McpAuditEventsDropped",
    ]);
    assert.ok(find(get().objects, "ServiceMonitor", "mcp-server"));
  });
});
