import assert from "node:assert/strict";
import { it } from "node:test";
import { expectedFlows, ENDPOINTS, PORTS } from "./support/flows.js";
import { allowedFlowTable } from "./support/network.js";
import { find, ofKind, type Json } from "./support/objects.js";
import { stackSuite } from "./support/stack-suite.js";

stackSuite("local", (get) => {
  it("makes no AWS calls and creates no AWS resources", () => {
    assert.deepEqual(
      get().run.resources.filter((resource) => resource.type.startsWith("aws:")),
      [],
    );
  });

  it("allows exactly the intended network flows and nothing else", () => {
    const policies = ofKind(get().objects, "NetworkPolicy");
    assert.ok(policies.some((policy) => policy.metadata.name === "default-deny-all"));
    assert.deepEqual(allowedFlowTable(policies, ENDPOINTS, PORTS, "mcp-bastion"), expectedFlows("minio"));
  });

  it("runs MinIO in the namespace for the backups, with generated credentials mounted as files", () => {
    const { objects, run } = get();
    const config = find(objects, "ConfigMap", "neo4j-backup-config").data as Json;
    assert.equal(config.S3_ENDPOINT, "http://minio.mcp-bastion.svc.cluster.local:9000");
    assert.match(String(config.S3_SECRET_ACCESS_KEY_FILE), /^\/var\/run\/secrets\//);
    const credentials = run.resources.find(
      (resource) =>
        resource.type === "kubernetes:core/v1:Secret" &&
        (resource.inputs.metadata as Json).name === "minio-credentials",
    );
    assert.ok(credentials);
    const clients = find(objects, "MeshTLSAuthentication", "object-store-clients").spec as { identityRefs: Json[] };
    assert.deepEqual(
      clients.identityRefs.map((ref) => ref.name),
      ["neo4j-backup"],
    );
  });

  it("builds the image from app/Dockerfile and deploys it by digest", () => {
    const build = get().run.resources.find((resource) => resource.type === "docker-build:index:Image");
    assert.ok(build);
    assert.match(String((build.inputs.dockerfile as Json).location), /app\/Dockerfile$/);
    assert.equal(build.inputs.push, true);
  });
});
