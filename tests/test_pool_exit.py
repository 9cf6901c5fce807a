"""A finished batch's worker pool is gone when `review` returns, and the process exits without a
traceback: the pool's workers are told to exit without waiting (they exit while the reports are
written), and on CPython 3.11 the interpreter's exit hook of concurrent.futures could write to the
wake-up pipe of a pool thread closing it at that moment (`OSError: [Errno 9] Bad file descriptor`
printed at exit, about one `review` in ten)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from concurrent.futures.process import _ExecutorManagerThread
from pathlib import Path

import pytest

from casereview.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "rules" / "examples"


def _cases(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        shutil.copy(EXAMPLES / "general.yaml", folder / f"case-{i}.yaml")
    return folder


def _pool_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if isinstance(t, _ExecutorManagerThread)}


def test_review_returns_with_no_pool_thread_left(tmp_path):
    before = _pool_threads()
    args = ["review", str(_cases(tmp_path / "in", 4)), "-o", str(tmp_path / "out"), "--format", "json"]
    assert main([*args, "--no-cache", "--workers", "2", "-q"]) == 0
    assert not _pool_threads() - before


# The race made certain: the exit hook is held between its "not closed yet" check and its write,
# and the pool thread is slow to close its pipe, so without the fix the write meets a closed pipe.
RACE = """
import sys, time
from concurrent.futures import process

wakeup, close = process._ThreadWakeup.wakeup, process._ThreadWakeup.close

def held_wakeup(self):
    if process._global_shutdown and not self._closed:
        time.sleep(0.5)
        self._writer.send_bytes(b"")
        return
    wakeup(self)

def slow_close(self):
    time.sleep(0.2)
    close(self)

process._ThreadWakeup.wakeup, process._ThreadWakeup.close = held_wakeup, slow_close
sys.path.insert(0, sys.argv[1])
from pathlib import Path
if sys.argv[2] == "api":
    from casereview.batch import BatchOptions, review_batch

    paths = sorted(Path(sys.argv[3]).glob("*.yaml"))
    print(sum(1 for _ in review_batch(paths, BatchOptions(workers=2))))
else:
    from casereview.cli import run

    sys.argv = ["casereview", "review", sys.argv[3], "-o", sys.argv[4], "--format", "json", "-q"]
    run()
"""


@pytest.mark.parametrize("caller", ["api", "cli"])
def test_no_traceback_at_exit_when_the_pool_closes_its_pipe_as_the_process_exits(tmp_path, caller):
    folder = _cases(tmp_path / "in", 4)
    argv = [sys.executable, "-c", RACE, str(ROOT / "engine"), caller, str(folder), str(tmp_path / "out")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.stderr == ""
    assert done.returncode == 0
