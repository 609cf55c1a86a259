// The importer's text for each kind of backup value, what is deferred to the online finish,
// and what is refused: the texts are the ones the end-to-end import proves Neo4j reads back
// exactly (backup-import.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFERRED, csvField } from "../src/backup/import/csv-fields.js";
import type { EncodedValue } from "../src/backup/values.js";

const US = "\u001f";

describe("importer fields", () => {
  it("writes each type in the text the importer parses back to the same value", () => {
    const cases: Array<[EncodedValue, string, string]> = [
      ['say "hi", ok', "string", '"say ""hi"", ok"'],
      ["", "string", '""'],
      [true, "boolean", "true"],
      [{ i: "-9223372036854775808" }, "long", "-9223372036854775808"],
      [{ f: "-0" }, "double", "-0.0"],
      [{ f: "NaN" }, "double", "NaN"],
      [{ f: 1e21 }, "double", "1e+21"],
      [{ f: 5e-324 }, "double", "5e-324"],
      [{ b: "AAP/gA==" }, "byte[]", `0${US}3${US}-1${US}-128`],
      [{ date: [-1, 12, 31] }, "date", "-0001-12-31"],
      [{ date: [10000, 1, 1] }, "date", "+10000-01-01"],
      [{ ltime: [1, 2, 3, 4] }, "localtime", "01:02:03.000000004"],
      [{ time: [12, 0, 0, 0, -3600] }, "time", "12:00:00-01:00"],
      [{ ldt: [2024, 1, 1, 10, 0, 0, 0] }, "localdatetime", "2024-01-01T10:00:00"],
      [
        { dt: [2021, 10, 31, 2, 30, 0, 0], off: 3600, tz: "Europe/Berlin" },
        "datetime",
        "2021-10-31T02:30:00+01:00[Europe/Berlin]",
      ],
      [{ dt: [1970, 1, 1, 0, 0, 0, 5], off: 0 }, "datetime", "1970-01-01T00:00:00.000000005Z"],
      [{ dur: ["0", "0", "-6", "999999999"] }, "duration", "P0M0DT-5.000000001S"],
      [{ dur: ["14", "-3", "4", "7"] }, "duration", "P14M-3DT4.000000007S"],
      [{ pt: [4979, 13.4, 52.5, "-0"] }, "point", `"{crs:'wgs-84-3d',x:13.4,y:52.5,z:-0.0}"`],
      [{ l: ["a", 'b"'] }, "string[]", `"a${US}b"""`],
      [{ l: [{ i: "1" }, { i: "2" }] }, "long[]", `"1${US}2"`],
      [{ l: [{ date: [2020, 1, 1] }] }, "date[]", '"2020-01-01"'],
    ];
    for (const [value, type, text] of cases) assert.deepEqual(csvField(value), { type, text }, JSON.stringify(value));
  });

  it("defers what the importer's CSV cannot carry exactly", () => {
    const deferred: EncodedValue[] = [
      { l: [] },
      { b: "" },
      { l: [""] },
      { l: ["a", ""] },
      { l: [`a${US}b`] },
      { time: [1, 2, 0, 0, 3630] },
      { dt: [1800, 1, 1, 12, 0, 0, 0], off: 3208, tz: "Europe/Berlin" },
      { dt: [2020, 1, 1, 0, 0, 0, 0], tz: "Europe/Berlin" },
      { l: [{ time: [1, 0, 0, 0, 30] }] },
      "\ud800 lone",
      { pt: [1234, 1, 2] },
    ];
    for (const value of deferred) assert.equal(csvField(value), DEFERRED, JSON.stringify(value));
  });

  it("refuses what is not a value Neo4j can hold, as the online restore would", () => {
    const refused: Array<[unknown, RegExp]> = [
      [null, /null/],
      [{ i: "12x" }, /not an integer/],
      [{ i: "9223372036854775808" }, /beyond 64 bits/],
      [{ f: "nan" }, /not a float/],
      [{ b: "@@@@" }, /not padded base64/],
      [{ date: [2020, 13, 1] }, /out of range/],
      [{ l: [{ i: "1" }, "a"] }, /both long and string/],
      [{ l: [{ l: [] }] }, /list that holds a list/],
      [{ dt: [2020, 1, 1, 0, 0, 0, 0] }, /without offset or zone/],
      [{ zz: 1 }, /unknown value tag/],
    ];
    for (const [value, message] of refused)
      assert.throws(() => csvField(value as EncodedValue), message, JSON.stringify(value));
  });
});
