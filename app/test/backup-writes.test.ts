// The restore's batches against real Neo4j: two are in flight at once, yet they commit one after
// the other in the order they were read, each only where the marker's position says the batch
// before it left off. A batch that is not in turn writes nothing, and a failed batch stops the
// one behind it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Driver } from "neo4j-driver";
import { startNeo4j, type Neo4jInstance } from "../../scripts/dev-services/neo4j.js";
import { backupDriver } from "../src/backup/driver.js";
import { RESTORE_ID_KEY, RESTORE_MARKER_LABEL, RESTORE_STAGED_LABEL } from "../src/backup/records.js";
import { GraphWriter } from "../src/backup/writes.js";

const DB = "4:2b6fbc0e-3d1e-4a3f-9a39-5c3f1f2e8c11:";
const node = (id: number) => ({ id: `${DB}${id}`, labels: ["Item"], props: { uid: { i: String(id) } } });
const relationship = (id: number, start: number, end: number) => ({
  id: `5:2b6fbc0e-3d1e-4a3f-9a39-5c3f1f2e8c11:${id}`,
  type: "LINKS",
  props: { at: { i: String(id) } },
  start: `${DB}${start}`,
  end: `${DB}${end}`,
});

describe("restore batches", { timeout: 300_000 }, () => {
  let work: string;
  let instance: Neo4jInstance;
  let driver: Driver;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-writes-"));
    const passwordFile = path.join(work, "password");
    await writeFile(passwordFile, `pw-${Math.random().toString(36).slice(2)}-x`, { mode: 0o600 });
    instance = await startNeo4j({ homeDir: work, passwordFile });
    driver = backupDriver({
      uri: instance.uri,
      user: "neo4j",
      password: readFileSync(passwordFile, "utf8"),
    });
    await driver.executeQuery(
      `CREATE CONSTRAINT IF NOT EXISTS FOR (n:${RESTORE_STAGED_LABEL}) REQUIRE n.${RESTORE_ID_KEY} IS UNIQUE`,
    );
  });

  after(async () => {
    await driver?.close();
    await instance?.process.stop();
    await rm(work, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await driver.executeQuery("MATCH (n) DETACH DELETE n");
    await driver.executeQuery(`CREATE (:${RESTORE_MARKER_LABEL} {backupId: 'test', phase: 'load', line: 0})`);
  });

  const marker = async () => {
    const record = (
      await driver.executeQuery(`MATCH (m:${RESTORE_MARKER_LABEL}) RETURN m.line AS line, m.writing AS writing`)
    ).records[0];
    return { line: Number(record?.get("line")), writing: record?.get("writing") as unknown };
  };
  const count = async (pattern: string) =>
    Number((await driver.executeQuery(`MATCH ${pattern} RETURN count(*) AS count`)).records[0]?.get("count"));
  const writer = (line: number, rows = 1) =>
    new GraphWriter(driver, "neo4j", { rows, bytes: 4 * 1024 * 1024 }, line, () => undefined);

  it("commits many small batches in flight exactly once each, in order", async () => {
    const written: number[] = [];
    const ordered = new GraphWriter(driver, "neo4j", { rows: 1, bytes: 4 * 1024 * 1024 }, 0, (_kind, rows) =>
      written.push(rows),
    );
    for (let id = 1; id <= 150; id += 1) await ordered.addNode(node(id), 50, id);
    for (let id = 1; id <= 150; id += 1)
      await ordered.addRelationship(relationship(id, id, (id % 150) + 1), 50, 150 + id);
    await ordered.finish();
    assert.equal(written.length, 300, "every batch reported once");
    assert.equal(await count(`(n:${RESTORE_STAGED_LABEL})`), 150);
    assert.equal(await count("()-[r:LINKS]->()"), 150);
    // Each relationship joins the nodes its line names: the nodes were all in before the first of them.
    assert.equal(await count("(a)-[r:LINKS]->(b) WHERE b.uid = a.uid % 150 + 1 AND r.at = a.uid"), 150);
    assert.deepEqual(await marker(), { line: 300, writing: null });
  });

  it("writes nothing when the marker is not where the batch before it left off", async () => {
    const first = writer(0, 2);
    for (let id = 1; id <= 4; id += 1) await first.addNode(node(id), 50, id);
    await first.finish();
    assert.deepEqual(await marker(), { line: 4, writing: null });
    // A writer that believes the restore is at line 2: another run has written since.
    const stale = writer(2);
    await stale.addNode(node(5), 50, 3).catch(() => undefined);
    await assert.rejects(stale.finish(), /the restore's marker is not at line 2: another restore is writing/);
    assert.equal(await count(`(n:${RESTORE_STAGED_LABEL})`), 4);
    assert.deepEqual(await marker(), { line: 4, writing: null }, "and the marker is as it was");
  });

  it("stops the batch behind a failed one: it is not written, and the position stays before both", async () => {
    const writes = writer(0);
    for (let id = 1; id <= 4; id += 1) await writes.addNode(node(id), 50, id);
    // The first relationship names a node no batch wrote; the second is sound.
    await writes.addRelationship(relationship(1, 1, 99), 50, 5);
    await writes.addRelationship(relationship(2, 1, 2), 50, 6).catch(() => undefined);
    await assert.rejects(
      writes.finish(),
      /1 of 1 relationships in a batch name an endpoint that is not in the restored graph/,
    );
    assert.equal(await count("()-[r]->()"), 0);
    assert.deepEqual(await marker(), { line: 4, writing: null });
  });
});
