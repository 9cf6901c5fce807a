"""Run reviews in supervised worker processes.

durable_rules is C code with known crash modes (notes §4): it runs only in worker processes,
never threads. If a worker dies, the files it held are re-run one per process; a file that
kills its worker again is reviewed in-process by the oracle and its result says so. No file
is ever lost: every path given comes back as exactly one CaseResult, in input order.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..review import CaseResult, ReviewContext, review_file
from .oracle import OracleEngine

_WORKER_CTX: ReviewContext | None = None
_CRASH_ENV = "CASEREVIEW_TEST_CRASH_ON"  # test hook: a worker reviewing a file with this name dies
_CRASH_ONCE_ENV = "CASEREVIEW_TEST_CRASH_ONCE"  # with a marker path: die only the first time


def _init_worker(make_context: Callable[[], ReviewContext]) -> None:
    global _WORKER_CTX
    _WORKER_CTX = make_context()


def _review_in_worker(path: str) -> CaseResult:
    assert _WORKER_CTX is not None
    marker = os.environ.get(_CRASH_ENV)
    if marker and marker in Path(path).name:
        once = os.environ.get(_CRASH_ONCE_ENV)
        if not once or not Path(once).exists():
            if once:
                Path(once).touch()
            os.kill(os.getpid(), signal.SIGKILL)  # die as a crashing C extension would
    from ..cache import cached_review

    return cached_review(Path(path), _WORKER_CTX, _WORKER_CTX.cache)


def oracle_context(ctx: ReviewContext) -> ReviewContext:
    return ReviewContext(ctx.book, ctx.profile, OracleEngine(ctx.book.compiled), ctx.roster, ctx.calendar)


def review_paths(
    paths: list[Path],
    make_context: Callable[[], ReviewContext],
    fallback: ReviewContext,
    workers: int | None = None,
    window: int = 256,
) -> Iterator[CaseResult]:
    """Yield one result per path, in order, with at most `window` files in flight (flat memory)."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(paths) or 1))
    mp = multiprocessing.get_context("fork")
    pending = deque(enumerate(map(str, paths)))
    done: dict[int, CaseResult] = {}
    next_out = 0
    suspects: list[tuple[int, str]] = []

    def make_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=mp, initializer=_init_worker, initargs=(make_context,))

    pool = make_pool()
    in_flight: dict[int, tuple[str, Future[CaseResult]]] = {}
    try:
        while pending or in_flight or suspects:
            for index, path in suspects:
                # a pool broke: re-run the files it held one at a time, each in its own process
                done[index] = _isolated(path, make_context, fallback, mp)
            suspects = []
            while pending and len(in_flight) < window:
                index, path = pending.popleft()
                in_flight[index] = (path, pool.submit(_review_in_worker, path))
            if not in_flight:
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                continue
            index = min(in_flight)
            path, future = in_flight[index]
            try:
                done[index] = future.result()
                del in_flight[index]
            except BrokenProcessPool:
                for i, (p, f) in sorted(in_flight.items()):
                    if f.done() and not f.cancelled() and f.exception() is None:
                        done[i] = f.result()
                    else:
                        suspects.append((i, p))
                in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = make_pool()
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _isolated(path: str, make_context, fallback: ReviewContext, mp) -> CaseResult:
    with ProcessPoolExecutor(1, mp_context=mp, initializer=_init_worker, initargs=(make_context,)) as solo:
        try:
            result = solo.submit(_review_in_worker, path).result()
            result.notes.append("评查该批次时工作进程异常退出，本案已在独立进程中重新评查")
            return result
        except BrokenProcessPool:
            pass
    result = review_file(Path(path), fallback)
    result.notes.append("durable_rules 工作进程评查本案时崩溃，本案已由参照引擎（oracle）重新评查")
    return result
