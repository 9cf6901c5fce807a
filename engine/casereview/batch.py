"""The library API for reviewing a batch of case files.

The CLI (`check`, `review`), the campaign commands and the reviewer web app all review files
through `review_batch`: rules, profile and roster are loaded once, files go to supervised
worker processes (or run in-process), and results come back as a stream, one per input path,
in input order. Nothing is lost: a file that cannot be reviewed comes back `rejected`.

    from casereview.batch import BatchOptions, review_batch
    run = review_batch(paths, BatchOptions(roster=Path("台账.csv")))
    for result in run:          # CaseResult, streamed
        ...
    run.book.version            # the rule book used

Per-file work that needs only the result (rendering a report page) can run in the worker that
reviewed the file: `run.each(prepare)` yields `prepare(result, index)` instead of the results.

Problems with the batch itself (rules, profile or roster unloadable) raise `BatchSetupError`
with a Chinese message before any file is reviewed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from .derive.calendar import WorkCalendar
from .evaluate import solo
from .load import CASE_SUFFIXES, InputRejected, load_roster
from .model.roster import Roster
from .packs.bookcache import default_profile, load_rulebook_cached
from .packs.loader import PackError, RuleBook
from .review import CaseResult, RejectedInput, ReviewContext, rejected
from .score.profile import Profile, load_profile

__all__ = [
    "BatchOptions",
    "BatchRun",
    "BatchSetupError",
    "iter_case_paths",
    "make_context",
    "review_batch",
    "review_one",
]


class BatchSetupError(Exception):
    """The batch cannot start (rules, profile or roster unloadable); the message is Chinese."""


@dataclass
class BatchOptions:
    """How to review a batch. Paths are loaded by `review_batch`; already-loaded objects
    (`profile_model`, `roster_model`, `book`) win over paths (the campaign store keeps the
    profile it was created with)."""

    rules: Path | None = None  # rules folder (None: the built-in rules/)
    packs: list[Path] = field(default_factory=list)  # extra pack files
    profile: Path | None = None  # scoring profile file (None: the example profile)
    roster: Path | None = None  # certificate roster (YAML/CSV)
    calendar: Path | None = None  # folder of <YYYY>.yaml holiday files (years the package lacks)
    engine: str = "durable"  # "durable" | "oracle"
    workers: int | None = None  # None: CPU count; 0: in-process, no worker processes
    cache_dir: Path | None = None  # result cache folder; None: no cache
    book: RuleBook | None = None
    profile_model: Profile | None = None
    roster_model: Roster | None = None


def iter_case_paths(targets: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders walked for case files (rosters and hidden files skipped): the
    files `sorted(folder.rglob("*"))` lists, in that order, that are files (a link to one too)
    with a case file's suffix. An `os.scandir` walk, each folder sorted by name (the order of
    the sorted paths): rglob, its sort of `Path`s and a `stat` of every path were ~0.13 s of
    `campaign create`'s serial start at 10,000 files (now ~0.04)."""
    for target in targets:
        if target.is_dir():
            yield from _case_files(target)
        else:
            yield target


def _case_files(folder: Path) -> Iterator[Path]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=_entry_name)
    except PermissionError:  # passed over, as rglob does
        return
    for entry in entries:
        path = folder / entry.name
        try:
            inside = entry.is_dir() and not entry.is_symlink()  # rglob enters no link
        except OSError:
            inside = False
        if inside:
            yield from _case_files(path)
        elif _case_name(entry.name) and _is_file(entry, path):
            yield path


def _is_file(entry: os.DirEntry[str], path: Path) -> bool:
    """`path.is_file()`, from the listing where it can tell (no system call for most files)."""
    try:
        return entry.is_file()
    except OSError:  # a link whose target cannot be looked at: Path's answer (False or raise)
        return path.is_file()


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _case_name(name: str) -> bool:
    """`Path(name)` has a case file's suffix and is neither hidden nor a roster."""
    dot = name.rfind(".")
    if name.startswith(".") or not 0 < dot < len(name) - 1:
        return False
    return name[dot:].lower() in CASE_SUFFIXES and not name[:dot].lower().startswith("roster")


