"""The output formats: one `Reporter` per file in this folder, found by name.

A format is a module `report/formats/<name>.py` defining `REPORTER`, an instance of a `Reporter`
subclass. The CLI's `--format` choices, the files `review` writes and `write()` all come from
here, so adding a format is adding one file. Modules are imported only when used (a one-file
`check` must not load jinja2 or openpyxl).

Every reporter renders the same stream of `CaseResult`s: `open()` returns a `Sink`; the driver
calls `sink.add(result, index)` for each result as it arrives and `sink.finish(analysis)` once.
A sink whose per-file work needs only the result (a case page, spreadsheet rows) does it in
`sink.prepare(result, index)`, which the driver may call in the worker process that reviewed
the file; `add(result, index, prepared)` then only takes in what `prepare` returned.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, TextIO

from ...exitcodes import FAIL_ON_CHOICES
from ...review import CaseResult
from ..outfile import open_text


@dataclass
class ReportContext:
    """What every reporter may show besides the results."""

    rules_version: str = ""
    tool_version: str = ""
    fail_on: str = "deduct"
    mask: bool = True
    campaign: str = ""  # 评查活动名称 (title row of the Excel, heading of the HTML)
    generated: str = ""  # ISO date-time of the run
    profile: str = ""  # scoring profile id/name
    root: Path | None = None  # the reviewed folder: file names are shown relative to it
    full_paths: bool = False  # show local file paths as given
    rulebook: Any = None  # the loaded RuleBook (rule catalogue for SARIF/JUnit)
    invocation: dict[str, Any] = field(default_factory=dict)  # command line, start/end time
    extra: dict[str, Any] = field(default_factory=dict)  # keys added to the JSON document head
    ui: dict[str, Any] = field(default_factory=dict)  # terminal options: color, quiet
    categories: list[tuple[str, str]] = field(default_factory=list)  # profile categories (id, name)
    points: Any = None  # rule code → points one deduction costs under the profile
    _shown: tuple[str, str] = field(default=("", ""), repr=False, compare=False)  # last `display`
    _root: tuple[Any, Any] = field(default=(None, None), repr=False, compare=False)  # root, resolved
    _dirs: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # folder → resolved

    def use_profile(self, profile: Any) -> None:
        self.profile = profile.title
        self.categories = [(c.id, c.name) for c in profile.categories]

        @cache  # a few dozen codes, looked up for every deduction of every file
        def points(code: str) -> int:
            item = profile.item_for(code)
            return item.deduct if item is not None else profile.default_deduct

        self.points = points

    def meta(self) -> dict[str, Any]:
        """The document head of machine formats (JSON)."""
        head = {"rules_version": self.rules_version, "tool_version": self.tool_version}
        if self.campaign:
            head["campaign"] = self.campaign
        if self.generated:
            head["generated"] = self.generated
        head["masked"] = self.mask
        head["fail_on"] = self.fail_on
        return head | self.extra

    def display(self, path: str) -> str:
        # one file is shown many times in a row (page, each finding, each row): resolving its
        # path (a system call per part) once is enough
        if self._shown[0] == path and path:
            return self._shown[1]
        from ..location import display_file, display_file_in

        if self._root[0] != self.root:  # the folder resolved once, not once per file
            try:
                resolved = self.root.resolve() if self.root is not None else None
            except OSError:
                resolved = None  # as display_file, meeting the same error, falls back
            self._root = (self.root, resolved)
            self._dirs.clear()
        if self.full_paths:
            shown = display_file(path, self._root[1], True, resolved=True)
        else:
            shown = display_file_in(path, self._root[1], self._dirs)
        self._shown = (path, shown)
        return shown


class Sink:
    """A report being written: results are added one by one, then the report is finished."""

    parallel: ClassVar[bool] = False  # `prepare` is worth running in the worker processes
    # `finish` spends its time where the GIL is released (compression, writing): `finish_all`
    # runs it in a thread beside the other sinks' finishing
    threaded_finish: ClassVar[bool] = False
    # `finish` holds the GIL (rendering) and only writes files of its own: `finish_all` may run it
    # in a forked child process, on the second core, while this process finishes the others
    forked_finish: ClassVar[bool] = False
    # False: `add` needs only what `prepare` returned; a driver that has it passes no result
    # (None), so the result itself need not come back from the worker
    needs_result: ClassVar[bool] = True

    def prepare(self, result: CaseResult, index: int) -> Any:
        """The per-file work that needs nothing but this result, masked and ready to write; may
        run in a worker process (on its copy of the sink), so it changes no state of the sink.
        None: nothing to do ahead, `add` does it all."""
        return None

    def prepare_stored(self, payload: bytes, index: int) -> Any:
        """What `prepare` would return for the result whose JSON (`model_dump_json()`, as the
        result cache stores it) is `payload`, or None when it needs the result itself."""
        return None

    def add(self, result: CaseResult, index: int, prepared: Any = None) -> None:
        """Take in one result; `prepared` is what `prepare` returned for it, passed only when
        not None (a sink without `prepare` may define `add(result, index)`)."""
        raise NotImplementedError

    def finish(self, analysis: dict[str, Any] | None) -> None:
        raise NotImplementedError


TAIL_SWITCH_INTERVAL = 0.0005  # seconds a thread holds the GIL while another waits, as sinks finish


def finish_all(sinks: list[Sink], analysis: dict[str, Any] | None) -> None:
    """Finish every sink. The workers are done by now and a core is free: a sink whose finishing
    is mostly compression (the workbook) runs in a thread while the others render, and a sink
    whose finishing is rendering of its own files (the HTML summary pages) runs in a forked child
    process when no other thread runs, so that it does not wait for the GIL behind the JSON
    document. The first error is raised once all have ended."""
    import threading

    errors: list[BaseException] = []

    def finish(sink: Sink) -> None:
        try:
            sink.finish(analysis)
        except BaseException as exc:  # raised in the caller's thread below
            errors.append(exc)

    # a child forked while another thread holds a lock (a pool's queue, logging) could wait for it
    # forever: only a process with no other thread forks, before the workbook's thread starts
    alone = hasattr(os, "fork") and threading.active_count() == 1
    forked = [s for s in sinks if s.forked_finish] if alone and len(sinks) > 1 else []
    waits = [(sink, _finish_in_child(sink, analysis)) for sink in forked]
    threads = [threading.Thread(target=finish, args=(s,)) for s in sinks if s.threaded_finish]
    switch = sys.getswitchinterval()
    if threads:
        # both threads write in many pieces, each a system call (write, deflate, CRC) that lets go of
        # the GIL; taking it back waited up to the switch interval (5 ms) behind the other's Python:
        # at 10,000 files the JSON document's thread was blocked 0.07-0.2 s so, the workbook's as
        # long, with the same CPU (0.5 ms: 0.03-0.07 s each)
        sys.setswitchinterval(min(switch, TAIL_SWITCH_INTERVAL))
    for thread in threads:
        thread.start()
    try:
        for sink in sinks:
            if not sink.threaded_finish and sink not in forked:
                try:
                    sink.finish(analysis)
                except Exception as exc:  # the other reports are still finished (as when forked)
                    errors.append(exc)
    finally:
        for thread in threads:
            thread.join()
        sys.setswitchinterval(switch)
        for sink, wait in waits:
            try:
                if not wait():  # the child ended without a word (killed): finished here instead
                    sink.finish(analysis)
            except BaseException as exc:
                errors.append(exc)
    if errors:
        raise errors[0]


def _finish_in_child(sink: Sink, analysis: dict[str, Any] | None) -> Callable[[], bool]:
    """Start `sink.finish(analysis)` in a forked child; the function returned waits for it: True
    when the child finished, False when it ended without saying (the caller finishes the sink
    itself), the child's error raised (an OSError as the same OSError: the CLI names the file)."""
    import gc

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no return from here, no exit handler, no inherited buffer flushed
        code = 1
        try:
            os.close(read)
            gc.disable()  # short-lived: collections would only copy the parent's pages
            _die_with_parent()
            sink.finish(analysis)
            _write_all(write, _said(None))
            code = 0
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                _write_all(write, _said(exc))
        finally:
            os._exit(code)
    os.close(write)

    def wait() -> bool:
        import json  # (not at the top: this package's `json` format module takes that name)

        with open(read, "rb") as said:
            message = said.read()
        os.waitpid(pid, 0)
        try:
            error = json.loads(message)
        except ValueError:  # nothing, or cut short: the child was killed
            return False
        if error is None:
            return True
        if "errno" in error:
            raise OSError(error["errno"], error["strerror"], error["filename"])
        raise RuntimeError(f"{sink.__class__.__name__}.finish: {error['traceback']}")

    return wait


