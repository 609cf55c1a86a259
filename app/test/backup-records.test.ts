// A backup's lines are checked one by one on the way back in: the shape of every record, and
// none of the names the restore keeps for itself, each refusal saying where the problem is.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  parseRecord,
  recordFromSchema,
  RESTORE_ENDPOINT_ONLY_KEY,
  RESTORE_ID_KEY,
  RESTORE_MARKER_LABEL,
  RESTORE_STAGED_LABEL,
} from "../src/backup/records.js";
import { BackupFormatError } from "../src/backup/values.js";

const endpoint = (overrides: object = {}) => ({
  id: "4:db:1",
  labels: ["Item"],
  props: { uid: { i: "1" } },
  ...overrides,
});
const node = (overrides: object = {}) => JSON.stringify({ k: "node", ...endpoint(), ...overrides });
const relationship = (overrides: object = {}) =>
  JSON.stringify({
    k: "rel",
    id: "5:db:1",
    type: "LINK",
    props: {},
    start: endpoint(),
    end: endpoint({ id: "4:db:2" }),
    ...overrides,
  });

function refused(line: string, message: RegExp): void {
  assert.throws(
    () => parseRecord(line),
    (error: unknown) => error instanceof BackupFormatError && message.test(error.message),
    line,
  );
}

describe("backup records", () => {
  it("accepts every kind of record the backup writes", () => {
    const lines = [
      JSON.stringify({
        k: "header",
        formatVersion: 2,
        database: "neo4j",
        id: "20261122T184001123Z",
        startedAt: "2026-11-22T18:40:01.123Z",
      }),
      JSON.stringify({ k: "schema", cypher: "CREATE CONSTRAINT c FOR (n:Item) REQUIRE n.uid IS UNIQUE" }),
      node({ labels: [], props: {} }),
      node({ labels: ["with space", "ü🙂", "`tick`"], props: { "a key": "x", ß: true } }),
      relationship(),
      relationship({ start: "4:db:1", end: "4:db:2" }),
      relationship({ start: endpoint({ id: "4:db:3" }), end: "4:db:3" }),
      JSON.stringify({ k: "end", nodes: 2, relationships: 1, schema: 1 }),
    ];
    for (const line of lines) assert.equal(parseRecord(line).k, (JSON.parse(line) as { k: string }).k);
    assert.deepEqual(parseRecord(node()), JSON.parse(node()));
  });

  it("refuses the labels and property keys the restore reserves, wherever they are", () => {
    refused(node({ labels: ["Item", RESTORE_STAGED_LABEL] }), /^labels\[1\]: is a label the restore reserves/);
    refused(node({ labels: [RESTORE_MARKER_LABEL] }), /^labels\[0\]: is a label the restore reserves/);
    refused(
      node({ props: { [RESTORE_ID_KEY]: "x" } }),
      new RegExp(`^props\\.${RESTORE_ID_KEY}: is a property key the restore reserves`),
    );
    refused(relationship({ props: { [RESTORE_ID_KEY]: "x" } }), /^props\.__restoreId: is a property key/);
    refused(
      relationship({ end: endpoint({ props: { [RESTORE_ENDPOINT_ONLY_KEY]: true } }) }),
      /^end\.props\.__restoreEndpointOnly: is a property key/,
    );
    refused(relationship({ start: endpoint({ labels: [RESTORE_STAGED_LABEL] }) }), /^start\.labels\[0\]: is a label/);
  });

  it("refuses malformed records, saying where", () => {
    refused("{not json", /^not valid JSON$/);
    refused("[1]", /^the record: /);
    refused(JSON.stringify({ k: "graph" }), /^k: /);
    refused(node({ labels: "Item" }), /^labels: /);
    refused(node({ labels: [""] }), /^labels\[0\]: /);
    refused(node({ props: { "": 1 } }), /^props\[""\]: /);
    refused(node({ id: 7 }), /^id: /);
    refused(node({ props: [] }), /^props: /);
    refused(relationship({ type: "" }), /^type: /);
    refused(relationship({ end: undefined }), /^end: expected a node id or a whole node$/);
    refused(relationship({ start: 12 }), /^start: expected a node id or a whole node$/);
    refused(relationship({ start: "" }), /^start: /);
    refused(relationship({ end: endpoint({ labels: [7] }) }), /^end\.labels\[0\]: /);
    refused(JSON.stringify({ k: "end", nodes: -1, relationships: 0, schema: 0 }), /^nodes: /);
  });

  it("reads node and relationship lines by hand exactly as the schema does, valid or not", () => {
    // Every record here differs from a valid one in one place; the hand-written path must return
    // the same record, or refuse with the same message, as the schema alone.
    const changes: Record<string, unknown>[] = [
      {},
      { extra: 1 },
      { k: "rel" },
      { k: "node" },
      { id: "" },
      { id: 5 },
      { labels: ["A", ""] },
      { labels: ["A", 3] },
      { labels: {} },
      { labels: [RESTORE_MARKER_LABEL] },
      { props: null },
      { props: [] },
      { props: { "": 1 } },
      { props: { [RESTORE_ID_KEY]: 1 } },
      { type: "" },
      { type: 1 },
      { start: "" },
      { start: 7 },
      { start: null },
      { end: [] },
      { start: endpoint({ extra: true }) },
      { end: endpoint({ labels: [RESTORE_STAGED_LABEL] }) },
      { end: endpoint({ props: { [RESTORE_ENDPOINT_ONLY_KEY]: 1 } }) },
      { start: endpoint({ id: "" }) },
      { end: { id: "4:db:2", labels: [] } },
      { start: "4:db:1", end: "4:db:2" },
    ];
    const outcome = (read: () => unknown) => {
      try {
        return { record: read() };
      } catch (error) {
        assert.ok(error instanceof BackupFormatError, String(error));
        return { refused: error.message };
      }
    };
    for (const change of changes) {
      for (const line of [node(change), relationship(change)]) {
        assert.deepEqual(
          outcome(() => parseRecord(line)),
          outcome(() => recordFromSchema(JSON.parse(line))),
          line,
        );
      }
    }
    // Where they differ: the schema's objects drop a key named __proto__, a property Neo4j holds like any other.
    const proto = node({ props: JSON.parse('{"__proto__": {"i": "1"}}') as object });
    assert.deepEqual(Object.keys((parseRecord(proto) as { props: object }).props), ["__proto__"]);
  });
});
