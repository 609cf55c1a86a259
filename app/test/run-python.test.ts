// run_python through the real server, as every tool: the permission matrix, the audit entry
// (the program's digest, size and verdict, never the program), the rate limit, the per-user cap
// and the result cap; and the same tool against the sandbox pod's service on loopback.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { parseSandboxSettings, type SandboxSettings } from "../src/sandbox/settings.js";
import { buildSandboxService } from "../src/sandbox/service.js";
import { remoteSandbox, sandboxFor } from "../src/sandbox/sandbox.js";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

interface ToolAnswer {
  status: number;
  isError: boolean;
  texts: string[];
  body: Record<string, unknown> | undefined;
}

async function runPython(server: TestServer, token: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  const response = await callTool(server, token, "run_python", args);
  if (response.status !== 200)
    return { status: response.status, isError: true, texts: [await response.text()], body: undefined };
  const json = (await response.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
  const texts = json.result.content.map((item) => item.text);
  const last = texts.at(-1) ?? "";
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(last) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: 200, isError: json.result.isError === true, texts, body };
}

async function auditDetails(
  server: TestServer,
  sub: string,
): Promise<Array<{ decision: string; detail: string; reason: string | null }>> {
  await server.server.app.auditor.flush();
  const { records } = await server.server.driver.executeQuery(
    "MATCH (e:AuditEvent {kind: 'tool_call', principal: $sub, tool: 'run_python'}) RETURN e.decision AS decision, e.detail AS detail, e.reason AS reason ORDER BY e.at",
    { sub },
  );
  return records.map((record) => ({
    decision: record.get("decision") as string,
    detail: record.get("detail") as string,
    reason: record.get("reason") as string | null,
  }));
}

let server: TestServer;
before(async () => {
  server = await startTestServer({
    SANDBOX_POOL_SIZE: "2",
    SANDBOX_MAX_PER_USER: "1",
    SANDBOX_MAX_CONCURRENT: "4",
    SANDBOX_MAX_TIME_MS: "8000",
    TOOL_RESULT_MAX_BYTES: "8192",
    RATE_LIMIT_BURST: "1000",
    RATE_LIMIT_OVERRIDES: JSON.stringify({ tools: { run_python: { perMinute: 60, burst: 20 } } }),
  });
});
after(() => server.close());

