// The kit's pods actually run: `npm run cluster -- --node` starts the control plane with a
// real node (containerd + runc, kubelet, kube-scheduler, kube-proxy, kube-router, CoreDNS) and
// the kit's images built by buildah and imported by digest; `npm run deploy -- up` applies the
// stack exactly as printed and waits for every object to be ready. Then the stack is used as a
// client would use it, and destroyed. Needs root (network namespaces, mounts, iptables).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { connect as tlsConnect } from "node:tls";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import type { CoreV1Api, KubeConfig, V1Pod } from "@kubernetes/client-node";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { loadKubeConfig } from "../../scripts/lib/kube-config.js";
import { CERT_MANAGER_NAMESPACE } from "../../scripts/dev-services/kit-cluster.js";
import { until } from "../../scripts/dev-services/polling.js";
import { parse } from "yaml";
import { PORTS, podLabels } from "../charts/common.js";
import { settingDefault } from "../config.js";
import { settingsFromConfig } from "../read-settings.js";
import { PROJECT_ROOT } from "../program.js";
import { PROBE_IMAGE } from "../../scripts/dev-services/kube-node.js";
import { dnsCheck, intendedTcp, probeFrom, tcpCheck, type TcpTarget } from "./support/network-probe.js";
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
  env = {
    ...process.env,
    PULUMI_BACKEND_URL: pathToFileURL(path.join(work, "state")).href,
    PULUMI_CONFIG_PASSPHRASE_FILE: path.join(work, "passphrase"),
  };
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
  // A cluster that never started has failed \`before\` already, with its own error.
  if (cluster) {
    const code = await cluster.stop();
    assert.equal(code, 0, `npm run cluster did not stop cleanly:\n${cluster.log()}`);
  }
  await rm(work, { recursive: true, force: true });
});

const ENTITY = `node-e2e-${process.pid}`;

/**
 * An MCP client as the ingress controller reaches the server: to the Service, verifying the
 * pod's certificate (issued for the Service's name) against the kit's CA only, with the public
 * Host, and a token minted by `npm run token` for the local-cluster issuer.
 */
async function mcpEndpoint(): Promise<{ ca: Buffer; clusterIp: string; port: number; servername: string }> {
  const ca = Buffer.from(
    (await core.readNamespacedSecret({ name: "mcp-bastion-root-ca", namespace: CERT_MANAGER_NAMESPACE })).data?.[
      "ca.crt"
    ] ?? "",
    "base64",
  );
  assert.match(ca.toString(), /BEGIN CERTIFICATE/);
  const service = await core.readNamespacedService({ name: "mcp-server", namespace: NAMESPACE });
  const port = service.spec?.ports?.find((entry) => entry.name === "https")?.port as number;
  return { ca, clusterIp: service.spec?.clusterIP as string, port, servername: `mcp-server.${NAMESPACE}.svc` };
}

async function connectMcp(): Promise<{ client: Client; close(): Promise<void> }> {
  const { ca, clusterIp, port, servername } = await mcpEndpoint();
  const minted = await runScript(
    "token.ts",
    [
      "mint",
      "--sub",
      "node-e2e",
      "--roles",
      "operator",
      "--issuer",
      "local-cluster",
      "--aud",
      `https://${MCP_HOST}/mcp`,
    ],
    env,
  );
  assert.equal(minted.code, 0, minted.stderr);
  const connect = buildConnector({ ca, servername });
  const agent = new Agent({
    connect: (options, callback) => connect({ ...options, hostname: clusterIp, port: String(port) }, callback),
  });
  const client = new Client({ name: "node-e2e", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`https://${MCP_HOST}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${minted.stdout.trim()}` } },
      fetch: ((url: string | URL, init?: RequestInit) =>
        undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
    }),
  );
  return {
    client,
    close: async () => {
      await client.close();
      await agent.close();
    },
  };
}

/** The tenant's whole graph through read_graph, page by page, as one digest. */
async function graphDigest(client: Client): Promise<string> {
  const pages: unknown[] = [];
  for (let cursor: string | undefined, page = 0; page < 100; page += 1) {
    const result = await client.callTool({
      name: "read_graph",
      arguments: { limit: 500, ...(cursor ? { cursor } : {}) },
    });
    assert.notEqual(result.isError, true, JSON.stringify(result));
    const text = (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? "").join("");
    const parsed = JSON.parse(text) as { nextCursor?: string };
    pages.push({ ...parsed, nextCursor: undefined });
    cursor = parsed.nextCursor;
    if (!cursor) break;
  }
  return createHash("sha256").update(JSON.stringify(pages)).digest("hex");
}

