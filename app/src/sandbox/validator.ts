// Layer 1: the program is parsed by the interpreter's own `ast` module and refused, with the
// rule and the line, if it imports a dangerous module, names a dangerous builtin, touches a
// dunder or frame attribute, or hides one of those in a string. Names are checked wherever they
// appear (a decorator, a lambda, an alias, a default argument), not only where they are called,
// so `f = eval`, `@exec` and `lambda: __import__` are caught like direct calls. Strict mode adds
// an import allowlist and refuses getattr and every dunder attribute outright; outside it, getattr is allowed only with a
// literal name that passes the attribute rules.
//
// This is the first wall, not the sandbox: the worker's process and the interpreter's bridge
// closure hold when a program gets past it.

export interface Violation {
  readonly rule: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface Verdict {
  readonly ok: boolean;
  readonly strict: boolean;
  readonly violations: readonly Violation[];
}

/** Python source that defines bastion_check(source, strict) -> JSON verdict. */
export const VALIDATOR_SOURCE = String.raw`
import ast as _ast, json as _json, re as _re

_DENIED_MODULES = frozenset("""
os posix nt subprocess _posixsubprocess socket _socket ssl select selectors asyncio sys builtins
importlib imp zipimport pkgutil runpy site sysconfig ctypes _ctypes cffi shutil pathlib glob
fileinput tempfile io _io mmap fcntl resource signal pty tty termios multiprocessing threading
_thread concurrent gc inspect code codeop pdb bdb trace traceback faulthandler marshal pickle
_pickle shelve dbm copyreg types operator _operator weakref urllib http ftplib smtplib poplib
imaplib telnetlib socketserver xmlrpc webbrowser platform ensurepip venv js pyodide pyodide_js
_pyodide _pyodide_core micropip emscripten linecache tokenize ast dis opcode sqlite3
""".split())

# Strict mode imports only from this list.
_ALLOWED_MODULES = frozenset("""
json re math cmath datetime time calendar zoneinfo random statistics itertools functools collections
decimal fractions numbers string textwrap heapq bisect dataclasses enum typing copy pprint uuid
hashlib hmac base64 binascii unicodedata difflib array struct abc contextlib csv secrets __future__
""".split())

_DENIED_BUILTINS = frozenset("""
eval exec compile __import__ open getattr setattr delattr globals vars locals breakpoint help
__build_class__
""".split())

# Attributes that lead from an ordinary object to frames, code and globals without a dunder.
_FRAME_ATTRIBUTES = frozenset("""
f_globals f_locals f_builtins f_back f_code f_trace gi_frame gi_code gi_yieldfrom cr_frame cr_code
cr_await ag_frame ag_code ag_await tb_frame tb_next co_code co_consts func_globals mro
""".split())

# The dunders an ordinary class needs; strict mode allows none.
_SAFE_DUNDER_ATTRIBUTES = frozenset(("__init__", "__name__", "__doc__", "__qualname__"))
_SAFE_DUNDER_NAMES = frozenset(("__name__", "__doc__"))
_SAFE_DUNDER_STRINGS = frozenset(("__main__",))
_DUNDER = _re.compile(r"^__\w+__$")
_DUNDER_INSIDE = _re.compile(r"__\w+__")
_FORMAT_FIELD_ATTRIBUTE = _re.compile(r"\{[^{}]*[.\[][^{}]*\}")
_MAX_VIOLATIONS = 20


class _Checker(_ast.NodeVisitor):
    def __init__(self, strict):
        self.strict = strict
        self.violations = []

    def refuse(self, node, rule, message):
        if len(self.violations) < _MAX_VIOLATIONS:
            self.violations.append({"rule": rule, "line": getattr(node, "lineno", 0), "column": getattr(node, "col_offset", 0) + 1, "message": message})

    def check_module(self, node, name):
        root = name.split(".")[0]
        # Private modules (_io, _thread, __main__ with the runner's own imports) are internals.
        if root in _DENIED_MODULES or (root.startswith("_") and root != "__future__"):
            self.refuse(node, "import-denied", f"import of {name} is not allowed")
        elif self.strict and root not in _ALLOWED_MODULES:
            self.refuse(node, "import-not-allowed", f"strict mode imports only allowlisted modules, not {name}")

    def visit_Import(self, node):
        for alias in node.names:
            self.check_module(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        if node.level:
            self.refuse(node, "import-relative", "relative imports are not allowed")
        else:
            self.check_module(node, node.module or "")
        for alias in node.names:
            if alias.name == "*" and self.strict:
                self.refuse(node, "import-star", "strict mode refuses star imports")
        self.generic_visit(node)

    def check_name(self, node, name):
        if name in _DENIED_BUILTINS:
            self.refuse(node, "builtin-denied", f"the builtin {name} is not allowed")
        elif _DUNDER.match(name) and name not in _SAFE_DUNDER_NAMES:
            self.refuse(node, "dunder-name", f"the name {name} is not allowed")

    def visit_Call(self, node):
        # Outside strict mode, getattr with a plain literal name is as safe as the dot it replaces.
        if not self.strict and isinstance(node.func, _ast.Name) and node.func.id == "getattr" and len(node.args) in (2, 3) and not node.keywords:
            name = node.args[1]
            if isinstance(name, _ast.Constant) and isinstance(name.value, str) and name.value.isidentifier():
                self.check_attribute(name, name.value)
                for argument in [node.args[0], *node.args[2:]]:
                    self.visit(argument)
                return
        self.generic_visit(node)

    def visit_Name(self, node):
        self.check_name(node, node.id)

    def visit_alias(self, node):
        self.check_name(node, node.asname or node.name.split(".")[0])

    def check_attribute(self, node, attr):
        if _DUNDER.match(attr) and (self.strict or attr not in _SAFE_DUNDER_ATTRIBUTES):
            self.refuse(node, "dunder-attribute", f"the attribute {attr} is not allowed")
        elif attr in _FRAME_ATTRIBUTES:
            self.refuse(node, "frame-attribute", f"the attribute {attr} reaches interpreter internals")
        elif attr.lstrip("_") in _DENIED_MODULES:
            # Allowed modules carry denied ones as attributes: typing.sys, random._os.
            self.refuse(node, "module-attribute", f"the attribute {attr} names a denied module")
        elif self.strict and attr.startswith("_") and not _DUNDER.match(attr):
            self.refuse(node, "private-attribute", f"strict mode refuses the private attribute {attr}")
        elif attr in _DENIED_BUILTINS:
            self.refuse(node, "builtin-denied", f"the attribute {attr} names a denied builtin")

    def visit_Attribute(self, node):
        self.check_attribute(node, node.attr)
        self.generic_visit(node)

    def visit_MatchClass(self, node):
        for attr in node.kwd_attrs:
            self.check_attribute(node, attr)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if not isinstance(node.value, str):
            return
        text = node.value
        if text in _SAFE_DUNDER_STRINGS:
            return
        named = set(_DUNDER_INSIDE.findall(text))
        # A piece of a dunder ("__cl" + "ass__") is harmless without getattr, which is checked.
        if named and (self.strict or not named <= _SAFE_DUNDER_ATTRIBUTES):
            self.refuse(node, "dunder-string", "a string naming a dunder could reach one by lookup")
        elif _FORMAT_FIELD_ATTRIBUTE.search(text) and ("__" in text or self.strict):
            self.refuse(node, "format-attribute", "a format field that looks up attributes is not allowed")

    def visit_keyword(self, node):
        if node.arg is not None and node.arg in ("__builtins__", "__globals__"):
            self.refuse(node, "dunder-name", f"the keyword {node.arg} is not allowed")
        self.generic_visit(node)


def bastion_check(source, strict=False):
    try:
        tree = _ast.parse(source, filename="<program>", mode="exec")
    except SyntaxError as error:
        violations = [{"rule": "syntax", "line": error.lineno or 0, "column": error.offset or 0, "message": f"syntax error: {error.msg}"}]
        return _json.dumps({"ok": False, "strict": bool(strict), "violations": violations})
    except (RecursionError, MemoryError, ValueError) as error:
        violations = [{"rule": "too-complex", "line": 0, "column": 0, "message": f"the program cannot be parsed: {type(error).__name__}"}]
        return _json.dumps({"ok": False, "strict": bool(strict), "violations": violations})
    checker = _Checker(bool(strict))
    try:
        checker.visit(tree)
    except RecursionError:
        checker.refuse(tree, "too-complex", "the program nests too deeply to check")
    return _json.dumps({"ok": not checker.violations, "strict": bool(strict), "violations": checker.violations})
`;
