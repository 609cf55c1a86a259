// The contract every command keeps, checked on the real commands with an empty environment (no
// NEO4J_URI, no kubeconfig, no local stack): --help anywhere prints the usage and exits 0; a
// usage problem (unknown flag, unknown command, missing or unexpected argument) is named once,
// on one line in one style, exits 2, and comes before any environment or network error.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const home = mkdtempSync(path.join(tmpdir(), "mcp-bastion-cli-"));
// Stack files the commands must take as they take the examples (the name is git-ignored).
const ownStack = `cluster-cli-${process.pid}`;
const badStack = `cluster-cli-bad-${process.pid}`;

/** npm's name of each command, and its script. */
const COMMANDS = {
  token: "token.ts",
  backup: "backup.ts",
  restore: "restore-backup.ts",
  certs: "certs.ts",
  check: "check.ts",
  synth: "synth.ts",
  deploy: "deploy.ts",
  start: "local-stack.ts",
  services: "services.ts",
  cluster: "cluster.ts",
  audit: "audit.ts",
  sbom: "sbom.ts",
} as const;
type Command = keyof typeof COMMANDS;

// A subcommand of each command that has them, to ask for --help behind it.
const SUBCOMMANDS: Partial<Record<Command, string>> = {
  token: "mint",
  backup: "prune",
  restore: "verify",
  certs: "renew",
  deploy: "up",
};

interface Case {
  command: Command;
  args: string[];
  code: 0 | 2;
  /** For exit 2: what the one line must name. */
  names?: RegExp;
}

