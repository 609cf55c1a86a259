// Layer 1 in the real interpreter's ast module: every dangerous import, builtin and attribute,
// and the bypasses a regular expression misses, refused with the rule and the line; ordinary
// programs pass; strict mode narrows further; a refused program never starts in a worker.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadValidator, type Check } from "../src/sandbox/validator-runtime.js";
import { WarmPool } from "../src/sandbox/pool.js";

let check: Check;
before(async () => {
  check = await loadValidator();
});

/** Two harmless lines first, so the reported line must be the offending one, line 3. */
const onLine3 = (code: string) => `total = 1 + 2\nnames = ['a', 'b']\n${code}\n`;

function assertRefused(code: string, rule: string, strict = false): void {
  const verdict = check(onLine3(code), strict);
  assert.equal(verdict.ok, false, `accepted: ${code}`);
  const found = verdict.violations.find((violation) => violation.rule === rule);
  assert.ok(found, `${code}: expected rule ${rule}, got ${JSON.stringify(verdict.violations)}`);
  assert.equal(found.line, 3, `${code}: reported on line ${found.line}`);
  assert.ok(found.message.length > 0);
}

describe("dangerous imports", () => {
  for (const code of [
    "import os",
    "import subprocess",
    "import socket",
    "import sys",
    "import shutil",
    "import ctypes",
    "import importlib",
    "import builtins",
    "import os.path",
    "from os import system",
    "from subprocess import *",
    "import pathlib",
    "import pickle",
    "import multiprocessing",
    "import threading",
    "import gc",
    "import inspect",
    "import js",
    "import pyodide",
    "from pyodide.ffi import to_js",
    "import pyodide_js",
    "import json, os",
    "import operator",
  ])
    test(code, () => assertRefused(code, "import-denied"));
  test("a relative import", () => assertRefused("from . import utils", "import-relative"));
  for (const code of ["import __main__", "import _io", "from _thread import start_new_thread"]) {
    test(`a private module: ${code}`, () => assertRefused(code, "import-denied"));
  }
  test("from __future__ import annotations passes", () =>
    assert.equal(check("from __future__ import annotations\nprint(1)", true).ok, true));
});

describe("dangerous builtins, wherever the name appears", () => {
  for (const code of [
    "eval('1 + 1')",
    "exec('x = 1')",
    "compile('1', 'f', 'eval')",
    "__import__('os')",
    "open('/etc/passwd')",
    "globals()",
    "vars()",
    "locals()",
    "setattr(names, 'x', 1)",
    "delattr(names, 'x')",
    "breakpoint()",
    "run = eval",
    "handlers = [exec, print]",
    "def f(call=eval):\n    pass",
  ])
    test(code, () => assertRefused(code, "builtin-denied"));
});

describe("dunder and frame attributes", () => {
  for (const attribute of [
    "__builtins__",
    "__globals__",
    "__subclasses__",
    "__class__",
    "__mro__",
    "__bases__",
    "__dict__",
    "__code__",
    "__closure__",
    "__reduce__",
  ]) {
    test(attribute, () => assertRefused(`names.${attribute}`, "dunder-attribute"));
  }
  for (const attribute of ["gi_frame", "f_globals", "f_back", "tb_frame", "cr_frame", "f_builtins", "co_code"]) {
    test(attribute, () => assertRefused(`thing.${attribute}`, "frame-attribute"));
  }
  test("the name __builtins__", () => assertRefused("__builtins__", "dunder-name"));
});

