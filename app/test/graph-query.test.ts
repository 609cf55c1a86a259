// graph_query: a corpus of write and admin attempts, each refused with its rule named before it
// reaches Neo4j; read queries work; and the READ transaction stops what a check might miss.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runReadOnly } from "../src/store/read-only-query.js";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let server: TestServer;
let admin: string;
before(async () => {
  server = await startTestServer({ RATE_LIMIT_BURST: "1000" });
  admin = await server.mint({ sub: uniqueSub("dba"), roles: ["admin"] });
});
after(() => server.close());

async function graphQuery(query: string, params: Record<string, unknown> = {}) {
  const response = await callTool(server, admin, "graph_query", { query, params });
  assert.equal(response.status, 200);
  const { result } = (await response.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
  return { isError: result.isError === true, text: result.content[0]?.text ?? "" };
}

const attacks: Array<[string, RegExp]> = [
  ["CREATE (n:Pwned)", /CREATE/],
  ["MATCH (n) DETACH DELETE n", /DELETE|DETACH/],
  ["MATCH (n) DELETE n", /DELETE/],
  ["MERGE (n:Pwned {x: 1})", /MERGE/],
  ["MATCH (n:Entity) SET n.name = 'x'", /SET/],
  ["MATCH (n:Entity) REMOVE n.name", /REMOVE/],
  ["match (n) detach delete n", /DELETE|DETACH/],
  ["MATCH (n) /* harmless */ DeLeTe n", /DELETE/],
  ["LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", /LOAD/],
  ["CALL dbms.security.listUsers()", /procedure dbms.security.listusers/],
  ["CALL dbms.killQueries(['x'])", /procedure dbms.killqueries/],
  ["CALL apoc.cypher.runWrite('CREATE (n)', {})", /procedure apoc.cypher.runwrite/],
  ["CALL db.createLabel('Pwned')", /procedure db.createlabel/],
  ["CALL db.index.fulltext.createNodeIndex('x', ['A'], ['b'])", /procedure db.index.fulltext.createnodeindex/],
  ["CREATE INDEX pwned FOR (n:A) ON (n.b)", /CREATE/],
  ["DROP CONSTRAINT entity_tenant_name", /DROP/],
  ["CREATE USER mallory SET PASSWORD 'x'", /CREATE/],
  ["ALTER USER neo4j SET PASSWORD 'owned'", /ALTER|SET/],
  ["GRANT ROLE admin TO mallory", /GRANT/],
  ["SHOW USERS", /SHOW/],
  ["USE system MATCH (n) RETURN n", /USE/],
  ["MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS", /DELETE|DETACH|TRANSACTIONS/],
  ["UNWIND range(1,10) AS i FOREACH (x IN [i] | CREATE (:P))", /FOREACH|CREATE/],
  ["RETURN apoc.text.join(['a'], ',')", /apoc/],
  ["MATCH (n) RETURN n; CREATE (m)", /CREATE/],
  ["STOP DATABASE neo4j", /STOP/],
  ["CALL db.labels() YIELD label CALL db.createProperty('x') RETURN label", /procedure db.createproperty/],
  ["MATCH (n) RETURN n /* unterminated", /unterminated comment/],
  ["MATCH (n) WHERE n.name = 'unterminated RETURN n", /unterminated quote/],
  ["MATCH (n) ＣＲＥＡＴＥ (m) RETURN n", /CREATE/],
  ["MATCH (n) \u0000CREATE (m)", /CREATE|printable/],
];

describe("graph_query", () => {
  for (const [query, rule] of attacks) {
    test(`refused: ${JSON.stringify(query).slice(0, 70)}`, async () => {
      // Audit events are written in the background meanwhile; everything else must stay put.
      const census = "MATCH (n) WHERE NOT n:AuditEvent RETURN count(n) AS n";
      const before = await server.server.driver.executeQuery(census);
      const result = await graphQuery(query);
      assert.equal(result.isError, true, result.text);
      assert.match(result.text, /^blocked: /);
      assert.match(result.text, rule);
      const afterCount = await server.server.driver.executeQuery(census);
      assert.equal(afterCount.records[0]?.get("n"), before.records[0]?.get("n"), "nothing was written");
    });
  }

  test("read queries run, with parameters, and keywords inside strings and names are only text", async () => {
    const tenant = uniqueSub("q");
    await server.server.driver.executeQuery(
      "CREATE (:Entity {tenant: $tenant, name: 'CREATE me', entityType: 'SET', observations: ['DELETE all']})",
      { tenant },
    );
    const result = await graphQuery(
      "MATCH (e:Entity {tenant: $tenant}) WHERE e.name = 'CREATE me' RETURN e.name AS `DELETE`, e.observations AS obs",
      { tenant },
    );
    assert.equal(result.isError, false, result.text);
    assert.deepEqual(JSON.parse(result.text), {
      columns: ["DELETE", "obs"],
      rows: [{ DELETE: "CREATE me", obs: ["DELETE all"] }],
      truncated: false,
    });
    const labels = await graphQuery("CALL db.labels() YIELD label RETURN label ORDER BY label");
    assert.equal(labels.isError, false, labels.text);
    assert.ok(
      (JSON.parse(labels.text) as { rows: Array<{ label: string }> }).rows.some((row) => row.label === "Entity"),
    );
  });

  test("nodes, temporal values and points come back as plain JSON", async () => {
    const result = await graphQuery(
      "RETURN {a: 1} AS m, date('2024-02-29') AS d, point({x: 1, y: 2}) AS p, [1, 2.5, 'x'] AS l",
    );
    assert.equal(result.isError, false, result.text);
    const row = (JSON.parse(result.text) as { rows: Array<Record<string, unknown>> }).rows[0];
    assert.deepEqual(row, { m: { a: 1 }, d: "2024-02-29", p: { srid: 7203, x: 1, y: 2 }, l: [1, 2.5, "x"] });
  });

  test("a stored byte array comes back as base64, not as an object of one key per byte", async () => {
    const uid = uniqueSub("bytes");
    await server.server.driver.executeQuery("CREATE (:ByteHolder {uid: $uid, bytes: $bytes})", {
      uid,
      bytes: new Int8Array([0, 1, 127, -128, -1]),
    });
    const result = await graphQuery("MATCH (n:ByteHolder {uid: $uid}) RETURN n.bytes AS b", { uid });
    assert.equal(result.isError, false, result.text);
    const row = (JSON.parse(result.text) as { rows: Array<Record<string, unknown>> }).rows[0];
    assert.deepEqual(row, { b: Buffer.from([0, 1, 127, 128, 255]).toString("base64") });
  });

  test("the row limit cuts long results and says so", async () => {
    const result = await graphQuery("UNWIND range(1, 5000) AS i RETURN i");
    const body = JSON.parse(result.text) as { rows: unknown[]; truncated: boolean };
    assert.equal(body.rows.length, 1000);
    assert.equal(body.truncated, true);
  });

  test("the READ transaction refuses a write that got past the check", async () => {
    await assert.rejects(
      runReadOnly(server.server.driver, "neo4j", "CREATE (:ShouldNotExist)", {}, { timeoutMs: 5_000, maxRows: 10 }),
      /read access mode|not allowed/i,
    );
    const { records } = await server.server.driver.executeQuery("MATCH (n:ShouldNotExist) RETURN count(n) AS n");
    assert.equal(records[0]?.get("n"), 0);
  });

  test("a query over its time is stopped", async () => {
    await assert.rejects(
      runReadOnly(
        server.server.driver,
        "neo4j",
        "UNWIND range(1, 100000000) AS i WITH i WHERE i < 0 RETURN count(i)",
        {},
        { timeoutMs: 200, maxRows: 10 },
      ),
      /timeout|terminated|transaction/i,
    );
  });
});
