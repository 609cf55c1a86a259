import assert from "node:assert/strict";
import { it } from "node:test";
import { expectedFlows, ENDPOINTS, PORTS } from "./support/flows.js";
import { allowedFlowTable } from "./support/network.js";
import { find, ofKind, podTemplate, type Json } from "./support/objects.js";
import { stackSuite } from "./support/stack-suite.js";
import { isSecret } from "../offline/mock-run.js";

// What an operator keeps in a vault and sets with `pulumi config set --secret`.
const VAULT = {
  neo4jPassword: "vault-neo4j-password-0123456789",
  objectStoreAccessKeyId: "vaultaccesskey01",
  objectStoreSecretAccessKey: "vault-object-store-secret-0123456789",
  rateLimitStorePassword: "vault-rate-limit-store-0123456789",
};

stackSuite(
  "airgapped",
  (get) => {
    it("installs no Helm release and generates no credential: nothing is fetched or made up at deploy time", () => {
      const types = get().run.resources.map((resource) => resource.type);
      assert.ok(!types.includes("kubernetes:helm.sh/v3:Release"), "no Helm release");
      assert.ok(!types.some((type) => type.startsWith("random:")), "no random provider");
      assert.ok(!types.some((type) => type.startsWith("docker-build:")), "no image build");
      assert.ok(!types.some((type) => type.startsWith("aws:")), "no AWS resource");
    });

    it("hands the vault's credentials to the cluster as Pulumi secrets, and exports the password only as one", () => {
      const { run } = get();
      const secretData = (name: string) => {
        const resource = run.resources.find(
          (candidate) =>
            candidate.type === "kubernetes:core/v1:Secret" && (candidate.inputs.metadata as Json).name === name,
        );
        assert.ok(resource, name);
        assert.ok(isSecret(resource.inputs.stringData), `${name}: its data is a Pulumi secret`);
        return resource.inputs.stringData.value as Record<string, string>;
      };
      assert.deepEqual(secretData("neo4j-credentials"), {
        password: VAULT.neo4jPassword,
        auth: `neo4j/${VAULT.neo4jPassword}`,
      });
      assert.deepEqual(secretData("minio-credentials"), {
        "access-key-id": VAULT.objectStoreAccessKeyId,
        "secret-access-key": VAULT.objectStoreSecretAccessKey,
      });
      assert.deepEqual(secretData("rate-limit-store-credentials"), {
        password: VAULT.rateLimitStorePassword,
        "valkey.conf": `user default on >${VAULT.rateLimitStorePassword} ~* &* +@all -@dangerous -@admin\n`,
      });
      assert.equal(run.outputs.neo4jPassword, VAULT.neo4jPassword);
    });

    it("keeps the mesh policy and the network flows of the local platform, and adds its Valkey reached by the MCP pods alone", () => {
      const policies = ofKind(get().objects, "NetworkPolicy");
      assert.deepEqual(
        allowedFlowTable(policies, ENDPOINTS, PORTS, "mcp-bastion"),
        expectedFlows("minio", { limitStore: "valkey" }),
      );
      assert.ok(ofKind(get().objects, "Server").length > 0, "Linkerd Servers, for the Linkerd the cluster runs");
    });

    it("runs its Valkey TLS only, with the vault's password from a Secret file, no disk, and a certificate from the kit's CA", () => {
      const { objects } = get();
      const valkey = find(objects, "StatefulSet", "valkey");
      const container = (podTemplate(valkey).spec.containers as Json[])[0] as {
        image: string;
        command: string[];
        args: string[];
        env?: unknown;
        livenessProbe: { exec: { command: string[] } };
      };
      // Valkey keeps the certificate it started with: a rotated file restarts it before expiry.
      assert.match(container.command.join(" "), /cp \/tls\/tls\.crt \/run\/valkey\/serving\.crt && exec valkey-server/);
      assert.deepEqual(container.livenessProbe.exec.command, ["cmp", "-s", "/tls/tls.crt", "/run/valkey/serving.crt"]);
      assert.match(container.image, /^registry\.bastion\.internal\/valkey\/valkey:8\.1@sha256:/);
      const arg = (name: string) => container.args[container.args.indexOf(name) + 1];
      assert.equal(arg("--port"), "0", "no plain-text port");
      assert.equal(arg("--tls-port"), "6379");
      assert.equal(arg("--appendonly"), "no");
      assert.equal(
        container.args[0],
        "/etc/valkey-auth/valkey.conf",
        "the ACL with the password comes from the Secret",
      );
      assert.equal(container.env, undefined, "no secret in the environment");
      const certificate = find(objects, "Certificate", "valkey-tls").spec as {
        issuerRef: { name: string };
        dnsNames: string[];
      };
      assert.equal(certificate.issuerRef.name, "mcp-bastion-ca");
      assert.ok(certificate.dnsNames.includes("valkey.mcp-bastion.svc.cluster.local"));
      const clients = find(objects, "MeshTLSAuthentication", "rate-limit-store-clients").spec as {
        identityRefs: Json[];
      };
      assert.deepEqual(
        clients.identityRefs.map((ref) => ref.name),
        ["mcp-server"],
      );
    });

    it("waits for readiness by default: no object skips the provider's await logic", () => {
      for (const object of get().objects)
        assert.equal(
          object.metadata.annotations?.["pulumi.com/skipAwait"],
          undefined,
          `${object.kind}/${object.metadata.name}`,
        );
    });
  },
  VAULT,
);
