// Every Neo4j property type survives encode -> JSON -> decode exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import neo4j, { Date as Neo4jDate, DateTime, Duration, LocalDateTime, LocalTime, Point, Time } from "neo4j-driver";
import { BackupFormatError, decodeValue, encodeValue } from "../src/backup/values.js";

const roundTrip = (value: unknown): unknown => decodeValue(JSON.parse(JSON.stringify(encodeValue(value))));

describe("backup value encoding", () => {
  it("keeps integers beyond 2^53 and at the int64 limits", () => {
    for (const text of ["9007199254740993", "-9223372036854775808", "9223372036854775807", "0"]) {
      assert.equal(String(roundTrip(neo4j.int(text))), text);
    }
  });

  it("keeps floats exactly, with NaN, the infinities and -0", () => {
    for (const value of [0.1, -1.5e308, 5e-324, Number.NaN, Infinity, -Infinity, -0, 0])
      assert.ok(Object.is(roundTrip(value), value), String(value));
  });

  it("keeps strings with any Unicode, booleans, null, bytes and lists", () => {
    for (const value of ["", "ü🙂\u0000\u2028\ud800", true, false, null]) assert.deepEqual(roundTrip(value), value);
    // The driver's byte array is an Int8Array: it is what comes back, and all it writes as bytes.
    assert.deepEqual(roundTrip(new Int8Array([0, 1, 127, -128, -1])), new Int8Array([0, 1, 127, -128, -1]));
    assert.throws(
      () => encodeValue(new Uint8Array([0, 1, 254, 255])),
      BackupFormatError,
      "never what the driver reads",
    );
    const pooled = Buffer.from("abcdef");
    assert.deepEqual(
      roundTrip(new Int8Array(pooled.buffer, pooled.byteOffset + 2, 3)),
      new Int8Array([99, 100, 101]),
      "only the view's own bytes",
    );
    assert.deepEqual(roundTrip([neo4j.int(1), neo4j.int("9007199254740993")]), [
      neo4j.int(1),
      neo4j.int("9007199254740993"),
    ]);
    assert.ok(Object.is((roundTrip([-0, 1.5]) as number[])[0], -0));
  });

  it("keeps every temporal type, with offsets and zone ids", () => {
    const values = [
      new Neo4jDate(-9999, 1, 1),
      new LocalTime(23, 59, 59, 999_999_999),
      new Time(1, 2, 3, 4, -12 * 3600),
      new LocalDateTime(2024, 2, 29, 12, 0, 0, 1),
      new DateTime(2024, 3, 31, 2, 30, 0, 0, 7200, undefined),
      new DateTime(2024, 10, 27, 2, 30, 0, 0, 3600, "Europe/Paris"),
      new Duration(neo4j.int(14), neo4j.int(-3), neo4j.int("9223372036854"), neo4j.int(999_999_999)),
    ];
    for (const value of values) assert.equal(String(roundTrip(value)), String(value));
    const zoned = roundTrip(values[5]) as DateTime;
    assert.equal(zoned.timeZoneId, "Europe/Paris");
  });

  it("keeps 2D and 3D Cartesian and WGS-84 points", () => {
    for (const point of [
      new Point(7203, 1.5, -0),
      new Point(9157, 1, 2, 3),
      new Point(4326, 13.4, 52.5),
      new Point(4979, 13.4, 52.5, 34),
    ]) {
      const back = roundTrip(point) as Point;
      assert.equal(Number(back.srid), Number(point.srid));
      for (const axis of ["x", "y", "z"] as const) assert.ok(Object.is(back[axis], point[axis]), axis);
    }
  });

  it("refuses malformed or unknown encodings with a format error", () => {
    for (const bad of [
      { i: "12.5" },
      // Beyond 64 bits: the driver would wrap it silently into another integer.
      { i: "9223372036854775808" },
      { i: "-9223372036854775809" },
      { dur: ["0", "0", "99999999999999999999", "0"] },
      { f: "one" },
      { date: [2024, 1] },
      { dt: [2024, 1, 1, 0, 0, 0, 0] },
      { zz: 1 },
      42,
      [1],
      { l: "x" },
      { b: 7 },
      { b: "AAF/gP8" },
      { b: "AA!=" },
      { b: "AA==AA==" },
    ]) {
      assert.throws(() => decodeValue(bad), BackupFormatError, JSON.stringify(bad));
    }
  });
});
