"""Run reviews in supervised worker processes.

durable_rules is C code with known crash modes (notes §4): it runs only in worker processes,
never threads. If a worker dies, the files it held are re-run one per process; a file that
kills its worker again is reviewed in-process by the oracle and its result says so. No file
is ever lost: every path given comes back as exactly one CaseResult, in input order. (A one-file
`check` reviews in a supervised child process instead, evaluate/solo.py; if that child dies, its
file comes here as one whose worker died: `rerun`.)

Workers ignore SIGINT (the parent decides what an interrupt means) and ask the kernel to kill
them when the parent dies (PR_SET_PDEATHSIG), so no worker outlives the batch even if the
parent is SIGKILLed. If the consumer stops early (Ctrl-C, SIGTERM, closing the generator), the
workers are killed at once instead of finishing their tasks.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..review import CaseResult, ReviewContext, review_file
from .oracle import OracleEngine
from .solo import crash_for_test

_WORKER_CTX: ReviewContext | None = None
_WORKER_PREPARE: Callable[[CaseResult, int], Any] | None = None
_WORKER_STORED: Callable[[bytes, int], Any] | None = None
WORKER_GC_YOUNG = 20_000  # objects allocated (net) between young collections in a worker


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when its parent exits (no orphaned durable workers)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        return  # not Linux: the parent's cleanup is the only guard
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _init_worker(
    make_context: Callable[[], ReviewContext],
    parent: int | None = None,
    prepare: Callable[[CaseResult, int], Any] | None = None,
    stored: Callable[[bytes, int], Any] | None = None,
) -> None:
    global _WORKER_CTX, _WORKER_PREPARE, _WORKER_STORED
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if parent is not None:
        _die_with_parent(parent)
    _WORKER_CTX = make_context()
    _WORKER_PREPARE = prepare
    _WORKER_STORED = stored
    # the context (rule book, engine, roster) lives as long as the worker: out of the cyclic
    # collector's way, which would otherwise walk it in every full collection (~30 % of a file's
    # CPU measured with bench/stages.py); the start-up objects inherited from the parent are
    # frozen there already (cli_support.collector_paused)
    gc.collect()
    gc.freeze()
    # A file's garbage is acyclic (reference counting frees it): over 10,000 files a worker ran
    # ~520 young collections and found nothing to collect in any (gc.callbacks), ~1 % of its CPU.
    # With 20,000 new objects between young collections a worker runs ~2; a file that does leave
    # cycles behind (an exception's traceback) is still collected, after at most ~20,000 objects
    # (a few MB). Peak PSS at 10,000 files unchanged (184 MB, parent and workers).
    gc.set_threshold(WORKER_GC_YOUNG, *gc.get_threshold()[1:])


def oracle_context(ctx: ReviewContext) -> ReviewContext:
    return ReviewContext(ctx.book, ctx.profile, OracleEngine(ctx.book.compiled), ctx.roster, ctx.calendar)


class _Prepared:
    """What the batch's `stored` made of a cache hit (told apart from a result by its type)."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


def _from_store(index: int) -> Callable[[bytes], Any] | None:
    stored = _WORKER_STORED
    if stored is None:
        return None

    def use(payload: bytes) -> _Prepared | None:
        item = stored(payload, index)
        return None if item is None else _Prepared(item)

    return use


def _review_chunk(paths: list[str], start: int = 0, note: str | None = None) -> list[Any]:
    """Review `paths` (the batch's files from index `start`); each result gets `note` if given,
    then goes through the batch's `prepare`, here in the worker. A cache hit goes through the
    batch's `stored` instead, if it takes it (never with a note to add)."""
    assert _WORKER_CTX is not None
    from ..cache import cached_reviews

    for path in paths:
        crash_for_test(path)
    uses = [None if note else _from_store(index) for index in range(start, start + len(paths))]
    out = []
    # reviewed together, stage by stage (review.review_files): faster than file by file
    for index, result in enumerate(cached_reviews(paths, _WORKER_CTX, _WORKER_CTX.cache, uses), start):
        if isinstance(result, _Prepared):
            out.append(result.item)
            continue
        if note:
            result.notes.append(note)
        out.append(_WORKER_PREPARE(result, index) if _WORKER_PREPARE is not None else result)
    return out


LARGEST_CHUNK = 64
# Files in flight at most while the paths are still being found: their results wait in this
# process until the walk ends (~20 MB of JSON-only results at most). A 10,000-file walk ends
# after ~600 files are reviewed; a longer one may leave the workers waiting, as before, for its rest.
WALK_WINDOW = 2048


