import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { certificateRotation } from "../rules/kubernetes/certificates.js";
import {
  imagesByDigest,
  noServiceAccountToken,
  probes,
  readOnlyRootFilesystem,
  resourceRequestsAndLimits,
  secretsNotInEnv,
} from "../rules/kubernetes/container-hygiene.js";
import { cronJobGuardrails } from "../rules/kubernetes/cronjob-guardrails.js";
import { hostAccess } from "../rules/kubernetes/host-access.js";
import { neo4jNotExposed } from "../rules/kubernetes/neo4j-not-exposed.js";
import { podSecurityRestricted } from "../rules/kubernetes/pod-security-restricted.js";
import { serviceExposure } from "../rules/kubernetes/service-exposure.js";
import { accepts, certificate, container, cronJob, deployment, kube, podSpec, rejects } from "./fixtures.js";

const securityContext = (overrides: Record<string, unknown>) => ({
  ...(container().securityContext as object),
  ...overrides,
});
const withContainer = (overrides: Record<string, unknown>) =>
  deployment(podSpec({ containers: [container(overrides)] }));
const withContext = (overrides: Record<string, unknown>) =>
  withContainer({ securityContext: securityContext(overrides) });

describe("pod-security-restricted", () => {
  it("accepts the compliant pod, as a Deployment and as a CronJob", () => {
    accepts(podSecurityRestricted, deployment());
    accepts(podSecurityRestricted, cronJob());
  });
  const cases: [string, ReturnType<typeof deployment>, RegExp][] = [
    ["privileged", withContext({ privileged: true }), /privileged is true/],
    [
      "privilege escalation",
      withContext({ allowPrivilegeEscalation: undefined }),
      /allowPrivilegeEscalation is not false/,
    ],
    [
      "root allowed",
      deployment(
        podSpec({
          securityContext: {},
          containers: [container({ securityContext: securityContext({ runAsNonRoot: undefined }) })],
        }),
      ),
      /runAsNonRoot is not true/,
    ],
    ["uid 0", withContext({ runAsUser: 0 }), /runAsUser is 0/],
    [
      "no seccomp anywhere",
      deployment(
        podSpec({
          securityContext: { runAsNonRoot: true },
          containers: [container({ securityContext: securityContext({ seccompProfile: undefined }) })],
        }),
      ),
      /seccompProfile.type is unset/,
    ],
    [
      "unconfined seccomp",
      withContext({ seccompProfile: { type: "Unconfined" } }),
      /seccompProfile.type is Unconfined/,
    ],
    ["capabilities kept", withContext({ capabilities: {} }), /drop does not include ALL/],
    [
      "capability added",
      withContext({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }),
      /add includes SYS_ADMIN/,
    ],
    [
      "unsafe sysctl",
      deployment(
        podSpec({
          securityContext: {
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
            sysctls: [{ name: "kernel.msgmax", value: "1" }],
          },
        }),
      ),
      /kernel.msgmax/,
    ],
    [
      "nfs volume",
      deployment(podSpec({ volumes: [{ name: "share", nfs: { server: "nfs", path: "/" } }] })),
      /volume share is of type nfs/,
    ],
    ["SELinux user", withContext({ seLinuxOptions: { user: "system_u" } }), /seLinuxOptions.user is set/],
    [
      "AppArmor unconfined",
      withContext({ appArmorProfile: { type: "Unconfined" } }),
      /appArmorProfile.type is Unconfined/,
    ],
    ["procMount", withContext({ procMount: "Unmasked" }), /procMount is Unmasked/],
    ["Windows host process", withContext({ windowsOptions: { hostProcess: true } }), /hostProcess is true/],
    [
      "privileged init container",
      deployment(
        podSpec({
          initContainers: [container({ name: "init", securityContext: securityContext({ privileged: true }) })],
        }),
      ),
      /initContainers\[0\].securityContext.privileged is true/,
    ],
  ];
  for (const [name, resource, message] of cases)
    it(`rejects ${name}`, () => rejects(podSecurityRestricted, resource, message));
});

