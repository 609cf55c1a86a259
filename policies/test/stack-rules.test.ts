import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bucketsComplete } from "../rules/stack/buckets.js";
import {
  namespacesDenyByDefault,
  neo4jEgressClosed,
  servicesSelectWorkloads,
  workloadsSelectedByPolicy,
} from "../rules/stack/network.js";
import type { CheckedResource } from "../lib/types.js";
import { APP_LABELS, aws, container, deployment, kube, podSpec, stackMessages } from "./fixtures.js";

const namespace = kube("v1", "Namespace", { name: "kit" }, {});
const policy = (name: string, spec: Record<string, unknown>) =>
  kube("networking.k8s.io/v1", "NetworkPolicy", { name, namespace: "kit" }, { spec });
const denyAll = policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
const service = (selector: Record<string, string> | undefined) =>
  kube(
    "v1",
    "Service",
    { name: "app", namespace: "kit" },
    { spec: { ...(selector ? { selector } : {}), ports: [{ port: 80 }] } },
  );
const neo4j = deployment(podSpec({ containers: [container({ image: `neo4j:5.26@sha256:${"c".repeat(64)}` })] }), {
  "app.kubernetes.io/name": "neo4j",
});

describe("namespace-default-deny", () => {
  it("accepts a namespace with one policy denying both directions, or two policies", () => {
    assert.deepEqual(stackMessages(namespacesDenyByDefault, [namespace, denyAll]), []);
    assert.deepEqual(
      stackMessages(namespacesDenyByDefault, [
        namespace,
        policy("in", { podSelector: {}, policyTypes: ["Ingress"] }),
        policy("out", { podSelector: {}, policyTypes: ["Egress"] }),
      ]),
      [],
    );
  });
  it("rejects a namespace without a default deny, or one that only denies ingress", () => {
    assert.deepEqual(stackMessages(namespacesDenyByDefault, [namespace]), [
      "Namespace kit: no NetworkPolicy denies all ingress by default",
      "Namespace kit: no NetworkPolicy denies all egress by default",
    ]);
    assert.deepEqual(stackMessages(namespacesDenyByDefault, [namespace, policy("in", { podSelector: {} })]), [
      "Namespace kit: no NetworkPolicy denies all egress by default",
    ]);
  });
  it("does not count a 'deny' that allows everything, or one that selects only some pods", () => {
    const allowAll = policy("all", {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{}],
      egress: [{}],
    });
    const some = policy("some", { podSelector: { matchLabels: APP_LABELS }, policyTypes: ["Ingress", "Egress"] });
    assert.equal(stackMessages(namespacesDenyByDefault, [namespace, allowAll, some]).length, 2);
  });
});

describe("workload-network-policy", () => {
  it("accepts a workload selected by the default deny", () =>
    assert.deepEqual(stackMessages(workloadsSelectedByPolicy, [deployment(), denyAll]), []));
  it("rejects a workload no policy selects, including one in another namespace", () => {
    assert.deepEqual(
      stackMessages(workloadsSelectedByPolicy, [
        deployment(),
        policy("other", { podSelector: { matchLabels: { app: "other" } } }),
      ]),
      ["deployment kit/app: no NetworkPolicy selects its pods"],
    );
    assert.equal(
      stackMessages(workloadsSelectedByPolicy, [deployment(podSpec(), APP_LABELS, "elsewhere"), denyAll]).length,
      1,
    );
  });
  it("understands matchExpressions", () => {
    const byExpression = policy("expr", {
      podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["app"] }] },
    });
    assert.deepEqual(stackMessages(workloadsSelectedByPolicy, [deployment(), byExpression]), []);
  });
});

describe("service-selects-workload", () => {
  it("accepts a Service selecting the workload's pods", () =>
    assert.deepEqual(stackMessages(servicesSelectWorkloads, [deployment(), service(APP_LABELS)]), []));
  it("rejects a selector matching nothing, and a Service without selector", () => {
    assert.deepEqual(
      stackMessages(servicesSelectWorkloads, [deployment(), service({ "app.kubernetes.io/name": "ghost" })]),
      ['Service kit/app: the selector {"app.kubernetes.io/name":"ghost"} matches no workload in kit'],
    );
    assert.deepEqual(stackMessages(servicesSelectWorkloads, [deployment(), service(undefined)]), [
      "Service kit/app: the Service has no selector",
    ]);
  });
});

describe("neo4j-egress-closed", () => {
  it("accepts Neo4j under a default deny with DNS only", () => {
    const dns = policy("dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
          ports: [{ protocol: "UDP", port: 53 }],
        },
      ],
    });
    assert.deepEqual(stackMessages(neo4jEgressClosed, [neo4j, denyAll, dns]), []);
  });
  it("rejects a policy opening all egress to Neo4j pods, in each way it can be written", () => {
    for (const egress of [
      [{}],
      [{ to: [] }],
      [{ to: [{}] }],
      [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
      [{ to: [{ namespaceSelector: {} }] }],
    ]) {
      const open = policy("open", {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "neo4j" } },
        policyTypes: ["Egress"],
        egress,
      });
      assert.match(
        stackMessages(neo4jEgressClosed, [neo4j, denyAll, open]).join("\n"),
        /allows the Neo4j pods .* to reach any destination/,
        JSON.stringify(egress),
      );
    }
  });
  it("rejects Neo4j pods whose egress no policy governs", () => {
    assert.deepEqual(
      stackMessages(neo4jEgressClosed, [neo4j, policy("in", { podSelector: {}, policyTypes: ["Ingress"] })]),
      ["deployment kit/app: no NetworkPolicy restricts the Neo4j pods' egress"],
    );
  });
});

describe("s3-bucket-complete", () => {
  const tls = JSON.stringify({
    Statement: [
      {
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: "*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
  const complete = (target: Record<string, unknown>): CheckedResource[] => [
    aws("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "enc", {
      ...target,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
    }),
    aws("aws:s3/bucketVersioning:BucketVersioning", "ver", {
      ...target,
      versioningConfiguration: { status: "Enabled" },
    }),
    aws("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", {
      ...target,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
    aws("aws:s3/bucketPolicy:BucketPolicy", "pol", { ...target, policy: tls }),
  ];
  const bucket = aws("aws:s3/bucket:Bucket", "backups", { bucket: "backups-123" });
  it("accepts a bucket with all four attachments, linked by name or by dependency", () => {
    assert.deepEqual(stackMessages(bucketsComplete, [bucket, ...complete({ bucket: "backups-123" })]), []);
    const linked = complete({}).map((resource) => ({ ...resource, dependencies: { bucket: ["backups"] } }));
    assert.deepEqual(stackMessages(bucketsComplete, [aws("aws:s3/bucket:Bucket", "backups", {}), ...linked]), []);
  });
  it("names each missing part", () => {
    assert.deepEqual(stackMessages(bucketsComplete, [bucket]), [
      "backups: has no server-side encryption configuration",
      "backups: has no versioning",
      "backups: has no public access block",
      "backups: has no policy denying non-TLS access",
    ]);
    assert.equal(
      stackMessages(bucketsComplete, [bucket, ...complete({ bucket: "another-bucket" })]).length,
      4,
      "attachments of another bucket do not count",
    );
  });
});
