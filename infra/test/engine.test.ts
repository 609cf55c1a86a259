// The real Pulumi engine applies the kit: `npm run cluster` starts the cluster and makes its
// stack, and `npm run deploy` previews, creates, updates and destroys the kit in it exactly as
// printed, with the policy pack enforced by the engine. No mocks: the CLI and the Kubernetes
// provider the kit builds, a real kube-apiserver with its controllers, a real cert-manager.
import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import type { CustomObjectsApi, KubeConfig, KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation/index.js";
import { loadKubeConfig } from "../../scripts/lib/kube-config.js";
import { runDeploy } from "../../scripts/lib/deploy-run.js";
import { openEngine } from "../../scripts/lib/engine.js";
import { readObjects, readRawObject } from "../../scripts/dev-services/kube-objects.js";
import { CERT_MANAGER_NAMESPACE } from "../../scripts/dev-services/kit-cluster.js";
import { isReady, until } from "../../scripts/dev-services/polling.js";
import { quantityValue, settingDefault } from "../config.js";
import { PROJECT_ROOT, kitProgram } from "../program.js";
import { synthStack } from "./support/synth.js";
import { deployStack, startClusterCommand, type ClusterCommand, type DeployJson } from "./support/cluster-command.js";
import { withChildrenAtRoot } from "./support/state.js";

const KIT_NAMESPACE = String(settingDefault("namespace"));
const STACK = `cluster-test-${process.pid}`;
const KIT_TYPE = "mcp-bastion:index:Kit";

let work: string;
let env: NodeJS.ProcessEnv;
let cluster: ClusterCommand | undefined;
let kubeconfig: string;
let config: KubeConfig;
let objects: KubernetesObjectApi;
let custom: CustomObjectsApi;
let stack: Stack;
let declared: KubernetesObject[] = [];

/** `npm run deploy -- <args> --json` for the test's stack, as a pipeline would run it. */
const deploy = (...args: string[]): Promise<DeployJson> => deployStack(STACK, kubeconfig, env, ...args);

const readLive = (object: KubernetesObject) => readRawObject(config, objects, object);
const isGone = async (object: KubernetesObject) => (await readLive(object)) === undefined;

/** What the API server stores as absent: it omits empty lists, false, 0 and "" (omitempty). */
const isEmptyValue = (value: unknown) =>
  value === false || value === 0 || value === "" || (Array.isArray(value) && value.length === 0);

/** The same quantity in another spelling (the API server writes 1024Mi as 1Gi). */
const sameQuantity = (expected: unknown, actual: unknown) =>
  typeof expected === "string" &&
  typeof actual === "string" &&
  !Number.isNaN(quantityValue(expected)) &&
  quantityValue(expected) === quantityValue(actual);

/**
 * Where `actual` lacks or differs from a field `expected` sets, as paths. The API server adds
 * defaults, so only what the program declared is compared; list items are compared in order.
 */
function missingFields(expected: unknown, actual: unknown, at = ""): string[] {
  if (actual === undefined && isEmptyValue(expected)) return [];
  if (expected === null || typeof expected !== "object") {
    return expected === actual || String(expected) === String(actual) || sameQuantity(expected, actual)
      ? []
      : [`${at}: ${JSON.stringify(expected)} != ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return [`${at}: ${expected.length} items, live ${Array.isArray(actual) ? actual.length : typeof actual}`];
    return expected.flatMap((item, index) => missingFields(item, actual[index], `${at}[${index}]`));
  }
  if (actual === null || typeof actual !== "object") return [`${at}: missing`];
  return Object.entries(expected).flatMap(([key, value]) =>
    missingFields(value, (actual as Record<string, unknown>)[key], `${at}.${key}`),
  );
}

/** The Deployment of the MCP server with its container's root filesystem made writable. */
function writableRoot(args: pulumi.ResourceTransformArgs): pulumi.ResourceTransformResult | undefined {
  if (args.type !== "kubernetes:apps/v1:Deployment" || !args.name.endsWith(":mcp-server")) return undefined;
  const props = structuredClone(args.props) as {
    spec: { template: { spec: { containers: Array<{ securityContext: Record<string, unknown> }> } } };
  };
  for (const container of props.spec.template.spec.containers) container.securityContext.readOnlyRootFilesystem = false;
  return { props, opts: args.opts };
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-engine-"));
  await writeFile(path.join(work, "passphrase"), "engine-test-passphrase", { mode: 0o600 });
  // The cluster command, the deploy commands and this process share one state backend of the test's own.
  const engineEnv = {
    PULUMI_BACKEND_URL: pathToFileURL(path.join(work, "state")).href,
    PULUMI_CONFIG_PASSPHRASE_FILE: path.join(work, "passphrase"),
  };
  await mkdir(path.join(work, "state"));
  Object.assign(process.env, engineEnv);
  env = { ...process.env, ...engineEnv };

  cluster = await startClusterCommand(["--stack", STACK], env);
  assert.equal(cluster.stack, STACK);
  kubeconfig = cluster.kubeconfig;
  config = await loadKubeConfig({ kubeconfig });
  const client = await import("@kubernetes/client-node");
  objects = client.KubernetesObjectApi.makeApiClient(config);
  custom = config.makeApiClient(client.CustomObjectsApi);
  stack = (await openEngine(STACK, { kubeconfig })).stack;

  // What the program declares, synthesized under the mocks from the same example stack.
  await synthStack("airgapped", path.join(work, "declared"));
  declared = await readObjects(path.join(work, "declared"));
});

after(async () => {
  await cluster?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("the real engine applies the kit to the cluster npm run cluster starts", () => {
  it("refuses, before anything is created, a program changed to make the MCP container's root writable", async () => {
    const result = await runDeploy({
      command: "up",
      stack,
      program: async () => {
        pulumi.runtime.registerResourceTransform(writableRoot);
        return kitProgram();
      },
      confirm: async () => true,
      onOutput: () => undefined,
      onError: () => undefined,
    });
    assert.equal(result.exitCode, 3, "a mandatory violation stops it with the policy code");
    const rule = result.body.violations?.find((violation) => violation.policy === "read-only-root-filesystem");
    assert.ok(rule, `the rule is named: ${JSON.stringify(result.body.violations)}`);
    assert.match(rule.message, /readOnlyRootFilesystem|read-only/i);
    assert.match(rule.message, /Fix:/);
    const state = (await stack.exportStack()).deployment as { resources?: unknown[] } | undefined;
    assert.equal(state?.resources?.length ?? 0, 0, "the stack holds no resource");
    const namespace = declared.find((object) => object.kind === "Namespace") as KubernetesObject;
    assert.ok(await isGone(namespace), "the kit's namespace was not created");
  });

  it("previews, then creates every object the program declares with the fields the charts set, and cert-manager issues its certificates", async () => {
    const preview = await deploy("preview");
    assert.equal(preview.exitCode, 0);
    const creates = preview.changes?.create ?? 0;
    assert.ok(creates > declared.length, `the preview creates the stack, its provider and every object (${creates})`);
    assert.deepEqual(Object.keys(preview.changes ?? {}), ["create"]);

    const up = await deploy("up", "--yes");
    assert.equal(up.exitCode, 0);
    assert.equal(up.changes?.create, creates, "up creates what the preview showed");
    assert.equal(up.outputs?.neo4jPassword, "[secret]", "a secret output is not printed");
    assert.equal(up.outputs?.namespace, KIT_NAMESPACE);

    const differences: string[] = [];
    for (const object of declared) {
      const where = `${object.kind} ${object.metadata?.namespace ?? ""}/${object.metadata?.name}`;
      const live = await readLive(object).catch(() => undefined);
      if (!live) {
        differences.push(`${where}: not in the API server`);
        continue;
      }
      // A Secret's stringData is write-only (stored as data); its values are redacted in the synthesis.
      const { stringData, ...expected } = object as KubernetesObject & { stringData?: Record<string, string> };
      if (stringData)
        assert.deepEqual(
          Object.keys((live as { data?: object }).data ?? {}).sort(),
          Object.keys(stringData).sort(),
          `${where}: keys`,
        );
      differences.push(...missingFields(expected, live).map((difference) => `${where}${difference}`));
    }
    assert.deepEqual(differences, []);

    for (const certificate of declared.filter((object) => object.kind === "Certificate")) {
      const { namespace = "", name = "" } = certificate.metadata ?? {};
      await until(`Certificate ${namespace}/${name} ready`, 120, async () => {
        const live = (await custom.getNamespacedCustomObject({
          group: "cert-manager.io",
          version: "v1",
          namespace,
          plural: "certificates",
          name,
        })) as Parameters<typeof isReady>[0];
        return isReady(live) ? true : undefined;
      });
    }
  });

  it("reports no changes on a second up", async () => {
    const up = await deploy("up", "--yes");
    assert.equal(up.exitCode, 0);
    assert.deepEqual(up.steps, []);
    assert.deepEqual(Object.keys(up.changes ?? {}), ["same"]);
  });

  it("adopts a stack deployed before the kit had one parent in place: only the Kit is created, nothing replaced", async () => {
    const deployed = ((await stack.exportStack()).deployment as { resources: Array<{ urn: string; type: string }> })
      .resources;
    const outsideKit = deployed.filter(
      (resource) => !resource.urn.includes(`::${KIT_TYPE}$`) && resource.type !== KIT_TYPE,
    );
    assert.deepEqual(
      outsideKit.map((resource) => resource.type),
      ["pulumi:pulumi:Stack"],
      "every resource but the stack is the Kit or below it",
    );
    // The state the program left before every resource became a child of the Kit: the same
    // resources with the Kit taken out of their URNs and their children's.
    await stack.importStack(withChildrenAtRoot(await stack.exportStack(), KIT_TYPE));
    const atRoot = ((await stack.exportStack()).deployment as { resources: Array<{ urn: string }> }).resources;
    assert.ok(!atRoot.some((resource) => resource.urn.includes(KIT_TYPE)), "no resource of the state names the Kit");

    const preview = await deploy("preview");
    assert.equal(preview.exitCode, 0);
    assert.deepEqual(preview.steps, [{ op: "create", type: KIT_TYPE, name: "mcp-bastion" }]);
    assert.deepEqual(Object.keys(preview.changes ?? {}).sort(), ["create", "same"]);
    const up = await deploy("up", "--yes");
    assert.equal(up.exitCode, 0);
    assert.deepEqual(up.steps, [{ op: "create", type: KIT_TYPE, name: "mcp-bastion" }]);
    assert.equal(up.changes?.create, 1);
    const again = await deploy("up", "--yes");
    assert.deepEqual(again.steps, [], "the adopted stack is the program's: a further up changes nothing");
  });

  it("updates exactly the objects a changed setting reaches, and replaces nothing; the pod template's checksum rolls the pods", async () => {
    const checksumOf = async () => {
      const live = (await readLive({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "mcp-server", namespace: KIT_NAMESPACE },
      })) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
      return live.spec.template.metadata.annotations["checksum/config"];
    };
    const before = await checksumOf();
    await stack.setConfig("mcp-bastion:mcpReplicas", { value: "3" });
    await stack.setConfig("mcp-bastion:authIssuer", { value: "https://idp2.bastion.internal" });
    const up = await deploy("up", "--yes");
    assert.equal(up.exitCode, 0);
    const steps = (up.steps ?? []).map((step) => `${step.op} ${step.type} ${step.name}`).sort();
    assert.deepEqual(steps, [
      `update kubernetes:apps/v1:Deployment apps:Deployment:${KIT_NAMESPACE}:mcp-server`,
      `update kubernetes:autoscaling/v2:HorizontalPodAutoscaler autoscaling:HorizontalPodAutoscaler:${KIT_NAMESPACE}:mcp-server`,
      `update kubernetes:core/v1:ConfigMap core:ConfigMap:${KIT_NAMESPACE}:mcp-server-config`,
    ]);
    assert.match(before ?? "", /^[a-f0-9]{64}$/);
    assert.notEqual(await checksumOf(), before);
    const configMap = (await readLive({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "mcp-server-config", namespace: KIT_NAMESPACE },
    })) as { data: Record<string, string>; metadata: { uid: string } };
    assert.equal(configMap.data.AUTH_ISSUER, "https://idp2.bastion.internal");
    const hpa = (await readLive({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "mcp-server", namespace: KIT_NAMESPACE },
    })) as { spec: { minReplicas: number } };
    assert.equal(hpa.spec.minReplicas, 3);
  });

  it("refuses a credential kept in plain text in the stack file, before the engine runs the program", async () => {
    const { value: kept } = await stack.getConfig("mcp-bastion:neo4jPassword");
    await stack.setConfig("mcp-bastion:neo4jPassword", { value: "plain-text-password-0123456789", secret: false });
    try {
      const preview = await deploy("preview");
      assert.equal(preview.exitCode, 4);
      assert.match(String((preview as { error?: string }).error), /neo4jPassword: must be a secret in the stack file/);
      assert.doesNotMatch(JSON.stringify(preview), /plain-text-password/);
    } finally {
      await stack.setConfig("mcp-bastion:neo4jPassword", { value: kept, secret: true });
    }
  });

  it("destroys everything the stack created, down to what cert-manager made for it", async () => {
    const rootCa = declared.find(
      (object) => object.kind === "Certificate" && object.metadata?.namespace === CERT_MANAGER_NAMESPACE,
    ) as KubernetesObject & { spec: { secretName: string } };
    assert.ok(rootCa, "the stack's CA certificate lives in cert-manager's namespace");
    const rootSecret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: rootCa.spec.secretName, namespace: CERT_MANAGER_NAMESPACE },
    };
    assert.ok(!(await isGone(rootSecret)), "cert-manager made the CA's Secret");

    const destroyed = await deploy("destroy", "--yes");
    assert.equal(destroyed.exitCode, 0);
    assert.ok((destroyed.changes?.delete ?? 0) > declared.length);
    // The namespace controller empties and removes the kit's namespace after the engine deleted it.
    const remaining = async () => {
      const left: string[] = [];
      for (const object of declared)
        if (!(await isGone(object)))
          left.push(`${object.kind} ${object.metadata?.namespace ?? ""}/${object.metadata?.name}`);
      return left;
    };
    await until("every object of the stack gone", 90, async () =>
      (await remaining()).length === 0 ? true : undefined,
    ).catch(async (error: unknown) => {
      assert.fail(`${(error as Error).message}: ${(await remaining()).join(", ")}`);
    });
    // The garbage collector removes what cert-manager owned through the deleted Certificate.
    await until("the CA's Secret collected", 60, async () => ((await isGone(rootSecret)) ? true : undefined));
  });

  it("stops the cluster on SIGTERM and removes the stack's settings file", async () => {
    assert.equal(await cluster?.stop(), 0, `npm run cluster did not stop cleanly:\n${cluster?.log()}`);
    cluster = undefined;
    await assert.rejects(access(path.join(PROJECT_ROOT, `Pulumi.${STACK}.yaml`)));
  });
});
