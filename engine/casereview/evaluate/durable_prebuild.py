"""Build the durable_rules ruleset in a background thread while the process starts up.

Creating the ruleset of the shipped packs (~14,000 network nodes) takes ~0.1 s of CPU, which a
one-file check used to spend in its worker process after everything else had loaded, and a
batch spent once per worker. The Python binding holds the GIL while it builds; the same C entry
point called through ctypes releases it, so the parent process builds the ruleset while it
imports the engine, unpickles the rule book and loads the profile (the CLI starts it first
thing), and the worker processes it forks inherit the finished ruleset (copy-on-write memory)
instead of each building its own.
Matching still happens in durable_rules, in the workers only: the parent never asserts a fact.

- Only the ruleset JSON prepared for exactly the rule book in use is built (the rule-book cache
  keeps it signed next to the book, packs/bookcache.py, and the build thread verifies it before
  anything is given to durable_rules); the engine looks it up by the same versioned name it
  would create, so a different book simply builds its own.
- No fork while the build runs (an at-fork hook waits for it): a child must never inherit half
  a ruleset. No other durable_rules call while it runs (`wait` first): the C library keeps
  global tables without locks.
- A process takes the prebuilt ruleset at most once (`take`): its states (sids) belong to one
  engine. Each forked worker takes its own inherited copy.
- Any failure leaves nothing behind: the engine then creates the ruleset itself, exactly as
  before (a ruleset durable_rules refuses is refused there again and handled as before).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import threading
from collections.abc import Callable

_thread: threading.Thread | None = None
_built: dict[str, int] = {}  # ruleset name → handle, built here or inherited from the parent
_hooked = False
_named: tuple[str, str] | None = None  # the last (payload, name) of `ruleset_name`


def ruleset_name(payload: str) -> str:
    """The versioned name of a ruleset (durable_rules has no unregister API, notes §4.7). The
    last one is remembered: the engine names the JSON the rule book carries, equal to the one
    the background build named (a comparison instead of hashing ~0.6 MB again in each worker)."""
    global _named
    named = _named
    if named is not None and named[0] == payload:
        return named[1]
    name = f"casereview@{hashlib.sha256(payload.encode()).hexdigest()[:12]}"
    _named = (payload, name)
    return name


def start(read_payload: Callable[[], str | None], warm_heap: bool = False) -> bool:
    """Build, in the background, the ruleset JSON `read_payload()` returns (None: nothing to
    build); False if nothing can be built here. Reading (and verifying) the JSON is part of the
    background work: it is file reading and hashing, which release the interpreter lock. With
    `warm_heap` (a process that will evaluate cases itself: a one-file check) the memory of the
    first durable state is made ready too (`_warm_heap`)."""
    global _thread, _hooked
    try:
        import durable_rules_engine

        create = ctypes.CDLL(durable_rules_engine.__file__).createRuleset
    except Exception:  # durable_rules missing or built differently: the engine builds as before
        return False
    create.argtypes = [ctypes.POINTER(ctypes.c_uint), ctypes.c_char_p, ctypes.c_char_p]
    create.restype = ctypes.c_uint
    wait()  # one build at a time: durable_rules keeps global tables without locks
    if not _hooked:
        os.register_at_fork(before=wait)
        _hooked = True

    shared_heap = _share_main_heap()  # before the thread's first malloc (see below)

    def build() -> None:
        try:
            payload = read_payload()
            if payload is None:
                return
            name = ruleset_name(payload)
            if name in _built:
                return
            encoded = (name.encode(), payload.encode())  # alive until the C call returns
            handle = ctypes.c_uint(0)
            if warm_heap and shared_heap:
                _pad_heap()
            if create(ctypes.byref(handle), *encoded) == 0:  # RULES_OK
                _built[name] = handle.value
                if warm_heap and shared_heap:
                    _warm_heap()
        except Exception:  # nothing is left behind: the engine builds the ruleset itself
            return
        finally:
            if shared_heap:
                _restore_arenas()

    _thread = threading.Thread(target=build, name="durable-prebuild", daemon=True)
    _thread.start()
    return True


# glibc gives a thread an arena of its own at its first malloc; there durable_rules' pools,
# grown one node at a time by realloc, took ~20-150% more CPU than in the main heap, and the
# main thread was no slower sharing the heap with the build (measured: unpickling the book
# while building). So one arena is allowed while the build thread starts, and the default
# limit (8 per core) is restored when it ends.
_M_ARENA_MAX = -8


# durable_rules grows each of its pools (~26 MB of nodes for the shipped packs) by one realloc
# per node. A pool at the top of the heap grows in place while the heap has room above it; when
# the room runs out glibc moves a pool above its mmap threshold to a mapping of its own, which
# then grows by one `mremap` per page: ~9,000 calls, most of the build's ~70 ms of system time,
# each taking the process's memory-map lock that the main thread's page faults also need. A
# process that evaluates its case itself (a one-file check, which ends soon after) asks glibc to
# extend its heap 64 MB at a time (M_TOP_PAD; untouched room costs no memory): the pools stay in
# the heap (~800 mremap calls) and the build takes ~20 % less CPU. The mmap threshold is left as
# it is: a pool below it is moved by copying, and a higher threshold made copies of up to its
# size per node (measured: 0.5 s). Set once for the process, which glibc allows at any time.
_M_TOP_PAD = -2
_TOP_PAD = 64 << 20


def _pad_heap() -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).mallopt(_M_TOP_PAD, _TOP_PAD)


# The first case asserted creates its durable state: ~12.6 MB for the shipped packs (one ~9 MB
# block and many small ones), new memory whose ~3,300 page faults cost ~8 ms of system time in
# the check's main thread. The build thread makes that memory ready instead, in the main heap
# where the state will be allocated: glibc's mmap threshold is raised (so the state's large block
# comes from the heap, not from fresh mmap), with its trim threshold (so the heap keeps what is
# freed), then a block of the heap is touched and freed, and stays in the heap for the state.
# Only the memory changes hands: nothing of durable_rules.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_WARM_THRESHOLD = 20 << 20
_WARM_BYTES = 16 << 20


def _warm_heap() -> None:
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.free.argtypes = [ctypes.c_void_p]
        libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
        # what freeing a block of this size would set (glibc's dynamic threshold), which no
        # longer adjusts once M_TOP_PAD is set (`_pad_heap`)
        libc.mallopt(_M_MMAP_THRESHOLD, _WARM_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * _WARM_THRESHOLD)
        block = libc.malloc(_WARM_BYTES)
        if block:
            libc.memset(block, 0, _WARM_BYTES)
            libc.free(block)


def _share_main_heap() -> bool:
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1))
    except Exception:  # not glibc: the build is only slower
        return False


def _restore_arenas() -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 8 * (os.cpu_count() or 1))


def wait() -> None:
    """Return once no background build is running."""
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()


def take(name: str) -> int | None:
    """The handle of the prebuilt ruleset called `name`, once per process; None if there is none."""
    wait()
    return _built.pop(name, None)
