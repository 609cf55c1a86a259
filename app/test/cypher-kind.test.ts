// A traced Neo4j query exports its kind only: the first clause, from a closed list.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cypherKind } from "../src/telemetry/otel.js";

test("the kind is the leading clause keyword, and nothing of the query's text otherwise", () => {
  assert.equal(cypherKind("MATCH (n:Entity {name: 'secret-value'}) RETURN n"), "MATCH");
  assert.equal(cypherKind("  merge (n:Entity {name: $name})"), "MERGE");
  assert.equal(cypherKind("// a comment naming secret-value\nUNWIND $rows AS row CREATE (n)"), "UNWIND");
  assert.equal(cypherKind({ text: "CALL db.awaitIndexes(60)", parameters: { secret: "x" } }), "CALL");
  assert.equal(cypherKind("secretvalue MATCH (n) RETURN n"), "OTHER", "a word that is no clause is never exported");
  assert.equal(cypherKind(""), "OTHER");
  assert.equal(cypherKind(undefined), "OTHER");
});
