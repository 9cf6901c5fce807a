"""A cache of loaded rule books, so a one-file check does not re-read and re-compile every pack.

Loading the shipped packs (parse, validate, expand tables, compile ~600 variants) takes ~0.1 s;
unpickling the result takes ~0.01 s. The key covers everything the result depends on: the bytes
of every file under the rules folder and of any extra pack, and the casereview code itself
(version plus size and mtime of each module), so an edited pack or an upgraded tool never sees
a stale book. Any problem with the cache (unwritable folder, corrupt or foreign file) falls back
to loading the packs; errors in the packs are never cached, they are reported on every run.

The cache lives in the user's cache folder (``$XDG_CACHE_HOME/casereview`` or
``~/.cache/casereview``); ``CASEREVIEW_NO_CACHE`` turns it off, like the result cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from .. import __version__
from .loader import RuleBook, default_rules_dir, load_rulebook

KEEP = 8  # books kept (one per rules version in use)
_PACKAGE = Path(__file__).resolve().parents[1]


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "casereview" / "rulebooks"


def book_key(root: Path, extra: list[Path]) -> str:
    digest = hashlib.sha256(__version__.encode())
    for module in sorted(_PACKAGE.rglob("*.py")):
        stat = module.stat()
        digest.update(f"{module.relative_to(_PACKAGE)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    files = sorted(p for p in root.rglob("*") if p.is_file()) + [Path(p) for p in extra]
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def load_rulebook_cached(root: Path | None = None, extra: list[Path] | None = None) -> RuleBook:
    """`load_rulebook`, served from the cache when nothing it depends on has changed."""
    if os.environ.get("CASEREVIEW_NO_CACHE"):
        return load_rulebook(root, extra)
    root = root or default_rules_dir()
    extra = list(extra or [])
    try:
        path: Path | None = cache_folder() / f"{book_key(root, extra)}.pickle"
        with path.open("rb") as handle:
            book = pickle.load(handle)  # our own file, named by the hash of what it was built from
        if isinstance(book, RuleBook):
            return book
    except FileNotFoundError:
        pass
    except Exception:  # corrupt, unreadable, unhashable input: build it and do not store
        path = None
    book = load_rulebook(root, extra)  # raises PackError: never cached
    if path is not None:
        with contextlib.suppress(Exception):  # a read-only home must not stop a review
            _store(path, book)
    return book


def _store(path: Path, book: RuleBook) -> None:
    with contextlib.suppress(Exception):  # the durable ruleset JSON travels with the book
        from ..evaluate.durable_engine import prepare_book

        prepare_book(book)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        pickle.dump(book, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(handle.name, path)  # atomic: a concurrent reader sees the old file or the new one
    books = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in books[KEEP:]:
        old.unlink(missing_ok=True)