const cases: Case[] = [];
for (const command of Object.keys(COMMANDS) as Command[]) {
  const sub = SUBCOMMANDS[command];
  cases.push({ command, args: ["--help"], code: 0 });
  cases.push({ command, args: ["-h"], code: 0 });
  if (sub)
    cases.push(
      { command, args: [sub, "--help"], code: 0 },
      { command, args: [sub, "--frobnicate", "--help"], code: 0 },
    );
  cases.push({ command, args: [...(sub ? [sub] : []), "--frobnicate"], code: 2, names: /--frobnicate/ });
  cases.push({ command, args: ["frobnicate"], code: 2, names: /frobnicate/ });
}
cases.push(
  // Missing arguments.
  { command: "token", args: [], code: 2, names: /a command is needed/ },
  { command: "token", args: ["mint", "--roles", "admin"], code: 2, names: /--sub is required/ },
  { command: "backup", args: ["prune"], code: 2, names: /--keep must be a whole number/ },
  { command: "backup", args: ["--keep", "3"], code: 2, names: /--keep belongs to backup prune/ },
  { command: "restore", args: [], code: 2, names: /a command is needed: list, verify, restore/ },
  { command: "restore", args: ["verify"], code: 2, names: /verify needs a backup id or latest/ },
  { command: "restore", args: ["verify", "latest", "--force"], code: 2, names: /Unknown option '--force'/ },
  { command: "restore", args: ["list", "extra"], code: 2, names: /unexpected argument "extra"/ },
  { command: "restore", args: ["latest", "--force"], code: 2, names: /Unknown option '--force'/ },
  { command: "restore", args: ["latest", "extra"], code: 2, names: /unexpected argument "extra"/ },
  {
    command: "restore",
    args: ["verify", "latest", "--wipe"],
    code: 2,
    names: /--wipe belongs to restoring a backup, not to verify/,
  },
  {
    command: "restore",
    args: ["latest", "--import-into", "home", "--to", "bolt://x:7687"],
    code: 2,
    names: /--to belongs to restoring online, not to --import-into/,
  },
  {
    command: "restore",
    args: ["latest", "--import-memory", "2G"],
    code: 2,
    names: /--import-memory belongs to --import-into/,
  },
  {
    command: "restore",
    args: ["latest", "--import-into", "home", "--import-memory", "lots"],
    code: 2,
    names: /--import-memory must be a size such as 2G or 512M, got "lots"/,
  },
  {
    command: "restore",
    args: ["list", "--import-into", "home"],
    code: 2,
    names: /--import-into belongs to restoring a backup, not to list/,
  },
  { command: "restore", args: ["restore", "latest", "--in-cluster"], code: 2, names: /needs the kit's namespace/ },
  {
    command: "restore",
    args: ["restore", "latest", "--in-cluster", "--namespace", "ns", "--force"],
    code: 2,
    names: /Unknown option '--force'/,
  },
  { command: "certs", args: [], code: 2, names: /a command is needed: status or renew/ },
  { command: "certs", args: ["renew"], code: 2, names: /renew takes one certificate name, or --all/ },
  { command: "certs", args: ["status", "extra"], code: 2, names: /status takes no names/ },
  { command: "synth", args: [], code: 2, names: /--stack is required/ },
  { command: "synth", args: ["--stack", "dev"], code: 2, names: /there is no Pulumi\.dev\.yaml/ },
  { command: "synth", args: ["--stack", "../etc/passwd"], code: 2, names: /is not a stack name/ },
  { command: "check", args: ["--stack", "dev"], code: 2, names: /there is no Pulumi\.dev\.yaml/ },
  { command: "check", args: ["--manifests", path.join(home, "missing")], code: 2, names: /no such file or folder/ },
  { command: "deploy", args: ["up"], code: 2, names: /--stack NAME is required/ },
  { command: "start", args: ["--port", "99999"], code: 2, names: /is not a port number/ },
  { command: "audit", args: ["--accepted"], code: 2, names: /--accepted/ },
);

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: Command, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", COMMANDS[command]), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        MCP_BASTION_CACHE: path.join(home, "cache"),
        KUBECONFIG: path.join(home, "no-kubeconfig"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs every case, a few at a time (each is a process start). */
async function runAll(list: readonly Case[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const index = next++;
      const item = list[index] as Case;
      outcomes[index] = await run(item.command, item.args);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return outcomes;
}

const npmName = (command: Command) => (command === "start" ? "npm start" : `npm run ${command}`);

describe("every command's contract", () => {
  let outcomes: Outcome[];
  before(async () => {
    outcomes = await runAll(cases);
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  cases.forEach((item, index) => {
    test(`${npmName(item.command)} ${item.args.join(" ").replace(home, "TMP")}: exit ${item.code}`, () => {
      const { code, stdout, stderr } = outcomes[index] as Outcome;
      assert.equal(code, item.code, `stdout:\n${stdout}\nstderr:\n${stderr}`);
      if (item.code === 0) {
        assert.ok(stdout.startsWith(`usage: ${npmName(item.command)}`), `the usage, in the one style:\n${stdout}`);
        assert.equal(stderr, "", "help needs no environment and warns about nothing");
        return;
      }
      assert.equal(stdout, "");
      const lines = stderr.trim().split("\n");
      assert.equal(lines.length, 1, `the problem is named once, on one line:\n${stderr}`);
      assert.match(stderr, item.names as RegExp);
      assert.match(stderr, new RegExp(`\\(usage: ${npmName(item.command)} .*; --help for more\\)$`, "m"));
      const problem = stderr.slice(0, stderr.lastIndexOf(" (usage: "));
      assert.doesNotMatch(problem, /NEO4J_URI|kubeconfig|ECONNREFUSED|local stack/i, "no environment was read");
    });
  });
});

describe("check and synth take any stack and name every bad setting with its file", () => {
  before(() => {
    copyFileSync(path.join(ROOT, "Pulumi.local.yaml"), path.join(ROOT, `Pulumi.${ownStack}.yaml`));
    writeFileSync(
      path.join(ROOT, `Pulumi.${badStack}.yaml`),
      [
        "config:",
        "  mcp-bastion:platform: local",
        "  mcp-bastion:mcpReplicas: 0",
        "  mcp-bastion:sandboxPoolSize: 99",
        "  mcp-bastion:namespace: Bad_NS",
        "",
      ].join("\n"),
    );
  });
  after(() => {
    for (const stack of [ownStack, badStack]) rmSync(path.join(ROOT, `Pulumi.${stack}.yaml`), { force: true });
    rmSync(path.join(ROOT, "dist", "manifests", ownStack), { recursive: true, force: true });
  });

  test("synth --stack NAME reads Pulumi.NAME.yaml", async () => {
    const out = path.join(home, "manifests");
    const { code, stdout, stderr } = await run("synth", ["--stack", ownStack, "--out", out]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`^${ownStack}: \\d+ objects written to ${out}`));
  });

  test("three bad values are named at once, with the file, in the settings' words", async () => {
    for (const command of ["synth", "check"] as const) {
      const { code, stderr } = await run(command, ["--stack", badStack]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, new RegExp(`^Pulumi\\.${badStack}\\.yaml: invalid stack configuration:`));
      assert.match(stderr, /namespace: must be a DNS label/);
      assert.match(stderr, /mcpReplicas: must be at least 2/);
      assert.match(stderr, /sandboxPoolSize: must be at most 32/);
      assert.match(stderr, /mcpHost: is required/);
      assert.doesNotMatch(stderr, /Too (small|big)|Invalid input|expected (number|string)/, "no validator wording");
    }
  });
});