def chunk_size(remaining: int, workers: int) -> int:
    """Files in the next task, `remaining` files not yet given out: each task costs the parent
    ~0.3 ms of CPU (queues, pickling, its thread waking), which competes with the workers, so
    tasks are large while many files remain, then smaller and smaller (guided scheduling), so the
    workers run out of work together."""
    return max(1, min(LARGEST_CHUNK, remaining // (workers * 8)))


def _tasks(start: int, n_paths: int, workers: int, chunk: int | None) -> deque[tuple[int, int]]:
    """(start, stop) of each task's files from `start`, in order: `chunk` files each if given,
    else `chunk_size`."""
    tasks: deque[tuple[int, int]] = deque()
    while start < n_paths:
        stop = min(n_paths, start + (chunk or chunk_size(n_paths - start, workers)))
        tasks.append((start, stop))
        start = stop
    return tasks


def review_paths(
    paths: list[Path],
    make_context: Callable[[], ReviewContext],
    fallback: ReviewContext,
    workers: int | None = None,
    window: int = 256,
    chunk: int | None = None,
    prepare: Callable[[CaseResult, int], Any] | None = None,
    stored: Callable[[bytes, int], Any] | None = None,
    rerun: bool = False,
    more: Callable[[], bool] | None = None,
) -> Iterator[Any]:
    """Yield one result per path, in order, with at most `window` files in flight (flat memory);
    files go to the workers `chunk` at a time (default: `chunk_size`, large tasks first). With
    `rerun`, every file is treated as one whose worker died (a one-file check reviewing in its
    own process, solo.py).

    `prepare(result, index)`, if given, runs on each result in the process that reviewed it (a
    worker; this process for a file the oracle re-reviews here) and what it returns is yielded
    instead of the result: per-file work done there runs in parallel. It must not depend on
    other files; an exception it raises stops the batch and reaches the consumer.

    `stored(payload, index)`, if given, runs in the worker for a result-cache hit (or a result
    just stored), on the entry's verified JSON (`result.model_dump_json()` of the result
    `prepare` would see): what it returns is yielded as `prepare`'s would be, and the result is
    never rebuilt; None declines (the result is rebuilt and goes through `prepare`).

    With `more`, `paths` is a list still growing (a folder walk): `more()` adds the next paths to
    it and returns False once it has added the last. The workers start on the files found first
    while the walk goes on between submissions (up to `WALK_WINDOW` files in flight meanwhile);
    the walk ends before the first result is yielded, so the caller knows every path, and
    whatever its walk found besides, before it takes in any result."""
    walking = more is not None
    if more is not None and rerun:
        while more():
            pass
        walking = False
    known = len(paths) if not walking else 1 << 30  # files to review, for the number of workers
    workers = max(1, min(workers or os.cpu_count() or 1, known or 1))
    mp = multiprocessing.get_context("fork")
    names = list(map(str, paths))
    given = 0 if walking else len(names)  # paths given out as tasks (the rest are being found)
    pending = _tasks(0, given, workers, chunk)  # each task: the files names[start:stop]
    stops: dict[int, int] = {}  # start -> stop of each task in flight
    done: dict[int, CaseResult] = {}
    next_out = 0
    suspects: list[tuple[int, str]] = []
    if rerun:
        pending.clear()
        suspects = list(enumerate(names))

    parent = os.getpid()

    def make_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            workers,
            mp_context=mp,
            initializer=_init_worker,
            initargs=(make_context, parent, prepare, stored),
        )

    pool = make_pool()
    in_flight: dict[int, Future[list[CaseResult]]] = {}
    finished = False
    try:
        while walking or pending or in_flight or suspects:
            if walking:
                assert more is not None
                walking = more()
                names.extend(map(str, paths[len(names) :]))
                size = chunk or LARGEST_CHUNK
                while walking and len(names) - given >= size:  # whole tasks of the files found
                    pending.append((given, given + size))
                    given += size
                if not walking:  # the rest, sized as if the batch had been known from the start
                    pending.extend(_tasks(given, len(names), workers, chunk))
                    given = len(names)
            if suspects:  # a pool broke: re-run the files it held (see _rerun)
                done.update(_rerun(suspects, make_pool, make_context, fallback, mp, parent, workers, prepare))
            suspects = []
            broken = False
            limit = WALK_WINDOW if walking else window
            while pending and sum(stops.values()) - sum(stops) < limit:
                start, stop = pending.popleft()
                try:
                    in_flight[start] = pool.submit(_review_chunk, names[start:stop], start)
                    stops[start] = stop
                except (BrokenProcessPool, RuntimeError):
                    # the pool broke between two submissions: this chunk was never started
                    pending.appendleft((start, stop))
                    broken = True
                    break
            if walking and not broken:
                continue  # no waiting, no result, until every path is found
            if not in_flight and not broken:
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                continue
            if not broken:
                start = min(in_flight)
                try:
                    results = _result(in_flight[start], pool)
                    done.update(enumerate(results, start))
                    del in_flight[start], stops[start]
                except BrokenProcessPool:
                    broken = True
            if broken:
                for first, future in sorted(in_flight.items()):
                    chunk = names[first : stops[first]]
                    if future.done() and not future.cancelled() and future.exception() is None:
                        done.update(enumerate(future.result(), first))
                    else:
                        suspects.extend((first + i, p) for i, p in enumerate(chunk))
                in_flight.clear()
                stops.clear()
                _kill(pool)
                pool = make_pool()
            while next_out in done and not walking:
                yield done.pop(next_out)
                next_out += 1
        finished = True
    finally:
        if finished:  # every worker is idle: they exit on their own while the caller writes
            _release(pool)
        else:  # interrupted or abandoned: do not wait for the workers' current tasks
            _kill(pool)


STUCK_AFTER = 5.0  # seconds a dead worker may go unnoticed before the pool is declared broken


def _result(future: Future, pool: ProcessPoolExecutor) -> list[Any]:
    """`future.result()`, but a worker killed while it held the result pipe (mid-message, or
    holding its lock) leaves the executor waiting forever without noticing the death (a CPython
    ProcessPoolExecutor limitation): if a worker is dead and nothing arrives for STUCK_AFTER
    seconds, the pool is treated as broken."""
    dead_since: float | None = None
    while True:
        try:
            return future.result(timeout=1.0)
        except FutureTimeout:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            if not any(p.exitcode is not None for p in processes):
                dead_since = None
                continue
            now = time.monotonic()
            dead_since = dead_since or now
            if now - dead_since > STUCK_AFTER:
                raise BrokenProcessPool("a worker died and the pool did not notice") from None


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: SIGKILL its workers (they hold no state worth saving; results already
    computed were written to the cache by the worker), then release the executor. The parent's
    copy of the result pipe's write end is closed once the workers are dead, so an executor
    thread stuck reading a half-written message gets EOF and ends (else the process could never
    exit), and later pools do not inherit it."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
    queue = getattr(pool, "_result_queue", None)
    with contextlib.suppress(Exception):
        queue._writer.close()  # type: ignore[union-attr]
    call_queue = getattr(pool, "_call_queue", None)
    with contextlib.suppress(Exception):
        call_queue.cancel_join_thread()  # type: ignore[union-attr]  # never block exit on a dead pipe
    _release(pool, cancel=True)


# Manager threads of pools shut down without waiting: each ends once its workers have exited.
_released: list[threading.Thread] = []
_released_lock = threading.Lock()  # batches may run in several threads (the reviewer web app)


def _release(pool: ProcessPoolExecutor, cancel: bool = False) -> None:
    """`pool.shutdown(wait=False)`, its manager thread kept for `wait_for_workers`."""
    thread = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=cancel)
    with _released_lock:
        _released[:] = [t for t in _released if t.is_alive()]  # a server keeps no ended ones
        if thread is not None:
            _released.append(thread)


