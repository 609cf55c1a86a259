// What the components check of their args before anything is created: the pure documents they
// build refuse a value that would grant more than it says.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accessPolicyDocument, oidcIssuer, trustPolicyDocument } from "../components/backup-identity.js";

const BUCKET = "arn:aws:s3:::kit-backups";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0000";
const PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";

describe("the backup identity's args", () => {
  it("grants objects under the prefix only", () => {
    const statements = (
      JSON.parse(accessPolicyDocument(BUCKET, "backups/", KEY)) as { Statement: Array<Record<string, unknown>> }
    ).Statement;
    assert.equal(statements.find((statement) => statement.Sid === "BackupObjects")?.Resource, `${BUCKET}/backups/*`);
  });

  for (const prefix of ["backups", "backups*/", "back?ups/", ""]) {
    it(`refuses the prefix ${JSON.stringify(prefix)}, which would reach past it`, () => {
      assert.throws(() => accessPolicyDocument(BUCKET, prefix, KEY), /must end in '\/' and hold no IAM wildcard/);
    });
  }

  it("lets exactly one ServiceAccount of one namespace assume the role, for STS only", () => {
    const [statement] = (
      JSON.parse(trustPolicyDocument(PROVIDER, "mcp-bastion", "neo4j-backup")) as {
        Statement: Array<{ Condition: { StringEquals: Record<string, string> } }>;
      }
    ).Statement;
    const issuer = oidcIssuer(PROVIDER);
    assert.deepEqual(statement?.Condition.StringEquals, {
      [`${issuer}:sub`]: "system:serviceaccount:mcp-bastion:neo4j-backup",
      [`${issuer}:aud`]: "sts.amazonaws.com",
    });
  });

  it("refuses an ARN that is not an OIDC provider's", () => {
    assert.throws(() => oidcIssuer("arn:aws:iam::123456789012:role/x"), /is not an IAM OIDC provider ARN/);
  });
});
