// Output caps as pure functions: size bound, visible marker, no broken characters.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { capToolResult, utf8Prefix } from "../src/guards/limits.js";

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe("output limits", () => {
  test("a result under the cap passes untouched", () => {
    const result = { content: [{ type: "text" as const, text: "small" }] };
    const capped = capToolResult(result, 1024);
    assert.equal(capped.truncated, false);
    assert.equal(capped.result, result);
  });

  for (const [name, text] of [
    ["ASCII", "x".repeat(500_000)],
    ["multi-byte characters", "\u00e9\u4e2d\ud83d\ude00".repeat(50_000)],
    ["characters JSON must escape", '"\\\n\u0001'.repeat(100_000)],
  ] as const) {
    test(`${name}: capped within the limit with a marker`, () => {
      const capped = capToolResult({ content: [{ type: "text", text }] }, 100 * 1024);
      assert.equal(capped.truncated, true);
      assert.ok(size(capped.result.content) <= 100 * 1024 + 200, `${size(capped.result.content)} bytes`);
      const last = capped.result.content.at(-1) as { text: string };
      assert.match(last.text, /\[truncated: the result exceeded 102400 bytes; \d+ bytes omitted\]/);
      const first = capped.result.content[0] as { text: string };
      assert.ok(text.startsWith(first.text), "the kept part is a prefix of the original");
      assert.ok(!first.text.includes("\ufffd"), "no character was split");
    });
  }

  test("non-text content that does not fit is dropped and the marker says so", () => {
    const capped = capToolResult(
      {
        content: [
          { type: "text", text: "head" },
          { type: "image", data: "A".repeat(200_000), mimeType: "image/png" },
        ],
      },
      1024,
    );
    assert.equal(capped.result.content.length, 2);
    assert.equal((capped.result.content[0] as { text: string }).text, "head");
    assert.match((capped.result.content[1] as { text: string }).text, /truncated/);
  });

  test("utf8Prefix never exceeds the byte budget", () => {
    for (let budget = 0; budget < 12; budget++) {
      const prefix = utf8Prefix("a\u00e9\u4e2d\ud83d\ude00b", budget);
      assert.ok(Buffer.byteLength(prefix) <= budget);
      assert.ok(!prefix.includes("\ufffd"));
    }
  });
});
