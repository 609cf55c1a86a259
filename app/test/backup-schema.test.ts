// A backup's schema records run as Cypher on restore: only schema commands get through.
import assert from "node:assert/strict";
import { it } from "node:test";
import { VerificationError, assertSchemaStatement } from "../src/backup/verify.js";

it("accepts the statements SHOW CONSTRAINTS and SHOW INDEXES produce", () => {
  for (const cypher of [
    "CREATE CONSTRAINT `item_uid` FOR (n:`Item`) REQUIRE (n.`uid`) IS UNIQUE",
    "CREATE RANGE INDEX `item_name` FOR (n:`Item`) ON (n.`name`)",
    "CREATE TEXT INDEX `t` FOR (n:`Item`) ON (n.`text`)",
    "CREATE FULLTEXT INDEX `f` FOR (n:`A`) ON EACH [n.`b`]",
  ]) {
    assert.doesNotThrow(() => assertSchemaStatement(cypher), cypher);
  }
});

it("refuses anything else a tampered backup might carry", () => {
  for (const cypher of [
    "MATCH (n) DETACH DELETE n",
    "CREATE (n:Admin {name: 'x'})",
    "CREATE INDEX i FOR (n:A) ON (n.b); MATCH (n) DELETE n",
    "CALL dbms.security.createUser('x', 'y', false)",
    "  DROP CONSTRAINT c",
  ]) {
    assert.throws(() => assertSchemaStatement(cypher), VerificationError, cypher);
  }
});

it("never turns an operator's id into an S3 key unless it is a backup id", async () => {
  const { BackupNotFoundError, BackupStore } = await import("../src/backup/storage.js");
  const store = new BackupStore(
    {} as never,
    { bucket: "b", prefix: "backups/", region: "us-east-1", forcePathStyle: true },
    "neo4j",
  );
  for (const id of ["../other/20261122T184001123Z", "20261122T184001123Z/..", "x", ""]) {
    await assert.rejects(store.readManifest(id), BackupNotFoundError, id);
  }
});
