// Restore by Neo4j's bulk importer, end to end with the real commands, real Neo4j and real
// MinIO: a backup of every property type, and of every value the importer's CSV cannot carry,
// imported into a stopped Neo4j home, finished online once Neo4j runs on it, and judged by the
// driver-only checksum against the source. Damage, a database that is there and one in use are
// refused before the importer writes anything.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import neo4j, { type Driver } from "neo4j-driver";
import { startNeo4j, type Neo4jInstance } from "../../scripts/dev-services/neo4j.js";
import { generateGraph, graphDigest } from "../../scripts/dev-services/backup-graph.js";
import { BackupCopies, backupCommand, backupTestServices, lastJson, restoreCommand } from "./support/backup-cli.js";

/** Values and names the importer's CSV cannot carry as they are, or that its syntax could misread. */
async function addImportEdgeCases(driver: Driver): Promise<void> {
  const session = driver.session();
  try {
    await session.run(
      `CREATE (n:Edge:\`A:B\`:\`with space\`:\`c,omma\`:\`q"uote\` {uid: 900001})
       SET n.emptyList = [], n.emptyBytes = $emptyBytes, n.oneEmpty = [''], n.delimited = ['a' + $us + 'b', 'c'],
           n.offsetSeconds = time({hour: 1, minute: 2, timezone: '+01:00:30'}),
           n.oldBerlin = datetime({year: 1800, month: 1, day: 1, hour: 12, timezone: 'Europe/Berlin'}),
           n.overlapEarly = datetime('2021-10-31T02:30:00+02:00[Europe/Berlin]'),
           n.overlapLate = datetime('2021-10-31T02:30:00+01:00[Europe/Berlin]'),
           n.firstDay = date('-999999999-01-01'), n.lastDay = date('+999999999-12-31'), n.yearZero = date('0000-01-01'),
           n.farTime = localdatetime('+10000-01-01T00:00:00.000000001'),
           n.negativeNanos = duration({seconds: -5, nanoseconds: -1}), n.mixedDuration = duration('P-3M2DT-0.5S'),
           n.tiny = 5e-324, n.huge = 1e21, n.negZero = -0.0, n.nan = 0.0 / 0.0,
           n.geo = point({longitude: -0.0, latitude: 52.5}), n.space = point({x: 0.1, y: 0.2, z: -0.0}),
           n.\`a:b\` = 'colon key', n.\`x,y\` = 'comma key', n.\`q"k\` = 'quote key', n.\`:ID\` = 'id key', n.\`line
break key\` = 'line break key',
           n.\` spaced \` = '  padded  ', n.text = 'say "hi", then\nnew line\r\nand \\\\ back\\\\slash', n.nul = 'a' + $nul + 'b',
           n.word = 'NaN', n.big = $big`,
      { emptyBytes: new Int8Array(0), us: "\u001f", nul: "\u0000", big: "x".repeat(5 * 1024 * 1024) },
    );
    await session.run("MATCH (n {uid: 900001}) SET n:$($label)", { label: "odd\u001flabel" });
    await session.run(
      `CREATE (:Shape {uid: 900002, v: 1}), (:Shape {uid: 900003, v: 'one'}), (:Shape {uid: 900004, v: [1, 2]}), ({uid: 900005})`,
    );
    await session.run(
      `MATCH (a {uid: 900001}), (b {uid: 900002}), (c {uid: 900005})
       CREATE (a)-[:$($type) {emptyList: [], w: 1}]->(b), (b)-[:PLAIN {at: date('2020-01-01'), p: point({x: 1.0, y: 2.0})}]->(c),
              (c)-[:PLAIN]->(c)`,
      { type: 'REL,TYPE "q"' },
    );
  } finally {
    await session.close();
  }
}