describe("no-host-access", () => {
  it("accepts the compliant pod", () => accepts(hostAccess, deployment()));
  for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
    it(`rejects ${field}`, () =>
      rejects(hostAccess, deployment(podSpec({ [field]: true })), new RegExp(`spec.${field} is true`)));
  }
  it("rejects a hostPath volume", () =>
    rejects(
      hostAccess,
      deployment(podSpec({ volumes: [{ name: "root", hostPath: { path: "/" } }] })),
      /volume root is a hostPath/,
    ));
  it("rejects a hostPort", () =>
    rejects(hostAccess, withContainer({ ports: [{ containerPort: 80, hostPort: 80 }] }), /hostPort is 80/));
});

describe("container hygiene", () => {
  it("accepts the compliant pod", () => {
    for (const rule of [
      imagesByDigest,
      resourceRequestsAndLimits,
      probes,
      readOnlyRootFilesystem,
      secretsNotInEnv,
      noServiceAccountToken,
    ])
      accepts(rule, deployment());
  });
  it("images-by-digest rejects a tag", () =>
    rejects(imagesByDigest, withContainer({ image: "nginx:1.27" }), /"nginx:1.27" is not pinned by digest/));
  it("images-by-digest rejects a tag with a malformed digest", () =>
    rejects(imagesByDigest, withContainer({ image: "nginx@sha256:abc" }), /not pinned by digest/));
  it("resource-requests-and-limits rejects a missing memory limit", () =>
    rejects(
      resourceRequestsAndLimits,
      withContainer({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1" } } }),
      /resources.limits.memory is not set/,
    ));
  it("liveness-and-readiness-probes rejects a missing readiness probe", () =>
    rejects(probes, withContainer({ readinessProbe: undefined }), /has no readinessProbe/));
  it("liveness-and-readiness-probes does not ask a run-to-completion CronJob for probes", () =>
    assert.equal(probes.appliesTo(cronJob().type), false));
  it("read-only-root-filesystem rejects a writable root", () =>
    rejects(
      readOnlyRootFilesystem,
      withContext({ readOnlyRootFilesystem: false }),
      /readOnlyRootFilesystem is not true/,
    ));
  it("secrets-not-in-env rejects a secretKeyRef", () =>
    rejects(
      secretsNotInEnv,
      withContainer({ env: [{ name: "DB", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }] }),
      /env\[0\] \(DB\) comes from a Secret/,
    ));
  it("secrets-not-in-env rejects envFrom a Secret", () =>
    rejects(
      secretsNotInEnv,
      withContainer({ envFrom: [{ secretRef: { name: "db" } }] }),
      /envFrom\[0\] loads a Secret/,
    ));
  it("secrets-not-in-env rejects a literal password", () =>
    rejects(
      secretsNotInEnv,
      withContainer({ env: [{ name: "NEO4J_PASSWORD", value: "hunter2" }] }),
      /holds a literal secret/,
    ));
  it("secrets-not-in-env accepts a path to a secret file", () =>
    accepts(secretsNotInEnv, withContainer({ env: [{ name: "NEO4J_PASSWORD_FILE", value: "/run/secrets/p" }] })));
  it("no-service-account-token rejects a pod that mounts the token", () =>
    rejects(
      noServiceAccountToken,
      deployment(podSpec({ automountServiceAccountToken: undefined })),
      /automountServiceAccountToken: false/,
    ));
});

describe("no-node-port-or-load-balancer", () => {
  const service = (spec: Record<string, unknown>) =>
    kube(
      "v1",
      "Service",
      { name: "web", namespace: "kit" },
      { spec: { selector: { app: "web" }, ports: [{ port: 80 }], ...spec } },
    );
  it("accepts a ClusterIP Service", () => accepts(serviceExposure, service({})));
  it("rejects LoadBalancer and NodePort", () => {
    rejects(serviceExposure, service({ type: "LoadBalancer" }), /spec.type is LoadBalancer/);
    rejects(serviceExposure, service({ type: "NodePort" }), /spec.type is NodePort/);
  });
  it("rejects externalIPs", () =>
    rejects(serviceExposure, service({ externalIPs: ["1.2.3.4"] }), /externalIPs is set/));
  it("accepts the configured ingress Service", () =>
    accepts(serviceExposure, service({ type: "LoadBalancer" }), { exposedServices: ["kit/web"] }));
});

describe("cronjob-guardrails", () => {
  it("accepts the compliant CronJob", () => accepts(cronJobGuardrails, cronJob()));
  it("rejects concurrent runs", () =>
    rejects(cronJobGuardrails, cronJob({ concurrencyPolicy: "Allow" }), /concurrencyPolicy is "Allow"/));
  it("rejects a missing starting deadline", () =>
    rejects(cronJobGuardrails, cronJob({ startingDeadlineSeconds: undefined }), /startingDeadlineSeconds is not set/));
  it("rejects a run without a deadline", () =>
    rejects(
      cronJobGuardrails,
      cronJob({ jobTemplate: { spec: { template: { spec: podSpec() } } } }),
      /activeDeadlineSeconds is not set/,
    ));
});

describe("neo4j-not-exposed", () => {
  const neo4jService = (spec: Record<string, unknown>) =>
    kube(
      "v1",
      "Service",
      { name: "neo4j", namespace: "kit" },
      { spec: { selector: { "app.kubernetes.io/name": "neo4j" }, ports: [{ port: 7687 }], ...spec } },
    );
  it("accepts a headless Service", () => accepts(neo4jNotExposed, neo4jService({ clusterIP: "None" })));
  it("rejects a LoadBalancer in front of Neo4j", () =>
    rejects(neo4jNotExposed, neo4jService({ type: "LoadBalancer" }), /in front of Neo4j is LoadBalancer/));
  it("rejects an Ingress routing to Neo4j", () =>
    rejects(
      neo4jNotExposed,
      kube(
        "networking.k8s.io/v1",
        "Ingress",
        { name: "db", namespace: "kit" },
        {
          spec: {
            rules: [
              { http: { paths: [{ path: "/", backend: { service: { name: "neo4j", port: { number: 7474 } } } }] } },
            ],
          },
        },
      ),
      /routes to neo4j:7474/,
    ));
  const policy = (from: unknown[]) =>
    kube(
      "networking.k8s.io/v1",
      "NetworkPolicy",
      { name: "neo4j-in", namespace: "kit" },
      {
        spec: {
          podSelector: { matchLabels: { "app.kubernetes.io/name": "neo4j" } },
          policyTypes: ["Ingress"],
          ingress: [{ from }],
        },
      },
    );
  it("accepts a policy admitting pods of its namespace", () =>
    accepts(neo4jNotExposed, policy([{ podSelector: { matchLabels: { app: "mcp" } } }])));
  it("rejects a policy admitting another namespace or an IP range", () => {
    rejects(neo4jNotExposed, policy([{ namespaceSelector: {} }]), /admits other namespaces/);
    rejects(neo4jNotExposed, policy([{ ipBlock: { cidr: "10.0.0.0/8" } }]), /admits an IP range/);
  });
});

describe("certificate-rotation", () => {
  it("accepts ECDSA, Always, 24h/8h", () => accepts(certificateRotation, certificate()));
  it("accepts RSA 4096 for 90 days", () =>
    accepts(
      certificateRotation,
      certificate({ duration: "2160h", renewBefore: "720h" }, { algorithm: "RSA", size: 4096 }),
    ));
  it("rejects a key that is never rotated", () =>
    rejects(certificateRotation, certificate({}, { rotationPolicy: "Never" }), /rotationPolicy is "Never"/));
  it("rejects RSA 1024", () =>
    rejects(certificateRotation, certificate({}, { algorithm: "RSA", size: 1024 }), /RSA 1024/));
  it("rejects Ed25519", () =>
    rejects(certificateRotation, certificate({}, { algorithm: "Ed25519", size: undefined }), /algorithm is Ed25519/));
  it("rejects more than 90 days, written any way", () => {
    rejects(certificateRotation, certificate({ duration: "2161h" }), /longer than 90 days/);
    rejects(certificateRotation, certificate({ duration: "2160h1m" }), /longer than 90 days/);
  });
  it("rejects a missing duration or renewBefore, and renewBefore not shorter", () => {
    rejects(certificateRotation, certificate({ duration: undefined }), /spec.duration is not set/);
    rejects(certificateRotation, certificate({ renewBefore: undefined }), /spec.renewBefore is not set/);
    rejects(certificateRotation, certificate({ renewBefore: "24h" }), /not shorter than spec.duration/);
    rejects(certificateRotation, certificate({ duration: "90 days" }), /is not a duration/);
  });
});
