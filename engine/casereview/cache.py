"""Content-hash result cache: an unchanged file under unchanged rules costs one hash and one read.

Key = sha256 over: the file's bytes, the path as given (results quote it), the rules version
(`RuleBook.version`, a hash of every pack and table), the scoring profile (id and content hash),
the roster (content hash, or "none"), the engine name, the tool version, the engine's code
(`code_fingerprint`) and the holiday-calendar package version. Value = the `CaseResult` JSON.
Entries live under `.casereview-cache/` in the current directory (or the directory given), one
file per key, written atomically (safe with several worker processes). A damaged or unreadable
entry is a miss, never an error. The file is read once: the bytes hashed are the bytes reviewed.

The folder is untrusted (see `cachesafe`): each entry is a signature line, HMAC-SHA256 under
the per-user key kept outside the folder over the entry's key and its bytes, then a head line
(the edits that mask the result, its brief: see `StoredResult`), then the JSON. An
entry edited, forged, or copied under another key fails the check: it is a miss, the file is
reviewed again and its result says the cache entry was rejected. A FIFO, symlink or oversized
file in the folder is a miss. Without a usable key nothing is cached.

Results that depend on something other than the inputs are not stored: internal errors
(「内部错误」) and rule-execution errors (ENGINE-ERR findings), which may not recur.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from . import __version__, cachesafe
from .discovery import CACHEDIR_SIGNATURE, CACHEDIR_TAG
from .load import DEFAULT_MAX_BYTES, InputRejected
from .load.reader import read_bytes
from .load.source import note_read
from .review import CaseResult, ReviewContext, result_json, review_files

DEFAULT_CACHE_DIR = ".casereview-cache"
CACHE_FORMAT = "4"  # 4: a signed head line (masking edits, brief) before the result's JSON
MAX_ENTRY_BYTES = 16 * 1024 * 1024
TAMPERED_NOTE = "结果缓存中本案的条目校验失败（可能被篡改或损坏），已忽略该条目并重新评查"


def _package_version(name: str) -> str:
    from importlib import metadata  # only with a cache: ~11 ms to import (email, zipfile …)

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


@cache
def code_fingerprint() -> str:
    """The engine's own code (each module's name, size and modification time, as the rule-book
    cache keys it): a changed engine under an unchanged version number never serves results of
    the old one. Once per process."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for module in sorted(package.rglob("*.py")):
        info = module.stat()
        digest.update(f"{module.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def context_fingerprint(ctx: ReviewContext) -> str:
    """Everything except the file that decides a result (computed once per context)."""
    cached = ctx.__dict__.get("_cache_fingerprint")
    if cached is not None:
        return cached
    roster = (
        hashlib.sha256(ctx.roster.model_dump_json().encode()).hexdigest()
        if ctx.roster is not None
        else "none"
    )
    profile = hashlib.sha256(ctx.profile.model_dump_json().encode()).hexdigest()
    parts = [
        f"format={CACHE_FORMAT}",
        f"tool={__version__}",
        f"code={code_fingerprint()}",
        f"rules={ctx.book.version}",
        f"profile={ctx.profile.id}:{profile}",
        f"roster={roster}",
        f"engine={getattr(ctx.engine, 'name', type(ctx.engine).__name__)}",
        f"calendar={_package_version('chinesecalendar')}{ctx.calendar.fingerprint}",
    ]
    fingerprint = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    ctx.__dict__["_cache_fingerprint"] = fingerprint
    return fingerprint


def cache_key(data: bytes, path: Path | str, ctx: ReviewContext) -> str:
    digest = hashlib.sha256()
    digest.update(hashlib.sha256(data).digest())
    digest.update(str(path).encode("utf-8", "surrogateescape"))
    digest.update(b"\0")
    digest.update(context_fingerprint(ctx).encode())
    return digest.hexdigest()


def cacheable(result: CaseResult) -> bool:
    if any("内部错误" in e.message for e in result.errors):
        return False
    return not any(f.code == "ENGINE-ERR" for f in result.findings)


class StoredResult(bytes):
    """A verified entry's result JSON (`model_dump_json()`, as stored), with what was worked
    out when it was stored, so a hit needs no scan or full decoding: the edits that mask it
    (`masking.mask_edits`) and its brief (`analysis.brief`). Both are covered by the entry's
    signature. A plain `bytes` value of the same JSON works wherever this one does."""

    mask_edits: list[tuple[int, int, str]]
    brief: dict[str, Any]

    def masked(self) -> bytes:
        """`masking.mask_payload(self)`, as plain bytes."""
        from .report.masking import apply_edits

        return apply_edits(bytes(self), self.mask_edits)


def _stored(payload: bytes, head: bytes) -> StoredResult | None:
    """The entry's parts, or None if the head is not what `_head` writes."""
    from . import fastjson

    try:
        edits, brief = fastjson.loads(head)
        mask_edits = [(int(start), int(end), str(text)) for start, end, text in edits]
    except (ValueError, TypeError):
        return None
    if not isinstance(brief, dict):
        return None
    item = StoredResult(payload)
    item.mask_edits, item.brief = mask_edits, brief
    return item


def _head(payload: bytes) -> bytes:
    """The entry's head line: [masking edits, brief] as compact JSON (no newline in it)."""
    from . import fastjson
    from .analysis import brief
    from .report.masking import mask_edits

    return fastjson.orjson.dumps([mask_edits(payload), brief(fastjson.loads(payload))])


_KEY = re.compile("[0-9a-f]{8,}")


class ResultCache:
    """`get(key)` → CaseResult or None; `put(key, result)`. Keys are hex digests."""

    def __init__(self, directory: Path | str | None = None):
        self.dir = Path(directory) if directory is not None else Path.cwd() / DEFAULT_CACHE_DIR
        self.hits = 0
        self.misses = 0
        self.tampered = 0
        self.last_tampered = False

    def _path(self, key: str) -> str:
        if _KEY.fullmatch(key) is None:
            raise ValueError(f"invalid cache key {key!r}")
        return os.path.join(self.dir, key[:2], key + ".json")  # text: no Path built per lookup

    def get(self, key: str) -> CaseResult | None:
        return self.lookup(key)

    def lookup(self, key: str, use: Callable[[bytes], Any] | None = None) -> Any:
        """The entry under `key`: `use(payload)` of its verified JSON if `use` is given and
        returns something, else the CaseResult validated from it; None: a miss. An entry is
        used only once its signature verifies: `use` sees only what this tool wrote."""
        self.last_tampered = False
        secret = cachesafe.secret_key()
        raw = cachesafe.read_limited(self._path(key), MAX_ENTRY_BYTES) if secret else None
        if raw is None:
            self.misses += 1
            return None
        signature, _, body = raw.partition(b"\n")
        try:
            valid = cachesafe.verify(secret, key, body, bytes.fromhex(signature.decode("ascii")))
        except ValueError:
            valid = False
        item = None
        head, _, payload = body.partition(b"\n")
        stored = _stored(payload, head) if valid else None
        if stored is not None:
            item = use(stored) if use is not None else None
            if item is None:
                try:
                    item = CaseResult.model_validate_json(payload)
                except ValueError:
                    item = None
        if item is None:
            self.misses += 1
            self.tampered += 1
            self.last_tampered = True
            return None
        self.hits += 1
        return item

    def put(self, key: str, result: CaseResult) -> StoredResult | None:
        """Store `result` under `key`; its JSON as stored, or None if it was not stored."""
        secret = cachesafe.secret_key()
        if secret is None or not cacheable(result):
            return None
        target = Path(self._path(key))
        try:
            if not self.dir.exists():
                self.dir.mkdir(parents=True)
                (self.dir / ".gitignore").write_text("*\n", encoding="utf-8")
                (self.dir / CACHEDIR_TAG).write_text(
                    f"{CACHEDIR_SIGNATURE}\n# casereview 结果缓存（可随时删除）\n", encoding="utf-8"
                )
            target.parent.mkdir(exist_ok=True)
            if not cachesafe.safe_folder(self.dir) or not cachesafe.safe_folder(target.parent):
                return None  # a symlink planted in place of a cache folder: do not write through it
            payload = result_json(result)  # model_dump_json(), as bytes
            head = _head(payload)
            body = head + b"\n" + payload
            signature = cachesafe.sign(secret, key, body).hex().encode()
            import tempfile  # only when storing (~4 ms to import: shutil, random, lzma …)

            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(signature + b"\n" + body)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return None  # a cache that cannot be written only costs speed
        return _stored(payload, head)


def cached_review(
    path: Path | str, ctx: ReviewContext, cache: ResultCache | None, use: Callable[[bytes], Any] | None = None
) -> Any:
    """`review_file` through the cache. Files that cannot be read are reviewed (and rejected)
    normally; the cache never changes a result, only how fast it comes. `use`: see
    `ResultCache.lookup` (what it returns for a hit, or for a result just stored, from the JSON
    stored, is returned instead of the result)."""
    return cached_reviews([path], ctx, cache, [use])[0]


def cached_reviews(
    paths: list[Path | str],
    ctx: ReviewContext,
    cache: ResultCache | None,
    uses: list[Callable[[bytes], Any] | None] | None = None,
) -> list[Any]:
    """`cached_review` of each path (`uses`: each one's `use`), the files the cache does not
    hold reviewed together (`review_files`: stage by stage)."""
    uses = uses or [None] * len(paths)
    out: list[Any] = [None] * len(paths)
    todo: list[tuple[int, bytes | None, str | None, bool]] = []  # (index, bytes, key, tampered)
    for i, path in enumerate(paths):
        if cache is None:
            todo.append((i, None, None, False))
            continue
        try:
            data = read_bytes(path, max_bytes=DEFAULT_MAX_BYTES)  # never blocks on a FIFO
        except InputRejected:
            todo.append((i, None, None, False))  # rejected with its reason (too large, not a file …)
            continue
        key = cache_key(data, path, ctx)
        hit = cache.lookup(key, uses[i])
        if hit is not None:
            note_read(str(path), data)  # for a caller storing the bytes reviewed (`campaign create`)
            out[i] = hit
            continue
        todo.append((i, data, key, cache.last_tampered))
    # the bytes hashed are the bytes reviewed: a file changed meanwhile is not cached wrongly
    results = review_files([Path(paths[i]) for i, *_ in todo], ctx, [data for _, data, *_ in todo])
    for (i, _, key, tampered), result in zip(todo, results, strict=True):
        out[i] = result
        if cache is None or key is None:
            continue
        payload = cache.put(key, result)
        if tampered:
            result.notes.append(TAMPERED_NOTE)
        elif payload is not None and uses[i] is not None:  # what the next run's hit will be given
            item = uses[i](payload)
            if item is not None:
                out[i] = item
    return out
