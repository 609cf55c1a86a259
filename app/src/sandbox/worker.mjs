/* global process, WebAssembly, Buffer */
// The contained worker: one Python program per process. It is plain JavaScript because it runs
// under Node's permission model, which forbids the loader threads a TypeScript loader needs.
// The parent (contained-process.ts) starts it with an empty environment, read access to the
// interpreter's files only, no child processes, no workers, code generation from strings off,
// and (where configured) no network namespace. This file closes what it can inside the process:
// Pyodide's bridge to the host's JavaScript, and WebAssembly memory past the cap.
//
// Protocol, one JSON document a line: the parent sends a boot line
//   {pyodide, validator, maxMemoryBytes, maxOutputBytes}
// the worker answers {type:"ready"}; then one job line
//   {code, stdin, validate, strict}
// and the worker answers {type:"result", ...} and exits.
import { constants as fsConstants } from "node:fs";
import { createInterface } from "node:readline";

const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
async function nextLine() {
  const { value, done } = await lines.next();
  if (done) process.exit(0); // the parent went away: nothing to do
  return JSON.parse(value);
}

// Emscripten's Node file system reads open flags through process.binding, which the permission
// model forbids; it needs only the constants.
const deniedBinding = process.binding;
process.binding = (name) => (name === "constants" ? { fs: fsConstants } : deniedBinding(name));

/** WebAssembly memory counts against the cap: past it, growth fails and Python raises MemoryError. */
function capWebAssemblyMemory(maxBytes) {
  const grow = WebAssembly.Memory.prototype.grow;
  Object.defineProperty(WebAssembly.Memory.prototype, "grow", {
    value: function cappedGrow(pages) {
      if (this.buffer.byteLength + pages * 65536 > maxBytes) throw new RangeError("WebAssembly memory cap reached");
      return grow.call(this, pages);
    },
    writable: false,
    configurable: false,
  });
}

/** Collects one stream up to the cap; the rest is counted, not kept. */
function cappedStream(maxBytes) {
  const chunks = [];
  let kept = 0;
  let total = 0;
  return {
    writer: {
      isatty: false,
      write(buffer) {
        total += buffer.length;
        const room = maxBytes - kept;
        if (room > 0) {
          const part = buffer.length > room ? buffer.slice(0, room) : buffer.slice();
          chunks.push(part);
          kept += part.length;
        }
        return buffer.length;
      },
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
    totalBytes: () => total,
  };
}

// Runs a program as __main__ in fresh globals and turns its end into an exit status.
const RUNNER = `
import linecache as _linecache, sys as _sys, traceback as _traceback
def _bastion_run(source):
    _linecache.cache["<program>"] = (len(source), None, source.splitlines(True), "<program>")
    program = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(source, "<program>", "exec"), program)
        return 0
    except SystemExit as exit:
        code = exit.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code & 0xFF
        print(code, file=_sys.stderr)
        return 1
    except BaseException as error:
        if isinstance(error, MemoryError):
            program.clear()  # frees what the program held, so the report can be written
        _traceback.print_exception(type(error), error, error.__traceback__.tb_next)
        return 1
    finally:
        _sys.stdout.flush()
        _sys.stderr.flush()
`;

// The modules through which Python reaches JavaScript. Unregistered on the JavaScript side and
// refused by the import system; with code generation from strings off, no JavaScript object a
// program might still find can compile code in the host.
const BRIDGE_MODULES = ["js", "pyodide_js"];
const CLOSE_BRIDGE = `
import sys as _sys
_BLOCKED = ("js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "ctypes", "_ctypes", "micropip", "pyodide_http")
class _BridgeBlocker:
    blocked = _BLOCKED
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.split(".")[0] in cls.blocked:
            raise ImportError(f"module {name} is not available in the sandbox")
        return None
for _name in [n for n in _sys.modules if n.split(".")[0] in _BLOCKED]:
    del _sys.modules[_name]
_sys.meta_path.insert(0, _BridgeBlocker)
del _name, _BridgeBlocker, _BLOCKED
`;

async function boot() {
  const config = await nextLine();
  capWebAssemblyMemory(config.maxMemoryBytes);
  const { loadPyodide } = await import(config.pyodide);
  const stdout = cappedStream(config.maxOutputBytes);
  const stderr = cappedStream(config.maxOutputBytes);
  const pyodide = await loadPyodide({
    jsglobals: Object.create(null), // no host globals behind `js`, not even Object's constructor
    env: { HOME: "/home/sandbox" },
    checkAPIVersion: true,
  });
  pyodide.setStdout(stdout.writer);
  pyodide.setStderr(stderr.writer);
  pyodide.runPython(config.validator);
  const check = pyodide.globals.get("bastion_check");
  pyodide.runPython(RUNNER);
  const run = pyodide.globals.get("_bastion_run");
  for (const name of BRIDGE_MODULES) pyodide.unregisterJsModule(name);
  pyodide.runPython(CLOSE_BRIDGE);
  // V8's stack-trace hook hands out call sites (and their receivers); nobody may install one.
  Object.defineProperty(Error, "prepareStackTrace", { value: undefined, writable: false, configurable: false });
  send({ type: "ready" });

  const job = await nextLine();
  let verdict = { ok: true, violations: [] };
  if (job.validate) {
    const found = check(job.code, Boolean(job.strict));
    verdict = JSON.parse(found);
    if (!verdict.ok) {
      send({
        type: "result",
        verdict,
        ran: false,
        exitStatus: null,
        stdout: "",
        stderr: "",
        stdoutBytes: 0,
        stderrBytes: 0,
      });
      return;
    }
  }
  let stdinSent = false;
  pyodide.setStdin({
    stdin: () => {
      if (stdinSent) return null;
      stdinSent = true;
      return job.stdin ?? "";
    },
    autoEOF: true,
  });
  const exitStatus = run(job.code);
  send({
    type: "result",
    verdict,
    ran: true,
    exitStatus,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutBytes: stdout.totalBytes(),
    stderrBytes: stderr.totalBytes(),
  });
}

boot().then(
  () => process.stdout.end(() => process.exit(0)),
  (error) => {
    process.stderr.write(`worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(70);
  },
);