describe("run_python on the server", () => {
  test("an operator runs a program; stdin, stdout and the exit status come back; the audit has digest, size and verdict, not the code", async () => {
    const sub = uniqueSub("py-operator");
    const token = await server.mint({ sub, roles: ["operator"] });
    const marker = `unique_marker_${Date.now()}`;
    const code = `${marker} = input()\nprint(${marker}.upper())`;
    const answer = await runPython(server, token, { code, stdin: "hello\n" });
    assert.equal(answer.isError, false, answer.texts.join("\n"));
    assert.equal(answer.body?.stdout, "HELLO\n");
    assert.equal(answer.body?.exitStatus, 0);
    assert.deepEqual(answer.body?.verdict, { ok: true, strict: false, violations: [] });
    const [entry] = await auditDetails(server, sub);
    assert.ok(entry);
    assert.equal(entry.decision, "allow");
    const digest = createHash("sha256").update(code).digest("hex");
    assert.match(
      entry.detail,
      new RegExp(`code sha256=${digest} bytes=${Buffer.byteLength(code)} verdict=accepted termination=exited`),
    );
    assert.ok(!entry.detail.includes(marker), "the audit entry holds the program");
    assert.ok(!server.logs.some((line) => line.includes(marker)), "a log line holds the program");
  });

  test("a refused program is an error naming rule and line, and the verdict is audited", async () => {
    const sub = uniqueSub("py-refused");
    const token = await server.mint({ sub, roles: ["operator"] });
    const answer = await runPython(server, token, { code: "x = 1\nimport subprocess\nprint(eval('2'))" });
    assert.equal(answer.isError, true);
    assert.match(answer.texts[0] ?? "", /refused by validation/);
    const violations = (answer.body?.verdict as { violations: Array<{ rule: string; line: number }> }).violations;
    assert.deepEqual(
      violations.map((violation) => [violation.rule, violation.line]),
      [
        ["import-denied", 2],
        ["builtin-denied", 3],
      ],
    );
    const [entry] = await auditDetails(server, sub);
    assert.match(entry?.detail ?? "", /verdict=refused import-denied@2,builtin-denied@3 termination=refused/);
  });

  test("a strict request refuses what the default allows", async () => {
    const token = await server.mint({ sub: uniqueSub("py-strict"), roles: ["operator"] });
    const answer = await runPython(server, token, { code: "import xml.dom\nprint('parsed')", strict: true });
    assert.equal(answer.isError, true);
    assert.equal((answer.body?.verdict as { strict: boolean }).strict, true);
  });

  test("readonly may neither list nor call it", async () => {
    const sub = uniqueSub("py-readonly");
    const token = await server.mint({ sub, roles: ["readonly"] });
    const answer = await runPython(server, token, { code: "print(1)" });
    assert.equal(answer.status, 403);
    const [entry] = await auditDetails(server, sub);
    assert.deepEqual([entry?.decision, entry?.reason], ["deny", "insufficient_scope"]);
  });

  test("bad arguments are refused by name: code over the size cap, a time limit over the maximum", async () => {
    const token = await server.mint({ sub: uniqueSub("py-args"), roles: ["operator"] });
    const big = await runPython(server, token, { code: `# ${"x".repeat(70 * 1024)}` });
    assert.match(big.texts[0] ?? "", /invalid arguments: code: must be at most 65536 bytes/);
    const slow = await runPython(server, token, { code: "print(1)", timeLimitMs: 60_000 });
    assert.match(slow.texts[0] ?? "", /invalid arguments: timeLimitMs/);
  });

  test("a 10 MB print is cut in the sandbox and again at the tool result cap, both visible, the cut audited", async () => {
    const sub = uniqueSub("py-output");
    const token = await server.mint({ sub, roles: ["operator"] });
    const answer = await runPython(server, token, { code: "print('y' * 10_000_000)" });
    const text = answer.texts.join("");
    assert.match(text, /\[truncated: the result exceeded 8192 bytes/);
    const [entry] = await auditDetails(server, sub);
    assert.equal(entry?.reason, "truncated");
    assert.match(entry?.detail ?? "", /result of \d+ bytes cut to 8192/);
  });

  test("an infinite loop ends at its time limit as an error; a user runs one program at a time, others are not held up", async () => {
    const sub = uniqueSub("py-loop");
    const token = await server.mint({ sub, roles: ["operator"] });
    const loop = runPython(server, token, { code: "while True:\n    pass", timeLimitMs: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await runPython(server, token, { code: "print(1)" });
    assert.equal(second.isError, true);
    assert.match(second.texts[0] ?? "", /limit per user/);
    const other = await server.mint({ sub: uniqueSub("py-other"), roles: ["operator"] });
    const theirs = await runPython(server, other, { code: "print('other caller')" });
    assert.equal(theirs.body?.stdout, "other caller\n");
    const stopped = await loop;
    assert.equal(stopped.isError, true);
    assert.match(stopped.texts[0] ?? "", /time limit/);
    assert.ok(["time-limit", "cpu-limit"].includes(String(stopped.body?.termination)));
  });

  test("the tool's rate limit holds like any other", async () => {
    const limited = await startTestServer({
      RATE_LIMIT_OVERRIDES: JSON.stringify({ tools: { run_python: { perMinute: 1, burst: 1 } } }),
      SANDBOX_POOL_SIZE: "1",
    });
    try {
      const token = await limited.mint({ sub: uniqueSub("py-rate"), roles: ["operator"] });
      assert.equal((await callTool(limited, token, "run_python", { code: "print(1)" })).status, 200);
      const refused = await callTool(limited, token, "run_python", { code: "print(1)" });
      assert.equal(refused.status, 429);
    } finally {
      await limited.close();
    }
  });
});

describe("the sandbox pod's service", () => {
  let settings: SandboxSettings;
  let service: FastifyInstance;
  let url: string;
  before(async () => {
    const parsed = parseSandboxSettings({
      SANDBOX_POOL_SIZE: "1",
      SANDBOX_MAX_CONCURRENT: "1",
      SANDBOX_STRICT: "true",
    });
    assert.ok("settings" in parsed);
    settings = parsed.settings;
    const built = await buildSandboxService(settings);
    service = built.app;
    await service.listen({ host: "127.0.0.1", port: 0 });
    const address = service.server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
    assert.equal((await fetch(`${url}/readyz`)).status, 503, "not ready before its interpreters are warm");
    await built.warm();
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
  });
  after(() => service.close());

  test("runs a program sent by the server and validates it itself, strictly when set so", async () => {
    const sandbox = remoteSandbox({ ...settings, url });
    const ran = await sandbox.run(
      { code: "import json\nprint(json.dumps({'ok': True}))", stdin: "", timeLimitMs: 5000, strict: false },
      "tenant/user",
    );
    assert.equal(ran.stdout, '{"ok": true}\n');
    const refused = await sandbox.run(
      { code: "super().__init__()", stdin: "", timeLimitMs: 5000, strict: false },
      "tenant/user",
    );
    assert.equal(refused.termination, "refused", "the service's strict setting holds over the request's");
  });

  test("a body that skips validation or breaks the schema is refused with the field named", async () => {
    const response = await fetch(`${url}/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "print(1)", timeLimitMs: 1000, validate: false }),
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /validate/);
  });

  test("production without a sandbox service runs nothing in the server's own pod", async () => {
    const sandbox = sandboxFor({ ...settings, url: undefined }, true);
    await assert.rejects(
      sandbox.run({ code: "print(1)", stdin: "", timeLimitMs: 1000, strict: false }, "t/u"),
      /only in the sandbox pod \(SANDBOX_URL\)/,
    );
  });
});
