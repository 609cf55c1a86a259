// A real cert-manager controller against the test API server: it issues the kit's CA chain and
// certificates from the synthesized objects, renews a short-lived certificate on its own, and
// `npm run certs` reads their state and triggers re-issuance that really happens.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { CoreV1Api, CustomObjectsApi, KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import { startKubeCluster, type KubeCluster } from "../../scripts/dev-services/kube-cluster.js";
import { crdFiles } from "../../scripts/dev-services/kube-crds.js";
import { installCrds, readObjects } from "../../scripts/dev-services/kube-objects.js";
import { startCertManager } from "../../scripts/dev-services/kit-cluster.js";
import { isReady, until } from "../../scripts/dev-services/polling.js";
import type { ServiceProcess } from "../../scripts/dev-services/service-process.js";
import { runCommand } from "../../scripts/dev-services/toolchain.js";
import { synthStack } from "./support/synth.js";
import { loadKubeConfig } from "../../scripts/lib/kube-config.js";
import type { Certificate } from "../../scripts/lib/certificates.js";
import { settingDefault } from "../config.js";
import { PROJECT_ROOT } from "../offline/mock-run.js";
import { readCertificatePair } from "../../app/src/tls/certificate-files.js";
import { TLS_OPTIONS } from "../../app/src/tls/serving.js";

const FIELD_MANAGER = "mcp-bastion-tests";
const KIT_NAMESPACE = String(settingDefault("namespace"));
const CERT_MANAGER_NAMESPACE = String(settingDefault("certManagerNamespace"));

let work: string;
let cluster: KubeCluster;
let controller: ServiceProcess;
let objects: KubernetesObjectApi;
let custom: CustomObjectsApi;
let core: CoreV1Api;
let kitCertificates: KubernetesObject[] = [];
let stackObjects: KubernetesObject[] = [];

async function certificate(namespace: string, name: string): Promise<Certificate> {
  return (await custom.getNamespacedCustomObject({
    group: "cert-manager.io",
    version: "v1",
    namespace,
    plural: "certificates",
    name,
  })) as Certificate;
}

async function secretFiles(namespace: string, name: string): Promise<Record<string, Buffer>> {
  const secret = await core.readNamespacedSecret({ name, namespace });
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64")]),
  );
}

async function secretCertificate(namespace: string, name: string): Promise<X509Certificate | undefined> {
  const pem = (await secretFiles(namespace, name))["tls.crt"];
  return pem ? new X509Certificate(pem) : undefined;
}

/** One HTTPS request the way ingress-nginx makes it to the MCP pod, with the annotations' settings. */
function requestAsIngress(port: number, client: Record<string, Buffer>, servername: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: "127.0.0.1",
        port,
        path: "/healthz",
        servername,
        ca: client["ca.crt"],
        cert: client["tls.crt"],
        key: client["tls.key"],
        rejectUnauthorized: true,
        agent: false,
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("error", reject);
    request.end();
  });
}