def make_context(
    book: RuleBook,
    profile: Profile,
    roster: Roster | None,
    engine: str,
    cache_dir: Path | None = None,
    calendar: WorkCalendar | None = None,
) -> ReviewContext:
    if engine == "durable":
        from .evaluate.durable_engine import DurableEngine

        ctx = ReviewContext(book, profile, DurableEngine.for_book(book), roster)
    else:
        from .evaluate.oracle import OracleEngine

        ctx = ReviewContext(book, profile, OracleEngine(book.compiled), roster)
    if calendar is not None:
        ctx.calendar = calendar
    if cache_dir is not None:
        from .cache import ResultCache

        ctx.cache = ResultCache(cache_dir)
    return ctx


def review_one(path: Path, ctx: ReviewContext) -> CaseResult:
    from .cache import cached_review

    return cached_review(path, ctx, ctx.cache)


def _review_one_prepared(
    path: Path,
    index: int,
    ctx: ReviewContext,
    finish: Callable[[CaseResult, int], Any],
    stored: Stored | None,
) -> Any:
    """In-process `finish(review_one(path), index)`, a cache hit through `stored` if it takes it."""
    from .cache import cached_review

    taken: list[Any] = []

    def use(payload: bytes) -> bool | None:
        item = stored(payload, index) if stored is not None else None
        if item is None:
            return None
        taken.append(item)
        return True

    result = cached_review(path, ctx, ctx.cache, use if stored is not None else None)
    return taken[0] if taken else finish(result, index)


def durable_available() -> bool:
    try:
        import durable_rules_engine  # noqa: F401  (the C binding: all the engine uses)
    except Exception:
        return False
    return True


Prepare = Callable[[CaseResult, int], Any]
Stored = Callable[[bytes, int], Any]


@dataclass
class BatchRun:
    """A started batch: iterate it once for the results (one per path, input order), or once
    through `each`."""

    paths: list[Path]
    book: RuleBook
    profile: Profile
    roster: Roster | None
    engine: str
    notes: list[str]
    _start: Callable[[Prepare | None, Stored | None], Iterator[Any]]
    _stream: Iterator[Any] | None = None

    def __iter__(self) -> Iterator[CaseResult]:
        if self._stream is None:
            self._stream = self._start(None, None)
        return self._stream

    def each(self, prepare: Prepare, stored: Stored | None = None) -> Iterator[Any]:
        """`prepare(result, index)` of every result, in input order. `prepare` runs in the process
        that reviewed the file (a worker process unless `workers=0`), so what it does per file runs
        in parallel; it sees the result complete (notes included) and must not depend on other
        files (each worker has its own copy of everything it uses). Call once, instead of
        iterating the run.

        `stored(payload, index)`, if given, is offered each result-cache hit (and each result
        just stored) first, in the same process: `payload` is the verified stored JSON of the
        result `prepare` would see (`result.model_dump_json()`); what it returns stands for
        `prepare`'s, and the result is not rebuilt. It returns None to decline (then `prepare`
        runs as usual)."""
        if self._stream is not None:
            raise RuntimeError("a batch is iterated once")
        self._stream = self._start(prepare, stored)
        return self._stream

    @property
    def total(self) -> int:
        return len(self.paths)


