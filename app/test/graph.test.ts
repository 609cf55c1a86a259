// The knowledge graph: what each tool does, and that no tool ever reaches another tenant.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({ RATE_LIMIT_BURST: "1000" });
});
after(() => server.close());

async function tenantClient(tenant: string, role = "operator") {
  const token = await server.mint({ sub: uniqueSub(`user-${tenant}`), roles: [role], extraClaims: { tenant } });
  return async (tool: string, args: Record<string, unknown> = {}) => {
    const response = await callTool(server, token, tool, args);
    assert.equal(response.status, 200, tool);
    const { result } = (await response.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
    const text = result.content[0]?.text ?? "";
    if (result.isError) return { error: text };
    return JSON.parse(text) as Record<string, unknown>;
  };
}

const people = [
  { name: "Ada", entityType: "person", observations: ["wrote the first program"] },
  { name: "Charles", entityType: "person", observations: ["designed the analytical engine"] },
  { name: "Engine", entityType: "machine", observations: [] },
];

describe("knowledge graph", () => {
  test("create, relate, observe, search, open, page and delete within a tenant", async () => {
    const call = await tenantClient(uniqueSub("t"));
    assert.equal(((await call("create_entities", { entities: people })).created as unknown[]).length, 3);
    assert.deepEqual(
      (await call("create_entities", { entities: [people[0]] })).created,
      [],
      "an existing name is left alone",
    );
    const relations = [
      { from: "Ada", to: "Engine", relationType: "programmed" },
      { from: "Charles", to: "Engine", relationType: "designed" },
      { from: "Ada", to: "Nobody", relationType: "knows" },
    ];
    assert.equal(
      ((await call("create_relations", { relations })).created as unknown[]).length,
      2,
      "no relation to a missing entity",
    );
    assert.equal(
      ((await call("create_relations", { relations })).created as unknown[]).length,
      0,
      "no duplicate relations",
    );
    assert.deepEqual(
      (
        await call("add_observations", {
          observations: [{ entityName: "Ada", contents: ["wrote the first program", "was a countess"] }],
        })
      ).results,
      [{ entityName: "Ada", added: ["was a countess"] }],
    );

    const found = await call("search_nodes", { query: "COUNTESS" });
    assert.deepEqual(
      (found.entities as Array<{ name: string }>).map((e) => e.name),
      ["Ada"],
    );
    const opened = await call("open_nodes", { names: ["Ada", "Engine"] });
    assert.deepEqual(opened.relations, [{ from: "Ada", to: "Engine", relationType: "programmed" }]);

    const first = await call("read_graph", { limit: 2 });
    assert.deepEqual(
      (first.entities as Array<{ name: string }>).map((e) => e.name),
      ["Ada", "Charles"],
    );
    assert.equal(first.nextCursor, "Charles");
    const second = await call("read_graph", { limit: 2, cursor: first.nextCursor });
    assert.deepEqual(
      (second.entities as Array<{ name: string }>).map((e) => e.name),
      ["Engine"],
    );
    assert.equal(second.nextCursor, undefined);

    assert.equal(
      (await call("delete_observations", { deletions: [{ entityName: "Ada", observations: ["was a countess"] }] }))
        .entitiesChanged,
      1,
    );
    assert.equal((await call("delete_relations", { relations: [relations[0]] })).deleted, 1);
    assert.equal((await call("delete_entities", { entityNames: ["Charles"] })).deleted, 1);
    const left = await call("read_graph");
    assert.deepEqual(
      (left.entities as Array<{ name: string; observations: string[] }>).map((e) => [e.name, e.observations]),
      [
        ["Ada", ["wrote the first program"]],
        ["Engine", []],
      ],
    );
    assert.deepEqual(left.relations, [], "the deleted entity took its relation along");
  });

  test("the audit trail records each call's argument shape, never its values", async () => {
    const tenant = uniqueSub("shape");
    const token = await server.mint({ sub: tenant, roles: ["operator"], extraClaims: { tenant } });
    await callTool(server, token, "create_entities", {
      entities: [{ name: "Secret Name", entityType: "classified", observations: ["the launch code is 0000"] }],
    });
    await server.server.app.auditor.flush();
    const { records } = await server.server.driver.executeQuery(
      "MATCH (e:AuditEvent {principal: $sub, tool: 'create_entities'}) RETURN e.detail AS detail",
      { sub: tenant },
    );
    const detail = records[0]?.get("detail") as string;
    assert.equal(detail, "arguments {entities:array(1)}");
    for (const line of server.logs) assert.ok(!line.includes("launch code"), "argument values never reach the log");
  });

  test("tenant isolation across every graph tool", async () => {
    const a = await tenantClient(uniqueSub("alpha"));
    const b = await tenantClient(uniqueSub("beta"));
    await a("create_entities", { entities: people });
    await a("create_relations", { relations: [{ from: "Ada", to: "Engine", relationType: "programmed" }] });

    // B sees nothing of A.
    assert.deepEqual((await b("search_nodes", { query: "a" })).entities, []);
    assert.deepEqual((await b("open_nodes", { names: ["Ada", "Engine"] })).entities, []);
    assert.deepEqual((await b("read_graph")).entities, []);
    // B's writes do not touch A's entities of the same names.
    assert.deepEqual(
      (await b("add_observations", { observations: [{ entityName: "Ada", contents: ["from beta"] }] })).results,
      [],
    );
    assert.deepEqual(
      (await b("create_relations", { relations: [{ from: "Ada", to: "Charles", relationType: "knows" }] })).created,
      [],
    );
    assert.equal(
      (
        await b("delete_observations", {
          deletions: [{ entityName: "Ada", observations: ["wrote the first program"] }],
        })
      ).entitiesChanged,
      0,
    );
    assert.equal(
      (await b("delete_relations", { relations: [{ from: "Ada", to: "Engine", relationType: "programmed" }] })).deleted,
      0,
    );
    assert.equal((await b("delete_entities", { entityNames: ["Ada", "Charles", "Engine"] })).deleted, 0);
    // B may create the same names; they are B's own.
    assert.equal(
      ((await b("create_entities", { entities: [{ name: "Ada", entityType: "robot" }] })).created as unknown[]).length,
      1,
    );

    const aGraph = await a("read_graph");
    assert.deepEqual(
      (aGraph.entities as Array<{ name: string; entityType: string; observations: string[] }>).map((e) => [
        e.name,
        e.entityType,
        e.observations.length,
      ]),
      [
        ["Ada", "person", 1],
        ["Charles", "person", 1],
        ["Engine", "machine", 0],
      ],
    );
    assert.deepEqual(aGraph.relations, [{ from: "Ada", to: "Engine", relationType: "programmed" }]);
    assert.deepEqual((await b("read_graph")).entities, [{ name: "Ada", entityType: "robot", observations: [] }]);
  });

  test("no argument can name a tenant; tokens without a tenant use the default one", async () => {
    const call = await tenantClient(uniqueSub("gamma"));
    const result = await call("read_graph", { tenant: "default" });
    assert.match(String(result.error), /invalid arguments/);
    const noTenant = await server.mint({ sub: uniqueSub("plain"), roles: ["readonly"] });
    const response = await callTool(server, noTenant, "whoami");
    assert.equal(response.status, 200);
  });

  test("a malformed tenant claim is refused", async () => {
    for (const tenant of [["a", "b"], "", "../other", "x".repeat(200), 42]) {
      const token = await server.mint({ sub: uniqueSub("bad-tenant"), roles: ["operator"], extraClaims: { tenant } });
      assert.equal((await callTool(server, token, "read_graph")).status, 401, JSON.stringify(tenant));
    }
  });

  test("hostile relation types and names are data, not Cypher", async () => {
    const call = await tenantClient(uniqueSub("delta"));
    const hostile = "x`]->() DETACH DELETE n //";
    await call("create_entities", {
      entities: [
        { name: hostile, entityType: "}) MATCH (n) DETACH DELETE n //" },
        { name: "b", entityType: "t" },
      ],
    });
    await call("create_relations", {
      relations: [{ from: hostile, to: "b", relationType: "KNOWS]->(x) DELETE x //" }],
    });
    const graph = await call("read_graph");
    assert.equal((graph.entities as unknown[]).length, 2);
    assert.deepEqual(graph.relations, [{ from: hostile, to: "b", relationType: "KNOWS]->(x) DELETE x //" }]);
  });

  test("bad arguments are refused with the field named", async () => {
    const call = await tenantClient(uniqueSub("eps"));
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["create_entities", { entities: [] }, /entities/],
      [
        "create_entities",
        {
          entities: [
            { name: "a", entityType: "t" },
            { name: "a", entityType: "t" },
          ],
        },
        /distinct/,
      ],
      ["create_entities", { entities: [{ name: "x".repeat(300), entityType: "t" }] }, /entities\.0\.name/],
      ["create_relations", { relations: [{ from: "a", to: "b" }] }, /relationType/],
      ["search_nodes", { query: "" }, /query/],
      ["read_graph", { limit: 10_000 }, /limit/],
    ];
    for (const [tool, args, message] of cases) {
      const result = await call(tool, args);
      assert.match(String(result.error), message, `${tool} ${JSON.stringify(args)}`);
    }
  });
});
