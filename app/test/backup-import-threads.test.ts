// The restore by import's pass on conversion threads, against real MinIO: however many threads
// convert, the importer gets the same rows, and the checks that need the backup's order (a node
// named before the line that holds it, a node twice, the first damaged line) are made in that
// order across batches and threads, with the same line and record numbers.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { after, before, describe, it } from "node:test";
import { writeImportFiles } from "../src/backup/import/import-files.js";
import type { BackupStore, Manifest } from "../src/backup/storage.js";
import { testBackupStore } from "./support/backup-cli.js";

const PREFIX = "4:6a3c8f8e-0000-4000-8000-00000000000a:";
const NODES = 12_000;
const RELATIONSHIPS = 24_000;

/** A backup's lines, format 2: nodes of a few shapes (the same key with two types, keys in other orders), then relationships by id. */
function backupLines(): string[] {
  const lines = [JSON.stringify({ k: "header", formatVersion: 2, database: "neo4j", id: "x", startedAt: "t" })];
  for (let n = 0; n < NODES; n += 1) {
    const props =
      n % 3 === 0
        ? { uid: { i: String(n) }, name: `item ${n}, "quoted"`, pad: "x".repeat(200) }
        : n % 3 === 1
          ? { name: `other ${n}`, uid: { i: String(n) } }
          : { uid: `text ${n}`, at: { date: [2020, 1, 1 + (n % 28)] } };
    lines.push(JSON.stringify({ k: "node", id: `${PREFIX}${n}`, labels: n % 2 ? ["A"] : ["A", "B"], props }));
  }
  for (let r = 0; r < RELATIONSHIPS; r += 1)
    lines.push(
      JSON.stringify({
        k: "rel",
        id: `5:x:${r}`,
        type: r % 2 ? "LINK" : "NEXT",
        props: r % 4 ? { w: { i: String(r) } } : {},
        start: `${PREFIX}${r % NODES}`,
        end: `${PREFIX}${(r * 7) % NODES}`,
      }),
    );
  lines.push(JSON.stringify({ k: "end", nodes: NODES, relationships: RELATIONSHIPS, schema: 0 }));
  return lines;
}

/** Every row the files hold, as `column=value` pairs sorted: what the importer reads, whatever file it is in. */
async function importedRows(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  const rows: string[] = [];
  for (const header of files.filter((file) => file.endsWith("-header.csv") && !file.startsWith("marker"))) {
    const columns = (await readFile(path.join(dir, header), "utf8")).trim().split(",");
    const data = await readFile(path.join(dir, header.replace("-header.csv", ".csv")), "utf8");
    // The test's values hold no line break and no comma outside their quotes, except where quoted.
    for (const line of data.trimEnd().split("\n")) {
      const fields = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.map((field) => field.replace(/,$/, "")) ?? [];
      const pairs = columns
        .map((column, index) => `${column}=${fields[index] ?? ""}`)
        .filter((pair) => !pair.endsWith("="));
      rows.push(`${header.includes("relationships") ? "R" : "N"} ${pairs.sort().join(" ")}`);
    }
  }
  return rows.sort();
}

describe("restore by import on conversion threads", () => {
  let store: BackupStore;
  let work: string;
  const lines = backupLines();

  async function stored(id: string, content: string[]): Promise<Manifest> {
    const body = gzipSync(`${content.join("\n")}\n`);
    const manifest: Manifest = {
      formatVersion: 2,
      appVersion: "test",
      database: "neo4j",
      id,
      dataKey: store.keyOf(id, "data.jsonl.gz"),
      dataSha256: createHash("sha256").update(body).digest("hex"),
      dataBytes: body.length,
      counts: { schema: 0, nodes: NODES, relationships: RELATIONSHIPS, nodesByLabel: {}, relationshipsByType: {} },
      startedAt: "t",
      finishedAt: "t",
    };
    await store.client.send(new PutObjectCommand({ Bucket: store.s3.bucket, Key: manifest.dataKey, Body: body }));
    return manifest;
  }

  const convert = async (manifest: Manifest, converters: number) => {
    const dir = await mkdtemp(path.join(work, `t${converters}-`));
    return { dir, files: await writeImportFiles(store, manifest, dir, { converters }) };
  };

  before(async () => {
    store = await testBackupStore("import-threads");
    work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-import-threads-"));
  });

  after(() => rm(work, { recursive: true, force: true }));

  it("writes the same rows with one thread and with three, over batches of several lines each", async () => {
    const manifest = await stored("20990101T000000000Z", lines);
    assert.ok(manifest.dataBytes > 0 && lines.join("\n").length > 3 * 1024 * 1024, "the backup spans several batches");
    const one = await convert(manifest, 1);
    const three = await convert(manifest, 3);
    const rows = await importedRows(one.dir);
    assert.equal(rows.length, NODES + RELATIONSHIPS);
    assert.deepEqual(await importedRows(three.dir), rows);
    assert.ok(three.files.nodes.length > one.files.nodes.length, "each thread writes files of its own");
    for (const { files } of [one, three]) {
      assert.deepEqual(files.expected, { nodes: NODES + 1, relationships: RELATIONSHIPS });
      assert.deepEqual(files.deferred, { nodes: 0, relationships: 0 });
    }
    // A node's key is the number its element id ends in.
    assert.ok(rows.includes(`N "name:string"="other 1" "uid:long"=1 :ID=1 :LABEL="A"`), rows[0]);
  });

  it("refuses, with one thread and with three, what only the backup's order shows, at the same line", async () => {
    // A node line moved to just before the end record: the relationships that name it come first.
    const late = NODES - 5;
    const moved = lines[1 + late] as string;
    const reordered = [...lines.filter((line) => line !== moved)];
    reordered.splice(reordered.length - 1, 0, moved);
    const first = reordered.findIndex((line) => line.includes(`"${PREFIX}${late}"`) && line.startsWith('{"k":"rel"'));
    const { id, start } = JSON.parse(reordered[first] as string) as { id: string; start: string };
    const side = start === `${PREFIX}${late}` ? "start" : "end";
    const cases: Array<{ lines: string[]; refusal: RegExp }> = [
      {
        lines: reordered,
        refusal: new RegExp(
          `^record ${first + 1}: relationship "${id}" names its ${side} node "${PREFIX}${late}" by id, but no earlier line holds that node$`,
        ),
      },
      {
        lines: [...lines.slice(0, 9_000), lines[100] as string, ...lines.slice(9_000)],
        refusal: new RegExp(`^record 9001: node "${PREFIX}99" appears twice$`),
      },
      {
        lines: lines.map((line, index) => (index === 30_000 ? line.slice(1) : line)),
        refusal: /^line 30001: not valid JSON$/,
      },
      {
        lines: lines.map((line, index) =>
          index === 20_000 ? line.replace(/"w":\{"i":"\d+"\}/, '"w":{"i":"1.5"}') : line,
        ),
        refusal: /^record 20001: not an integer: "1\.5"$/,
      },
    ];
    for (const [index, { lines: damaged, refusal }] of cases.entries()) {
      const manifest = await stored(`2099010${index + 2}T000000000Z`, damaged);
      for (const converters of [1, 3])
        await assert.rejects(convert(manifest, converters), (error: Error) => {
          assert.match(error.message, refusal, `with ${converters} threads`);
          return true;
        });
    }
  });
});