describe("the bypasses a regular expression misses", () => {
  const cases: Array<[string, string, string]> = [
    ["a concatenated attribute name through getattr", "getattr(names, '__cl' + 'ass__')", "builtin-denied"],
    ["a getattr chain ending in a dunder", "getattr(getattr(names, 'copy'), '__class__')", "dunder-attribute"],
    ["getattr with a computed name", "key = 'x'\ngetattr(names, key)", "builtin-denied"],
    ["a subscript of globals()", "globals()['__builtins__']", "builtin-denied"],
    ["a subscript of vars()", "vars()['eval']", "builtin-denied"],
    ["a __class__.__mro__ walk", "().__class__.__mro__[1].__subclasses__()", "dunder-attribute"],
    ["a __subclasses__() walk from object", "object.__subclasses__()", "dunder-attribute"],
    ["a decorator hiding a call", "@eval\ndef payload():\n    pass", "builtin-denied"],
    ["a lambda hiding a call", "later = lambda: exec('import os')", "builtin-denied"],
    ["__import__ through the builtins dict", "__builtins__['__import__']('os')", "dunder-name"],
    ["__import__ through the builtins module's __dict__", "__builtins__.__dict__['__import__']('os')", "dunder-name"],
    ["a generator's frame to its globals", "(n for n in names).gi_frame.f_back.f_globals", "frame-attribute"],
    ["a format string reaching a dunder", "'{0.__class__.__mro__}'.format(names)", "dunder-string"],
    ["a format field reaching attributes", "'{0.__init__.__globals__}'.format(names)", "dunder-string"],
    ["a dunder name kept in a string for later", "key = '__globals__'", "dunder-string"],
    // The parser folds identifiers to NFKC, so look-alike letters name the same builtin.
    ["a builtin spelled with fullwidth letters", "\uff45val('1')", "builtin-denied"],
    ["a dunder attribute spelled with a fullwidth letter", "names.__\uff43lass__", "dunder-attribute"],
    [
      "a mapping pattern reading __class__",
      "match names:\n    case {'__class__': found}:\n        pass",
      "dunder-string",
    ],
    ["half a format field built by concatenation", "('{0.' + '__class__}').format(names)", "dunder-string"],
    [
      "a match pattern that reads __class__",
      "match names:\n    case object(__class__=found):\n        pass",
      "dunder-attribute",
    ],
    ["an alias that shadows a denied builtin", "from json import loads as eval", "builtin-denied"],
    ["type() used to reach __bases__", "type(names).__bases__", "dunder-attribute"],
    ["a denied module carried by an allowed one", "import typing\ntyping.sys.modules", "module-attribute"],
    ["a denied module kept privately by an allowed one", "import random\nrandom._os.system('id')", "module-attribute"],
    ["the same through getattr with a literal", "import random\ngetattr(random, '_os')", "module-attribute"],
  ];
  for (const [name, code, rule] of cases) {
    test(name, () => {
      const verdict = check(onLine3(code), false);
      assert.equal(verdict.ok, false, `accepted: ${code}`);
      assert.ok(
        verdict.violations.some((violation) => violation.rule === rule && violation.line >= 3),
        JSON.stringify(verdict.violations),
      );
    });
  }
});

describe("ordinary programs pass", () => {
  const programs: Record<string, string> = {
    arithmetic: "print(sum(i * i for i in range(10)) // 3, 2 ** 100, 7 / 2)",
    lists: "squares = [n * n for n in range(5)]\nsquares.sort(reverse=True)\nprint(squares[:3], len(squares))",
    json: "import json\nprint(json.dumps({'a': [1, 2, {'b': None}]}, sort_keys=True))",
    re: "import re\nprint(re.findall(r'\\d+', 'a1b22c333'))",
    math: "import math\nprint(math.sqrt(2), math.factorial(10), math.pi)",
    datetime: "from datetime import date, timedelta\nprint(date(2024, 2, 28) + timedelta(days=1))",
    classes: [
      "class Shape:",
      "    def __init__(self, name):",
      "        self.name = name",
      "    def __repr__(self):",
      "        return f'Shape({self.name!r})'",
      "class Square(Shape):",
      "    def __init__(self, side):",
      "        super().__init__('square')",
      "        self.side = side",
      "    def area(self):",
      "        return self.side ** 2",
      "print(Square(3).area(), Square(2), type(Square(1)).__name__)",
      "if __name__ == '__main__':",
      "    print('main')",
    ].join("\n"),
    generators:
      "def countdown(n):\n    while n:\n        yield n\n        n -= 1\nprint(list(countdown(3)), next(iter(countdown(5))))",
    dataclasses:
      "from dataclasses import dataclass\n@dataclass\nclass Point:\n    x: int\n    y: int\nprint(Point(1, 2))",
    "getattr with a plain literal name": "import math\nprint(getattr(math, 'tau'))",
    "collections and itertools":
      "from collections import Counter\nimport itertools\nprint(Counter('banana').most_common(1), list(itertools.islice(itertools.count(), 3)))",
  };
  for (const [name, code] of Object.entries(programs)) {
    test(name, () => {
      const verdict = check(code, false);
      assert.deepEqual(verdict.violations, [], JSON.stringify(verdict.violations));
      assert.equal(verdict.ok, true);
    });
  }
});