def _said(exc: BaseException | None) -> bytes:
    """What a child finishing a sink tells its parent (`_finish_in_child`): null when done, an
    OSError's number, message and file, else the traceback."""
    import json

    if exc is None:
        return b"null"
    if isinstance(exc, OSError) and exc.errno is not None:
        error = {"errno": exc.errno, "strerror": exc.strerror, "filename": exc.filename}
    else:
        import traceback

        error = {"traceback": "".join(traceback.format_exception(exc))}
    return json.dumps(error, default=str).encode()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _die_with_parent() -> None:
    """Linux: the child is killed when this process is (it writes into the report folder)."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


class DocumentSink(Sink):
    """Collects the (masked) results and writes one document once all are in (JUnit, SARIF)."""

    def __init__(self, out: TextIO, ctx: ReportContext, dumps: Callable[..., str]):
        self.out, self.ctx, self.dumps, self.results = out, ctx, dumps, []

    def add(self, result: CaseResult, index: int, prepared: Any = None) -> None:
        from ..masking import mask_result

        self.results.append(mask_result(result) if self.ctx.mask else result)

    def finish(self, analysis: dict[str, Any] | None) -> None:
        meta = {
            "rules_version": self.ctx.rules_version,
            "tool_version": self.ctx.tool_version,
            "rulebook": self.ctx.rulebook,
            "invocation": self.ctx.invocation,
        }
        self.out.write(self.dumps(self.results, meta, self.ctx.fail_on) + "\n")


class Reporter:
    name: ClassVar[str]
    label: ClassVar[str]  # Chinese, shown in --help
    filename: ClassVar[str]  # what `review -o OUT` writes in OUT
    stream: ClassVar[bool] = True  # can be printed to stdout / --output-file
    binary: ClassVar[bool] = False  # writes bytes (xlsx): needs a file, never stdout
    needs_analysis: ClassVar[bool] = False  # finish() wants the cross-case analysis

    def open(self, out: TextIO, ctx: ReportContext) -> Sink:
        """A sink writing to a text stream."""
        raise NotImplementedError

    def open_path(self, path: Path, ctx: ReportContext) -> Sink:
        """A sink writing the file (or folder) `path`; by default a UTF-8 text file, written under
        a temporary name and renamed when finished: never a truncated document."""
        path = Path(path)
        temporary = path.with_name(f".{path.name}.tmp")
        handle = open_text(temporary)  # never through a link left in the output folder
        return _Closing(self.open(handle, ctx), handle, temporary, path)

    def open_folder(self, folder: Path, ctx: ReportContext) -> Sink:
        """What `review -o OUT` writes for this format."""
        return self.open_path(Path(folder) / self.filename, ctx)


class _Closing(Sink):
    def __init__(
        self, inner: Sink, handle: TextIO, temporary: Path | None = None, target: Path | None = None
    ):
        self.inner, self.handle = inner, handle
        self.temporary, self.target = temporary, target
        self.parallel, self.needs_result = inner.parallel, inner.needs_result  # type: ignore[misc]

    def prepare(self, result: CaseResult, index: int) -> Any:
        return self.inner.prepare(result, index)

    def prepare_stored(self, payload: bytes, index: int) -> Any:
        return self.inner.prepare_stored(payload, index)

    def add(self, result: CaseResult, index: int, prepared: Any = None) -> None:
        if prepared is None:
            self.inner.add(result, index)
        else:
            self.inner.add(result, index, prepared)

    def finish(self, analysis: dict[str, Any] | None) -> None:
        try:
            self.inner.finish(analysis)
        finally:
            self.handle.close()
        if self.temporary is not None and self.target is not None:
            os.replace(self.temporary, self.target)


@cache
def names() -> tuple[str, ...]:
    """Every format, in a stable order (the modules of this package, without importing them)."""
    order = ("text", "json", "junit", "sarif", "html", "xlsx")
    found = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    return tuple(sorted(found, key=lambda n: (order.index(n) if n in order else len(order), n)))


def get(name: str) -> Reporter:
    if name not in names():
        raise KeyError(name)
    return importlib.import_module(f"{__name__}.{name}").REPORTER


def stream_names() -> tuple[str, ...]:
    return tuple(n for n in names() if get(n).stream and not get(n).binary)


def folder_names() -> tuple[str, ...]:
    return names()


def write(name: str, results: list[CaseResult], out: TextIO, meta: dict[str, Any] | ReportContext) -> None:
    """Render a whole list to a stream (convenience for callers that hold every result)."""
    ctx = meta if isinstance(meta, ReportContext) else context_from_meta(meta)
    try:
        reporter = get(name)
    except KeyError:
        raise SystemExit(f"未知的输出格式 {name!r}，可选：{'、'.join(stream_names())}") from None
    sink = reporter.open(out, ctx)
    for i, result in enumerate(results):
        sink.add(result, i)
    sink.finish(analysis_of(results) if reporter.needs_analysis else None)


def analysis_of(results: list[CaseResult]) -> dict[str, Any]:
    from ...analysis import analyse_results

    return analyse_results(results)


def context_from_meta(meta: dict[str, Any]) -> ReportContext:
    """A ReportContext from the older meta dict (`rules_version`, `tool_version`, `rulebook`…)."""
    known = {
        k: meta[k] for k in ("rules_version", "tool_version", "campaign", "generated", "profile") if k in meta
    }
    fail_on = meta.get("fail_on", "deduct")
    if fail_on not in FAIL_ON_CHOICES:
        fail_on = "deduct"
    extra = {k: v for k, v in meta.items() if k not in {*known, "rulebook", "masked", "fail_on", "analysis"}}
    ctx = ReportContext(
        **known, fail_on=fail_on, mask=meta.get("masked", True), rulebook=meta.get("rulebook")
    )
    ctx.extra = extra
    if "analysis" in meta:
        ctx.extra["analysis"] = meta["analysis"]
    return ctx


def __getattr__(name: str) -> Any:
    """`FORMATS` (name → writer function) and `FILE_FORMATS` for older callers, built on first use."""
    if name == "FORMATS":
        from functools import partial

        return {n: partial(write, n) for n in stream_names()}
    if name == "FILE_FORMATS":
        return folder_names()
    raise AttributeError(name)
