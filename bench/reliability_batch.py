"""Issue 13 "done when": a 10,000-file review survives a SIGKILLed worker and a SIGTERM, and a
rerun completes it from the cache. Prints what it checked and exits 1 if any check failed.

    nice -n 10 .venv/bin/python bench/reliability_batch.py            # 10,000 files (~3–6 min, 2 cores)
    .venv/bin/python bench/reliability_batch.py -n 1000 --dir /tmp/r  # a smoke run

Run 1: `casereview review CORPUS -o OUT --format json --workers 2` with a fresh result cache.
  When a fifth of the files are cached, one worker process is SIGKILLed (as a crashing C
  extension would die); when half are cached, the review itself gets SIGTERM.
  Checked: exit code 143; results.json is a complete JSON document marked "partial": true that
  lists every one of the N files exactly once (reviewed, or 「评查被中断」); the files in flight when
  the worker died were re-run and say so; no worker process outlives the review.
Run 2: the same command again. Checked: exit code 0/1/2 (never a crash); "partial": false; all N
  files listed exactly once; as many files reviewed as the generator made valid; the files done
  in run 1 came from the cache (their entries were not rewritten).
The corpus is `bench/corpus.py`'s generator (fixed seed), so the run can be repeated.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "engine"))

from corpus import write_corpus  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
ENV.pop("CASEREVIEW_NO_CACHE", None)


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"\nPPid:\t{pid}\n" in (entry / "status").read_text():
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def cached(cache: Path) -> int:
    return sum(1 for p in cache.rglob("*.json") if not p.name.startswith("."))


def review(corpus: Path, out: Path, cache: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "casereview.cli", "review", str(corpus), "-o", str(out), "--format", "json"]
    cmd += ["--cache-dir", str(cache), "--workers", "2", "--quiet"]
    return subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(proc: subprocess.Popen, cache: Path, entries: int, workers: set[int]) -> None:
    while cached(cache) < entries:
        if proc.poll() is not None:
            raise SystemExit(f"the review ended early ({proc.returncode}): {proc.communicate()[1][-2000:]}")
        workers |= children(proc.pid)
        time.sleep(0.2)


def load(out: Path) -> dict:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/casereview-reliability"))
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args(argv)
    n, base = args.n, args.dir
    corpus, out, cache = base / "corpus", base / "out", base / "cache"
    for folder in (out, cache):
        shutil.rmtree(folder, ignore_errors=True)
    if not (corpus / ".n").exists() or (corpus / ".n").read_text() != f"{n}:{args.seed}":
        shutil.rmtree(corpus, ignore_errors=True)
        corpus.mkdir(parents=True)
        write_corpus(corpus, n, args.seed, 0.3)
        (corpus / ".n").write_text(f"{n}:{args.seed}")
    files = sorted(str(p) for p in corpus.iterdir() if p.suffix in (".yaml", ".json"))
    assert len(files) == n, len(files)
    checks: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        checks.append((name, ok, detail))

    # ---- run 1: one worker SIGKILLed, then SIGTERM
    started = time.perf_counter()
    proc = review(corpus, out, cache)
    workers: set[int] = set()
    wait_for(proc, cache, n // 5, workers)
    victim = min(children(proc.pid))
    os.kill(victim, signal.SIGKILL)
    killed_at = cached(cache)
    wait_for(proc, cache, n // 2, workers)
    proc.send_signal(signal.SIGTERM)
    terminated_at = cached(cache)
    _, err = proc.communicate(timeout=600)
    run1 = time.perf_counter() - started
    time.sleep(1)
    doc = load(out)
    listed = [r["file"] for r in doc["results"]]
    interrupted = sum(any("中断" in e["message"] for e in r["errors"]) for r in doc["results"])
    rerun = sum(any("重新评查" in note for note in r["notes"]) for r in doc["results"])
    survivors = [pid for pid in workers | {victim} if alive(pid)]
    check("run 1 exit code 143 (SIGTERM)", proc.returncode == 143, f"got {proc.returncode}")
    check("run 1 results.json complete and marked partial", doc.get("partial") is True)
    check(f"run 1 lists all {n} files exactly once", sorted(listed) == files, f"{len(listed)} listed")
    check("run 1 files not reached listed as interrupted", 0 < interrupted < n, f"{interrupted}")
    check("run 1 files held by the killed worker re-run and marked", rerun > 0, f"{rerun}")
    check("run 1 no worker outlives the review", not survivors, f"alive: {survivors}")
    check("run 1 no traceback", "Traceback" not in err and "内部错误" not in err, err[-500:])
    stamps = {p: p.stat().st_mtime_ns for p in cache.rglob("*.json") if not p.name.startswith(".")}

    # ---- run 2: rerun completes from the cache
    started = time.perf_counter()
    proc = review(corpus, out, cache)
    _, err = proc.communicate(timeout=1800)
    run2 = time.perf_counter() - started
    doc = load(out)
    listed = [r["file"] for r in doc["results"]]
    statuses = [r["status"] for r in doc["results"]]
    still_interrupted = sum(any("中断" in e["message"] for e in r["errors"]) for r in doc["results"])
    rewritten = sum(1 for p, t in stamps.items() if p.stat().st_mtime_ns != t)
    check("run 2 exit code 0/1/2", proc.returncode in (0, 1, 2), f"got {proc.returncode}")
    check("run 2 results.json complete, not partial", doc.get("partial") is False)
    check(f"run 2 lists all {n} files exactly once", sorted(listed) == files, f"{len(listed)} listed")
    check("run 2 nothing left interrupted", still_interrupted == 0, f"{still_interrupted}")
    check("run 2 cached results served, not recomputed", rewritten == 0, f"{rewritten} rewritten")
    check("run 2 no traceback", "Traceback" not in err and "内部错误" not in err, err[-500:])

    print(f"# casereview reliability batch: {n} files, 2 workers ({time.strftime('%Y-%m-%d %H:%M %Z')})")
    print(f"run 1: worker {victim} SIGKILLed at {killed_at} cached, SIGTERM at {terminated_at} cached; {run1:.1f} s")
    print(
        f"run 2 (rerun): {run2:.1f} s; reviewed {statuses.count('reviewed')}, "
        f"rejected {statuses.count('rejected')}; {len(stamps)} results served from the cache"
    )
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail and not ok else ""))
    failed = [c for c in checks if not c[1]]
    print(f"{len(checks) - len(failed)}/{len(checks)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