def load_setup(options: BatchOptions) -> tuple[RuleBook, Profile, Roster | None]:
    """Rules, profile and roster of a batch, or BatchSetupError with the Chinese reason."""
    try:
        book = options.book or load_rulebook_cached(options.rules, extra=options.packs)
        profile = options.profile_model
        if profile is None and options.profile is None:
            profile = default_profile(book)  # stored with a cached book
        profile = profile or load_profile(options.profile)
    except (PackError, ValueError) as exc:
        raise BatchSetupError(f"规则包或评查标准无法加载：\n{exc}") from None
    roster = options.roster_model
    if roster is None and options.roster:
        try:
            roster = load_roster(options.roster)
        except InputRejected as exc:
            raise BatchSetupError(f"证件台账无法读取：\n{exc.format()}") from None
    return book, profile, roster


def load_calendar(folder: Path | None) -> WorkCalendar | None:
    """The working calendar with a folder's local year files, or None (the shared default);
    BatchSetupError with the Chinese reason if the folder cannot be used."""
    if folder is None:
        return None
    try:
        return WorkCalendar(extra_dir=folder)
    except ValueError as exc:
        raise BatchSetupError(f"日历目录无法读取：\n{exc}") from None


def review_batch(
    paths: Iterable[Path], options: BatchOptions | None = None, more: Callable[[], bool] | None = None
) -> BatchRun:
    """Start reviewing `paths`; raises BatchSetupError before any file if the batch cannot start.

    With `more`, `paths` is a list still growing (a folder walk, `discovery.Walk`): `more()` adds
    the next paths to it and returns False once it has added the last. Worker processes start on
    the first paths while the walk goes on; every path is found before the first result comes."""
    options = options or BatchOptions()
    paths = paths if more is not None and isinstance(paths, list) else list(paths)
    book, profile, roster = load_setup(options)
    calendar = load_calendar(options.calendar)
    engine = options.engine
    notes: list[str] = []
    if engine == "durable" and not durable_available():
        engine = "oracle"
        notes.append("durable_rules 不可用，已改用参照引擎（oracle）")
    fallback = make_context(book, profile, roster, "oracle", calendar=calendar)
    cache_dir = None if os.environ.get("CASEREVIEW_NO_CACHE") else options.cache_dir

    def results(prepare: Prepare | None, stored: Stored | None) -> Iterator[Any]:
        def finish(result: CaseResult, index: int) -> Any:
            result.notes.extend(notes)
            return prepare(result, index) if prepare is not None else result

        if notes:  # a stored result lacks the batch's notes: every result goes through `finish`
            stored = None
        walk = more
        if walk is not None and (options.workers == 0 or len(paths) < 2):  # no workers to start early
            while walk():
                pass
            walk = None
        here = len(paths) == 1 and options.workers != 0 and solo.here()
        if not here:
            solo.release()  # a supervised check reviewing in workers: its output is not held
        if options.workers == 0:
            ctx = (
                make_context(book, profile, roster, engine, cache_dir, calendar)
                if engine == "oracle"
                else fallback
            )
            stream: Iterator[Any] = (
                _review_one_prepared(p, i, ctx, finish, stored) for i, p in enumerate(paths)
            )
        elif here:  # a one-file check, supervised (evaluate/solo.py)
            ctx = make_context(book, profile, roster, engine, cache_dir, calendar)
            stream = solo.review_here(
                paths[0], partial(_review_one_prepared, paths[0], 0, ctx, finish, stored)
            )
        else:  # worker processes for either engine: a batch is CPU-bound
            from .evaluate.runner import review_paths

            factory = partial(make_context, book, profile, roster, engine, cache_dir, calendar)
            stream = review_paths(
                paths,
                factory,
                fallback,
                workers=options.workers,
                prepare=finish,
                stored=stored,
                rerun=solo.crashed(),
                more=walk,
            )
        count = 0
        try:
            for item in stream:
                count += 1
                yield item
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # an interrupted batch stops (and kills) its worker processes now
        for index, path in enumerate(paths[count:], count):  # safety net: every file is reported
            message = "评查未返回结果（内部错误）"
            yield finish(rejected(path, [RejectedInput(file=str(path), message=message)]), index)

    return BatchRun(paths, book, profile, roster, engine, notes, results)
