// The one wording of schema problems (app/src/validation.ts), which the server's environment,
// request bodies, tool arguments and the stack settings all speak: a table of schemas and bad
// inputs, each with the line it must give, none in the validator's own words.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { describeIssues, locateInVariable } from "../../src/validation.js";

const VALIDATOR_WORDING = /Too small|Too big|Invalid|Unrecognized key|expected \w+, received|[<>]=\d/;

const cases: Array<[string, z.ZodType, unknown, string]> = [
  ["a missing value", z.object({ a: z.string() }), {}, "a: is required"],
  ["a value of another kind", z.object({ a: z.number() }), { a: "1" }, "a: must be a number"],
  ["not a whole number", z.object({ a: z.number().int() }), { a: 1.5 }, "a: must be a whole number"],
  ["a list expected", z.object({ a: z.array(z.string()) }), { a: "x" }, "a: must be a list"],
  ["below a minimum", z.object({ a: z.number().min(2) }), { a: 1 }, "a: must be at least 2"],
  ["not above zero", z.object({ a: z.number().positive() }), { a: 0 }, "a: must be more than 0"],
  ["above a maximum", z.object({ a: z.number().max(5) }), { a: 6 }, "a: must be at most 5"],
  ["empty text", z.object({ a: z.string().min(1) }), { a: "" }, "a: must not be empty"],
  ["short text", z.object({ a: z.string().min(3) }), { a: "ab" }, "a: must be at least 3 characters long"],
  ["long text", z.object({ a: z.string().max(1) }), { a: "ab" }, "a: must be at most 1 character long"],
  ["an empty list", z.object({ a: z.array(z.string()).min(1) }), { a: [] }, "a: must list at least one entry"],
  ["a long list", z.object({ a: z.array(z.string()).max(2) }), { a: ["1", "2", "3"] }, "a: must be at most 2 entries"],
  ["not a choice", z.object({ a: z.enum(["x", "y"]) }), { a: "z" }, 'a: must be one of "x", "y"'],
  ["not the literal", z.object({ a: z.literal("x") }), { a: "y" }, 'a: must be "x"'],
  ["not a URL", z.object({ a: z.url() }), { a: "no url" }, "a: must be a URL"],
  ["no match", z.object({ a: z.string().regex(/^a+$/) }), { a: "b" }, "a: must match the pattern /^a+$/"],
  ["not a multiple", z.object({ a: z.number().multipleOf(5) }), { a: 7 }, "a: must be a multiple of 5"],
  ["an unknown key inside", z.object({ a: z.object({}).strict() }), { a: { b: 1 } }, "a: unknown key(s) b"],
  ["an unknown key at the top", z.object({}).strict(), { b: 1 }, "unknown key(s) b"],
  ["a message of the schema's own", z.object({ a: z.string().regex(/^a$/, "must be a") }), { a: "b" }, "a: must be a"],
];

describe("schema problems in the words of the settings", () => {
  for (const [name, schema, input, line] of cases) {
    test(`${name}: ${line}`, () => {
      const parsed = schema.safeParse(input);
      assert.equal(parsed.success, false);
      const lines = describeIssues((parsed as { error: z.ZodError }).error, "input");
      assert.deepEqual(lines, [line]);
      assert.doesNotMatch(line, VALIDATOR_WORDING);
    });
  }

  test("inside an environment variable, the entry of a list is counted from 1, a JSON place is named", () => {
    const schema = z.object({
      PORTS: z.array(z.number().max(10)),
      LIMITS: z.object({ admin: z.object({ burst: z.number().min(1) }) }),
    });
    const parsed = schema.safeParse({ PORTS: [1, 20], LIMITS: { admin: { burst: 0 } } });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      describeIssues((parsed as { error: z.ZodError }).error, { whole: "environment", locate: locateInVariable }),
      ["PORTS entry 2: must be at most 10", "LIMITS at admin.burst: must be at least 1"],
    );
  });
});
