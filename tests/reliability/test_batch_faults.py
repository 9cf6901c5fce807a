"""Issue 13 items 2, 4 (rules folder, --pack), 5 (FIFO), 7 and 8: a batch survives dead
workers, interrupts, bad command lines, unusable output folders and odd folder contents."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from casereview.cli import main, make_context
from casereview.evaluate import runner

from .conftest import EXAMPLE, copy_case


def _batch(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"case-{i:04d}.yaml"
        shutil.copy(EXAMPLE, path)
        paths.append(path)
    return paths


# --- item 2: worker kill ------------------------------------------------------------------


def test_a_worker_killed_in_a_big_batch_loses_no_file(tmp_path, book, profile, example_roster, monkeypatch):
    """A crash hook kills a worker mid-batch: every file comes back, the crashed one marked."""
    paths = _batch(tmp_path, 300)
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ON", "case-0150")
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ONCE", str(tmp_path / "killed-once"))
    factory = partial(make_context, book, profile, example_roster, "oracle")
    fallback = make_context(book, profile, example_roster, "oracle")
    results = list(runner.review_paths(paths, factory, fallback, workers=2, window=16, chunk=1))
    assert [r.file for r in results] == [str(p) for p in paths]
    assert all(r.status == "reviewed" for r in results)
    assert any("重新评查" in n for n in results[150].notes)
    assert (tmp_path / "killed-once").exists()


def test_a_worker_sigkilled_between_two_submissions_loses_no_file(tmp_path, book, profile, example_roster):
    """The pool is broken when the runner next submits (submit raised BrokenProcessPool outside
    the guard, and the whole batch was lost)."""
    paths = _batch(tmp_path, 120)
    factory = partial(make_context, book, profile, example_roster, "oracle")
    fallback = make_context(book, profile, example_roster, "oracle")
    runner.wait_for_workers()  # an earlier batch's workers (exiting, or not yet reaped) are gone
    others = _children(os.getpid())
    stream = runner.review_paths(paths, factory, fallback, workers=2, window=32, chunk=2)
    results = [next(stream) for _ in range(10)]
    victim = min(_children(os.getpid()) - others)  # one of this batch's workers
    os.kill(victim, signal.SIGKILL)
    time.sleep(1.0)  # the executor notices the death and marks the pool broken
    results += list(stream)
    assert [r.file for r in results] == [str(p) for p in paths]
    assert all(r.status == "reviewed" for r in results)
    rerun = [r for r in results if any("重新评查" in n for n in r.notes)]
    assert rerun and len(rerun) <= 32  # only what was in flight was re-run, each alone


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _start_review(src: Path, out: Path, cache: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "CASEREVIEW_NO_CACHE": ""}
    env.pop("CASEREVIEW_NO_CACHE")
    cmd = [
        sys.executable,
        "-m",
        "casereview.cli",
        "review",
        str(src),
        "-o",
        str(out),
        "--format",
        "json,html",
    ]
    cmd += ["--cache-dir", str(cache), "--workers", "2", *extra]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_workers_and_progress(proc: subprocess.Popen, cache: Path, entries: int = 20) -> set[int]:
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        workers |= _children(proc.pid)
        if len(list(cache.rglob("*.json"))) >= entries and workers:
            return workers
        time.sleep(0.05)
    raise AssertionError(f"the review made no progress: {proc.communicate()}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_review_leaves_valid_partial_output_and_a_rerun_completes(tmp_path, sig):
    paths = _batch(tmp_path / "in", 400)
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = _start_review(tmp_path / "in", out, cache)
    workers = _wait_for_workers_and_progress(proc, cache)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    assert "内部错误" not in err and "Traceback" not in err
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))  # never truncated
    assert document["partial"] is True
    assert sorted(r["file"] for r in document["results"]) == sorted(map(str, paths))
    interrupted = [r for r in document["results"] if any("中断" in e["message"] for e in r["errors"])]
    # results reach the parent in input order: on a loaded machine none may have arrived yet
    assert interrupted
    time.sleep(0.5)
    assert not [pid for pid in workers if _alive(pid)], "a worker outlived the interrupted review"
    assert "评查被中断" in (out / "index.html").read_text(encoding="utf-8")  # HTML says partial too
    stamps = {p: p.stat().st_mtime_ns for p in cache.rglob("*.json")}
    rerun = _start_review(tmp_path / "in", out, cache)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode in (0, 1), err
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert document["partial"] is False
    assert "评查被中断" not in (out / "index.html").read_text(encoding="utf-8")
    assert all(r["status"] == "reviewed" for r in document["results"])
    assert len(document["results"]) == len(paths)
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # served, not redone


def test_no_worker_outlives_a_killed_parent(tmp_path):
    _batch(tmp_path / "in", 400)
    proc = _start_review(tmp_path / "in", tmp_path / "out", tmp_path / "cache")
    workers = _wait_for_workers_and_progress(proc, tmp_path / "cache", entries=5)
    proc.kill()
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [p for p in workers if _alive(p)]:
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "worker processes were orphaned by a SIGKILLed review"


# --- items 4 and 5: command-line inputs ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["--rules", "{tmp}/empty"], ["--rules", "{tmp}/nowhere"], ["--rules", "{tmp}/notpacks"]],
    ids=["empty", "missing", "no-packs"],
)
def test_an_empty_or_mistyped_rules_folder_is_an_error_not_a_pass(tmp_path, capsys, args):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notpacks").mkdir()
    (tmp_path / "notpacks" / "x.yaml").write_text("a: 1\n", encoding="utf-8")
    case = copy_case(tmp_path / "case.yaml")
    code = main(["check", str(case), "--no-cache", *[a.format(tmp=tmp_path) for a in args]])
    err = capsys.readouterr().err
    assert code == 3 and "规则" in err  # a configuration error: nothing was reviewed, never 优秀


def test_a_missing_pack_is_a_message_not_a_traceback(tmp_path, capsys):
    case = copy_case(tmp_path / "case.yaml")
    code = main(["check", str(case), "--no-cache", "--pack", str(tmp_path / "nope.yaml")])
    err = capsys.readouterr().err
    assert code == 3 and "nope.yaml" in err and "不存在" in err


def test_a_fifo_named_on_the_command_line_is_rejected_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    case = copy_case(tmp_path / "case.yaml")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "casereview.cli",
            "check",
            str(fifo),
            str(case),
            "--format",
            "json",
            "--no-cache",
            "--workers",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    results = {Path(r["file"]).name: r for r in json.loads(proc.stdout)["results"]}
    assert results["case.yaml"]["status"] == "reviewed"
    assert "命名管道" in results["pipe.yaml"]["errors"][0]["message"]


def test_a_file_swapped_for_a_fifo_after_discovery_is_rejected_without_hanging(
    tmp_path, book, profile, example_roster
):
    """Between discovery and review a case file becomes a FIFO: the cached path and the reader
    both check the opened descriptor, so nothing blocks (nobody ever writes to this FIFO)."""
    from casereview.cache import ResultCache, cached_review

    case = copy_case(tmp_path / "case.yaml")
    ctx = make_context(book, profile, example_roster, "oracle", tmp_path / "cache")
    case.unlink()
    os.mkfifo(case)
    result: list = []

    worker = threading.Thread(target=lambda: result.append(cached_review(case, ctx, ctx.cache)), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "blocked on a FIFO"
    assert result[0].status == "rejected" and "命名管道" in result[0].errors[0].message
    assert isinstance(ctx.cache, ResultCache)


# --- item 7: output errors ----------------------------------------------------------------


def test_output_naming_a_file_is_a_message_and_exit_4(tmp_path, capsys):
    copy_case(tmp_path / "in" / "case.yaml")
    target = tmp_path / "report.txt"
    target.write_text("x", encoding="utf-8")
    code = main(["review", str(tmp_path / "in"), "-o", str(target), "--no-cache", "--workers", "0"])
    assert code == 4 and "不是文件夹" in capsys.readouterr().err


def test_an_unwritable_output_folder_is_a_message_and_exit_4(tmp_path, capsys):
    copy_case(tmp_path / "in" / "case.yaml")
    if os.geteuid() == 0:
        target = Path("/proc/casereview-out")  # root ignores modes; /proc refuses everyone
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "out"
    code = main(["review", str(tmp_path / "in"), "-o", str(target), "--no-cache", "--workers", "0"])
    assert code == 4 and "无法" in capsys.readouterr().err


def test_a_full_disk_while_writing_is_a_message_and_exit_4(tmp_path):
    """RLIMIT_FSIZE makes every write past 64 KiB fail (EFBIG), like a full disk."""
    _batch(tmp_path / "in", 30)
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
        "from casereview.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "review",
            str(tmp_path / "in"),
            "-o",
            str(tmp_path / "out"),
            "--no-cache",
            "--workers",
            "0",
            "--engine",
            "oracle",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 4, proc.stderr
    assert "无法写入报告" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("other_thread", [False, True], ids=["forked", "in-process"])
def test_a_summary_page_that_cannot_be_written_is_a_message_and_exit_4(
    tmp_path, capsys, other_thread, threads_of_this_test
):
    """The summary pages are written by a forked child (formats.finish_all), or in the process
    when another thread runs: either way the error names the page and gives exit code 4, and the
    other reports are finished."""
    _batch(tmp_path / "in", 3)
    (tmp_path / "out" / "index.html").mkdir(parents=True)  # a folder where the page goes
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    if other_thread:
        other.start()
    try:
        code = main(
            ["review", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-cache", "--workers", "0"]
        )
    finally:
        release.set()
    err = capsys.readouterr().err
    assert code == 4 and "无法写入报告" in err and "index.html" in err and "Traceback" not in err
    assert len(json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["results"]) == 3
    assert (tmp_path / "out" / "like-cases.html").exists() and (tmp_path / "out" / "评查结果.xlsx").exists()


def test_an_internal_error_never_exits_1(tmp_path, monkeypatch, capsys):
    from casereview import cli

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "review_batch", broken)
    code = main(["check", str(copy_case(tmp_path / "case.yaml")), "--no-cache"])
    assert code == 5 and "内部错误" in capsys.readouterr().err


# --- item 8: discovery --------------------------------------------------------------------


def test_review_dot_twice_reviews_neither_its_cache_nor_its_report(tmp_path, monkeypatch):
    work = tmp_path / "work"
    copy_case(work / "a.yaml")
    copy_case(work / "sub" / "b.yaml")
    monkeypatch.chdir(work)
    for _ in range(2):
        main(["review", ".", "-o", "report", "--format", "json", "--workers", "0", "--engine", "oracle"])
        results = json.loads((work / "report" / "results.json").read_text(encoding="utf-8"))["results"]
        assert sorted(r["file"] for r in results) == ["a.yaml", "sub/b.yaml"]
    # a previous report under another name is recognised by its marker
    main(["review", ".", "-o", "old", "--format", "json", "--workers", "0", "--engine", "oracle"])
    main(["review", ".", "-o", "new", "--format", "json", "--workers", "0", "--engine", "oracle"])
    results = json.loads((work / "new" / "results.json").read_text(encoding="utf-8"))["results"]
    assert sorted(r["file"] for r in results) == ["a.yaml", "sub/b.yaml"]


def test_dangling_symlinks_and_fifos_in_a_folder_are_listed_as_rejected(tmp_path):
    src = tmp_path / "in"
    copy_case(src / "good.yaml")
    (src / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    os.mkfifo(src / "pipe.yaml")
    out = tmp_path / "out"
    code = main(["review", str(src), "-o", str(out), "--format", "json", "--no-cache", "--workers", "0"])
    assert code == 2
    results = {
        Path(r["file"]).name: r for r in json.loads((out / "results.json").read_text("utf-8"))["results"]
    }
    assert set(results) == {"good.yaml", "dangling.yaml", "pipe.yaml"}
    assert results["good.yaml"]["status"] == "reviewed"
    assert "符号链接" in results["dangling.yaml"]["errors"][0]["message"]
    assert "命名管道" in results["pipe.yaml"]["errors"][0]["message"]