describe("restore by bulk import", { timeout: 900_000 }, () => {
  let work: string;
  let passwordFile: string;
  let password: string;
  let source: Neo4jInstance;
  let sourceDriver: Driver;
  let targetHome: string;
  let target: Neo4jInstance | undefined;
  let targetDriver: Driver | undefined;
  let env: NodeJS.ProcessEnv;
  let copies: BackupCopies;
  let manifest: Record<string, unknown>;
  const bucket = `import-test-${Date.now().toString(36)}`;

  async function startTarget(): Promise<Driver> {
    target = await startNeo4j({ homeDir: targetHome, passwordFile, heap: "1g", pageCacheMb: 128 });
    targetDriver = neo4j.driver(target.uri, neo4j.auth.basic("neo4j", password));
    return targetDriver;
  }

  async function stopTarget(): Promise<void> {
    await targetDriver?.close();
    await target?.process.stop();
    [target, targetDriver] = [undefined, undefined];
  }

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-import-"));
    passwordFile = path.join(work, "neo4j-password");
    await writeFile(passwordFile, `pw-${Math.random().toString(36).slice(2)}-x`, { mode: 0o600 });
    password = readFileSync(passwordFile, "utf8");
    targetHome = path.join(work, "target");
    await Promise.all([mkdir(path.join(work, "source")), mkdir(targetHome)]);
    source = await startNeo4j({ homeDir: path.join(work, "source"), passwordFile, heap: "1g", pageCacheMb: 128 });
    sourceDriver = neo4j.driver(source.uri, neo4j.auth.basic("neo4j", password));
    const services = backupTestServices(source.uri, passwordFile, bucket);
    env = services.env;
    copies = new BackupCopies(services.s3, bucket);
    await generateGraph(sourceDriver, 3000, 6000);
    await addImportEdgeCases(sourceDriver);
  });

  after(async () => {
    await sourceDriver?.close();
    await stopTarget();
    await source?.process.stop();
    await rm(work, { recursive: true, force: true });
  });

  const importInto = (id: string, ...args: string[]) =>
    restoreCommand(env, ["restore", id, "--import-into", targetHome, "--json", ...args]);
  const finish = (id: string) => restoreCommand(env, ["restore", id, "--to", target?.uri ?? "", "--json"]);

  it("imports a backup of every value into a stopped Neo4j and finishes it online to an identical graph", async () => {
    const backup = await backupCommand(env, "--json");
    assert.equal(backup.status, 0, backup.stderr);
    manifest = lastJson(backup.stdout);
    const imported = await importInto("latest");
    assert.equal(imported.status, 0, imported.stderr);
    const report = lastJson(imported.stdout);
    assert.equal(report.imported, true);
    // Every edge-case node defers something (empty list, offset of seconds, label with the delimiter).
    assert.ok((report.deferred as { nodes: number }).nodes >= 1, JSON.stringify(report.deferred));
    assert.equal((report.deferred as { relationships: number }).relationships, 1);

    const driver = await startTarget();
    const finished = await finish("latest");
    assert.equal(finished.status, 0, finished.stderr);
    assert.equal(lastJson(finished.stdout).resumed, true);
    const [expected, actual] = await Promise.all([graphDigest(sourceDriver), graphDigest(driver)]);
    assert.equal(actual.nodes, expected.nodes);
    assert.equal(actual.relationships, expected.relationships);
    assert.deepEqual(actual.schema, expected.schema);
    assert.equal(actual.sha256, expected.sha256, "the imported graph is identical");
    const leftovers = await driver.executeQuery(
      `RETURN COUNT { MATCH (n) WHERE n:__McpBastionRestore OR n:__McpBastionRestoreNode OR n.__restoreDeferred IS NOT NULL } AS nodes,
              COUNT { MATCH ()-[r]->() WHERE r.__restoreDeferred IS NOT NULL } AS relationships`,
    );
    assert.deepEqual(
      [Number(leftovers.records[0]?.get("nodes")), Number(leftovers.records[0]?.get("relationships"))],
      [0, 0],
      "no bookkeeping of the restore is left",
    );
  });

  it("refuses a database that is there without --wipe, and one in use, before reading the backup", async () => {
    assert.ok(targetDriver, "the target runs");
    const before = await graphDigest(targetDriver);
    const there = await importInto("latest");
    assert.equal(there.status, 5, there.stderr);
    assert.match(there.stderr, /database neo4j already exists in .* pass --wipe/);
    const inUse = await importInto("latest", "--wipe");
    assert.equal(inUse.status, 6, inUse.stderr);
    assert.match(inUse.stderr, /target in use: database neo4j in .* is in use: stop Neo4j/);
    assert.equal((await graphDigest(targetDriver)).sha256, before.sha256, "the running database is untouched");
  });

  it("refuses a damaged backup before the importer runs, and leaves the database as it was", async () => {
    assert.ok(targetDriver, "the target runs");
    const before = await graphDigest(targetDriver);
    await stopTarget();
    const lines = await copies.lines(manifest);
    const index = lines.findIndex((line) => line.includes('"uid":{"i":"7"}'));
    lines[index] = (lines[index] as string).replace('"uid":{"i":"7"}', '"uid":{"i":"7x"}');
    await copies.with(manifest, "29990101T000000000Z", lines, {}, async () => {
      const refused = await importInto("29990101T000000000Z", "--wipe");
      assert.equal(refused.status, 4, refused.stderr);
      assert.match(refused.stderr, /verification failed: record \d+: not an integer: "7x"/);
    });
    // The importer keys a node by the number its element id ends in: a node of another database's
    // prefix with the same number would share a key with one of this backup, and is refused.
    const intact = await copies.lines(manifest);
    const nodeLine = intact.find((line) => line.startsWith('{"k":"node"')) as string;
    const node = JSON.parse(nodeLine) as { id: string };
    const twin = JSON.stringify({
      ...node,
      id: node.id.replace(/^(.*):(\d+)$/, "4:00000000-0000-0000-0000-000000000000:$2"),
    });
    const withTwin = intact.flatMap((line) => (line === nodeLine ? [line, twin] : [line]));
    await copies.with(manifest, "29990101T000000001Z", withTwin, {}, async () => {
      const refused = await importInto("29990101T000000001Z", "--wipe");
      assert.equal(refused.status, 4, refused.stderr);
      assert.match(
        refused.stderr,
        /verification failed: record \d+: node id "4:00000000-[^"]*" is not one this restore can key/,
      );
    });
    const driver = await startTarget();
    assert.equal((await graphDigest(driver)).sha256, before.sha256, "the database still holds the earlier graph");
  });

  it("imports a node that only a relationship carries whole, once, and counts it as endpoint-only", async () => {
    await stopTarget();
    const lines = await copies.lines(manifest);
    const end = JSON.parse(lines.pop() ?? "") as { relationships: number };
    const existing = (JSON.parse(lines.find((line) => line.startsWith('{"k":"node"')) ?? "") as { id: string }).id;
    // The highest number an element id may end in: its key is one below the restore marker's.
    const created = existing.replace(/\d+$/, "999999999999999");
    const added = [
      {
        k: "rel",
        id: "5:late:1",
        type: "LATE",
        props: {},
        start: { id: created, labels: ["Late"], props: { uid: { i: "-5" }, none: { l: [] } } },
        end: existing,
      },
      { k: "rel", id: "5:late:2", type: "LATE", props: {}, start: existing, end: created },
    ];
    const counts = manifest.counts as { relationships: number; relationshipsByType: Record<string, number> };
    const changes = {
      counts: {
        ...counts,
        relationships: counts.relationships + added.length,
        relationshipsByType: { ...counts.relationshipsByType, LATE: added.length },
      },
    };
    const withLate = [
      ...lines,
      ...added.map((record) => JSON.stringify(record)),
      JSON.stringify({ ...end, relationships: end.relationships + added.length }),
    ];
    await copies.with(manifest, "29990102T000000000Z", withLate, changes, async () => {
      const imported = await importInto("29990102T000000000Z", "--wipe");
      assert.equal(imported.status, 0, imported.stderr);
      const driver = await startTarget();
      const finished = await finish("29990102T000000000Z");
      assert.equal(finished.status, 0, finished.stderr);
      assert.equal(lastJson(finished.stdout).endpointOnlyNodes, 1);
      const late = await driver.executeQuery(
        "MATCH (n:Late) RETURN n.uid AS uid, n.none AS none, COUNT { (n)--() } AS links",
      );
      assert.deepEqual(
        late.records.map((record) => [Number(record.get("uid")), record.get("none"), Number(record.get("links"))]),
        [[-5, [], 2]],
      );
    });
  });
});
