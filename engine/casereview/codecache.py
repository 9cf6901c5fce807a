"""The code that `dataclasses`, `typing` and `namedtuple` compile while modules load, cached.

A one-file check creates ~90 dataclasses (ours and pydantic's), ~1,000 forward references and a
few named tuples: `dataclasses` writes each class's `__init__`, `__eq__`, `__repr__` … as source
text and `exec`s it, `typing.ForwardRef` compiles each annotation string, `namedtuple` `eval`s its
`__new__`. Parsing and compiling that text was ~20 % of the instructions of a cold check
(~25 ms), redone by every process. `install` shadows those three builtins in the namespaces of
the three modules by versions that take the compiled code from a cache kept in the user's
cache folder, keyed by the source text. The code run is the code the builtin would have
compiled from the same text (file name ``<string>``, no inherited future flags — `install`
declines if one of the modules had any —, the same optimisation level), so every class, method
and annotation is exactly as before.

Marshalled code runs when it is loaded and a cache folder is writable by whoever planted a file
there, so the file is signed like the rule-book cache (HMAC-SHA256 under the per-user key,
cachesafe.py) and nothing in it is unmarshalled before the signature verifies. It is tied to
the Python version (bytecode and marshal formats change) and optimisation level. A missing,
foreign or damaged file only means compiling as usual; what was compiled is written back when
the process exits normally. ``CASEREVIEW_NO_CACHE`` turns it off, like the other caches.
"""

from __future__ import annotations

import builtins
import marshal
import os
import sys
from pathlib import Path
from typing import Any

MAX_BYTES = 8 * 1024 * 1024
SIGNATURE_BYTES = 32
_LABEL = f"code:{sys.version}:{sys.flags.optimize}"

_codes: dict[tuple[str, str], Any] | None = None  # (mode, source) → code, once loaded
_fresh: dict[tuple[str, str], Any] = {}  # compiled by this process (and not read from the file)


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
    codes = _load() if _codes is None else _codes
    key = (mode, source)
    code = codes.get(key)
    if code is None:
        code = builtins.compile(source, "<string>", mode, dont_inherit=True)
        if not _fresh:
            import atexit

            atexit.register(save)
        codes[key] = _fresh[key] = code
    return code


def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "casereview" / f"code-{sys.implementation.cache_tag}.bin"


def _load() -> dict[tuple[str, str], Any]:
    global _codes
    _codes = {}  # what loading the key compiles goes here
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
    loaded.update(_codes)
    _codes = loaded
    return loaded


def save() -> None:
    """Write the cache if this process compiled anything new (at exit); never raises."""
    if not _fresh or _codes is None:
        return
    try:
        from . import cachesafe

        payload = marshal.dumps(_codes)
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
