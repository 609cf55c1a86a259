import assert from "node:assert/strict";
import { it } from "node:test";
import { expectedFlows, ENDPOINTS, PORTS } from "./support/flows.js";
import { allowedFlowTable } from "./support/network.js";
import { ofKind, type Json } from "./support/objects.js";
import { stackSuite } from "./support/stack-suite.js";
import { isSecret } from "../offline/mock-run.js";

// What an operator keeps in a vault and sets with `pulumi config set --secret`.
const VAULT = {
  neo4jPassword: "vault-neo4j-password-0123456789",
  objectStoreAccessKeyId: "vaultaccesskey01",
  objectStoreSecretAccessKey: "vault-object-store-secret-0123456789",
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
        const resource = run.resources.find((candidate) => candidate.type === "kubernetes:core/v1:Secret" && (candidate.inputs.metadata as Json).name === name);
        assert.ok(resource, name);
        assert.ok(isSecret(resource.inputs.stringData), `${name}: its data is a Pulumi secret`);
        return resource.inputs.stringData.value as Record<string, string>;
      };
      assert.deepEqual(secretData("neo4j-credentials"), { password: VAULT.neo4jPassword, auth: `neo4j/${VAULT.neo4jPassword}` });
      assert.deepEqual(secretData("minio-credentials"), { "access-key-id": VAULT.objectStoreAccessKeyId, "secret-access-key": VAULT.objectStoreSecretAccessKey });
      assert.equal(run.outputs.neo4jPassword, VAULT.neo4jPassword);
    });

    it("keeps the mesh policy and the network flows of the local platform", () => {
      const policies = ofKind(get().objects, "NetworkPolicy");
      assert.deepEqual(allowedFlowTable(policies, ENDPOINTS, PORTS, "mcp-bastion"), expectedFlows("minio"));
      assert.ok(ofKind(get().objects, "Server").length > 0, "Linkerd Servers, for the Linkerd the cluster runs");
    });

    it("waits for readiness by default: no object skips the provider's await logic", () => {
      for (const object of get().objects) assert.equal(object.metadata.annotations?.["pulumi.com/skipAwait"], undefined, `${object.kind}/${object.metadata.name}`);
    });
  },
  VAULT,
);
