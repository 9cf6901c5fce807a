"""SIGINT and SIGTERM during a batch: stop reviewing, keep what is done, write valid output.

`interruptible()` makes SIGTERM behave like Ctrl-C (a `KeyboardInterrupt` in the main thread)
and remembers which signal came, so the command can finish its reports marked partial and exit
with 128 + the signal number. `shielded()` then ignores further signals while those reports are
written (a second Ctrl-C must not truncate them; SIGKILL still stops the process, and the JSON
result is replaced atomically, so even then no half-written document is left).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_received: list[int] = []
_critical = {"depth": 0, "pending": False}


def received() -> int | None:
    """The signal that interrupted the run (SIGINT when Ctrl-C raised KeyboardInterrupt)."""
    return _received[-1] if _received else None


def exit_code() -> int:
    return 128 + (received() or signal.SIGINT)


def _on_signal(signum, frame) -> None:
    _received.append(signum)
    if _critical["depth"]:
        _critical["pending"] = True  # raised when the critical section ends
        return
    raise KeyboardInterrupt


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """A step that must not be cut in half (one result added to every report): an interrupt
    arriving inside it is raised when it ends."""
    _critical["depth"] += 1
    try:
        yield
    finally:
        _critical["depth"] -= 1
        if not _critical["depth"] and _critical["pending"]:
            _critical["pending"] = False
            raise KeyboardInterrupt


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    _critical.update(depth=0, pending=False)
    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
