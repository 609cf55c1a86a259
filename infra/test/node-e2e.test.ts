// The kit's pods actually run: `npm run cluster -- --node` starts the control plane with a
// real node (containerd + runc, kubelet, kube-scheduler, kube-proxy, kube-router, CoreDNS) and
// the kit's images built by buildah and imported by digest; `npm run deploy -- up` applies the
// stack exactly as printed and waits for every object to be ready. Then the stack is used as a
// client would use it, and destroyed. Needs root (network namespaces, mounts, iptables).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import type { CoreV1Api, KubeConfig, V1Pod } from "@kubernetes/client-node";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { loadKubeConfig } from "../../scripts/lib/kube-config.js";
import { CERT_MANAGER_NAMESPACE } from "../../test/support/kit-cluster.js";
import { until } from "../../test/support/polling.js";
import { settingDefault } from "../config.js";
import { deployStack, runScript, startClusterCommand, type ClusterCommand } from "./support/cluster-command.js";

const NAMESPACE = String(settingDefault("namespace"));
const STACK = `node-e2e-${process.pid}`;
const MCP_HOST = "mcp.bastion.internal";

let work: string;
let env: NodeJS.ProcessEnv;
let cluster: ClusterCommand | undefined;
let config: KubeConfig;
let core: CoreV1Api;

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-node-e2e-"));
  await writeFile(path.join(work, "passphrase"), "node-e2e-passphrase", { mode: 0o600 });
  await mkdir(path.join(work, "state"));
  env = { ...process.env, PULUMI_BACKEND_URL: pathToFileURL(path.join(work, "state")).href, PULUMI_CONFIG_PASSPHRASE_FILE: path.join(work, "passphrase") };
  const started = Date.now();
  cluster = await startClusterCommand(["--node", "--stack", STACK], env);
  console.error(`npm run cluster -- --node ready in ${seconds(started)}`);
  config = await loadKubeConfig({ kubeconfig: cluster.kubeconfig });
  core = config.makeApiClient((await import("@kubernetes/client-node")).CoreV1Api);
  const deployed = Date.now();
  const up = await deployStack(STACK, cluster.kubeconfig, env, "up", "--yes");
  assert.equal(up.exitCode, 0, `npm run deploy -- up failed:\n${JSON.stringify(up).slice(0, 4000)}`);
  console.error(`npm run deploy -- up (every object ready) in ${seconds(deployed)}`);
});

after(async () => {
  const code = await cluster?.stop();
  assert.equal(code, 0, `npm run cluster did not stop cleanly:\n${cluster?.log()}`);
  await rm(work, { recursive: true, force: true });
});

const ready = (pod: V1Pod) => pod.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false;

describe("the kit on a real node", () => {
  it("runs every pod of the stack Ready under Pod Security restricted, with the kit's settings", async () => {
    const namespace = await core.readNamespace({ name: NAMESPACE });
    assert.equal(namespace.metadata?.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.filter((pod) => !pod.metadata?.ownerReferences?.some((owner) => owner.kind === "Job"));
    const components = new Set(pods.map((pod) => pod.metadata?.labels?.["app.kubernetes.io/name"]));
    for (const component of ["mcp-server", "neo4j", "object-store", "sandbox"]) assert.ok(components.has(component), `a ${component} pod runs`);
    for (const pod of pods) {
      const name = pod.metadata?.name;
      assert.ok(ready(pod), `${name} is Ready`);
      assert.equal(pod.spec?.automountServiceAccountToken, false, `${name} mounts no service account token`);
      assert.ok((pod.spec?.securityContext?.runAsUser ?? 0) >= 10000, `${name} runs as a uid >= 10000`);
      for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${name}/${container.name} has a read-only root`);
        assert.deepEqual(container.securityContext?.capabilities?.drop, ["ALL"], `${name}/${container.name} drops every capability`);
      }
      for (const container of pod.spec?.containers ?? []) assert.ok(container.readinessProbe, `${name}/${container.name} has a readiness probe`);
      assert.ok(pod.status?.containerStatuses?.every((status) => status.restartCount === 0), `${name} never restarted`);
    }
  });

  it("serves MCP through its Service over HTTPS trusting the kit's CA: a minted token lists and calls tools, and a tool reads Neo4j over Bolt TLS", async () => {
    const ca = Buffer.from((await core.readNamespacedSecret({ name: "mcp-bastion-root-ca", namespace: CERT_MANAGER_NAMESPACE })).data?.["ca.crt"] ?? "", "base64");
    assert.match(ca.toString(), /BEGIN CERTIFICATE/);
    const service = await core.readNamespacedService({ name: "mcp-server", namespace: NAMESPACE });
    const clusterIp = service.spec?.clusterIP as string;
    const port = service.spec?.ports?.find((entry) => entry.name === "https")?.port as number;
    const minted = await runScript("token.ts", ["mint", "--sub", "node-e2e", "--roles", "operator", "--issuer", "local-cluster", "--aud", `https://${MCP_HOST}/mcp`], env);
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    // What the ingress controller does: connect to the Service, verify the pod's certificate
    // (issued for the Service's name) against the kit's CA, and keep the public Host.
    const connect = buildConnector({ ca, servername: `mcp-server.${NAMESPACE}.svc` });
    const agent = new Agent({ connect: (options, callback) => connect({ ...options, hostname: clusterIp, port: String(port) }, callback) });
    try {
      const client = new Client({ name: "node-e2e", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`https://${MCP_HOST}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
          fetch: ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
        }),
      );
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === "read_graph"), `read_graph is listed among ${tools.map((tool) => tool.name).join(", ")}`);
      const created = await client.callTool({ name: "create_entities", arguments: { entities: [{ name: `node-e2e-${process.pid}`, entityType: "test", observations: ["written on the node"] }] } });
      assert.notEqual(created.isError, true, JSON.stringify(created));
      const read = await client.callTool({ name: "open_nodes", arguments: { names: [`node-e2e-${process.pid}`] } });
      assert.notEqual(read.isError, true, JSON.stringify(read));
      assert.match(JSON.stringify(read.content), /written on the node/);
      await client.close();
    } finally {
      await agent.close();
    }
    // The server talks to Neo4j only over TLS: Neo4j refuses plain Bolt (tls_level REQUIRED).
    const neo4j = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app.kubernetes.io/name=neo4j" })).items[0];
    const neo4jEnv = neo4j?.spec?.containers[0]?.env ?? [];
    assert.equal(neo4jEnv.find((entry) => entry.name === "NEO4J_server_bolt_tls__level")?.value, "REQUIRED");
  });

  it("destroy leaves nothing of the stack", async () => {
    const destroyed = await deployStack(STACK, cluster?.kubeconfig as string, env, "destroy", "--yes");
    assert.equal(destroyed.exitCode, 0, JSON.stringify(destroyed).slice(0, 4000));
    await until("the kit's namespace is gone", 180, async () => ((await core.readNamespace({ name: NAMESPACE }).then(() => true, () => false)) ? undefined : true));
    const volumes = await core.listPersistentVolume();
    assert.deepEqual(volumes.items.filter((volume) => volume.spec?.claimRef?.namespace === NAMESPACE).map((volume) => volume.metadata?.name), [], "no volume still holds the stack's data");
    assert.equal(await readFile(path.join(process.cwd(), `Pulumi.${STACK}.yaml`), "utf8").then(() => "kept", () => "absent"), "kept", "the stack file stays until the cluster stops");
  });
});
