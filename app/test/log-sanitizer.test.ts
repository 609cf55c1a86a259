// The free-text sanitizer: log forging, invisible reordering, secrets and length.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sanitizeText } from "../src/guards/log-sanitizer.js";

const jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("log sanitizer", () => {
  const cases: Array<[string, string, (out: string) => void]> = [
    ["plain text passes untouched", "alice@example.com", (out) => assert.equal(out, "alice@example.com")],
    [
      "CR/LF cannot forge a log line",
      'bob\r\n{"level":30,"msg":"admin logged in"}',
      (out) => {
        assert.ok(!/[\r\n]/.test(out));
        assert.match(out, /bob\\u000d\\u000a/);
      },
    ],
    [
      "other control characters and DEL are escaped",
      "a\u0000b\u001bc\u007fd\u0085e",
      (out) => assert.equal(out, "a\\u0000b\\u001bc\\u007fd\\u0085e"),
    ],
    ["Unicode line separators are escaped", "x\u2028y\u2029z", (out) => assert.equal(out, "x\\u2028y\\u2029z")],
    [
      "bidi overrides cannot reorder what a reader sees",
      "user\u202egnp.exe",
      (out) => assert.equal(out, "user\\u202egnp.exe"),
    ],
    ["zero-width characters are made visible", "ad\u200bmin", (out) => assert.equal(out, "ad\\u200bmin")],
    ["NFKC folds look-alikes", "\uff41\uff44\uff4d\uff49\uff4e", (out) => assert.equal(out, "admin")],
    ["a JWT is redacted", `token was ${jwt} ok`, (out) => assert.equal(out, "token was [redacted jwt] ok")],
    [
      "a Bearer credential is redacted",
      "Authorization: Bearer abcdefghijklmnop",
      (out) => assert.equal(out, "Authorization: Bearer [redacted]"),
    ],
    ["a Basic credential is redacted", "basic YWRtaW46YWRtaW4=", (out) => assert.equal(out, "basic [redacted]")],
    [
      "key=value secrets are redacted",
      "user=a password=hunter2 api_key: xyz123 next",
      (out) => assert.equal(out, "user=a password=[redacted] api_key: [redacted] next"),
    ],
    ["quoted secrets are redacted whole", `secret="a b c" rest`, (out) => assert.equal(out, "secret=[redacted] rest")],
    [
      "AWS access key ids are redacted",
      "key AKIAABCDEFGHIJKLMNOP used",
      (out) => assert.equal(out, "key [redacted aws key id] used"),
    ],
    [
      "private keys are redacted",
      "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY----- tail",
      (out) => assert.equal(out, "[redacted private key] tail"),
    ],
    [
      "long values are cut and say so",
      "x".repeat(2000),
      (out) => assert.equal(out, `${"x".repeat(512)}...[+1488 chars]`),
    ],
    [
      "a cut never splits a surrogate pair",
      "\ud83d\ude00".repeat(400),
      (out) => assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(out.split("...")[0] ?? "")),
    ],
  ];
  for (const [name, input, check] of cases) test(name, () => check(sanitizeText(input)));
});
