// Compliant fixtures; each rule's test changes one field and expects that rule's message.
import assert from "node:assert/strict";
import {
  DEFAULT_CONFIG,
  type CheckedResource,
  type PackConfig,
  type Props,
  type ResourceRule,
  type StackRule,
} from "../lib/types.js";

export const DIGEST_IMAGE = `registry.example/app@sha256:${"a".repeat(64)}`;

export function container(overrides: Props = {}): Props {
  return {
    name: "app",
    image: DIGEST_IMAGE,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
    readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
    ...overrides,
  };
}

export function podSpec(overrides: Props = {}): Props {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container()],
    volumes: [{ name: "tmp", emptyDir: {} }],
    ...overrides,
  };
}

export const APP_LABELS = { "app.kubernetes.io/name": "app" };

export function deployment(
  spec: Props = podSpec(),
  labels: Record<string, string> = APP_LABELS,
  namespace = "kit",
): CheckedResource {
  return {
    type: "kubernetes:apps/v1:Deployment",
    name: `deployment ${namespace}/app`,
    props: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "app", namespace },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
    },
  };
}

export function cronJob(
  spec: Props = {},
  pod: Props = podSpec({ containers: [container({ livenessProbe: undefined, readinessProbe: undefined })] }),
): CheckedResource {
  return {
    type: "kubernetes:batch/v1:CronJob",
    name: "cronjob kit/backup",
    props: {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "backup", namespace: "kit" },
      spec: {
        schedule: "0 * * * *",
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 600,
        jobTemplate: {
          spec: {
            activeDeadlineSeconds: 3600,
            template: { metadata: { labels: { "app.kubernetes.io/name": "backup" } }, spec: pod },
          },
        },
        ...spec,
      },
    },
  };
}

export function kube(apiVersion: string, kind: string, metadata: Props, body: Props): CheckedResource {
  const group = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
  return {
    type: `kubernetes:${group}:${kind}`,
    name: `${kind} ${String(metadata.namespace ?? "")}/${String(metadata.name)}`,
    props: { apiVersion, kind, metadata, ...body },
  };
}

export function certificate(spec: Props = {}, privateKey: Props = {}): CheckedResource {
  return kube(
    "cert-manager.io/v1",
    "Certificate",
    { name: "tls", namespace: "kit" },
    {
      spec: {
        secretName: "tls",
        duration: "24h",
        renewBefore: "8h",
        issuerRef: { name: "ca", kind: "ClusterIssuer" },
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always", ...privateKey },
        ...spec,
      },
    },
  );
}

export function aws(type: string, name: string, props: Props): CheckedResource {
  return { type, name, props };
}

export function messagesOf(
  rule: ResourceRule,
  resource: CheckedResource,
  config: PackConfig = DEFAULT_CONFIG,
): string[] {
  assert.ok(rule.appliesTo(resource.type), `${rule.name} applies to ${resource.type}`);
  return rule.check(resource, config).map((violation) => `${violation.message}. Fix: ${violation.fix}`);
}

/** The rule rejects the resource with a message matching `expected` (and passes the compliant one). */
export function rejects(
  rule: ResourceRule,
  resource: CheckedResource,
  expected: RegExp,
  config: PackConfig = DEFAULT_CONFIG,
): void {
  const messages = messagesOf(rule, resource, config);
  assert.ok(
    messages.some((message) => expected.test(message)),
    `${rule.name}: expected ${expected} in ${JSON.stringify(messages)}`,
  );
}

export function accepts(rule: ResourceRule, resource: CheckedResource, config: PackConfig = DEFAULT_CONFIG): void {
  assert.deepEqual(messagesOf(rule, resource, config), [], `${rule.name} accepts ${resource.name}`);
}

export function stackMessages(rule: StackRule, resources: CheckedResource[]): string[] {
  return rule.check(resources, DEFAULT_CONFIG).map((violation) => `${violation.resource}: ${violation.message}`);
}
