// The ranges of store ids the backup's reader threads are handed: together they hold every id
// once, in order, and the last is open, for what is created while the backup runs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planRanges } from "../src/backup/range-reads.js";

/** Every range is [from, to) and starts where the one before ended; returns where the closed ranges end. */
function assertContiguous(ranges: ReturnType<typeof planRanges>): number {
  let next = 0;
  for (const [index, range] of ranges.entries()) {
    assert.equal(range.from, next, `range ${index} starts where range ${index - 1} ended`);
    if (range.to === null) {
      assert.equal(index, ranges.length - 1, "only the last range is open");
      return next;
    }
    assert.ok(range.to > range.from, `range ${index} is not empty`);
    next = range.to;
  }
  assert.fail("the last range is open");
}

describe("backup reader ranges", () => {
  it("reads an empty graph as one open range", () => {
    assert.deepEqual(planRanges(null, 2), [{ from: 0, to: null }]);
  });

  it("covers every id up to the highest once, then everything after it", () => {
    for (const [highest, readers] of [
      [0, 2],
      [999, 2],
      [1000, 2],
      [99_999, 2],
      [1_000_000, 3],
      [123_456_789, 1],
    ] as const) {
      const ranges = planRanges(highest, readers);
      assert.equal(assertContiguous(ranges), highest + 1, `highest ${highest}, ${readers} readers`);
    }
  });

  it("hands each reader several ranges of a large graph, and a small one a single range", () => {
    assert.equal(planRanges(1_000_000, 2).length, 2 * 16 + 1);
    assert.equal(planRanges(500, 2).length, 2);
  });
});
