// The charts are pure functions of the settings: each switch adds or removes exactly its part.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_READERS } from "../../app/src/backup/take-backup.js";
import { kitObjects, objectKey, type DeployValues, type KubeObject } from "../charts/index.js";
import { parseSettings } from "../config.js";
import { find, podTemplate } from "./support/objects.js";
import { MINIMAL_LOCAL_SETTINGS } from "./support/settings.js";

const base = { ...MINIMAL_LOCAL_SETTINGS };
const deploy: DeployValues = {
  mcpImage: `registry.example/mcp@sha256:${"b".repeat(64)}`,
  bucket: "backups",
  s3Region: "us-east-1",
  s3Endpoint: "http://minio:9000",
};

function objects(overrides: Record<string, unknown> = {}): KubeObject[] {
  const { platform, workloads } = kitObjects(parseSettings({ ...base, ...overrides }), deploy);
  return [...platform, ...workloads];
}
const kinds = (list: KubeObject[]) => new Set(list.map((object) => object.kind));

describe("kit charts", () => {
  it("give every object a unique identity and a namespace unless cluster-scoped", () => {
    const list = objects();
    assert.equal(new Set(list.map(objectKey)).size, list.length);
    const clusterScoped = new Set(["Namespace", "ClusterIssuer", "Bundle"]);
    for (const object of list)
      assert.equal(clusterScoped.has(object.kind), object.metadata.namespace === undefined, objectKey(object));
  });

  it("drop every Linkerd object, port and annotation when the mesh is off", () => {
    const list = objects({ meshEnabled: false });
    for (const kind of ["Server", "AuthorizationPolicy", "MeshTLSAuthentication"])
      assert.ok(!kinds(list).has(kind), kind);
    assert.ok(!list.some((object) => object.metadata.name.startsWith("linkerd")));
    assert.equal(find(list, "Namespace", "mcp-bastion").metadata.annotations?.["linkerd.io/inject"], undefined);
  });

  it("keep the mesh policy but not Linkerd's identity PKI when Linkerd is already installed", () => {
    const list = objects({ installLinkerd: false });
    assert.ok(kinds(list).has("Server"));
    assert.ok(!list.some((object) => object.metadata.name === "linkerd-identity-issuer"));
  });

  it("issue the public certificate from ACME (HTTP-01 through the ingress class) when asked", () => {
    const list = objects({ publicIssuer: "acme", acmeEmail: "ops@example.test" });
    const acme = find(list, "ClusterIssuer", "mcp-bastion-acme").spec as {
      acme: { email: string; solvers: { http01: { ingress: { ingressClassName: string } } }[] };
    };
    assert.equal(acme.acme.email, "ops@example.test");
    assert.equal(acme.acme.solvers[0]?.http01.ingress.ingressClassName, "nginx");
    const publicCertificate = find(list, "Certificate", "mcp-server-public-tls").spec as {
      issuerRef: { name: string };
    };
    assert.equal(publicCertificate.issuerRef.name, "mcp-bastion-acme");
  });

  it("add monitoring only with the Prometheus operator, and MinIO only on the local platform", () => {
    assert.ok(!kinds(objects()).has("PrometheusRule"));
    assert.ok(kinds(objects({ prometheusOperator: true })).has("PrometheusRule"));
    const aws = kitObjects(
      parseSettings({
        ...base,
        platform: "aws",
        awsOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.example/id/X",
        backupS3EgressCidrs: ["52.218.0.0/17"],
      }),
      {
        mcpImage: deploy.mcpImage,
        bucket: "b",
        s3Region: "eu-west-1",
        kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        backupRoleArn: "arn:aws:iam::123456789012:role/r",
      },
    );
    assert.ok(![...aws.platform, ...aws.workloads].some((object) => object.metadata.name === "minio"));
  });

  it("put the server's settings in its ConfigMap: the token audience is the public /mcp URL", () => {
    const data = find(objects({ mcpHost: "tools.example.org" }), "ConfigMap", "mcp-server-config").data as Record<
      string,
      string
    >;
    assert.equal(data.MCP_RESOURCE_URL, "https://tools.example.org/mcp");
    assert.equal(data.NODE_ENV, "production");
    assert.equal(data.NEO4J_CA_FILE, "/etc/mcp-bastion/ca/ca.crt");
    assert.match(data.NEO4J_URI ?? "", /^bolt\+s:\/\/neo4j\.mcp-bastion\.svc\.cluster\.local:7687$/);
  });

  it("trust the ingress controller's X-Forwarded-For, read roles from scopes and a group mapping, and open egress to a private identity provider only when asked", () => {
    const plain = objects();
    const data = find(plain, "ConfigMap", "mcp-server-config").data as Record<string, string>;
    assert.equal(
      data.MCP_TRUSTED_PROXIES,
      "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,127.0.0.0/8,fc00::/7,::1/128",
    );
    assert.equal(data.AUTH_SCOPE_CLAIM, "scope");
    assert.equal(data.AUTH_GROUPS_CLAIM, undefined);
    assert.ok(!plain.some((object) => object.metadata.name === "mcp-server-to-identity-provider"));

    const withIdp = objects({
      authGroupsClaim: "groups",
      authGroupRoles: ["mcp-admins=admin", "/tools/operators=operator"],
      authEgressNamespace: "keycloak",
      authEgressCidrs: ["10.20.0.15/32"],
      authEgressPort: 8443,
      trustedProxyCidrs: ["10.42.0.0/16"],
    });
    const idpData = find(withIdp, "ConfigMap", "mcp-server-config").data as Record<string, string>;
    assert.equal(idpData.MCP_TRUSTED_PROXIES, "10.42.0.0/16");
    assert.equal(idpData.AUTH_GROUPS_CLAIM, "groups");
    assert.deepEqual(JSON.parse(idpData.AUTH_GROUP_ROLES ?? "{}"), {
      "mcp-admins": "admin",
      "/tools/operators": "operator",
    });
    const egress = (find(withIdp, "NetworkPolicy", "mcp-server-to-identity-provider").spec as { egress: unknown[] })
      .egress;
    assert.deepEqual(egress, [
      {
        to: [
          { ipBlock: { cidr: "10.20.0.15/32" } },
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keycloak" } } },
        ],
        ports: [{ protocol: "TCP", port: 8443 }],
      },
    ]);
    assert.throws(
      () => parseSettings({ ...base, authGroupsClaim: "groups" }),
      /authGroupRoles: set authGroupsClaim and authGroupRoles together/,
    );
    assert.throws(
      () => parseSettings({ ...base, authGroupsClaim: "groups", authGroupRoles: ["mcp-admins=root"] }),
      /authGroupRoles.0: must be group=role/,
    );
  });

  it("mount a key set given in the settings (authJwks) as the server's JWKS file instead of a JWKS URL", () => {
    const jwks = JSON.stringify({
      keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", kid: "mcp-bastion-local-cluster-1", alg: "ES256" }],
    });
    const list = objects({ authJwksUrl: undefined, authIssuer: "urn:mcp-bastion:local-cluster", authJwks: jwks });
    const data = find(list, "ConfigMap", "mcp-server-config").data as Record<string, string>;
    assert.equal(data.AUTH_JWKS_FILE, "/etc/mcp-bastion/jwks/jwks.json");
    assert.equal(data.AUTH_JWKS_URL, undefined);
    assert.equal((find(list, "ConfigMap", "mcp-server-jwks").data as Record<string, string>)["jwks.json"], jwks);
    const pod = podTemplate(find(list, "Deployment", "mcp-server")).spec as unknown as {
      containers: Array<{ volumeMounts: Array<{ mountPath: string; readOnly?: boolean }> }>;
    };
    assert.ok(
      pod.containers[0]?.volumeMounts.some(
        (mount) => mount.mountPath === "/etc/mcp-bastion/jwks" && mount.readOnly === true,
      ),
    );
  });

  it("cap the backup's heap well inside its container's memory limit", () => {
    const list = objects();
    const data = find(list, "ConfigMap", "neo4j-backup-config").data as Record<string, string>;
    const heapMb = Number(/(?:^| )--max-old-space-size=(\d+)(?: |$)/.exec(data.NODE_OPTIONS ?? "")?.[1]);
    const semiSpaceMb = Number(/(?:^| )--max-semi-space-size=(\d+)(?: |$)/.exec(data.NODE_OPTIONS ?? "")?.[1]);
    const cronJob = find(list, "CronJob", "neo4j-backup") as unknown as {
      spec: {
        jobTemplate: {
          spec: { template: { spec: { containers: Array<{ resources: { limits: { memory: string } } }> } } };
        };
      };
    };
    const limit = cronJob.spec.jobTemplate.spec.template.spec.containers[0]?.resources.limits.memory ?? "";
    const limitMb = Number(/^(\d+)Mi$/.exec(limit)?.[1]);
    assert.ok(heapMb >= 64 && heapMb <= limitMb / 2, `heap ${heapMb} MB, container limit ${limit}`);
    // The main thread and the most reader threads a backup runs, each reader with a third of the
    // heap cap, and each thread's young generation (V8 sizes it at three semi-spaces: two, and as
    // much again for large new objects) fit the limit together.
    const worstCaseMb = heapMb + MAX_READERS * Math.floor(heapMb / 3) + (1 + MAX_READERS) * 3 * semiSpaceMb;
    assert.ok(
      semiSpaceMb >= 1 && worstCaseMb <= limitMb,
      `heaps and young generations of ${worstCaseMb} MB at most, container limit ${limit}`,
    );
  });

  it("serve HTTPS from the MCP pod with a certificate of the kit's CA that the ingress controller verifies", () => {
    const list = objects();
    const serving = find(list, "Certificate", "mcp-server-tls").spec as {
      secretName: string;
      dnsNames: string[];
      issuerRef: { name: string };
      usages: string[];
    };
    assert.deepEqual(serving.dnsNames, ["mcp-server.mcp-bastion.svc", "mcp-server.mcp-bastion.svc.cluster.local"]);
    assert.equal(serving.issuerRef.name, "mcp-bastion-ca");
    assert.ok(serving.usages.includes("server auth"));

    const data = find(list, "ConfigMap", "mcp-server-config").data as Record<string, string>;
    const pod = podTemplate(find(list, "Deployment", "mcp-server")).spec as {
      volumes: Array<{ name: string; secret?: { secretName: string } }>;
      containers: Array<{
        volumeMounts: Array<{ name: string; mountPath: string; subPath?: string }>;
        startupProbe: { httpGet: { scheme: string } };
        livenessProbe: { httpGet: { scheme: string } };
        readinessProbe: { httpGet: { scheme: string } };
      }>;
    };
    const volume = pod.volumes.find((candidate) => candidate.secret?.secretName === serving.secretName);
    assert.ok(volume, "the serving certificate's Secret is a volume of the pod");
    const mount = pod.containers[0]?.volumeMounts.find((candidate) => candidate.name === volume.name);
    // A subPath mount would never see the kubelet's swap of a renewed certificate.
    assert.ok(mount && mount.subPath === undefined, "mounted whole, so renewals reach the files");
    assert.equal(data.MCP_TLS_CERT_FILE, `${mount.mountPath}/tls.crt`);
    assert.equal(data.MCP_TLS_KEY_FILE, `${mount.mountPath}/tls.key`);
    const container = pod.containers[0];
    assert.ok(container);
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe])
      assert.equal(probe.httpGet.scheme, "HTTPS");

    const annotations = find(list, "Ingress", "mcp-server").metadata.annotations ?? {};
    assert.equal(annotations["nginx.ingress.kubernetes.io/backend-protocol"], "HTTPS");
    assert.equal(annotations["nginx.ingress.kubernetes.io/proxy-ssl-verify"], "on");
    assert.ok(
      serving.dnsNames.includes(annotations["nginx.ingress.kubernetes.io/proxy-ssl-name"] ?? ""),
      "the name verified is one the certificate covers",
    );
    // The controller's Secret is a client certificate of its own, never the server's key.
    assert.equal(
      annotations["nginx.ingress.kubernetes.io/proxy-ssl-secret"],
      "mcp-bastion/mcp-server-ingress-client-tls",
    );
    const client = find(list, "Certificate", "mcp-server-ingress-client-tls").spec as {
      secretName: string;
      usages: string[];
      issuerRef: { name: string };
    };
    assert.notEqual(client.secretName, serving.secretName);
    assert.deepEqual(client.usages, ["client auth", "digital signature"]);
    assert.equal(client.issuerRef.name, "mcp-bastion-ca");

    const mcpServer = find(list, "Server", "mcp-https").spec as { port: number; proxyProtocol: string };
    assert.deepEqual([mcpServer.port, mcpServer.proxyProtocol], [8080, "TLS"]);
  });
});
