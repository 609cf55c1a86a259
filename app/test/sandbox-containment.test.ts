// Layers 2 and 3 with layer 1 switched off: real Pyodide in real contained processes. Every
// escape through the JavaScript bridge fails, a process that reaches the host's JavaScript
// anyway still reads no environment, no file, starts no process and opens no socket, and each
// cap stops its bomb while other callers keep getting answers.
import assert from "node:assert/strict";
import { open, readdir, readFile, readlink, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { spawnContained } from "../src/sandbox/contained-process.js";
import { SandboxBusyError, WarmPool, type Job } from "../src/sandbox/pool.js";

const CANARY = `canary-${process.pid}-${Date.now()}`;
const OUTPUT_CAP = 100 * 1024;
let pool: WarmPool;
let canaryDir: string;
let canaryFile: string;
let listener: Server;
let port: number;

const unvalidated = (code: string, extra: Partial<Job> = {}): Job => ({
  code,
  stdin: "",
  timeLimitMs: 8_000,
  validate: false,
  strict: false,
  ...extra,
});

before(async () => {
  process.env.SANDBOX_TEST_CANARY = CANARY; // in the server's environment, never in a worker's
  canaryDir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-canary-"));
  canaryFile = path.join(canaryDir, "secret.txt");
  await writeFile(canaryFile, CANARY);
  listener = createServer((socket) => socket.end(CANARY));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  port = (listener.address() as { port: number }).port;
  pool = new WarmPool({
    poolSize: 2,
    maxConcurrent: 3,
    memoryBytes: 128 * 1024 * 1024,
    maxOutputBytes: OUTPUT_CAP,
    networkIsolation: "namespace",
  });
  await pool.start();
});
after(async () => {
  await pool.close();
  await new Promise((resolve) => listener.close(resolve));
  await rm(canaryDir, { recursive: true, force: true });
  delete process.env.SANDBOX_TEST_CANARY;
});

describe("the interpreter runs programs", () => {
  test("stdout, stdin and the exit status come back", async () => {
    const outcome = await pool.run(
      unvalidated("name = input()\nprint(f'hello {name}')\nraise SystemExit(3)", { stdin: "bastion\n" }),
    );
    assert.equal(outcome.termination, "exited");
    assert.equal(outcome.stdout, "hello bastion\n");
    assert.equal(outcome.exitStatus, 3);
  });

  test("an exception is a traceback on stderr that points at the program's line, and exit status 1", async () => {
    const outcome = await pool.run(unvalidated("x = 1\ny = x / 0\n"));
    assert.equal(outcome.exitStatus, 1);
    assert.match(outcome.stderr, /File "<program>", line 2/);
    assert.match(outcome.stderr, /ZeroDivisionError/);
  });
});

// Each program tries one way from Python to the host and prints ESCAPED and what it got if it
// works; otherwise the exception's type.
const BRIDGE_ESCAPES: Record<string, string> = {
  "import js": "import js\nprint('ESCAPED', js.constructor.constructor('return process.env')())",
  "import pyodide_js": "import pyodide_js\nprint('ESCAPED', pyodide_js)",
  "pyodide.ffi after removing the import blocker":
    "import sys\nsys.meta_path.pop(0)\nfrom pyodide.ffi import to_js\nprint('ESCAPED', to_js([]).constructor.constructor('return process.env')())",
  "pyodide.code.run_js":
    "import sys\nsys.meta_path.pop(0)\nfrom pyodide.code import run_js\nprint('ESCAPED', run_js('process.env'))",
  "a JavaScript object found through gc, to the Function constructor": [
    "import gc",
    "found = [o for o in gc.get_objects() if type(o).__name__.startswith('Js') and hasattr(o, 'constructor')]",
    "for o in found:",
    "    try:",
    "        print('ESCAPED', o.constructor.constructor('return process.env')())",
    "    except Exception as error:",
    "        print('blocked', type(error).__name__)",
    "print('tried', len(found))",
  ].join("\n"),
  "ctypes into emscripten_run_script":
    "import sys\nsys.meta_path.pop(0)\nimport ctypes\nlib = ctypes.CDLL(None)\nprint('ESCAPED', lib.emscripten_run_script_string(b'JSON.stringify(process.env)'))",
  "open() of a host file": "print('ESCAPED', open(" + "'/etc/passwd').read())",
  "os.environ and os.listdir":
    "import os\nprint('ESCAPED' if 'SANDBOX_TEST_CANARY' in os.environ else 'env clean', os.listdir('/'))\nprint(open('/proc/self/environ').read())",
  "a socket to the host":
    "import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('127.0.0.1', PORT))\nprint('ESCAPED', s.recv(100))",
  subprocess: "import subprocess\nprint('ESCAPED', subprocess.run(['/bin/echo', 'hi'], capture_output=True))",
  "os.system, which Emscripten hands to Node's child_process": "import os\nprint('ESCAPED', os.system('touch MARKER'))",
  "__subclasses__ walk to a loader's file reader":
    "for c in ().__class__.__base__.__subclasses__():\n    if c.__name__ == 'FileLoader':\n        print('ESCAPED', c.get_data(c, '/etc/hostname'))",
};

describe("layer 2: the JavaScript bridge is closed and the interpreter sees no host", () => {
  for (const [name, code] of Object.entries(BRIDGE_ESCAPES)) {
    test(name, async () => {
      const marker = path.join(canaryDir, "escaped");
      // Built at run time, so a traceback quoting the source line does not match.
      const program = code
        .replaceAll("'ESCAPED'", "'ESC' + 'APED'")
        .replace("PORT", String(port))
        .replace("MARKER", marker);
      const outcome = await pool.run(unvalidated(program));
      const everything = `${outcome.stdout}\n${outcome.stderr}`;
      assert.doesNotMatch(everything, /ESCAPED/, everything);
      assert.ok(!everything.includes(CANARY), "the canary reached the program");
      await assert.rejects(readFile(marker), { code: "ENOENT" }, "a host process ran");
      // A refused host call may abort the interpreter: then the worker dies, alone.
      assert.ok(outcome.termination === "exited" || outcome.termination === "crashed", outcome.termination);
    });
  }
});

describe("layer 3: a process that reaches the host's JavaScript still reaches nothing", () => {
  test("no environment, no host file, no process, no thread, no socket, no eval", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/host-escape.mjs", import.meta.url));
    const contained = await spawnContained(fixture, {
      readable: [fixture],
      networkIsolation: "namespace",
      heapMiB: 64,
      args: [canaryFile, String(port)],
    });
    contained.child.stdin.end();
    let output = "";
    contained.child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => contained.child.once("exit", resolve));
    await contained.destroy();
    assert.ok(output, "the fixture printed no report");
    const report = JSON.parse(output) as Record<string, { escaped: boolean; error?: string }> & {
      env: Record<string, string>;
    };
    assert.deepEqual(report.env, {});
    for (const name of ["readCanary", "readPasswd", "childProcess", "workerThread", "socket", "codeFromStrings"]) {
      assert.equal(report[name]?.escaped, false, `${name}: ${JSON.stringify(report[name])}`);
    }
    assert.equal(report.readCanary?.error, "ERR_ACCESS_DENIED");
    assert.equal(report.childProcess?.error, "ERR_ACCESS_DENIED");
  });

  test("a worker inherits none of the server's descriptors, none of its environment, and carries kernel limits", async () => {
    const held = await open(canaryFile, "r"); // an open file and a listening socket in the server
    const fixture = fileURLToPath(new URL("./fixtures/host-escape.mjs", import.meta.url));
    const contained = await spawnContained(fixture, {
      readable: [fixture],
      networkIsolation: "namespace",
      heapMiB: 64,
      args: [canaryFile, String(port)],
      cpuSeconds: 7,
    });
    try {
      await new Promise((resolve) => contained.child.stdout.once("data", resolve)); // past exec and start-up
      // The kernel's own limits, which hold even if the server dies while the program spins.
      const limits = await readFile(`/proc/${contained.pid}/limits`, "utf8");
      assert.match(limits, /^Max cpu time\s+7\s+7\s+seconds/m);
      assert.match(limits, /^Max file size\s+0\s+0\s+bytes/m);
      assert.match(limits, /^Max core file size\s+0\s+0\s+bytes/m);
      const descriptors = async (pid: number | string) => {
        const fds = await readdir(`/proc/${pid}/fd`);
        return new Map(
          await Promise.all(
            fds.map(async (fd) => [Number(fd), await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "gone")] as const),
          ),
        );
      };
      const ours = [...(await descriptors("self")).values()].filter(
        (target) => target.startsWith("socket:") || (target.startsWith("/") && !target.startsWith("/dev/")),
      );
      assert.ok(ours.includes(canaryFile), "the server holds the canary file open");
      const theirs = await descriptors(contained.pid);
      for (const target of ours) assert.ok(![...theirs.values()].includes(target), `the worker inherited ${target}`);
      // Its stdio are socket pairs made for it; any other socket could only have been inherited.
      const sockets = [...theirs].filter(([, target]) => target.startsWith("socket:")).map(([fd]) => fd);
      assert.ok(
        sockets.every((fd) => fd <= 2),
        `sockets at descriptors ${sockets.join(", ")}`,
      );
      assert.equal(await readFile(`/proc/${contained.pid}/environ`, "utf8"), "");
    } finally {
      await held.close();
      await contained.destroy();
    }
  });
});