function certsCommand(args: string[]) {
  return runCommand(
    process.execPath,
    ["--import", "tsx", path.join(PROJECT_ROOT, "scripts", "certs.ts"), ...args, "--kubeconfig", cluster.kubeconfig],
    { cwd: PROJECT_ROOT },
  );
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-cert-manager-"));
  cluster = await startKubeCluster(path.join(work, "cluster"));
  const config = await loadKubeConfig({ kubeconfig: cluster.kubeconfig });
  const client = await import("@kubernetes/client-node");
  objects = client.KubernetesObjectApi.makeApiClient(config);
  custom = config.makeApiClient(client.CustomObjectsApi);
  core = config.makeApiClient(client.CoreV1Api);
  await installCrds(config, await crdFiles());
  controller = await startCertManager(cluster.kubeconfig, work);

  // The kit's namespaces (the platform releases create cert-manager's), then its PKI objects as
  // the local stack declares them: cert-manager's own, and trust-manager's Bundles (stored only:
  // no trust-manager runs here).
  const out = path.join(work, "local");
  await synthStack("local", out);
  const all = await readObjects(out);
  const namespaces = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: CERT_MANAGER_NAMESPACE } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: String(settingDefault("linkerdNamespace")) } },
    ...all.filter((object) => object.kind === "Namespace"),
  ];
  for (const object of [
    ...namespaces,
    ...all.filter((candidate) => (candidate.apiVersion ?? "").startsWith("cert-manager.io/")),
  ]) {
    await objects.patch(object, undefined, undefined, FIELD_MANAGER, true, "application/apply-patch+yaml");
  }
  kitCertificates = all.filter((object) => object.kind === "Certificate");
  stackObjects = all;
});
after(async () => {
  await controller?.stop();
  await cluster?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("cert-manager in the test cluster", () => {
  it("issues the kit's CA chain and every certificate of the local stack", async () => {
    assert.ok(kitCertificates.length >= 4, `the stack declares its certificates (${kitCertificates.length})`);
    for (const object of kitCertificates) {
      const { namespace = "", name = "" } = object.metadata ?? {};
      await until(`Certificate ${namespace}/${name} ready`, 60, async () =>
        isReady(await certificate(namespace, name)) ? true : undefined,
      );
    }
    // The root is self-signed, and the server certificates chain to it.
    const rootObject = kitCertificates.find((object) => object.metadata?.name === "mcp-bastion-root-ca");
    const boltObject = kitCertificates.find((object) => object.metadata?.name === "neo4j-bolt-tls");
    assert.ok(rootObject && boltObject, "the local stack has the root CA and the Bolt certificate");
    const rootSecret = (await certificate(CERT_MANAGER_NAMESPACE, "mcp-bastion-root-ca")).spec.secretName ?? "";
    const root = await secretCertificate(CERT_MANAGER_NAMESPACE, rootSecret);
    const bolt = await secretCertificate(
      KIT_NAMESPACE,
      (await certificate(KIT_NAMESPACE, "neo4j-bolt-tls")).spec.secretName ?? "",
    );
    assert.ok(root?.ca, "the root is a CA");
    assert.ok(root.checkIssued(root), "the root is self-signed");
    assert.ok(bolt, "the Bolt certificate's Secret holds a certificate");
    assert.ok(
      bolt.checkIssued(root) && bolt.verify(root.publicKey),
      "the Bolt certificate is issued and signed by the kit's root",
    );
    assert.ok(bolt.subjectAltName?.includes(`neo4j.${KIT_NAMESPACE}.svc.cluster.local`), bolt.subjectAltName);
  });

  it("gives the MCP pod a serving certificate the app loads and the ingress controller's settings verify", async () => {
    const ingress = stackObjects.find((object) => object.kind === "Ingress");
    const annotations = ingress?.metadata?.annotations ?? {};
    const [clientNamespace = "", clientSecret = ""] = (
      annotations["nginx.ingress.kubernetes.io/proxy-ssl-secret"] ?? ""
    ).split("/");
    const servername = annotations["nginx.ingress.kubernetes.io/proxy-ssl-name"] ?? "";
    assert.equal(annotations["nginx.ingress.kubernetes.io/proxy-ssl-verify"], "on");
    await until("the MCP serving and ingress client certificates", 60, async () =>
      isReady(await certificate(KIT_NAMESPACE, "mcp-server-tls")) &&
      isReady(await certificate(clientNamespace, clientSecret))
        ? true
        : undefined,
    );

    // The Secret's files as the kubelet mounts them, read by the app's own loader.
    const serving = await secretFiles(
      KIT_NAMESPACE,
      (await certificate(KIT_NAMESPACE, "mcp-server-tls")).spec.secretName ?? "",
    );
    const certFile = path.join(work, "tls.crt");
    const keyFile = path.join(work, "tls.key");
    await writeFile(certFile, serving["tls.crt"] ?? "");
    await writeFile(keyFile, serving["tls.key"] ?? "", { mode: 0o600 });
    const pair = await readCertificatePair(certFile, keyFile);
    const server = https.createServer({ ...TLS_OPTIONS, cert: pair.cert, key: pair.key }, (_request, response) =>
      response.end("ok"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = await secretFiles(clientNamespace, clientSecret);
      assert.ok(
        client["ca.crt"] && client["tls.crt"] && client["tls.key"],
        "the controller's Secret has the CA and its own client pair",
      );
      assert.notDeepEqual(client["tls.key"], serving["tls.key"]);
      assert.equal(await requestAsIngress(port, client, servername), 200);
      // The check can fail: a name the certificate does not cover is refused.
      await assert.rejects(requestAsIngress(port, client, "mcp-server.elsewhere.svc"), /altnames|Hostname/);
    } finally {
      server.close();
    }
  });

  it("renews a short-lived certificate on its own: the Secret's certificate changes with no manual step", async () => {
    const short = {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "short-lived", namespace: KIT_NAMESPACE },
      spec: {
        secretName: "short-lived-tls",
        duration: "1h",
        // Renewal falls due 10 s after each issuance.
        renewBefore: "59m50s",
        dnsNames: ["short-lived.example"],
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        issuerRef: { kind: "ClusterIssuer", name: "mcp-bastion-ca" },
      },
    };
    await objects.patch(short, undefined, undefined, FIELD_MANAGER, true, "application/apply-patch+yaml");
    const first = await until("first issuance", 60, () => secretCertificate(KIT_NAMESPACE, "short-lived-tls"));
    const renewed = await until("renewal", 60, async () => {
      const current = await secretCertificate(KIT_NAMESPACE, "short-lived-tls");
      return current && current.fingerprint256 !== first.fingerprint256 ? current : undefined;
    });
    assert.ok(new Date(renewed.validFrom) >= new Date(first.validFrom), "the new certificate is the newer one");
    assert.notEqual(
      renewed.publicKey.export({ format: "der", type: "spki" }).toString("hex"),
      first.publicKey.export({ format: "der", type: "spki" }).toString("hex"),
      "rotationPolicy Always: a new key",
    );
    await objects.delete(short);
  });

  it("npm run certs -- status lists the kit's certificates from the cluster", async () => {
    const { stdout } = await certsCommand(["status", "--json"]);
    const rows = (
      JSON.parse(stdout) as {
        certificates: Array<{
          namespace: string;
          name: string;
          ready: boolean;
          notAfter: string | null;
          renewalTime: string | null;
        }>;
      }
    ).certificates;
    const inKitNamespace = kitCertificates
      .filter((object) => object.metadata?.namespace === KIT_NAMESPACE)
      .map((object) => object.metadata?.name)
      .sort();
    assert.deepEqual(
      rows
        .map((row) => row.name)
        .filter((name) => inKitNamespace.includes(name))
        .sort(),
      inKitNamespace,
    );
    for (const row of rows) {
      assert.equal(row.namespace, KIT_NAMESPACE);
      assert.ok(row.ready, `${row.name} is ready`);
      assert.ok(
        row.notAfter && row.renewalTime && new Date(row.renewalTime) < new Date(row.notAfter),
        `${row.name}: renewal before expiry`,
      );
    }
    const all = await certsCommand(["status", "--all-namespaces"]);
    assert.match(all.stdout, new RegExp(`^${CERT_MANAGER_NAMESPACE}\\s+mcp-bastion-root-ca\\s+True`, "m"));
  });

  it("npm run certs -- renew re-issues the certificate, the way cmctl renew does", async () => {
    const before = await certificate(KIT_NAMESPACE, "neo4j-bolt-tls");
    const secretBefore = await secretCertificate(KIT_NAMESPACE, before.spec.secretName ?? "");
    const { stdout } = await certsCommand(["renew", "neo4j-bolt-tls"]);
    assert.match(stdout, /re-issuance triggered for mcp-bastion\/neo4j-bolt-tls/);
    const after = await until("re-issuance", 60, async () => {
      const current = await certificate(KIT_NAMESPACE, "neo4j-bolt-tls");
      return (current.status?.revision ?? 0) > (before.status?.revision ?? 0) && isReady(current) ? current : undefined;
    });
    const secretAfter = await secretCertificate(KIT_NAMESPACE, after.spec.secretName ?? "");
    assert.notEqual(secretAfter?.fingerprint256, secretBefore?.fingerprint256, "the Secret holds a new certificate");
    await assert.rejects(certsCommand(["renew", "no-such-certificate"]), /exit 3/);
  });
});
