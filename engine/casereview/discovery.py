"""Which files a folder walk reviews.

A file given by name is always reviewed (and rejected with its reason if it is not a case file).
In a folder, a `.yaml/.yml/.json` file is reviewed when its content looks like a case record —
its top-level keys include one of a case file's (`case`, `party`, `violations`, …) — or when its
top-level keys cannot be read (it is then rejected with the reason: nothing is lost silently).
A file whose top-level keys are read and are not a case file's (a roster, a CI configuration, a
waiver list) is skipped, and so are: the roster given with `--roster`, anything under the output
folder or the result cache, hidden files and folders, and `--exclude` patterns. Skipped files are
returned with their reason so the CLI can say what it left out.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import fastjson
from .load.source import CASE_SUFFIXES

CASE_KEYS = frozenset({"case", "party", "violations", "acts", "decision", "documents", "persons"})
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*|\"[^\"]+\"|'[^']+')[ \t]*:(?:[ \t]|$)", re.M)
_SNIFF_BYTES = 256 * 1024
_FIRST_KEY = re.compile(r'\{\s*"([A-Za-z_]+)"\s*:')
_FIRST_KEY_BYTES = re.compile(rb'(?:\xef\xbb\xbf)?[ \t\r\n]*\{[ \t\r\n]*"([A-Za-z_]+)"[ \t\r\n]*:')


@dataclass
class Discovery:
    paths: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def _loads(text: str) -> object:
    """`json.loads`, through orjson first (~4× faster; it reads strict JSON only, which
    `json.loads` reads the same, so only what it refuses goes to `json.loads`)."""
    try:
        return fastjson.loads(text)
    except ValueError:
        return json.loads(text)


def top_level_keys(path: Path | str, stop_at_case_key: bool = False) -> set[str] | None:
    """The top-level mapping keys of a YAML/JSON file, or None when they cannot be read cheaply
    (with `stop_at_case_key`, a YAML file's keys only up to the first key of a case file)."""
    try:
        raw = _head(path)
    except OSError:
        return None
    json_file = _suffix(os.path.basename(path)) == ".json"
    if stop_at_case_key and json_file:
        key = _first_case_key(raw)
        if key is not None:
            return {key}
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    stripped = text.lstrip()
    if stripped.startswith("{") and json_file:
        first = _FIRST_KEY.match(stripped)
        plain = '"schema"' not in stripped and "\\u" not in stripped  # no "schema" key, even escaped
        if stop_at_case_key and first and first.group(1) in CASE_KEYS and plain:
            # the first member of the outer object is a case file's: reviewed whether or not the
            # rest parses (broken JSON is reviewed too, and rejected with the reason)
            return {first.group(1)}
        try:
            value = _loads(text)
        except ValueError:
            return None  # truncated sniff or broken JSON: review it (rejected with the reason)
        if isinstance(value, dict) and str(value.get("schema", "")).startswith("casereview."):
            return {"schema"}  # our own output (results.json, a baseline): never a case file
        return set(value) if isinstance(value, dict) else None
    keys: set[str] = set()
    for match in _TOP_KEY.finditer(text):
        key = match.group(1).strip("\"'")
        keys.add(key)
        if key in CASE_KEYS and stop_at_case_key:
            break  # a case file (nearly always the first key): the rest cannot change the answer
    return keys or None


def _head(path: Path | str) -> bytes:
    """The file's first _SNIFF_BYTES bytes (os-level: half the cost of `Path.read_bytes`)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks, size = [], 0
        while size < _SNIFF_BYTES:
            chunk = os.read(fd, _SNIFF_BYTES - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _first_case_key(raw: bytes) -> str | None:
    """The text path's answer for a JSON file whose outer object starts with a case file's key,
    read from the bytes (no decoding, no copy; what is decided here is decided the same there):
    ASCII characters are single bytes in UTF-8 and GB18030, so a text holding `"schema"` or a
    backslash escape holds them as bytes too. Anything else: None (the text path decides)."""
    first = _FIRST_KEY_BYTES.match(raw)
    if first is None or b'"schema"' in raw or (raw.find(b"\\") >= 0 and b"\\u" in raw):
        return None
    key = first.group(1).decode("ascii")
    return key if key in CASE_KEYS else None


def looks_like_case(path: Path | str) -> tuple[bool, str]:
    keys = top_level_keys(path, stop_at_case_key=True)
    if keys is None or keys & CASE_KEYS:
        return True, ""
    if "certificates" in keys:
        return False, "证件台账"
    if keys == {"schema"}:
        return False, "casereview 的输出文件"
    return False, f"不是案卷（顶层字段：{'、'.join(sorted(keys)[:5])}）"


def _matches(rel: str, patterns: Iterable[str]) -> str | None:
    parts = rel.split("/")
    for pattern in patterns:
        p = pattern.strip().rstrip("/")
        if not p:
            continue
        if fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p + "/*"):
            return pattern
        if "/" not in p and any(fnmatch.fnmatch(part, p) for part in parts):
            return pattern
    return None


def _inside(path: str, folders: list[str]) -> bool:
    """`path` is one of `folders` or under one (all resolved, so comparing text is exact)."""
    return any(path == f or path.startswith(os.path.join(f, "")) for f in folders)


def _resolved(path: str, link: bool, folders: dict[str, str]) -> str:
    """`os.path.realpath(path)`, with each folder resolved once: a file that is not a symlink
    resolves to its resolved folder plus its name."""
    if link:
        return os.path.realpath(path)
    folder, name = os.path.split(path)
    real = folders.get(folder)
    if real is None:
        real = folders[folder] = os.path.realpath(folder)
    return os.path.join(real, name)


def _entries(top: Path) -> Iterator[tuple[tuple[str, ...], os.DirEntry[str], Path]]:
    """(components under `top`, entry, path) of the files and links `top.rglob("*")` lists
    whose name has a case file's suffix, in the order of their components (`sorted` by
    `Path.parts`): a link to a folder is listed, not entered; a folder that cannot be read is
    passed over. Hidden files and folders are left out (nothing under them is reviewed or
    reported). An `os.scandir` walk: rglob, the sort and the `Path` work were ~0.2 s of the
    serial start of a 10,000-file review. Each folder is listed when the walk reaches it, so
    the first files come before the whole tree is listed."""

    def walk(
        folder: Path, parts: tuple[str, ...]
    ) -> Iterator[tuple[tuple[str, ...], os.DirEntry[str], Path]]:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=_name)
        except PermissionError:
            return
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                inside = entry.is_dir(follow_symlinks=False)
            except OSError:
                inside = False
            if inside:
                yield from walk(folder / name, (*parts, name))
            elif _case_suffix(name):
                yield (*parts, name), entry, folder / name

    return walk(top, ())


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _case_suffix(name: str) -> bool:
    return _suffix(name) in CASE_SUFFIXES


def _suffix(name: str) -> str:
    """`Path(name).suffix.lower()` of a file name."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