describe("caps stop hostile programs and the pool keeps answering", () => {
  test("an infinite loop is killed at its time limit while another caller gets its answer", async () => {
    const loop = pool.run(unvalidated("while True:\n    pass", { timeLimitMs: 3_000 }));
    const quick = await pool.run(unvalidated("print(sum(range(100)))"));
    assert.equal(quick.stdout, "4950\n");
    const stopped = await loop;
    assert.ok(stopped.termination === "time-limit" || stopped.termination === "cpu-limit", stopped.termination);
    assert.equal(stopped.exitStatus, null);
    assert.ok(stopped.durationMs < 6_000, `stopped after ${stopped.durationMs} ms`);
  });

  test("a cancelled call (the client gone, the tool's timeout) kills its program at once", async () => {
    const controller = new AbortController();
    const running = pool.run(unvalidated("while True:\n    pass", { timeLimitMs: 8_000 }), controller.signal);
    setTimeout(() => controller.abort(), 500);
    const outcome = await running;
    assert.equal(outcome.termination, "cancelled");
    assert.ok(outcome.durationMs < 4_000, `stopped after ${outcome.durationMs} ms`);
  });

  test("a memory bomb stops at the WebAssembly memory cap", async () => {
    const outcome = await pool.run(unvalidated("hoard = []\nwhile True:\n    hoard.append(bytearray(10**7))"));
    assert.ok(
      (outcome.termination === "exited" && outcome.exitStatus === 1 && /MemoryError/.test(outcome.stderr)) ||
        outcome.termination === "memory-limit",
      `${outcome.termination}: ${outcome.stderr}`,
    );
  });

  test("a 10 MB print is cut at the output cap, and the cut is counted", async () => {
    const outcome = await pool.run(unvalidated("print('x' * 10_000_000)"));
    assert.equal(outcome.termination, "exited");
    assert.equal(outcome.stdout.length, OUTPUT_CAP);
    assert.equal(outcome.stdoutBytes, 10_000_001);
  });

  test("past the pod's concurrency cap a call is refused at once, not queued", async () => {
    const slow = [0, 1, 2].map(() => pool.run(unvalidated("while True:\n    pass", { timeLimitMs: 2_000 })));
    await assert.rejects(pool.run(unvalidated("print(1)")), SandboxBusyError);
    await Promise.all(slow);
    const after = await pool.run(unvalidated("print('still here')"));
    assert.equal(after.stdout, "still here\n");
  });
});
