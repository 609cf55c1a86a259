// Host and Origin checks as pure functions (DNS rebinding, cross-origin browser calls).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { originPolicy, originRefusal } from "../src/guards/origin.js";

const policy = originPolicy("https://mcp.example.com/mcp", { host: "0.0.0.0", port: 8080 }, [
  "https://console.example.com",
]);

describe("origin policy", () => {
  const allowed: Array<[string, string | undefined]> = [
    ["mcp.example.com", undefined],
    ["MCP.Example.COM", undefined],
    ["mcp.example.com:443", undefined],
    ["mcp.example.com", "https://mcp.example.com"],
    ["mcp.example.com", "https://console.example.com"],
    ["mcp.example.com", "HTTPS://CONSOLE.EXAMPLE.COM:443"],
  ];
  for (const [host, origin] of allowed) {
    test(`allowed: Host ${host}, Origin ${origin ?? "(none)"}`, () =>
      assert.equal(originRefusal(policy, host, origin), undefined));
  }

  const refused: Array<[string | undefined, string | undefined, RegExp]> = [
    ["attacker.example", undefined, /Host/],
    ["127.0.0.1:8080", undefined, /Host/],
    [undefined, undefined, /Host/],
    ["mcp.example.com:8443", undefined, /Host/],
    ["mcp.example.com", "https://attacker.example", /Origin/],
    ["mcp.example.com", "http://mcp.example.com", /Origin/],
    ["mcp.example.com", "https://mcp.example.com.attacker.example", /Origin/],
    ["mcp.example.com", "null", /Origin/],
    ["mcp.example.com", "file://", /Origin/],
    ["mcp.example.com", "https://user@mcp.example.com", /Origin/],
    ["mcp.example.com", "*", /Origin/],
    ["mcp.example.com", "", /Origin/],
  ];
  for (const [host, origin, reason] of refused) {
    test(`refused: Host ${host ?? "(none)"}, Origin ${origin ?? "(none)"}`, () =>
      assert.match(originRefusal(policy, host, origin) ?? "", reason));
  }

  test("the listen address is a known host (direct access inside the cluster)", () => {
    assert.equal(originRefusal(policy, "0.0.0.0:8080", undefined), undefined);
  });

  test("a configured origin that is not one is refused at start-up", () => {
    assert.throws(
      () => originPolicy("https://mcp.example.com/mcp", { host: "0.0.0.0", port: 8080 }, ["https://x.example/path"]),
      /is not an origin/,
    );
    assert.throws(
      () => originPolicy("https://mcp.example.com/mcp", { host: "0.0.0.0", port: 8080 }, ["*"]),
      /is not an origin/,
    );
  });
});
