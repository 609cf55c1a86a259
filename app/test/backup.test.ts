// Backup and restore end to end, with the real commands (the image's `backup`, the operator's
// `npm run restore`), real Neo4j (a source and a target of its own) and real MinIO. The
// restored graph is judged by a checksum computed with the driver alone.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import neo4j, { type Driver } from "neo4j-driver";
import { startNeo4j, type Neo4jInstance } from "../../scripts/dev-services/neo4j.js";
import {
  BackupCopies,
  backupCommand,
  backupTestServices,
  lastJson,
  restoreCommand,
  runCli,
} from "./support/backup-cli.js";
import { generateGraph, graphDigest } from "../../scripts/dev-services/backup-graph.js";
import { BACKUP_NODE_OPTIONS } from "../../infra/charts/backup.js";
import { backupDriver } from "../src/backup/driver.js";
import { loadBackupConfig } from "../src/backup/config.js";
import { restoreBackup } from "../src/backup/restore.js";
import { BackupStore, createS3Client } from "../src/backup/storage.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODES = 100_000;
const RELATIONSHIPS = 200_000;
const SMALL = 10_000;

describe("backup and restore", { timeout: 900_000 }, () => {
  let work: string;
  let source: Neo4jInstance;
  let target: Neo4jInstance;
  let sourceDriver: Driver;
  let targetDriver: Driver;
  let env: NodeJS.ProcessEnv;
  let s3: S3Client;
  const bucket = `backup-test-${Date.now().toString(36)}`;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-backup-"));
    const passwordFile = path.join(work, "neo4j-password");
    await writeFile(passwordFile, `pw-${Math.random().toString(36).slice(2)}-x`, { mode: 0o600 });
    await Promise.all(["source", "target"].map((name) => mkdir(path.join(work, name))));
    [source, target] = await Promise.all([
      startNeo4j({ homeDir: path.join(work, "source"), passwordFile, heap: "1g", pageCacheMb: 256 }),
      startNeo4j({ homeDir: path.join(work, "target"), passwordFile, heap: "1g", pageCacheMb: 256 }),
    ]);
    const password = readFileSync(passwordFile, "utf8");
    sourceDriver = neo4j.driver(source.uri, neo4j.auth.basic("neo4j", password));
    targetDriver = neo4j.driver(target.uri, neo4j.auth.basic("neo4j", password));
    ({ s3, env } = backupTestServices(source.uri, passwordFile, bucket));
    copies = new BackupCopies(s3, bucket);
    await generateGraph(sourceDriver, NODES, RELATIONSHIPS);
  });

  after(async () => {
    await Promise.all([sourceDriver?.close(), targetDriver?.close()]);
    await Promise.all([source?.process.stop(), target?.process.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  let manifest: Record<string, unknown>;

  let copies: BackupCopies;
  const backupLines = () => copies.lines(manifest);
  const withBackupCopy = (id: string, lines: string[], changes: Record<string, unknown>, use: () => Promise<void>) =>
    copies.with(manifest, id, lines, changes, use);

  it("backs up 100k nodes and 200k relationships of every property type and restores an identical graph", async () => {
    // The graph holds a real byte array (the driver writes only an Int8Array as one, and reads one back as it).
    const stored = await sourceDriver.executeQuery("MATCH (n:Item {uid: 0}) RETURN n.bytes AS bytes");
    assert.ok(stored.records[0]?.get("bytes") instanceof Int8Array, "n.bytes is a byte array");
    const backup = await backupCommand(env, "--json");
    assert.equal(backup.status, 0, backup.stderr);
    manifest = lastJson(backup.stdout);
    const counts = manifest.counts as { nodes: number; relationships: number; schema: number };
    assert.ok(counts.nodes >= NODES && counts.relationships >= RELATIONSHIPS, JSON.stringify(counts));
    assert.equal(counts.schema, 3);

    const restored = await restoreCommand(env, ["restore", "latest", "--to", target.uri, "--json"]);
    assert.equal(restored.status, 0, restored.stderr);
    const [expected, actual] = await Promise.all([graphDigest(sourceDriver), graphDigest(targetDriver)]);
    assert.equal(actual.nodes, expected.nodes);
    assert.equal(actual.relationships, expected.relationships);
    assert.deepEqual(actual.schema, expected.schema);
    assert.equal(actual.sha256, expected.sha256, "the restored graph is identical");
  });

  it("lists complete backups and verifies them", async () => {
    const list = await restoreCommand(env, ["list", "--json"]);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { id: string }[]).map((entry) => entry.id),
      [manifest.id],
    );
    const verify = await restoreCommand(env, ["verify", String(manifest.id), "--json"]);
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(lastJson(verify.stdout).sha256, manifest.dataSha256);
  });

  it("refuses to restore into a non-empty database without --wipe, and leaves it untouched", async () => {
    const before = await graphDigest(targetDriver);
    const refused = await restoreCommand(env, ["restore", "latest", "--to", target.uri]);
    assert.equal(refused.status, 5);
    assert.match(refused.stderr, /target not empty: the target database neo4j is not empty .* pass --wipe/);
    assert.equal((await graphDigest(targetDriver)).sha256, before.sha256);
  });

  it("fails verification of a corrupted data object, and never lists an interrupted backup", async () => {
    const key = String(manifest.dataKey);
    const body = (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body;
    assert.ok(body, "the data object can be read");
    const original = Buffer.from(await body.transformToByteArray());
    const corrupted = Buffer.from(original);
    const middle = Math.floor(corrupted.length / 2);
    corrupted.writeUInt8(corrupted.readUInt8(middle) ^ 0xff, middle);
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: corrupted }));
      const verify = await restoreCommand(env, ["verify", "latest"]);
      assert.equal(verify.status, 4, verify.stderr);
      // A flipped bit may still inflate, into any kind of bad line: which check sees it first varies.
      assert.match(
        verify.stderr,
        /verification failed: (SHA-256 mismatch|the data object cannot be read|line \d+: |record \d+: )/,
      );
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: original.subarray(0, Math.floor(original.length / 2)) }),
      );
      assert.equal((await restoreCommand(env, ["verify", "latest"])).status, 4, "a truncated object fails too");
    } finally {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: original }));
    }

    const interrupted = await runCli([path.join(ROOT, "app/src/main.ts"), "backup"], env, (line) =>
      /^backup: (nodes|relationships): /.test(line),
    );
    assert.equal(interrupted.status, null, `the backup was killed mid-way (${interrupted.stderr.slice(-300)})`);
    const list = await restoreCommand(env, ["list", "--json"]);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { id: string }[]).map((entry) => entry.id),
      [manifest.id],
      "the complete backup only",
    );
  });

  it("converges when a restore killed halfway is run again", async () => {
    // The rest works on a tenth of the graph: the big round trip above already proved size.
    const shrink = sourceDriver.session();
    await shrink.run(
      `MATCH (n:Item) WHERE n.uid >= ${SMALL} CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS`,
    );
    await shrink.close();
    const small = await backupCommand(env, "--json");
    assert.equal(small.status, 0, small.stderr);
    manifest = lastJson(small.stdout);
    const killed = await restoreCommand(
      env,
      ["restore", "latest", "--to", target.uri, "--wipe", "--batch-size", "1000"],
      (line) => /^(nodes|relationships): /.test(line),
    );
    assert.equal(killed.status, null, `the restore was killed mid-way (${killed.stderr.slice(-300)})`);
    const resumed = await restoreCommand(env, ["restore", "latest", "--to", target.uri, "--json"]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(lastJson(resumed.stdout).resumed, true);
    assert.equal((await graphDigest(targetDriver)).sha256, (await graphDigest(sourceDriver)).sha256);
  });

  it("resumes a restore stopped between relationship batches, writing every batch exactly once", async () => {
    // In the restore's own process: it stops right after a batch committed, as a crash would.
    const config = loadBackupConfig({ ...env, NEO4J_URI: target.uri });
    const store = new BackupStore(createS3Client(config.s3), config.s3, config.neo4j.database);
    const latest = await store.resolve("latest");
    const driver = backupDriver({ ...config.neo4j, uri: target.uri });
    try {
      // About half the relationships, in whole batches.
      const batchSize = 200;
      const stopAfter = batchSize * Math.floor(latest.counts.relationships / batchSize / 2);
      assert.ok(
        stopAfter > 0,
        `the backup holds relationships for more than one batch (${latest.counts.relationships})`,
      );
      const stopped = restoreBackup(driver, config.neo4j.database, store, latest, {
        wipe: true,
        batchSize,
        onProgress: (progress) => {
          if (progress.phase === "relationships" && progress.relationships >= stopAfter) throw new Error("stopped");
        },
      });
      await assert.rejects(stopped, /stopped/);
      const partial = await targetDriver.executeQuery("MATCH ()-[r]->() RETURN count(r) AS relationships");
      // The batch after it may have been in flight already, and commits in its turn.
      assert.ok(
        [stopAfter, stopAfter + batchSize].includes(Number(partial.records[0]?.get("relationships"))),
        `the batches that committed, and no more: ${String(partial.records[0]?.get("relationships"))} of ${stopAfter} or ${stopAfter + batchSize}`,
      );
      const resumed = await restoreBackup(driver, config.neo4j.database, store, latest, { batchSize });
      assert.equal(resumed.resumed, true);
      assert.equal(resumed.relationships, latest.counts.relationships);
      assert.equal((await graphDigest(targetDriver)).sha256, (await graphDigest(sourceDriver)).sha256);
    } finally {
      await driver.close();
    }
  });

  it("restores a backup of format 1, whose relationship lines carry both endpoints whole", async () => {
    // The small backup as format 1 wrote it: every relationship with both of its nodes in full.
    const lines = await backupLines();
    const nodes = new Map<string, unknown>();
    for (const line of lines) {
      const record = JSON.parse(line) as { k: string; id: string };
      if (record.k === "node") nodes.set(record.id, { ...record, k: undefined });
    }
    const whole = (id: string) => nodes.get(id) ?? assert.fail(`node ${id} is in the backup`);
    const formatOne = lines.map((line) => {
      const record = JSON.parse(line) as { k: string; start: string; end: string };
      if (record.k === "header") return JSON.stringify({ ...record, formatVersion: 1 });
      return record.k === "rel"
        ? JSON.stringify({ ...record, start: whole(record.start), end: whole(record.end) })
        : line;
    });
    await withBackupCopy("29990103T000000000Z", formatOne, { formatVersion: 1 }, async () => {
      const restored = await restoreCommand(env, [
        "restore",
        "29990103T000000000Z",
        "--to",
        target.uri,
        "--wipe",
        "--json",
      ]);
      assert.equal(restored.status, 0, restored.stderr);
      assert.equal(lastJson(restored.stdout).endpointOnlyNodes, 0);
      assert.equal((await graphDigest(targetDriver)).sha256, (await graphDigest(sourceDriver)).sha256);
    });
  });

  it("refuses a damaged or tampered backup before anything in the target is wiped or written", async () => {
    // Consistent copies of the small backup (hash and size match their manifests), each with one
    // bad record near the end: a restore that wrote as it read would wipe first and fail late.
    const lines = await backupLines();
    const lastNode = lines.findLastIndex((line) => line.startsWith('{"k":"node"'));
    const lastRelationship = lines.findLastIndex((line) => line.startsWith('{"k":"rel"'));
    const tamper = <Record>(index: number, change: (record: Record) => void) => {
      const copy = [...lines];
      const record = JSON.parse(copy[index] ?? "") as Record;
      change(record);
      copy[index] = JSON.stringify(record);
      return copy;
    };
    const cases = [
      {
        changed: tamper<{ props: Record<string, unknown> }>(lastNode, (record) => (record.props.uid = { zz: 1 })),
        message: /verification failed: record \d+: unknown value tag "zz"/,
      },
      {
        changed: tamper<{ props: Record<string, unknown> }>(lastNode, (record) => (record.props.__restoreId = "x")),
        message: /verification failed: line \d+: props\.__restoreId: is a property key the restore reserves/,
      },
      // A node no line holds, named by an id of the same database.
      {
        changed: tamper<{ end: string }>(
          lastRelationship,
          (record) => (record.end = record.end.replace(/\d+$/, "987654321")),
        ),
        message:
          /verification failed: record \d+: relationship "[^"]+" names its end node "[^"]+:987654321" by id, but no earlier line holds that node/,
      },
      // A node that is there, named by its id with a leading zero: another id, which no line holds.
      {
        changed: tamper<{ end: string }>(
          lastRelationship,
          (record) => (record.end = record.end.replace(/:(\d+)$/, ":0$1")),
        ),
        message:
          /verification failed: record \d+: relationship "[^"]+" names its end node "[^"]+:0\d+" by id, but no earlier line holds that node/,
      },
      // A node line written twice would restore as two nodes.
      {
        changed: [...lines.slice(0, lastNode + 1), lines[lastNode] ?? "", ...lines.slice(lastNode + 1)],
        message: /verification failed: record \d+: node "[^"]+" appears twice/,
      },
    ];
    const before = await graphDigest(targetDriver);
    assert.ok(before.nodes > 0, "the target holds a graph to lose");
    for (const [index, { changed, message }] of cases.entries()) {
      const id = `29990101T00000000${index}Z`;
      await withBackupCopy(id, changed, {}, async () => {
        const restored = await restoreCommand(env, ["restore", id, "--to", target.uri, "--wipe"]);
        assert.equal(restored.status, 4, restored.stderr);
        assert.match(restored.stderr, message);
        assert.equal(
          (await graphDigest(targetDriver)).sha256,
          before.sha256,
          "nothing in the target was wiped or written",
        );
      });
    }
  });

  it("restores a node that a relationship line carries whole, once, and the later lines that name it by id", async () => {
    // What a backup writes for a node created while it ran: the first relationship to reach it
    // carries it whole, the next ones (here in the same write batch) name it by id.
    const lines = await backupLines();
    const end = JSON.parse(lines.pop() ?? "") as { nodes: number; relationships: number; schema: number };
    const existing = (JSON.parse(lines.find((line) => line.startsWith('{"k":"node"')) ?? "") as { id: string }).id;
    const created = existing.replace(/\d+$/, "900000001");
    const added = [
      {
        k: "rel",
        id: "5:late:1",
        type: "LATE",
        props: { n: { i: "1" } },
        start: { id: created, labels: ["Item", "Late"], props: { uid: { i: "-5" }, note: "créé 🙂" } },
        end: existing,
      },
      { k: "rel", id: "5:late:2", type: "LATE", props: { n: { i: "2" } }, start: created, end: created },
      { k: "rel", id: "5:late:3", type: "LATE", props: { n: { i: "3" } }, start: existing, end: created },
    ];
    const withLate = [
      ...lines,
      ...added.map((record) => JSON.stringify(record)),
      JSON.stringify({ ...end, relationships: end.relationships + added.length }),
    ];
    const counts = manifest.counts as { relationships: number; relationshipsByType: Record<string, number> };
    const id = "29990102T000000000Z";
    const lateCounts = {
      ...counts,
      relationships: counts.relationships + added.length,
      relationshipsByType: { ...counts.relationshipsByType, LATE: added.length },
    };
    await withBackupCopy(id, withLate, { counts: lateCounts }, async () => {
      const restored = await restoreCommand(env, ["restore", id, "--to", target.uri, "--wipe", "--json"]);
      assert.equal(restored.status, 0, restored.stderr);
      assert.equal(lastJson(restored.stdout).endpointOnlyNodes, 1);
      const session = targetDriver.session();
      try {
        const late = await session.run("MATCH (n:Late) RETURN labels(n) AS labels, n.uid AS uid, n.note AS note");
        assert.deepEqual(
          late.records.map((record) => [record.get("labels"), Number(record.get("uid")), record.get("note")]),
          [[["Item", "Late"], -5, "créé 🙂"]],
          "created once, from the line that carries it whole",
        );
        const links = await session.run(
          "MATCH (n:Late) MATCH (a)-[r:LATE]->(b) RETURN r.n AS seq, a = n AS fromLate, b = n AS toLate ORDER BY seq",
        );
        assert.deepEqual(
          links.records.map((record) => [Number(record.get("seq")), record.get("fromLate"), record.get("toLate")]),
          [
            [1, true, false],
            [2, true, true],
            [3, false, true],
          ],
        );
      } finally {
        await session.close();
      }
    });
  });

  it("refuses to back up a graph that uses a name the restore reserves, or a database a restore has not finished", async () => {
    const listed = async () =>
      (JSON.parse((await restoreCommand(env, ["list", "--json"])).stdout) as { id: string }[]).map((entry) => entry.id);
    const complete = await listed();
    const session = targetDriver.session();
    try {
      for (const [create, message] of [
        [
          "CREATE (:Item {uid: -1, __restoreId: 'mine'})",
          /node \S+ uses the name __restoreId, which the restore reserves for itself/,
        ],
        [
          "CREATE (:__McpBastionRestore {backupId: '20260101T000000000Z'})",
          /a restore of backup "20260101T000000000Z" into database neo4j has not finished/,
        ],
      ] as const) {
        await session.run(create);
        const backup = await backupCommand({ ...env, NEO4J_URI: target.uri });
        await session.run("MATCH (n) WHERE n.uid = -1 OR n:__McpBastionRestore DELETE n");
        assert.equal(backup.status, 1, backup.stderr);
        assert.match(backup.stderr, message);
      }
    } finally {
      await session.close();
    }
    assert.deepEqual(await listed(), complete, "no backup was added");
  });

  it("restores a backup taken under concurrent writers with every earlier write and no dangling relationship", async () => {
    const session = sourceDriver.session();
    await session.run("MATCH (n:Item) SET n.before = true");
    let writing = true;
    let written = 0;
    const writer = (async () => {
      const writerSession = sourceDriver.session();
      try {
        for (let round = 0; writing; round += 1) {
          await writerSession.run(
            `UNWIND range(1, 50) AS k
             CREATE (n:Item:Live {uid: $base + k})
             WITH n MATCH (old:Item {uid: toInteger(rand() * $nodes)}) CREATE (n)-[:LIVE_LINK]->(old)`,
            { base: neo4j.int(10_000_000 + round * 100), nodes: neo4j.int(SMALL) },
          );
          await writerSession.run("MATCH (n:Live) WHERE n.uid % 3 = 0 WITH n LIMIT 20 DETACH DELETE n");
          written += 50;
        }
      } finally {
        await writerSession.close();
      }
    })();
    await session.close();
    const backup = await backupCommand(env, "--json");
    writing = false;
    await writer;
    assert.equal(backup.status, 0, backup.stderr);
    assert.ok(written > 0, "the writers ran during the backup");
    const restored = await restoreCommand(env, ["restore", "latest", "--to", target.uri, "--wipe", "--json"]);
    assert.equal(restored.status, 0, restored.stderr);
    const result = lastJson(restored.stdout);
    // Nodes created after the node pass reached them come in whole on their relationships' lines (500 of 10,450 in one run).
    assert.ok(
      Number(result.endpointOnlyNodes) > 0,
      `nodes carried whole on relationship lines: ${String(result.endpointOnlyNodes)}`,
    );
    const counts = (lastJson(backup.stdout).counts as { relationships: number }).relationships;
    assert.equal(result.relationships, counts, "every backed-up relationship was restored: none dangled");
    const [expected, actual] = await Promise.all([
      graphDigest(sourceDriver, "n.before = true"),
      graphDigest(targetDriver, "n.before = true"),
    ]);
    assert.equal(actual.sha256, expected.sha256, "every write committed before the backup began is there");
  });

  it("prunes to the newest N complete backups", async () => {
    const prune = await backupCommand(env, "prune", "--keep", "1", "--json");
    assert.equal(prune.status, 0, prune.stderr);
    const list = await restoreCommand(env, ["list", "--json"]);
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 1);
    assert.equal((await backupCommand(env, "prune", "--keep", "0")).status, 2);
  });

  it("backs up and restores a graph of large values exactly, within the Jobs' own heap cap", async () => {
    // Nodes of a 3M-character string (two- and three-byte characters and an astral one: 6 MB in
    // memory, 7 MB as UTF-8) and a 4 MB byte array each, chained, and all linked to the first,
    // through the backup and the restore under the heap cap of their Jobs.
    const blobs = 8;
    const session = targetDriver.session();
    try {
      await session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS");
      for (let index = 0; index < blobs; index += 1) {
        const text = `${String.fromCodePoint(0x1f600 + index)}Ω${"ΩЖ字".repeat(1_000_000)}`;
        const bytes = new Int8Array(4 * 1024 * 1024).map((_, position) => ((position * 31 + index) % 256) - 128);
        await session.run("CREATE (:Blob {uid: $uid, text: $text, bytes: $bytes})", {
          uid: neo4j.int(index),
          text,
          bytes,
        });
      }
      await session.run("MATCH (a:Blob), (b:Blob) WHERE b.uid = a.uid + 1 CREATE (a)-[:NEXT {note: 'next'}]->(b)");
      await session.run("MATCH (a:Blob {uid: 0}), (b:Blob) WHERE b.uid > 1 CREATE (a)-[:HUB]->(b)");
    } finally {
      await session.close();
    }
    const capped = { ...env, NODE_OPTIONS: BACKUP_NODE_OPTIONS };
    const backup = await backupCommand({ ...capped, NEO4J_URI: target.uri }, "--json");
    assert.equal(backup.status, 0, backup.stderr.slice(-2000));
    assert.equal((lastJson(backup.stdout).counts as { nodes: number }).nodes, blobs);
    const restored = await restoreCommand(capped, ["restore", "latest", "--to", source.uri, "--wipe", "--json"]);
    assert.equal(restored.status, 0, restored.stderr.slice(-2000));
    const [expected, actual] = await Promise.all([graphDigest(targetDriver), graphDigest(sourceDriver)]);
    assert.deepEqual([actual.nodes, actual.relationships], [blobs, 2 * blobs - 3]);
    assert.equal(actual.sha256, expected.sha256, "the restored graph is identical");
  });
});
