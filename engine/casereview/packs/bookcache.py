"""A cache of loaded rule books, so a one-file check does not re-read and re-compile every pack.

Loading the shipped packs (parse, validate, expand tables, compile ~600 variants) takes ~0.1 s;
unpickling the result takes ~0.01 s. The key covers everything the result depends on: the bytes
of every file under the rules folder and of any extra pack, and the casereview code itself
(version plus size and mtime of each module), so an edited pack or an upgraded tool never sees
a stale book. Any problem with the cache (unwritable folder, corrupt or foreign file) falls back
to loading the packs; errors in the packs are never cached, they are reported on every run.

The cache lives in the user's cache folder (``$XDG_CACHE_HOME/casereview`` or
``~/.cache/casereview``); ``CASEREVIEW_NO_CACHE`` turns it off, like the result cache.

A pickle runs code when loaded, and a cache folder is writable by whoever planted a file there,
so no byte of an entry is unpickled before its HMAC-SHA256 signature, under the per-user key
kept outside the cache folder (`cachesafe`), has been verified over the entry's name (the hash
of what it was built from) and its bytes. A file that fails the check — planted, forged, copied
from another key, truncated — or that is a FIFO, a symlink or too large, is ignored and the book
is rebuilt from the packs. Without a usable key the cache is neither read nor written.

Next to each book, ``KEY.durable`` holds its durable_rules ruleset JSON, signed the same way
(label ``KEY.durable``): a check starts building the ruleset from it in the background before
the book itself is unpickled (`start_durable_build`, evaluate/durable_prebuild.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import os
import pickle
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, cachesafe
from .location import default_rules_dir

if TYPE_CHECKING:  # the loader (pydantic, the pack models) is imported when a book is loaded
    from ..score.profile import Profile
    from .loader import RuleBook

KEEP = 8  # books kept (one per rules version in use)
MAX_BOOK_BYTES = 256 * 1024 * 1024
SIGNATURE_BYTES = 32
DURABLE_SUFFIX = ".durable"  # the book's durable_rules ruleset JSON, signed, next to the book
_DERIVED_FORMS = ("decided", "definite", "undecided", "engine_fields")  # CompiledRule's cached forms
_PACKAGE = Path(__file__).resolve().parents[1]


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "casereview" / "rulebooks"


def book_key(root: Path, extra: list[Path]) -> str:
    digest = hashlib.sha256(__version__.encode())
    for relative, info in _files(str(_PACKAGE), ".py"):
        digest.update(f"{relative}:{info.st_size}:{info.st_mtime_ns}".encode())
    files = [os.path.join(root, relative) for relative, _ in _files(str(root))] + [str(p) for p in extra]
    for path in files:
        with open(path, "rb") as handle:
            digest.update(path.encode() + b"\0" + handle.read() + b"\0")
    return digest.hexdigest()[:32]


def _files(folder: str, suffix: str = "") -> list[tuple[str, os.stat_result]]:
    """(path relative to `folder`, stat) of every file under it whose name ends with `suffix`,
    in the order of their path components; as `Path.rglob`, a link to a file is listed and a link
    to a folder is not entered (a link loop would never end). A walk
    with `os.scandir` (~1 ms for the package and the rules) instead of pathlib's (~4 ms, paid by
    every check before its durable build can start)."""
    found: list[tuple[tuple[str, ...], os.stat_result]] = []

    def walk(directory: str, parts: tuple[str, ...]) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, (*parts, entry.name))
                elif entry.name.endswith(suffix) and entry.is_file():
                    found.append(((*parts, entry.name), entry.stat()))

    walk(folder, ())
    found.sort(key=lambda item: item[0])
    return [("/".join(parts), info) for parts, info in found]


# the key `start_durable_build` computed, for the `load_rulebook_cached` of the same command
# (one walk over the rules and modules, ~3 ms, instead of two)
_started: tuple[Path, tuple[Path, ...], str] | None = None


def _start_key(root: Path, extra: list[Path]) -> str | None:
    global _started
    started, _started = _started, None
    return started[2] if started is not None and started[:2] == (root, tuple(extra)) else None


# the book entry `start_durable_build` read and verified in the background (reading and hashing
# 1.6 MB release the interpreter lock: ~4 ms the main thread does not spend), for the
# `load_rulebook_cached` of the same command
_prefetched: tuple[Path, threading.Thread, list[bytes | None]] | None = None


def _prefetch(path: Path, key: str, secret: bytes) -> None:
    global _prefetched
    found: list[bytes | None] = [None]

    def read() -> None:
        with contextlib.suppress(Exception):  # the main thread then reads it itself
            found[0] = _read_signed(path, key, secret)

    thread = threading.Thread(target=read, name="rulebook-prefetch", daemon=True)
    thread.start()
    _prefetched = (path, thread, found)


def _take_prefetched(path: Path) -> bytes | None:
    global _prefetched
    prefetched, _prefetched = _prefetched, None
    if prefetched is None or prefetched[0] != path:
        return None
    prefetched[1].join()
    return prefetched[2][0]


def load_rulebook(root: Path | None = None, extra: list[Path] | None = None) -> RuleBook:
    """The loader's `load_rulebook` (packs/loader.py), imported when a book is first loaded."""
    from .loader import load_rulebook as load

    return load(root, extra)


