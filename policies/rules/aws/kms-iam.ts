// KMS keys rotate; workload IAM policies name their actions and resources; a role assumed
// through a cluster's OIDC provider trusts exactly one ServiceAccount.
import { asObject } from "../../lib/kubernetes.js";
import { conditionValues, isWildcardResource, listOf, statementsOf, type Statement } from "../../lib/iam.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

export const kmsKeyRotation: ResourceRule = {
  name: "kms-key-rotation",
  description: "Symmetric KMS keys rotate automatically.",
  appliesTo: (type) => type === "aws:kms/key:Key",
  check(resource) {
    const spec = String(resource.props.customerMasterKeySpec ?? resource.props.keySpec ?? "SYMMETRIC_DEFAULT");
    if (spec !== "SYMMETRIC_DEFAULT") return [];
    return resource.props.enableKeyRotation === true
      ? []
      : [violation("enableKeyRotation is not true", "set enableKeyRotation: true")];
  },
};

const POLICY_TYPES = [
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/groupPolicy:GroupPolicy",
];

function wildcardProblems(statements: Statement[], where: string): Violation[] {
  const out: Violation[] = [];
  statements.forEach((statement, index) => {
    if (statement.Effect !== "Allow") return;
    const at = `${where} statement ${statement.Sid ?? index}`;
    if (statement.NotAction !== undefined)
      out.push(violation(`${at} allows NotAction (everything but a list)`, "list the actions the workload needs"));
    if (statement.NotResource !== undefined)
      out.push(violation(`${at} allows NotResource (everything but a list)`, "list the resources the workload needs"));
    for (const action of listOf(statement.Action))
      if (action.includes("*"))
        out.push(violation(`${at} allows the wildcard action ${action}`, "list the exact actions"));
    for (const resource of listOf(statement.Resource))
      if (isWildcardResource(resource))
        out.push(violation(`${at} allows every resource (${resource})`, "name the bucket, prefix or key ARN"));
  });
  return out;
}

export const iamNoWildcards: ResourceRule = {
  name: "iam-no-wildcards",
  description: "IAM policies of workload roles allow no '*' actions and no '*' resources.",
  appliesTo: (type) => POLICY_TYPES.includes(type) || type === "aws:iam/role:Role",
  check(resource) {
    if (resource.type === "aws:iam/role:Role") {
      const inline = Array.isArray(resource.props.inlinePolicies) ? resource.props.inlinePolicies : [];
      return inline.flatMap((policy, index) => {
        const statements = statementsOf(asObject(policy).policy);
        return statements ? wildcardProblems(statements, `inline policy ${index}`) : [];
      });
    }
    const statements = statementsOf(resource.props.policy);
    if (!statements)
      return [
        violation("the policy is not a readable policy document", "write the policy as JSON with a Statement list"),
      ];
    return wildcardProblems(statements, "policy");
  },
};

const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export const irsaTrustPinned: ResourceRule = {
  name: "irsa-trust-pinned",
  description:
    "A role assumed with a web identity from an OIDC provider trusts one ServiceAccount: StringEquals on <issuer>:sub and <issuer>:aud.",
  appliesTo: (type) => type === "aws:iam/role:Role",
  check(resource) {
    const statements = statementsOf(resource.props.assumeRolePolicy);
    if (!statements) return [];
    const out: Violation[] = [];
    statements.forEach((statement, index) => {
      if (
        statement.Effect !== "Allow" ||
        !listOf(statement.Action).some(
          (action) => action === "sts:AssumeRoleWithWebIdentity" || action === "sts:*" || action === "*",
        )
      )
        return;
      const federated = listOf(asObject(statement.Principal).Federated);
      const at = `trust statement ${statement.Sid ?? index}`;
      for (const provider of federated) {
        const issuer = provider.split(":oidc-provider/")[1];
        if (!issuer) continue;
        const subjects = conditionValues(statement, "StringEquals", `${issuer}:sub`);
        if (subjects.length !== 1 || !SERVICE_ACCOUNT_SUBJECT.test(subjects[0] ?? "")) {
          out.push(
            violation(
              `${at} does not pin ${issuer}:sub to exactly one ServiceAccount with StringEquals (got ${JSON.stringify(subjects)})`,
              'add "StringEquals": {"<issuer>:sub": "system:serviceaccount:<namespace>:<name>"}',
            ),
          );
        }
        const audiences = conditionValues(statement, "StringEquals", `${issuer}:aud`);
        if (audiences.length !== 1 || audiences[0] !== "sts.amazonaws.com")
          out.push(
            violation(
              `${at} does not pin ${issuer}:aud to sts.amazonaws.com`,
              'add "StringEquals": {"<issuer>:aud": "sts.amazonaws.com"}',
            ),
          );
      }
    });
    return out;
  },
};
