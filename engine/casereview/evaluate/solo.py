"""A one-file check reviewed in its own process, under a supervisor process.

durable_rules is C code with known crash modes, so it runs in worker processes (runner.py). For
one file, forking a worker from the loaded process (~100 MB) and passing the file and its result
between the two cost more CPU than the review itself (~35 ms of a ~300 ms check). Instead the
`check` command forks first, before anything is loaded (`supervise`): the child does all the
work, the file reviewed in the child itself (`review_here`), and the first process only waits
and ends with the child's exit status. If the child dies while a review is running in it, the
first process runs the command again the usual way, treating the file as one whose worker died
(runner.py: re-run in a fresh worker, then alone, then by the oracle, each saying so), so a crash
still loses no file and is still said in the result.

The child writes one byte to a pipe when a review starts in it and another when it ends; a
death between the two is a crash of the review, any other exit is passed on unchanged. A child
ending normally (cli.exit_process) says its exit code last, once its output is written and its
standard streams closed, and the supervisor ends with that code at once: the child's own end,
the kernel freeing its ~100 MB (ruleset, book, modules: ~9 ms of system time, 16-40 ms of wall
clock on a busy machine), is no longer part of the command's time. The child, whose supervisor
is gone, is killed (PR_SET_PDEATHSIG) and reaped by init. What the
child writes to stdout and stderr is held until its review is over (or it reviews in workers, or
ends), so that after a crash the command's output is the supervisor's alone: never a document
begun by the child and then written again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

_STARTED, _ENDED, _EXITING = b"R", b"D", b"X"  # _EXITING is followed by the exit code's byte
_CRASH_ENV = "CASEREVIEW_TEST_CRASH_ON"  # test hook: reviewing a file with this name dies
_CRASH_ONCE_ENV = "CASEREVIEW_TEST_CRASH_ONCE"  # with a marker path: die only the first time

_channel: int | None = None  # in the supervised child: where it says a review started / ended
_crashed = False  # in the supervisor after the child died reviewing: the file's worker died once


def supervise() -> None:
    """Fork; return in the child (which then runs the command), and in this process only if the
    child died while reviewing (this process then runs the command itself, see `crashed`).
    Otherwise this process ends as the child did. Returns at once where there is no fork."""
    global _channel, _crashed
    if not hasattr(os, "fork") or signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN:
        return  # (children reaped by the kernel: the child's exit status could not be read)
    parent = os.getpid()
    try:
        read_end, write_end = os.pipe()
        child = os.fork()
    except OSError:
        return
    if child == 0:
        os.close(read_end)
        _die_with_parent(parent)
        _channel = write_end
        _hold_output()
        return
    os.close(write_end)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    _forwarding(child)
    said = _listen(read_end)
    os.close(read_end)
    if said[-2:-1] == _EXITING:  # the child's work is done and written: end as it ends
        os._exit(said[-1])
    status = _wait(child)
    if os.WIFSIGNALED(status) and said.endswith(_STARTED):
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        _crashed = True
        return
    _end_as(status)


def _forwarding(child: int) -> None:
    """Ctrl-C reaches the child from the terminal; SIGTERM sent to this process is passed on, so
    the child stops as a command does (partial report, 128 + signal)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: _forward(child, signum))


def _listen(channel: int) -> bytes:
    """What the child says, up to its exit code or the channel's end (the child is gone)."""
    said = b""
    while chunk := os.read(channel, 64):
        said += chunk
        if said[-2:-1] == _EXITING:
            break
    return said


def _wait(child: int) -> int:
    """The child's exit status."""
    try:
        return os.waitpid(child, 0)[1]
    except ChildProcessError:  # reaped elsewhere (cannot happen here): never a made-up success
        from ..exitcodes import EXIT_INTERNAL

        os.write(2, "casereview 内部错误（请报告此问题）：无法取得检查进程的退出状态\n".encode())
        os._exit(EXIT_INTERNAL)


def _forward(child: int, signum: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(child, signum)


def _end_as(status: int) -> NoReturn:
    """End this process as the child ended: the same exit code, or death by the same signal."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        os._exit(128 + signum)
    os._exit(os.waitstatus_to_exitcode(status))


def _die_with_parent(parent: int) -> None:
    """Linux: the child is killed when the supervisor dies (e.g. SIGKILL), as worker processes are."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        return
    if os.getppid() != parent:  # the supervisor died before the request took effect
        os._exit(1)


def exiting(code: int) -> None:
    """In a supervised child about to end (cli.exit_process, output flushed): close the standard
    streams, so that readers of the command's output see its end, and give the supervisor the
    exit code, so the command ends now rather than after this process's memory is freed."""
    channel = _channel
    if channel is None:
        return
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(OSError):
        os.write(channel, _EXITING + bytes([code & 0xFF]))


def here() -> bool:
    """True in a supervised child: a one-file batch may review its file in this process."""
    return _channel is not None


def crashed() -> bool:
    """True in the supervisor once the child died reviewing: its batch treats the file as one
    whose worker died (runner.review_paths(rerun=True))."""
    return _crashed


def review_here(path: Path, review: Callable[[], Any]) -> Iterator[Any]:
    """`review()` of the batch's one file, run in this (supervised) process."""
    _say(_STARTED)
    crash_for_test(str(path))
    item = review()
    _say(_ENDED)
    release()
    yield item


def _say(what: bytes) -> None:
    if _channel is not None:
        os.write(_channel, what)


def crash_for_test(path: str) -> None:
    """Tests: the process reviewing a file whose name holds $CASEREVIEW_TEST_CRASH_ON dies as a
    crashing C extension would (only the first time with $CASEREVIEW_TEST_CRASH_ONCE, a marker path)."""
    marker = os.environ.get(_CRASH_ENV)
    if not marker or marker not in Path(path).name:
        return
    once = os.environ.get(_CRASH_ONCE_ENV)
    if once and Path(once).exists():
        return
    if once:
        Path(once).touch()
    os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------- output held in the child

_held: list[tuple[Any, str | bytes]] | None = None  # (real stream, text or bytes), in order


def _hold_output() -> None:
    global _held
    _held = []
    sys.stdout = _Held(sys.stdout)  # type: ignore[assignment]
    sys.stderr = _Held(sys.stderr)  # type: ignore[assignment]


def release() -> None:
    """Write what was held, in order, and write through from now on (no-op if nothing is held)."""
    global _held
    held, _held = _held, None
    if held is None:
        return
    if isinstance(sys.stdout, _Held):
        sys.stdout = sys.stdout.real
    if isinstance(sys.stderr, _Held):
        sys.stderr = sys.stderr.real
    for real, data in held:
        if isinstance(data, str):
            real.write(data)
        else:
            real.flush()  # text written before goes first
            real.buffer.write(data)


class _Held:
    """A text stream (with its byte `buffer`) whose writes are kept while output is held, then
    go to the real stream; everything else (isatty, encoding, fileno …) is the real stream's."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def write(self, text: str) -> int:
        if _held is None:
            return self.real.write(text)
        _held.append((self.real, text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if _held is None:
            self.real.flush()

    @property
    def buffer(self) -> Any:
        return _HeldBytes(self.real)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _HeldBytes:
    def __init__(self, real: Any) -> None:
        self.real = real

    def write(self, data: bytes) -> int:
        if _held is None:
            return self.real.buffer.write(data)
        _held.append((self.real, bytes(data)))
        return len(data)

    def writelines(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if _held is None:
            self.real.buffer.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real.buffer, name)