def load_rulebook_cached(root: Path | None = None, extra: list[Path] | None = None) -> RuleBook:
    """`load_rulebook`, served from the cache when nothing it depends on has changed."""
    if os.environ.get("CASEREVIEW_NO_CACHE"):
        return load_rulebook(root, extra)
    root = root or default_rules_dir()
    extra = list(extra or [])
    secret = cachesafe.secret_key()
    path: Path | None = None
    try:
        key = _start_key(root, extra) or book_key(root, extra)
        path = cache_folder() / f"{key}.pickle"
    except Exception:  # unreadable input: build it (and report its problems) without the cache
        secret = None
    if secret is not None and path is not None:
        book = _load_signed(path, key, secret)
        if book is not None:
            return book
    book = load_rulebook(root, extra)  # raises PackError: never cached
    if secret is not None and path is not None:
        with contextlib.suppress(Exception):  # a read-only home must not stop a review
            _store(path, key, secret, book)
    return book


def start_durable_build(root: Path | None = None, extra: list[Path] | None = None) -> bool:
    """Start building, in the background, the durable_rules ruleset of the cached book for these
    rules (evaluate/durable_prebuild.py); False if the cache holds none for them.

    The ruleset JSON is kept signed next to the book, so it is read without the book's ~15 ms
    unpickle and the build overlaps it. The build thread reads and verifies the entry: an entry
    not signed under this key is never given to durable_rules (nothing is built)."""
    global _started
    if os.environ.get("CASEREVIEW_NO_CACHE"):
        return False
    secret = cachesafe.secret_key()
    if secret is None:
        return False
    root, extra = root or default_rules_dir(), list(extra or [])
    try:
        key = book_key(root, extra)
    except Exception:
        return False
    _started = (root, tuple(extra), key)
    _prefetch(cache_folder() / f"{key}.pickle", key, secret)
    path = cache_folder() / f"{key}{DURABLE_SUFFIX}"
    if not path.is_file():
        return False
    from ..evaluate import durable_prebuild, solo

    # a supervised one-file check evaluates its case in this process: its first state is warmed
    return durable_prebuild.start(lambda: _signed_ruleset(path, key, secret), warm_heap=solo.here())


def _signed_ruleset(path: Path, key: str, secret: bytes) -> str | None:
    """The ruleset JSON at `path`, if we signed it under `key`; else None."""
    raw = cachesafe.read_limited(path, MAX_BOOK_BYTES)
    if raw is None or len(raw) <= SIGNATURE_BYTES:
        return None
    signature, payload = raw[:SIGNATURE_BYTES], raw[SIGNATURE_BYTES:]
    if not cachesafe.verify(secret, key + DURABLE_SUFFIX, payload, signature):
        return None  # not written by us under this key: never given to durable_rules
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _read_signed(path: Path, key: str, secret: bytes) -> bytes | None:
    """The book entry's pickle bytes if we signed them under `key`; else None."""
    raw = cachesafe.read_limited(path, MAX_BOOK_BYTES)
    if raw is None or len(raw) <= SIGNATURE_BYTES:
        return None
    signature, payload = raw[:SIGNATURE_BYTES], raw[SIGNATURE_BYTES:]
    if not cachesafe.verify(secret, key, payload, signature):
        return None  # not written by us under this key: never unpickled
    return payload


def _load_signed(path: Path, key: str, secret: bytes) -> RuleBook | None:
    payload = _take_prefetched(path) or _read_signed(path, key, secret)
    if payload is None:
        return None
    collecting = gc.isenabled()
    gc.disable()  # ~10^5 new objects would trigger many collections that find no garbage
    try:
        book = pickle.loads(payload)  # authenticated: our own bytes, for exactly these inputs
    except Exception:
        return None
    finally:
        if collecting:
            gc.enable()
    from .loader import RuleBook

    return book if isinstance(book, RuleBook) else None


