// read_file and list_files inside one base directory: a corpus of path attacks, each refused
// with its rule named, including a symlink escape, a FIFO and a device built in a temp dir.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let root: string;
let base: string;
let server: TestServer;
let token: string;

function run(command: string, ...args: string[]): void {
  const result = spawnSync(command, args);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "mcp-bastion-files-test-"));
  base = path.join(root, "served");
  await mkdir(path.join(base, "docs", "deep"), { recursive: true });
  await writeFile(path.join(base, "hello.txt"), "hello, bastion");
  await writeFile(path.join(base, "docs", "deep", "note.md"), "# note");
  await writeFile(path.join(base, "big.txt"), "y".repeat(5000));
  await writeFile(path.join(root, "secret.txt"), "outside the base");
  await symlink(path.join(root, "secret.txt"), path.join(base, "escape-link"));
  await symlink(root, path.join(base, "escape-dir"));
  await symlink("docs/deep/note.md", path.join(base, "inner-link"));
  await symlink("/etc/passwd", path.join(base, "passwd-link"));
  run("mkfifo", path.join(base, "pipe"));
  run("mknod", path.join(base, "zero"), "c", "1", "5");
  server = await startTestServer({ FILES_BASE_DIR: base, FILES_MAX_BYTES: "1024", RATE_LIMIT_BURST: "1000" });
  token = await server.mint({ sub: uniqueSub("reader"), roles: ["readonly"] });
});
after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

async function tool(name: string, args: Record<string, unknown>) {
  const response = await callTool(server, token, name, args);
  assert.equal(response.status, 200);
  const { result } = (await response.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
  return { isError: result.isError === true, text: result.content[0]?.text ?? "" };
}

const attacks: Array<[string, RegExp]> = [
  ["../secret.txt", /'\.\.' escapes/],
  ["docs/../../secret.txt", /'\.\.' escapes/],
  ["docs/deep/../../../secret.txt", /'\.\.' escapes/],
  ["/etc/passwd", /absolute path/],
  ["//etc/passwd", /absolute path/],
  ["~/.ssh/id_rsa", /absolute path/],
  ["hello.txt\u0000.png", /null byte/],
  ["..%2fsecret.txt", /percent-encoded/],
  ["%2e%2e/secret.txt", /percent-encoded/],
  ["%252e%252e/secret.txt", /percent-encoded/],
  ["..\\secret.txt", /backslash/],
  ["docs\\..\\..\\secret.txt", /backslash/],
  ["C:/Windows/win.ini", /drive letter/],
  ["c:secret", /drive letter/],
  ["CON", /Windows reserved name/],
  ["docs/nul.txt", /Windows reserved name/],
  ["LPT1", /Windows reserved name/],
  ["com1.log", /Windows reserved name/],
  ["hello.txt.", /ending in a dot or space/],
  ["hello.txt ", /ending in a dot or space/],
  ["\uff0e\uff0e/secret.txt", /look-alikes/],
  ["docs\uff0f..\uff0fsecret", /look-alikes/],
  ["docs\u2215..\u2215secret.txt", /no such file/], // a division slash is a name character, not a separator
  ["line\nbreak", /control character/],
  ["escape-link", /symbolic link/],
  ["escape-dir/secret.txt", /outside the base directory/],
  ["passwd-link", /symbolic link/],
  ["pipe", /a FIFO/],
  ["zero", /a device file/],
  ["docs", /not a regular file/],
  ["missing.txt", /no such file/],
  ["hello.txt/more", /not a directory/],
  ["x".repeat(2000), /longer than 1024/],
];

describe("read_file path attacks", () => {
  for (const [requested, rule] of attacks) {
    test(`refused: ${JSON.stringify(requested).slice(0, 60)}`, async () => {
      const result = await tool("read_file", { path: requested });
      assert.equal(result.isError, true, result.text);
      assert.match(result.text, /^blocked: /);
      assert.match(result.text, rule);
      assert.ok(!result.text.includes("outside the base") || /resolves outside/.test(result.text), "no content leaked");
    });
  }
});

describe("file tools, positive cases", () => {
  test("files inside the base are read, also through a symlink that stays inside", async () => {
    assert.equal(JSON.parse((await tool("read_file", { path: "hello.txt" })).text).content, "hello, bastion");
    assert.equal(JSON.parse((await tool("read_file", { path: "./docs//deep/note.md" })).text).content, "# note");
    const viaDir = await tool("read_file", { path: "inner-link" });
    assert.match(viaDir.text, /symbolic link/, "a final symlink is never followed, even one that stays inside");
  });

  test("large files are cut at the cap and say so", async () => {
    const result = JSON.parse((await tool("read_file", { path: "big.txt" })).text) as {
      content: string;
      truncated: boolean;
    };
    assert.equal(result.content.length, 1024);
    assert.equal(result.truncated, true);
  });

  test("list_files shows names and types, symlinks unfollowed; escapes refused", async () => {
    const listing = JSON.parse((await tool("list_files", {})).text) as {
      entries: Array<{ name: string; type: string }>;
    };
    const byName = Object.fromEntries(listing.entries.map((entry) => [entry.name, entry.type]));
    assert.equal(byName["hello.txt"], "file");
    assert.equal(byName.docs, "directory");
    assert.equal(byName["escape-dir"], "symlink");
    assert.equal(byName.pipe, "other");
    assert.deepEqual(JSON.parse((await tool("list_files", { path: "docs/deep" })).text).entries, [
      { name: "note.md", type: "file" },
    ]);
    assert.match((await tool("list_files", { path: "escape-dir" })).text, /blocked: the path is a symbolic link/);
    assert.match((await tool("list_files", { path: ".." })).text, /blocked: '\.\.' escapes/);
    assert.match((await tool("list_files", { path: "hello.txt" })).text, /blocked: not a directory/);
  });
});