async function jobFinished(name: string): Promise<"Complete" | "Failed"> {
  const batch = config.makeApiClient((await import("@kubernetes/client-node")).BatchV1Api);
  return until(
    `Job ${name} finished`,
    600,
    async () => {
      const job = await batch.readNamespacedJob({ name, namespace: NAMESPACE });
      const done = job.status?.conditions?.find(
        (condition) => (condition.type === "Complete" || condition.type === "Failed") && condition.status === "True",
      );
      return done?.type as "Complete" | "Failed" | undefined;
    },
    1_000,
  );
}

async function jobLog(name: string): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `job-name=${name}` });
  const pod = pods.items[0]?.metadata?.name;
  return pod ? core.readNamespacedPodLog({ name: pod, namespace: NAMESPACE }) : "(no pod)";
}

const ready = (pod: V1Pod) =>
  pod.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false;

describe("the kit on a real node", () => {
  it("runs every pod of the stack Ready under Pod Security restricted, with the kit's settings", async () => {
    const namespace = await core.readNamespace({ name: NAMESPACE });
    assert.equal(namespace.metadata?.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.filter(
      (pod) => !pod.metadata?.ownerReferences?.some((owner) => owner.kind === "Job"),
    );
    const components = new Set(pods.map((pod) => pod.metadata?.labels?.["app.kubernetes.io/name"]));
    for (const component of ["mcp-server", "neo4j", "object-store", "sandbox"])
      assert.ok(components.has(component), `a ${component} pod runs`);
    for (const pod of pods) {
      const name = pod.metadata?.name;
      assert.ok(ready(pod), `${name} is Ready`);
      assert.equal(pod.spec?.automountServiceAccountToken, false, `${name} mounts no service account token`);
      assert.ok((pod.spec?.securityContext?.runAsUser ?? 0) >= 10000, `${name} runs as a uid >= 10000`);
      for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
        assert.equal(
          container.securityContext?.readOnlyRootFilesystem,
          true,
          `${name}/${container.name} has a read-only root`,
        );
        assert.deepEqual(
          container.securityContext?.capabilities?.drop,
          ["ALL"],
          `${name}/${container.name} drops every capability`,
        );
      }
      for (const container of pod.spec?.containers ?? [])
        assert.ok(container.readinessProbe, `${name}/${container.name} has a readiness probe`);
      for (const status of pod.status?.containerStatuses ?? []) {
        if (status.restartCount > 0)
          console.error(
            `${name}/${status.name} restarted ${status.restartCount} time(s), last: ${JSON.stringify(status.lastState?.terminated ?? {})}`,
          );
      }
    }
  });

  it("serves MCP through its Service over HTTPS trusting the kit's CA: a minted token lists and calls tools, and a tool reads Neo4j over Bolt TLS", async () => {
    const mcp = await connectMcp();
    try {
      const { tools } = await mcp.client.listTools();
      assert.ok(
        tools.some((tool) => tool.name === "read_graph"),
        `read_graph is listed among ${tools.map((tool) => tool.name).join(", ")}`,
      );
      const created = await mcp.client.callTool({
        name: "create_entities",
        arguments: { entities: [{ name: ENTITY, entityType: "test", observations: ["written on the node"] }] },
      });
      assert.notEqual(created.isError, true, JSON.stringify(created));
      const read = await mcp.client.callTool({ name: "open_nodes", arguments: { names: [ENTITY] } });
      assert.notEqual(read.isError, true, JSON.stringify(read));
      assert.match(JSON.stringify(read.content), /written on the node/);
    } finally {
      await mcp.close();
    }
    // The server talks to Neo4j only over TLS: Neo4j refuses plain Bolt (tls_level REQUIRED).
    const neo4j = (
      await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app.kubernetes.io/name=neo4j" })
    ).items[0];
    const neo4jEnv = neo4j?.spec?.containers[0]?.env ?? [];
    assert.equal(neo4jEnv.find((entry) => entry.name === "NEO4J_server_bolt_tls__level")?.value, "REQUIRED");
  });

  it("enforces the NetworkPolicies as the kit's flow table intends: DNS through the default-deny, allowed flows connect, a pod outside them reaches neither Neo4j nor the MCP port", async () => {
    // The stack's settings as the program reads them (its secrets play no part in the flows).
    const stackConfig = (
      parse(await readFile(path.join(PROJECT_ROOT, `Pulumi.${STACK}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
      }
    ).config;
    const settings = settingsFromConfig(
      Object.entries(stackConfig).flatMap(([key, value]) =>
        typeof value === "object" ? [] : [{ key, value: String(value), secret: false }],
      ),
      "mcp-bastion",
    );
    const address = async (component: string) => {
      if (component === "neo4j")
        return (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: "app.kubernetes.io/name=neo4j" }))
          .items[0]?.status?.podIP as string;
      return (
        await core.readNamespacedService({
          name: component === "mcp-server" ? "mcp-server" : "minio",
          namespace: NAMESPACE,
        })
      ).spec?.clusterIP as string;
    };
    const targets: TcpTarget[] = [
      {
        name: "neo4j-bolt",
        labels: podLabels("neo4j"),
        namespace: NAMESPACE,
        address: await address("neo4j"),
        port: PORTS.bolt,
      },
      {
        name: "mcp-https",
        labels: podLabels("mcp-server"),
        namespace: NAMESPACE,
        address: await address("mcp-server"),
        port: PORTS.mcp,
      },
      {
        name: "minio-s3",
        labels: podLabels("object-store"),
        namespace: NAMESPACE,
        address: await address("object-store"),
        port: PORTS.objectStore,
      },
    ];
    const sources: Record<string, Record<string, string>> = {
      outsider: { "app.kubernetes.io/name": "outsider", "app.kubernetes.io/part-of": "mcp-bastion" },
      backup: podLabels("backup"),
    };
    const table: string[] = [];
    for (const [source, labels] of Object.entries(sources)) {
      const checks = Object.fromEntries([
        ...targets.map((target) => [target.name, tcpCheck(target.address, target.port)]),
        ["dns", dnsCheck(`neo4j.${NAMESPACE}.svc.cluster.local`)],
      ]);
      const observed = await probeFrom(core, NAMESPACE, `probe-${source}-${process.pid}`, labels, PROBE_IMAGE, checks);
      for (const target of targets) {
        const intended = intendedTcp(settings, labels, target);
        table.push(
          `${source} -> ${target.name}: intended ${intended ? "allow" : "deny"}, node ${observed[target.name] ? "allows" : "denies"}`,
        );
        assert.equal(observed[target.name], intended, table.at(-1));
      }
      // Every kit pod but the sandbox may ask kube-dns; the default-deny must not stop that.
      assert.equal(observed.dns, true, `${source} resolves names through the default-deny`);
    }
    console.error(`flows (intended vs. enforced):\n  ${table.join("\n  ")}`);
    // The table is not vacuous: something is allowed and something refused.
    assert.ok(table.some((line) => line.includes("node allows")) && table.some((line) => line.includes("node denies")));
  });

  it("runs the backup CronJob's Job to a verified backup in the in-cluster MinIO, and npm run restore -- restore latest --in-cluster --wipe brings the graph back identical by checksum", async () => {
    const batch = config.makeApiClient((await import("@kubernetes/client-node")).BatchV1Api);
    const mcp = await connectMcp();
    try {
      const before = await graphDigest(mcp.client);
      // As `kubectl create job --from=cronjob/neo4j-backup` does.
      const cronJob = await batch.readNamespacedCronJob({ name: "neo4j-backup", namespace: NAMESPACE });
      const backupJob = `neo4j-backup-now-${process.pid}`;
      await batch.createNamespacedJob({
        namespace: NAMESPACE,
        body: {
          metadata: {
            name: backupJob,
            labels: cronJob.spec?.jobTemplate.metadata?.labels,
            annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
          },
          spec: cronJob.spec?.jobTemplate.spec,
        },
      });
      assert.equal(await jobFinished(backupJob), "Complete", await jobLog(backupJob));
      console.error(`backup job log: ${(await jobLog(backupJob)).slice(-600)}`);

      const removed = await mcp.client.callTool({ name: "delete_entities", arguments: { entityNames: [ENTITY] } });
      assert.notEqual(removed.isError, true, JSON.stringify(removed));
      assert.notEqual(await graphDigest(mcp.client), before, "the graph changed after the backup");

      const restoreInCluster = async (): Promise<{ job: string; outcome: string }> => {
        const restore = await runScript(
          "restore-backup.ts",
          [
            "restore",
            "latest",
            "--in-cluster",
            "--wipe",
            "--namespace",
            NAMESPACE,
            "--kubeconfig",
            cluster?.kubeconfig as string,
            "--json",
          ],
          env,
        );
        assert.equal(restore.code, 0, restore.stderr);
        const job = (JSON.parse(restore.stdout) as { job: string }).job;
        return { job, outcome: await jobFinished(job) };
      };
      let restored = await restoreInCluster();
      // A new pod's first connection can come before kube-router has put its address into the
      // policy's sets (MinIO then refuses it); the restore Job fails at once and, as its
      // operator would, is run again. Anything else fails the test.
      if (restored.outcome === "Failed" && /ECONNREFUSED/.test(await jobLog(restored.job))) {
        console.error(`restore Job ${restored.job} was refused before the policy admitted its pod; running it again`);
        restored = await restoreInCluster();
      }
      assert.equal(restored.outcome, "Complete", await jobLog(restored.job));
      assert.equal(await graphDigest(mcp.client), before, "the restored graph is the one backed up");
    } finally {
      await mcp.close();
    }
  });

  it("cert-manager renews the MCP server's certificate while a client keeps calling, and no request fails", async () => {
    const { ca, clusterIp, port, servername } = await mcpEndpoint();
    const servedSerial = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: clusterIp, port, servername, ca }, () => {
          resolve(socket.getPeerCertificate().serialNumber);
          socket.end();
        });
        socket.on("error", reject);
      });
    const before = await servedSerial();
    const mcp = await connectMcp();
    const failures: string[] = [];
    let calls = 0;
    let calling = true;
    const caller = (async () => {
      while (calling) {
        try {
          const result = await mcp.client.callTool({ name: "read_graph", arguments: { limit: 1 } });
          if (result.isError) failures.push(JSON.stringify(result.content));
          calls += 1;
        } catch (error) {
          failures.push((error as Error).message);
        }
        // Under the server's default limit per principal and tool (60 a minute).
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      }
    })();
    // Calls before the renewal began, and when the renewed certificate was first served.
    let atRenewal: number;
    let atSwap: number;
    try {
      await until("the client's first call", 30, async () => (calls >= 1 ? true : undefined));
      atRenewal = calls;
      const renew = await runScript(
        "certs.ts",
        ["renew", "mcp-server-tls", "--namespace", NAMESPACE, "--kubeconfig", cluster?.kubeconfig as string],
        env,
      );
      assert.equal(renew.code, 0, renew.stderr);
      const started = Date.now();
      // cert-manager issues, the kubelet swaps the mounted files (its sync period), the server reloads.
      await until(
        "the server serves the renewed certificate",
        300,
        async () => ((await servedSerial()) !== before ? true : undefined),
        2_000,
      );
      console.error(`renewed certificate served ${seconds(started)} after the renewal, ${calls} calls so far`);
      atSwap = calls;
      await until("calls go on after the swap", 30, async () => (calls > atSwap + 3 ? true : undefined));
    } finally {
      calling = false;
      await caller;
      await mcp.close();
    }
    assert.deepEqual(failures, [], "no call failed while the certificate was renewed");
    // The count of calls depends on how fast the renewal goes; what matters is that they went on throughout.
    assert.ok(atRenewal >= 1, `the client called before the renewal (${atRenewal} calls)`);
    assert.ok(atSwap > atRenewal, `the client called while the certificate was renewed (${atSwap - atRenewal} calls)`);
    assert.ok(calls > atSwap + 3, `the client kept calling after the swap (${calls - atSwap} calls)`);
  });

  it("destroy leaves nothing of the stack", async () => {
    const destroyed = await deployStack(STACK, cluster?.kubeconfig as string, env, "destroy", "--yes");
    assert.equal(destroyed.exitCode, 0, JSON.stringify(destroyed).slice(0, 4000));
    await until("the kit's namespace is gone", 180, async () =>
      (await core.readNamespace({ name: NAMESPACE }).then(
        () => true,
        () => false,
      ))
        ? undefined
        : true,
    );
    const volumes = await core.listPersistentVolume();
    assert.deepEqual(
      volumes.items
        .filter((volume) => volume.spec?.claimRef?.namespace === NAMESPACE)
        .map((volume) => volume.metadata?.name),
      [],
      "no volume still holds the stack's data",
    );
    assert.equal(
      await readFile(path.join(PROJECT_ROOT, `Pulumi.${STACK}.yaml`), "utf8").then(
        () => "kept",
        () => "absent",
      ),
      "kept",
      "the stack file stays until the cluster stops",
    );
  });
});
