// A real kube-apiserver judges the synthesized objects of every example stack: each one is
// accepted by a server-side dry-run apply (schema, CRD validation with the real CRDs of
// cert-manager, trust-manager, the Prometheus operator and Linkerd, admission), and every pod
// template passes Pod Security admission at "restricted" in the kit's namespace. A privileged
// pod and a malformed Linkerd object are refused, so the checks can fail.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { KubeConfig, KubernetesObject, KubernetesObjectApi, PatchStrategy } from "@kubernetes/client-node";
import { startKubeCluster, type KubeCluster } from "../../scripts/dev-services/kube-cluster.js";
import { crdFiles } from "../../scripts/dev-services/kube-crds.js";
import { apiMessage, installCrds, readObjects } from "../../scripts/dev-services/kube-objects.js";
import { runCommand } from "../../scripts/dev-services/toolchain.js";
import { synthStack } from "./support/synth.js";
import { loadKubeConfig } from "../../scripts/lib/kube-config.js";
import { settingDefault } from "../config.js";
import { EXAMPLE_STACKS, PROJECT_ROOT } from "../offline/mock-run.js";

const FIELD_MANAGER = "mcp-bastion-tests";
const SERVER_SIDE_APPLY = "application/apply-patch+yaml" satisfies PatchStrategy;

interface PodTemplateHolder extends KubernetesObject {
  spec?: { template?: { spec?: unknown }; jobTemplate?: { spec?: { template?: { spec?: unknown } } } };
}

let work: string;
let cluster: KubeCluster;
let config: KubeConfig;
let objects: KubernetesObjectApi;