def _store(path: Path, key: str, secret: bytes, book: RuleBook) -> None:
    # what each process would otherwise derive from the book travels with it: the durable
    # ruleset JSON and the fields sent per fact kind (evaluate/durable_engine.py), the rule index,
    # the circumstance facts' declared types
    book.by_rule_id()
    from ..load.facttypes import declared_fact_types

    declared_fact_types(book)  # so that reviewing a file need not unpickle the tables (StoredTables)
    from ..report.labels import circumstance_labels

    circumstance_labels(book)  # nor an HTML report's labels, before the workers start
    _keep_default_profile(book)
    with contextlib.suppress(Exception):
        from ..evaluate.durable_engine import book_reads, prepare_book

        prepare_book(book)
        book_reads(book)
    shared: dict[Any, Any] = {}
    for rule in book.compiled:  # evaluated forms: cheaper to derive where needed than to unpickle
        for form in _DERIVED_FORMS:
            rule.__dict__.pop(form, None)
        rule.__dict__["when"] = _shared_node(rule.when, shared)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cachesafe.safe_folder(path.parent):
        return
    payload = _pickled_book(book)
    import tempfile  # only when storing (~4 ms to import: shutil, random, lzma …)

    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        handle.write(cachesafe.sign(secret, key, payload) + payload)
    os.replace(handle.name, path)  # atomic: a concurrent reader sees the old file or the new one
    prepared = book.__dict__.get("_durable_prepared")
    if prepared is not None:
        ruleset = prepared[0].encode("utf-8")
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            handle.write(cachesafe.sign(secret, key + DURABLE_SUFFIX, ruleset) + ruleset)
        os.replace(handle.name, path.with_suffix(DURABLE_SUFFIX))
    books = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in books[KEEP:]:
        old.unlink(missing_ok=True)
        old.with_suffix(DURABLE_SUFFIX).unlink(missing_ok=True)
    for ruleset in path.parent.glob(f"*{DURABLE_SUFFIX}"):  # left by a book removed otherwise
        if not ruleset.with_suffix(".pickle").exists():
            ruleset.unlink(missing_ok=True)


def default_profile(book: RuleBook) -> Profile | None:
    """The default profile (score/profile.py), loaded when the book was stored, if its file is
    under the book's rules folder: then it is part of the book's key, so unchanged since. A check
    then neither parses its YAML nor validates it again (~3 ms)."""
    return book.__dict__.get("_default_profile")


def _keep_default_profile(book: RuleBook) -> None:
    from ..score.profile import default_profile_path, load_profile

    try:
        if default_profile_path().resolve().is_relative_to(Path(book.root).resolve()):
            book.__dict__["_default_profile"] = load_profile(None)
    except (OSError, ValueError):  # an invalid profile is reported by every run that uses it
        return


def _node_key(value: Any) -> Any:
    """What makes two condition nodes interchangeable: equal values of the same types (1, 1.0 and
    True are equal in Python, not in a rule's text); None for a value that is not hashable."""
    if dataclasses.is_dataclass(value):
        keys = tuple(_node_key(getattr(value, f.name)) for f in dataclasses.fields(value))
        return None if None in keys else (type(value), keys)
    if isinstance(value, tuple):
        keys = tuple(_node_key(item) for item in value)
        return None if None in keys else (tuple, keys)
    if isinstance(value, float):
        return (float, repr(value))  # -0.0 and 0.0 are equal too
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value), value)


def _shared_node(node: Any, shared: dict[Any, Any]) -> Any:
    """`node` with each condition subtree replaced by the first equal one seen. Table variants repeat
    the same tests (~15,000 nodes, ~2,900 distinct), and pickle stores a shared object once: the
    book unpickles ~6 ms faster. The nodes are frozen, so sharing them changes no result."""
    if isinstance(node, tuple):
        return tuple(_shared_node(item, shared) for item in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    key = _node_key(node)
    if key is None:
        return node
    found = shared.get(key)
    if found is None:
        parts = {f.name: _shared_node(getattr(node, f.name), shared) for f in dataclasses.fields(node)}
        found = shared[key] = dataclasses.replace(node, **parts)
    return found


def _pickled_book(book: RuleBook) -> bytes:
    """The book's pickle, its tables pickled apart to be unpickled at first use (StoredTables)."""
    from .expanders import StoredTables

    tables = book.tables
    by_type = pickle.dumps(tables.by_type, protocol=pickle.HIGHEST_PROTOCOL)
    book.tables = StoredTables(by_type, list(tables.files))
    try:
        return pickle.dumps(book, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        book.tables = tables