REPORT_MARKER = ".casereview-report"  # written by `review -o` into its report folder
CACHEDIR_TAG = "CACHEDIR.TAG"  # the cross-tool cache-folder convention; our result cache writes one
CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"


def _in_tool_folder(path: Path, top: Path, seen: dict[Path, bool]) -> bool:
    """Under a folder casereview wrote (a report folder of an earlier run under any name, or a
    tagged cache folder): `review .` run twice must not review its own output."""
    for folder in path.parents:
        if folder not in seen:
            seen[folder] = (folder / REPORT_MARKER).is_file() or (folder / CACHEDIR_TAG).is_file()
        if seen[folder]:
            return True
        if folder == top:
            return False
    return False


def discover(
    targets: Iterable[Path],
    exclude: Iterable[str] = (),
    skip: Iterable[Path] = (),
    by_content: bool = True,
) -> Discovery:
    """Case files under `targets` (see the module docstring); `skip`: files or folders never reviewed."""
    walk = Walk(targets, exclude, skip, by_content)
    while walk.step(1 << 30):
        pass
    return walk.found


class Walk:
    """`discover`, a few files at a time: `step(n)` looks at up to `n` more files, adding them to
    `found.paths` or `found.skipped` in the order `discover` lists them, and says whether files
    are left to look at. A review starts on the first files found while the walk goes on."""

    def __init__(
        self,
        targets: Iterable[Path],
        exclude: Iterable[str] = (),
        skip: Iterable[Path] = (),
        by_content: bool = True,
    ) -> None:
        self.found = Discovery()
        self.done = False
        self._files = _walk(list(targets), list(exclude), skip, by_content, self.found)

    def step(self, files: int) -> bool:
        """Look at up to `files` more files; False once the walk has ended."""
        if not self.done:
            looked = sum(1 for _ in itertools.islice(self._files, files))
            self.done = looked < files
        return not self.done

    def until_found(self, count: int, files: int = 64) -> bool:
        """Walk (`files` at a time) until `count` paths are found or the walk ends; False once
        it has ended."""
        while len(self.found.paths) < count and self.step(files):
            pass
        return not self.done


def _walk(
    targets: list[Path], exclude: list[str], skip: Iterable[Path], by_content: bool, found: Discovery
) -> Iterator[None]:
    """`discover`'s walk into `found`, yielding after each file looked at."""
    skip_resolved = [os.path.realpath(s) for s in skip if s]
    tool_folders: dict[Path, bool] = {}
    real_folders: dict[str, str] = {}
    tool_verdicts: dict[str, bool] = {}

    def look_at(parts: tuple[str, ...], entry: os.DirEntry[str], path: Path, target: Path) -> None:
        try:
            link = entry.is_symlink()
            regular = entry.is_file()  # a link's target (d_type: no system call for most files)
            if entry.is_dir():
                return
        except OSError:  # gone: listed, then rejected with why
            link, regular = False, False
        folder = os.path.dirname(entry.path)  # the answer is the same for every file of a folder
        in_tool = tool_verdicts.get(folder)
        if in_tool is None:
            in_tool = tool_verdicts[folder] = _in_tool_folder(path, target, tool_folders)
        if in_tool:
            found.skipped.append((path, "casereview 的报告或缓存文件夹"))
            return
        if not regular:  # dangling symlink, FIFO, socket: rejected with why
            found.paths.append(path)
            return
        if _inside(_resolved(entry.path, link, real_folders), skip_resolved):
            found.skipped.append((path, "证件台账或输出文件夹"))
            return
        pattern = _matches("/".join(parts), exclude) if exclude else None
        if pattern:
            found.skipped.append((path, f"--exclude {pattern}"))
            return
        if by_content:
            ok, why = looks_like_case(entry.path)
            if not ok:
                found.skipped.append((path, why))
                return
        found.paths.append(path)

    for target in targets:
        if str(target) == "-":
            found.paths.append(target)
        elif not target.is_dir():
            if exclude and _matches(target.as_posix(), exclude):
                found.skipped.append((target, "--exclude"))
            else:
                found.paths.append(target)
        else:
            for parts, entry, path in _entries(target):
                look_at(parts, entry, path, target)
                yield
            continue
        yield
