"""What Python compiles at run time while modules load — generated methods, annotations,
regular expressions — cached across processes.

A one-file check creates ~90 dataclasses (ours and pydantic's), ~1,000 forward references, a
few named tuples and ~100 regular expressions: `dataclasses` writes each class's `__init__`,
`__eq__`, `__repr__` … as source text and `exec`s it, `typing.ForwardRef` compiles each
annotation string, `namedtuple` `eval`s its `__new__`, and `re` parses each pattern into a
program for its matcher in Python. That was ~25 % of the CPU of a cold check (~40 ms), redone
by every process. `install` routes it through a cache kept in the user's cache folder: the
builtins `exec`, `compile` and `eval` are shadowed in the namespaces of `dataclasses`, `typing`
and `collections`, and `re`'s compiler is given the program for a pattern it has seen. What
runs is what would have been made from the same text: the code the builtin compiles (file
name ``<string>``, no inherited future flags — `install` declines if one of the modules had
any —, the same optimisation level) and the pattern `re` builds from the same program, so
every class, method, annotation and pattern is exactly as before.

Marshalled code runs when it is loaded and a cache folder is writable by whoever planted a file
there, so the file is signed like the rule-book cache (HMAC-SHA256 under the per-user key,
cachesafe.py) and nothing in it is unmarshalled before the signature verifies. It is tied to
the Python version (bytecode, marshal and regular-expression formats change) and optimisation
level. A missing, foreign or damaged file only means compiling as usual; what was compiled is
written back when the process exits normally (not for a few texts: some libraries build a
pattern from a set, a new text in every process). ``CASEREVIEW_NO_CACHE`` turns it off, like
the other caches.
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

MAX_BYTES = 8 * 1024 * 1024
SIGNATURE_BYTES = 32
_LABEL = f"code:{sys.version}:{sys.flags.optimize}"

MAX_FRESH = 2000  # entries a process adds: start-up needs ~800; patterns made from data are not kept
# A process that compiled only a few new texts does not rewrite the file: some libraries build
# a pattern from a set (a new text in every process, e.g. openpyxl's defined names).
MIN_NEW = 16
_entries: dict[tuple, Any] | None = None  # (mode, source) → code, ("re", pattern, flags) → program
_fresh: dict[tuple, Any] = {}  # compiled by this process (and not read from the file)


def install() -> bool:
    """Route the three modules' compiling through the cache; False if it is not used here."""
    if os.environ.get("CASEREVIEW_NO_CACHE"):
        return False
    import __future__

    import collections
    import dataclasses
    import typing

    shadows = ((dataclasses, "exec", _exec), (typing, "compile", _compile), (collections, "eval", _eval))
    for module, name, _ in shadows:
        names = vars(module)
        if name in names or any(isinstance(v, __future__._Feature) for v in names.values()):
            return False  # a name of its own, or source compiled with future flags: left alone
    for module, name, shadow in shadows:
        setattr(module, name, shadow)
    with contextlib.suppress(Exception):  # another `re` (another Python): compiled as usual
        _cache_regular_expressions()
    return True


def _exec(source: Any, globals: dict | None = None, locals: Any = None, /) -> None:
    if globals is None:  # the caller's namespaces, as the builtin takes them
        frame = sys._getframe(1)
        globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
    builtins.exec(_code("exec", source) if type(source) is str else source, globals, locals)


def _eval(source: Any, globals: dict | None = None, locals: Any = None, /) -> Any:
    if globals is None:
        frame = sys._getframe(1)
        globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
    return builtins.eval(_code("eval", source) if type(source) is str else source, globals, locals)


def _compile(
    source: Any,
    filename: Any,
    mode: str,
    flags: int = 0,
    dont_inherit: bool = False,
    optimize: int = -1,
    **kw: Any,
) -> Any:
    if type(source) is str and filename == "<string>" and not flags and optimize == -1 and not kw:
        return _code(mode, source)
    # the caller's module has no future flags (see install): inheriting them adds none
    return builtins.compile(source, filename, mode, flags, True, optimize, **kw)


def _code(mode: str, source: str) -> Any:
    return _cached((mode, source), lambda: builtins.compile(source, "<string>", mode, dont_inherit=True))


def _cached(key: tuple, make: Any) -> Any:
    entries = _load() if _entries is None else _entries
    value = entries.get(key)
    if value is None:
        value = make()
        if len(_fresh) >= MAX_FRESH:
            return value
        if not _fresh:
            import atexit

            atexit.register(save)
        entries[key] = _fresh[key] = value
    return value


def _cache_regular_expressions() -> None:
    """`re._compiler.compile` for patterns given as text: the program `re` builds for a pattern
    (parse, then code generation, in Python) comes from the cache, and the pattern object is
    made from it by the same `_sre.compile` call as `re` makes."""
    import re._compiler as compiler
    import re._parser as parser

    original, debug = compiler.compile, compiler.SRE_FLAG_DEBUG
    make, parse = compiler._sre.compile, parser.parse

    def program(pattern: str | bytes, flags: int) -> tuple[Any, ...]:
        parsed = parse(pattern, flags)
        groupindex = parsed.state.groupdict
        indexgroup = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        code = [int(op) for op in compiler._code(parsed, flags)]  # opcodes are named ints: marshal takes ints
        return flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup)

    def compile(p: Any, flags: int = 0) -> Any:
        if type(p) not in (str, bytes) or type(flags) is not int or flags & debug:
            return original(p, flags)
        try:
            return make(p, *_cached(("re", p, flags), lambda: program(p, flags)))
        except Exception:  # a bad pattern (re reports it), or internals not as expected
            return original(p, flags)

    compiler.compile = compile


def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "casereview" / f"code-{sys.implementation.cache_tag}.bin"


def _load() -> dict[tuple, Any]:
    global _entries
    _entries = {}  # what loading the key compiles goes here
    loaded: Any = {}
    try:
        from . import cachesafe

        secret = cachesafe.secret_key()
        raw = cachesafe.read_limited(cache_file(), MAX_BYTES) if secret is not None else None
        if raw is not None and len(raw) > SIGNATURE_BYTES:
            signature, payload = raw[:SIGNATURE_BYTES], raw[SIGNATURE_BYTES:]
            if cachesafe.verify(secret, _LABEL, payload, signature):  # ours: only then unmarshalled
                loaded = marshal.loads(payload)
    except Exception:  # an unreadable cache is an empty one
        loaded = {}
    if not isinstance(loaded, dict):
        loaded = {}
    loaded.update(_entries)
    _entries = loaded
    return loaded


def save() -> None:
    """Write the cache if this process compiled enough new (at exit); never raises."""
    if len(_fresh) < MIN_NEW or _entries is None:
        return
    try:
        from . import cachesafe

        payload = marshal.dumps(_entries)
        if len(payload) + SIGNATURE_BYTES > MAX_BYTES:  # grown with other uses: start again
            payload = marshal.dumps(_fresh)
        secret = cachesafe.secret_key()
        path = cache_file()
        if secret is None or len(payload) + SIGNATURE_BYTES > MAX_BYTES:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if not cachesafe.safe_folder(path.parent):
            return
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(temporary, flags, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(cachesafe.sign(secret, _LABEL, payload) + payload)
            os.replace(temporary, path)  # atomic: a reader sees the old file or the new one
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fresh.clear()
    except Exception:  # a read-only home must not fail a command
        return
