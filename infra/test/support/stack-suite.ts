// The security properties and wiring every example stack must have, checked on a mocked run of
// the real program. Each stack's test file runs this suite and adds what is its own.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { KubeObject } from "../../charts/index.js";
import { manifestsOf } from "../../offline/manifests.js";
import { isSecret, runProgram, type MockRun } from "../../offline/mock-run.js";
import { containersOf, find, matches, ofKind, podLabelsOf, podTemplate, workloadsOf, type Json } from "./objects.js";

export interface StackUnderTest {
  run: MockRun;
  objects: KubeObject[];
}

const DIGEST = /@sha256:[a-f0-9]{64}$/;

/** `secrets`: secret settings, as the engine hands over what `pulumi config set --secret` stored. */
export function stackSuite(
  stack: string,
  extra: (subject: () => StackUnderTest) => void,
  secrets: Record<string, string> = {},
): void {
  describe(`the ${stack} stack (Pulumi mocks)`, () => {
    let subject: StackUnderTest | undefined;
    before(async () => {
      const run = await runProgram(stack, {}, secrets);
      subject = { run, objects: manifestsOf(run) };
    });
    const get = (): StackUnderTest => {
      if (!subject) throw new Error("the mocked run did not finish");
      return subject;
    };

    it("labels the kit's namespace for Pod Security restricted (enforce, audit, warn)", () => {
      const namespace = find(get().objects, "Namespace", "mcp-bastion");
      for (const mode of ["enforce", "audit", "warn"])
        assert.equal(namespace.metadata.labels?.[`pod-security.kubernetes.io/${mode}`], "restricted", mode);
    });

    it("runs every container of every workload under the restricted profile, uid/gid >= 10000", () => {
      const workloads = workloadsOf(get().objects);
      assert.ok(workloads.length >= 3, "the stack has its workloads");
      for (const workload of workloads) {
        const where = `${workload.kind}/${workload.metadata.name}`;
        const { spec } = podTemplate(workload);
        assert.equal(spec.automountServiceAccountToken, false, `${where}: service account token`);
        for (const field of ["hostNetwork", "hostPID", "hostIPC"])
          assert.notEqual(spec[field], true, `${where}: ${field}`);
        assert.deepEqual(
          (spec.securityContext as Json).seccompProfile,
          { type: "RuntimeDefault" },
          `${where}: pod seccomp`,
        );
        for (const volume of (spec.volumes as Json[] | undefined) ?? [])
          assert.equal(volume.hostPath, undefined, `${where}: hostPath`);
        for (const container of containersOf(spec)) {
          const at = `${where}/${String(container.name)}`;
          const context = container.securityContext as Json;
          assert.equal(context.runAsNonRoot, true, `${at}: runAsNonRoot`);
          assert.ok(Number(context.runAsUser) >= 10000 && Number(context.runAsGroup) >= 10000, `${at}: uid/gid`);
          assert.equal(context.allowPrivilegeEscalation, false, `${at}: privilege escalation`);
          assert.equal(context.privileged, false, `${at}: privileged`);
          assert.equal(context.readOnlyRootFilesystem, true, `${at}: read-only root`);
          assert.deepEqual((context.capabilities as Json).drop, ["ALL"], `${at}: capabilities`);
          assert.equal((context.capabilities as Json).add, undefined, `${at}: added capabilities`);
          assert.deepEqual(context.seccompProfile, { type: "RuntimeDefault" }, `${at}: seccomp`);
          assert.match(String(container.image), DIGEST, `${at}: image by digest`);
          const resources = container.resources as { requests?: Json; limits?: Json };
          for (const kind of ["cpu", "memory"]) {
            assert.ok(resources.requests?.[kind] && resources.limits?.[kind], `${at}: ${kind} request and limit`);
          }
          for (const port of (container.ports as Json[] | undefined) ?? [])
            assert.equal(port.hostPort, undefined, `${at}: hostPort`);
          for (const variable of (container.env as Json[] | undefined) ?? []) {
            assert.equal(
              (variable.valueFrom as Json | undefined)?.secretKeyRef,
              undefined,
              `${at}: secret in env ${String(variable.name)}`,
            );
          }
        }
      }
    });

    it("gives the MCP server probes on /healthz and /readyz, a writable /tmp only, a PDB, an HPA and zone spreading", () => {
      const { objects } = get();
      const deployment = find(objects, "Deployment", "mcp-server");
      const { spec } = podTemplate(deployment);
      const [container] = containersOf(spec);
      assert.ok(container);
      const path = (probe: string) => ((container[probe] as Json).httpGet as Json).path;
      assert.equal(path("startupProbe"), "/healthz");
      assert.equal(path("livenessProbe"), "/healthz");
      assert.equal(path("readinessProbe"), "/readyz");
      const tmp = (spec.volumes as Json[]).find((volume) => volume.name === "tmp");
      assert.ok(tmp?.emptyDir, "an emptyDir for /tmp");
      assert.ok(Array.isArray(spec.topologySpreadConstraints) && spec.topologySpreadConstraints.length > 0);
      const labels = podLabelsOf(deployment);
      assert.ok(
        matches(
          (
            find(objects, "PodDisruptionBudget", "mcp-server").spec as {
              selector: { matchLabels: Record<string, string> };
            }
          ).selector.matchLabels,
          labels,
        ),
      );
      const hpa = find(objects, "HorizontalPodAutoscaler", "mcp-server").spec as Json;
      assert.equal((hpa.scaleTargetRef as Json).name, "mcp-server");
      assert.ok(Number(hpa.minReplicas) >= 2);
      const service = find(objects, "Service", "mcp-server").spec as Json;
      assert.notEqual(service.type, "NodePort");
      assert.notEqual(service.type, "LoadBalancer");
    });

    it("selects a workload with every Service, and only ClusterIP Services", () => {
      const { objects } = get();
      const workloads = workloadsOf(objects);
      for (const service of ofKind(objects, "Service")) {
        const spec = service.spec as { selector?: Record<string, string>; type?: string };
        assert.ok(spec.selector && Object.keys(spec.selector).length > 0, `${service.metadata.name}: selector`);
        assert.ok(
          workloads.some(
            (workload) =>
              workload.metadata.namespace === service.metadata.namespace &&
              matches(spec.selector, podLabelsOf(workload)),
          ),
          `${service.metadata.name} selects no workload`,
        );
        assert.ok(spec.type === undefined || spec.type === "ClusterIP", `${service.metadata.name}: ${spec.type}`);
      }
    });

    it("mounts secrets as files: the Neo4j password Secret is a Pulumi secret, and no password is in a ConfigMap", () => {
      const { run, objects } = get();
      const secret = run.resources.find(
        (resource) =>
          resource.type === "kubernetes:core/v1:Secret" &&
          (resource.inputs.metadata as Json).name === "neo4j-credentials",
      );
      assert.ok(secret, "the Neo4j credentials Secret");
      assert.ok(isSecret(secret.inputs.stringData), "its data is a Pulumi secret");
      for (const configMap of ofKind(objects, "ConfigMap")) {
        for (const key of Object.keys((configMap.data as Json | undefined) ?? {}))
          assert.doesNotMatch(key, /PASSWORD$|SECRET$|TOKEN$/, `${configMap.metadata.name}: ${key}`);
      }
      const statefulSet = find(objects, "StatefulSet", "neo4j");
      const env = (
        containersOf(podTemplate(statefulSet).spec).find((container) => container.name === "neo4j")?.env as Json[]
      ).map((variable) => variable.name);
      assert.ok(env.includes("NEO4J_AUTH_PATH") && !env.includes("NEO4J_AUTH"), "Neo4j reads its password from a file");
    });

    it("runs the backup as a CronJob: one at a time, a deadline, bounded history, the server image's backup command", () => {
      const { objects } = get();
      const cronJob = find(objects, "CronJob", "neo4j-backup");
      const spec = cronJob.spec as Json;
      assert.equal(spec.concurrencyPolicy, "Forbid");
      assert.ok(Number(spec.startingDeadlineSeconds) > 0);
      assert.ok(Number(((spec.jobTemplate as Json).spec as Json).activeDeadlineSeconds) > 0);
      assert.ok(Number(spec.successfulJobsHistoryLimit) > 0 && Number(spec.failedJobsHistoryLimit) > 0);
      const [container] = containersOf(podTemplate(cronJob).spec);
      const server = containersOf(podTemplate(find(objects, "Deployment", "mcp-server")).spec)[0];
      assert.equal(container?.image, server?.image, "the same image as the server");
      assert.deepEqual(container?.args, ["dist/main.js", "backup"]);
    });

    it("issues every certificate with ECDSA, rotationPolicy Always and an explicit lifetime; internal ones live a day", () => {
      const certificates = ofKind(get().objects, "Certificate");
      assert.ok(certificates.length >= 3);
      for (const certificate of certificates) {
        const spec = certificate.spec as { privateKey: Json; duration: string; renewBefore: string };
        assert.equal(spec.privateKey.rotationPolicy, "Always", certificate.metadata.name);
        assert.equal(spec.privateKey.algorithm, "ECDSA", certificate.metadata.name);
        assert.ok(spec.duration && spec.renewBefore, certificate.metadata.name);
        assert.ok(
          parseHours(spec.duration) <= 90 * 24 && parseHours(spec.renewBefore) < parseHours(spec.duration),
          certificate.metadata.name,
        );
      }
      const bolt = find(get().objects, "Certificate", "neo4j-bolt-tls").spec as Json;
      assert.deepEqual([bolt.duration, bolt.renewBefore], ["24h", "8h"]);
      // The kit issues Linkerd's identity only for the Linkerd it installs; a cluster's own Linkerd has its own.
      const installsLinkerd = get().run.resources.some(
        (resource) => resource.type === "kubernetes:helm.sh/v3:Release" && resource.name === "linkerd-control-plane",
      );
      const issuer = ofKind(get().objects, "Certificate").find(
        (certificate) => certificate.metadata.name === "linkerd-identity-issuer",
      );
      assert.equal(
        issuer !== undefined,
        installsLinkerd,
        "Linkerd's identity issuer exactly when the kit installs Linkerd",
      );
      if (issuer)
        assert.deepEqual(
          [(issuer.spec as Json).duration, (issuer.spec as Json).renewBefore, (issuer.spec as Json).isCA],
          ["48h", "25h", true],
        );
    });

    it("lets only the server and the backup identities reach Neo4j inside the mesh", () => {
      const { objects } = get();
      const clients = find(objects, "MeshTLSAuthentication", "neo4j-clients").spec as { identityRefs: Json[] };
      assert.deepEqual(clients.identityRefs.map((ref) => ref.name).sort(), ["mcp-server", "neo4j-backup"]);
      const namespace = find(objects, "Namespace", "mcp-bastion");
      assert.equal(namespace.metadata.annotations?.["config.linkerd.io/default-inbound-policy"], "deny");
    });

    it("exports the MCP URL, namespace, bucket and backup schedule", () => {
      const { outputs } = get().run;
      assert.match(String(outputs.mcpUrl), /^https:\/\/[a-z0-9.-]+\/mcp$/);
      assert.equal(outputs.namespace, "mcp-bastion");
      assert.ok(String(outputs.bucket).length > 0);
      assert.equal(outputs.backupSchedule, "17 */6 * * *");
      assert.match(String(outputs.image), DIGEST);
    });

    extra(get);
  });
}

export function parseHours(duration: string): number {
  const match = /^(\d+)h$/.exec(duration);
  if (!match) throw new Error(`duration ${duration} is not whole hours`);
  return Number(match[1]);
}
