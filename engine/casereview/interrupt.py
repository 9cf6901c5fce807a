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


def received() -> int | None:
    """The signal that interrupted the run (SIGINT when Ctrl-C raised KeyboardInterrupt)."""
    return _received[-1] if _received else None


def exit_code() -> int:
    return 128 + (received() or signal.SIGINT)


def _on_signal(signum, frame) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
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