function groupOf(object: KubernetesObject): string {
  const apiVersion = object.apiVersion ?? "";
  return apiVersion.includes("/") ? (apiVersion.split("/")[0] as string) : "";
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-admission-"));
  cluster = await startKubeCluster(path.join(work, "cluster"));
  config = await loadKubeConfig({ kubeconfig: cluster.kubeconfig });
  const { KubernetesObjectApi: ObjectApi } = await import("@kubernetes/client-node");
  objects = ObjectApi.makeApiClient(config);
  await installCrds(config, await crdFiles());
});
after(async () => {
  await cluster?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("the API server admits the kit's objects", () => {
  for (const stack of EXAMPLE_STACKS) {
    it(`accepts every object of the ${stack} stack, and its pod templates pass Pod Security "restricted"`, async () => {
      const out = path.join(work, stack);
      await synthStack(stack, out);
      const all = await readObjects(out);
      assert.ok(all.length > 40, `the stack's objects were read (${all.length})`);
      const refused: string[] = [];
      // Namespaces and service accounts are created for real: what is dry-run into a namespace
      // needs it to exist, and a pod needs its service account. The platform's Helm releases
      // create cert-manager's and Linkerd's namespaces; here the test does.
      const releaseNamespaces = ["certManagerNamespace", "linkerdNamespace"].map((key) => ({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: String(settingDefault(key)) },
      }));
      for (const object of [
        ...releaseNamespaces,
        ...all.filter((candidate) => candidate.kind === "Namespace" || candidate.kind === "ServiceAccount"),
      ]) {
        await objects
          .patch(object, undefined, undefined, FIELD_MANAGER, true, SERVER_SIDE_APPLY)
          .catch((error: unknown) => refused.push(`${object.kind} ${object.metadata?.name}: ${apiMessage(error)}`));
      }
      for (const object of all) {
        await objects
          .patch(object, undefined, "All", FIELD_MANAGER, true, SERVER_SIDE_APPLY)
          .catch((error: unknown) =>
            refused.push(
              `${object.kind} ${object.metadata?.namespace ?? ""}/${object.metadata?.name}: ${apiMessage(error)}`,
            ),
          );
      }
      // Pod Security admission enforces on pods: each workload's pod template, as the pod its
      // controller would create, dry-run into the same namespace.
      let templates = 0;
      for (const holder of all as PodTemplateHolder[]) {
        const spec = holder.spec?.template?.spec ?? holder.spec?.jobTemplate?.spec?.template?.spec;
        if (!spec) continue;
        templates += 1;
        const pod = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: `${holder.metadata?.name}-template`, namespace: holder.metadata?.namespace },
          spec,
        };
        await objects
          .create(pod, undefined, "All", FIELD_MANAGER)
          .catch((error: unknown) =>
            refused.push(`pod of ${holder.kind} ${holder.metadata?.name}: ${apiMessage(error)}`),
          );
      }
      assert.deepEqual(refused, []);
      assert.ok(templates >= 3, `pod templates were checked (${templates})`);
      const meshKinds = new Set(
        all.filter((object) => groupOf(object) === "policy.linkerd.io").map((object) => object.kind),
      );
      assert.deepEqual(
        [...meshKinds].sort(),
        ["AuthorizationPolicy", "MeshTLSAuthentication", "NetworkAuthentication", "Server"],
        "the mesh's policy objects were judged too",
      );
    });
  }

  it("accepts the Job the restore script creates in the cluster from the backup CronJob", async () => {
    // The local stack's objects were synthesized by the test above; the CronJob the script
    // reads must exist for real, in the kit's namespace (created above too).
    const local = await readObjects(path.join(work, "local"));
    const cronJob = local.find((object) => object.kind === "CronJob");
    assert.ok(cronJob, "the local stack has the backup CronJob");
    await objects.patch(cronJob, undefined, undefined, FIELD_MANAGER, true, SERVER_SIDE_APPLY);
    const { stdout } = await runCommand(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(PROJECT_ROOT, "scripts", "restore-backup.ts"),
        "restore",
        "latest",
        "--in-cluster",
        "--namespace",
        String(cronJob.metadata?.namespace),
        "--kubeconfig",
        cluster.kubeconfig,
        "--json",
      ],
      { cwd: PROJECT_ROOT },
    );
    const { job: name, namespace } = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
      job: string;
      namespace: string;
    };
    const { BatchV1Api } = await import("@kubernetes/client-node");
    const job = await config.makeApiClient(BatchV1Api).readNamespacedJob({ name, namespace });
    const container = job.spec?.template.spec?.containers[0];
    const backup = (
      cronJob as unknown as {
        spec: {
          jobTemplate: {
            spec: { template: { spec: { containers: Array<{ image: string }>; serviceAccountName: string } } };
          };
        };
      }
    ).spec.jobTemplate.spec.template.spec;
    assert.deepEqual(container?.args, ["dist/main.js", "restore", "restore", "latest", "--json"]);
    assert.equal(container?.image, backup.containers[0]?.image);
    assert.equal(job.spec?.template.spec?.serviceAccountName, backup.serviceAccountName);
    assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(job.spec?.template.metadata?.labels?.["app.kubernetes.io/name"], "backup");
  });

  it("refuses a Linkerd Server that its CRD's schema does not allow", async () => {
    const server = {
      apiVersion: "policy.linkerd.io/v1beta3",
      kind: "Server",
      metadata: { name: "malformed", namespace: String(settingDefault("namespace")) },
      // No port, and an operator the selector does not know.
      spec: { podSelector: { matchExpressions: [{ key: "app", operator: "Near" }] } },
    };
    await assert.rejects(
      objects.patch(server, undefined, "All", FIELD_MANAGER, true, SERVER_SIDE_APPLY),
      (error: unknown) => {
        const message = apiMessage(error);
        return /spec\.port: Required value/.test(message) && /operator: Unsupported value: "Near"/.test(message);
      },
    );
  });

  it("refuses a privileged pod in the kit's namespace (Pod Security enforce)", async () => {
    const namespace = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "psa-control", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    };
    await objects.patch(namespace, undefined, undefined, FIELD_MANAGER, true, SERVER_SIDE_APPLY);
    const { CoreV1Api } = await import("@kubernetes/client-node");
    await config
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace: "psa-control", body: { metadata: { name: "default" } } })
      .catch(() => undefined);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "privileged", namespace: "psa-control" },
      spec: {
        containers: [
          {
            name: "app",
            image: "registry.example/app@sha256:" + "a".repeat(64),
            securityContext: { privileged: true },
          },
        ],
      },
    };
    await assert.rejects(objects.create(pod, undefined, "All", FIELD_MANAGER), (error: unknown) =>
      /violates PodSecurity "restricted/.test(apiMessage(error)),
    );
  });
});