describe("strict mode", () => {
  test("imports only allowlisted modules", () => {
    assert.equal(check("import json, math", true).ok, true);
    assertRefused("import xml.dom", "import-not-allowed", true);
    assert.equal(check("import xml.dom", false).ok, true, "outside strict mode xml is not denied");
  });
  test("refuses getattr and every dunder attribute", () => {
    assertRefused("getattr(names, 'copy')", "builtin-denied", true);
    assertRefused("super().__init__()", "dunder-attribute", true);
  });
  test("refuses private attributes", () => {
    assertRefused("names._hidden", "private-attribute", true);
    assert.equal(check(onLine3("names._hidden"), false).ok, true);
  });
  test("refuses any string naming a dunder", () => {
    assertRefused("note = 'see __init__ docs'", "dunder-string", true);
    assert.equal(check(onLine3("note = 'see __init__ docs'"), false).ok, true);
  });
  test("the verdict says strict", () => {
    assert.equal(check("print(1)", true).strict, true);
  });
});

describe("what cannot be parsed", () => {
  test("a syntax error names its line", () => {
    const verdict = check("print(1)\nprint(2\n", false);
    assert.equal(verdict.ok, false);
    assert.equal(verdict.violations[0]?.rule, "syntax");
    assert.equal(verdict.violations[0]?.line, 2);
  });
  test("a program nested past the parser's limit is refused, not crashed on", () => {
    const verdict = check(`x = ${"(".repeat(5000)}1${")".repeat(5000)}`, false);
    assert.equal(verdict.ok, false);
    assert.ok(
      ["syntax", "too-complex"].includes(verdict.violations[0]?.rule ?? ""),
      JSON.stringify(verdict.violations),
    );
  });
  test("the violations listed are capped at twenty", () => {
    const verdict = check(Array.from({ length: 50 }, () => "eval('1')").join("\n"), false);
    assert.equal(verdict.violations.length, 20);
  });
});

describe("a refused program never starts", () => {
  let pool: WarmPool;
  before(async () => {
    pool = new WarmPool({
      poolSize: 1,
      maxConcurrent: 2,
      memoryBytes: 128 * 1024 * 1024,
      maxOutputBytes: 4096,
      networkIsolation: "namespace",
    });
    await pool.start();
  });
  after(() => pool.close());

  test("a program refused on line 2 prints nothing of line 1", async () => {
    const outcome = await pool.run({
      code: "print('started')\nimport os\n",
      stdin: "",
      timeLimitMs: 5_000,
      validate: true,
      strict: false,
    });
    assert.equal(outcome.termination, "refused");
    assert.equal(outcome.stdout, "");
    assert.equal(outcome.exitStatus, null);
    assert.deepEqual(
      outcome.verdict.violations.map((violation) => [violation.rule, violation.line]),
      [["import-denied", 2]],
    );
  });

  test("an accepted program runs with its verdict", async () => {
    const outcome = await pool.run({
      code: "import json\nprint(json.dumps([1]))",
      stdin: "",
      timeLimitMs: 5_000,
      validate: true,
      strict: true,
    });
    assert.equal(outcome.termination, "exited");
    assert.equal(outcome.stdout, "[1]\n");
    assert.equal(outcome.verdict.ok, true);
  });
});
