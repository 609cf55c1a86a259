// The set of nodes a backup has written: exact for the ids Neo4j hands out, and honest (false)
// about ids it cannot hold, so the backup then writes the node whole instead of trusting it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeIdSet } from "../src/backup/node-ids.js";

const DB = "4:2b6fbc0e-3d1e-4a3f-9a39-5c3f1f2e8c11:";

describe("node id set", () => {
  it("holds exactly the ids added, across word and page boundaries", () => {
    const set = new NodeIdSet();
    const added = [0, 1, 31, 32, 33, 63, 64, 8191, 8192, 8193, 65_535, 1_000_000, 2 ** 40, 999_999_999_999_999];
    for (const id of added) assert.equal(set.add(`${DB}${id}`), true, String(id));
    for (const id of added) assert.equal(set.has(`${DB}${id}`), true, String(id));
    const random = Array.from({ length: 20_000 }, () => Math.floor(Math.random() * 5_000_000));
    const expected = new Set(added);
    for (const id of random.slice(0, 10_000)) {
      set.add(`${DB}${id}`);
      expected.add(id);
    }
    for (const id of [...random, 2, 30, 34, 8190, 8194, 2 ** 40 + 1])
      assert.equal(set.has(`${DB}${id}`), expected.has(id), String(id));
  });

  it("never holds an id it cannot read, or one of another database", () => {
    const set = new NodeIdSet();
    assert.equal(set.add(`${DB}7`), true);
    for (const id of [
      `4:other-db:7`,
      "7",
      `${DB}`,
      `${DB}x7`,
      `${DB}7 `,
      `${DB}1234567890123456`,
      `${DB}-7`,
      `${DB}07`,
      `${DB}00`,
    ]) {
      assert.equal(set.add(id), false, id);
      assert.equal(set.has(id), false, id);
    }
    assert.equal(set.has(`${DB}7`), true);
    assert.equal(set.add(`${DB}0`), true, "zero alone is an id");
  });

  it("refuses ids spread wider than its pages, and keeps those it holds", () => {
    const set = new NodeIdSet(3);
    for (const page of [0, 1, 2]) assert.equal(set.add(`${DB}${page * 8192 + 5}`), true);
    assert.equal(set.add(`${DB}${3 * 8192}`), false);
    assert.equal(set.has(`${DB}${3 * 8192}`), false);
    assert.equal(set.add(`${DB}${2 * 8192 + 6}`), true, "a page it has still takes ids");
    assert.equal(set.has(`${DB}${8192 + 5}`), true);
  });
});
