"""What makes a cache folder safe to read: entries signed with a per-user key kept elsewhere.

Cache folders are untrusted (they sit next to case files, can be copied, shared or planted):
nothing read from one may run code or change a verdict unnoticed. Every entry of the result
cache and of the rule-book cache is authenticated with HMAC-SHA256 under a 256-bit key that
lives outside every cache folder, in the user's configuration folder
(``$XDG_CONFIG_HOME/casereview/cache.key``, default ``~/.config/…``; ``CASEREVIEW_KEY_FILE``
overrides), created on first use with mode 0600. An entry whose signature does not verify is
a miss (and is counted as tampered). A key file that is not a regular file owned by the user
with no group/other access is not used, and then nothing is cached at all.

Reading an entry never blocks or follows a final symlink: the file is opened with O_NOFOLLOW
and O_NONBLOCK, must be a regular file and is read up to a size limit, so a FIFO, a device, a
symlink or a huge file planted in a cache is a miss.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32
_keys: dict[tuple[str | None, ...], bytes | None] = {}


def key_path() -> Path:
    override = os.environ.get("CASEREVIEW_KEY_FILE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "casereview" / "cache.key"


def secret_key() -> bytes | None:
    """The per-user cache key (created on first use), or None when no safe key is available.
    Remembered per key location, named by the variables `key_path` reads (not by building the
    path: that was ~20 µs, paid on every cache lookup)."""
    where = tuple(map(os.environ.get, ("CASEREVIEW_KEY_FILE", "XDG_CONFIG_HOME", "HOME")))
    cached = _keys.get(where, b"")
    if cached != b"":
        return cached
    path = key_path()
    key = _read_key(path)
    if key is None and not os.path.lexists(path):
        key = _create_key(path)
    _keys[where] = key
    return key


def _read_key(path: Path) -> bytes | None:
    data = read_limited(path, 4 * KEY_BYTES)
    if data is None:
        return None
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    if info.st_mode & 0o077 or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        return None  # readable or writable by others: a key they may know
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except ValueError:
        return None
    return key if len(key) == KEY_BYTES else None


def _create_key(path: Path) -> bytes | None:
    key = secrets.token_bytes(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
    except FileExistsError:  # another process created it first: use theirs
        return _read_key(path)
    except OSError:
        return None
    return key


def sign(key: bytes, label: str, payload: bytes) -> bytes:
    """HMAC-SHA256 over what the entry is for (`label`, e.g. its cache key) and its bytes."""
    return hmac.new(key, label.encode() + b"\0" + payload, hashlib.sha256).digest()


def verify(key: bytes, label: str, payload: bytes, signature: bytes) -> bool:
    return hmac.compare_digest(sign(key, label, payload), signature)


def read_limited(path: Path | str, limit: int) -> bytes | None:
    """A regular file's bytes if it is at most `limit` bytes; None for anything else."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        data = read_rest(fd, b"", limit)
        return None if len(data) > limit else data
    except OSError:
        return None
    finally:
        os.close(fd)


def read_rest(fd: int, data: bytes, limit: int) -> bytes:
    """`data` and what follows it in `fd` up to the end, or to just over `limit` (the caller
    refuses a result longer than `limit`): never more than a bounded read, whatever the file."""
    chunks, total = [data], len(data)
    while total <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def safe_folder(folder: Path) -> bool:
    """A folder we may write an entry into: a real directory, not a symlink planted in its place."""
    try:
        return stat.S_ISDIR(os.stat(folder, follow_symlinks=False).st_mode)
    except OSError:
        return False
