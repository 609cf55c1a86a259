// The allowed cells of the role x tool matrix on the real services: each role's permitted
// tools really run (graph tools and graph_query on Neo4j, run_python in its sandbox). The
// refusals, tools/list and the batch rules are the fast tier's (fast/permission-matrix.test.ts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ROLES } from "../src/access/roles.js";
import { ARGS, EXPECTED } from "./support/permission-table.js";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

describe("permission matrix: allowed cells run their tool", () => {
  for (const role of ROLES) {
    for (const [tool, cells] of Object.entries(EXPECTED)) {
      if (!cells[role]) continue;
      test(`${role} x ${tool}: allowed`, async () => {
        const sub = uniqueSub(`${role}-${tool}`);
        // Each cell in a tenant of its own, so cells never see each other's data.
        const token = await server.mint({ sub, roles: [role], extraClaims: { tenant: sub } });
        const response = await callTool(server, token, tool, ARGS[tool]);
        assert.equal(response.status, 200);
        const body = (await response.json()) as { result?: { isError?: boolean; content: Array<{ text: string }> } };
        if (tool === "fetch_url") assert.match(body.result?.content[0]?.text ?? "", /^blocked: loopback/);
        else if (tool === "read_file") assert.match(body.result?.content[0]?.text ?? "", /^blocked: no such file/);
        else assert.notEqual(body.result?.isError, true);
      });
    }
  }
});