def wait_for_workers() -> None:
    """Wait until the workers of every finished batch have exited. A caller may do this once its
    outputs are written (the workers exit meanwhile); it is done at interpreter exit anyway, before
    concurrent.futures' own exit hook: on CPython 3.11 that hook wakes each pool's manager thread
    through a pipe the thread may be closing at that moment, unlocked, and the exit printed
    `OSError: [Errno 9] Bad file descriptor` (about one `review` in ten)."""
    with _released_lock:
        threads = _released[:]
        _released.clear()
    for thread in threads:
        thread.join()


# threading runs these hooks last registered first: this one before concurrent.futures' (imported above)
threading._register_atexit(wait_for_workers)  # type: ignore[attr-defined]


RERUN_NOTE = "评查该批次时工作进程异常退出，本案已重新评查"


def _rerun(suspects, make_pool, make_context, fallback, mp, parent, workers, prepare=None) -> dict[int, Any]:
    """The files a broken pool held, re-run `workers` at a time in a fresh pool, one file per
    task: a file that breaks this pool too is among at most `workers` candidates, and only those
    are then run alone (`_isolated`). One fork per break, not one per file held."""
    results: dict[int, Any] = {}
    queue = deque(suspects)
    pool = make_pool()
    try:
        while queue:
            batch = [queue.popleft() for _ in range(min(workers, len(queue)))]
            broken: list[tuple[int, str]] = []
            futures = []
            for index, path in batch:
                try:
                    futures.append((index, path, pool.submit(_review_chunk, [path], index, RERUN_NOTE)))
                except (BrokenProcessPool, RuntimeError):
                    broken.append((index, path))
            for index, path, future in futures:
                try:
                    result = _result(future, pool)[0]
                except BrokenProcessPool:
                    broken.append((index, path))
                    continue
                results[index] = result
            if broken:
                _kill(pool)
                for index, path in sorted(broken):
                    results[index] = _isolated(path, index, make_context, fallback, mp, parent, prepare)
                pool = make_pool()
    finally:
        _kill(pool)
    return results


ISOLATED_NOTE = "评查该批次时工作进程异常退出，本案已在独立进程中重新评查"
ORACLE_NOTE = "durable_rules 工作进程评查本案时崩溃，本案已由参照引擎（oracle）重新评查"


def _isolated(
    path: str, index: int, make_context, fallback: ReviewContext, mp, parent: int | None = None, prepare=None
) -> Any:
    solo = ProcessPoolExecutor(
        1, mp_context=mp, initializer=_init_worker, initargs=(make_context, parent, prepare)
    )
    try:
        return _result(solo.submit(_review_chunk, [path], index, ISOLATED_NOTE), solo)[0]
    except BrokenProcessPool:
        pass
    finally:
        _kill(solo)
    result = review_file(Path(path), fallback)
    result.notes.append(ORACLE_NOTE)
    return prepare(result, index) if prepare is not None else result
