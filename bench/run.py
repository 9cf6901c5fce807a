"""Benchmark casereview on a generated corpus; prints a Markdown table (medians of --runs runs).

    python bench/run.py                # N=10,000, quick (skips the N=100,000 memory run)
    python bench/run.py --full         # also peak RSS for N=100,000
    python bench/run.py -n 2000 --runs 1 --corpus-dir /tmp/c   # a smoke run

Two corpora of N files each from the same generator and seed: all YAML, and all JSON.
Rows:
 (a) parse floor: read + parse the same files (PyYAML CSafeLoader / json), 2-process fork pool;
 (b) `casereview review DIR -o OUT --format json --roster …` end to end (subprocess), per format,
     and (b)/(a) per format; (b') the same with a warm result cache;
 (c) `casereview review DIR -o OUT` with the HTML and Excel reports (YAML corpus);
 (d) rule engine alone on pre-derived facts: cases/s on one core, durable and oracle;
 (e) `casereview check ONE_FILE` cold process wall time;
 (f) peak memory of the process tree: PSS (shared pages divided among the processes sharing them)
     sampled from /proc every 100 ms in a separate run, RSS summed from the timing runs, at N and,
     with --full, at 100,000;
 (g) `casereview campaign create` of the YAML corpus into a fresh SQLite store (review + import),
     and its ratio to (b) YAML.
The tree benchmarked is the checkout this file lives in (PYTHONPATH=<checkout>/engine), byte-compiled
first as an installed package is (pip writes .pyc files at install time).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))
sys.path.insert(0, str(ROOT / "bench"))

import yaml  # noqa: E402
from corpus import write_corpus  # noqa: E402

ROSTER = ROOT / "rules" / "examples" / "roster.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
CLI = [sys.executable, "-m", "casereview.cli"]


# ---------------------------------------------------------------- corpus


def ensure_corpus(directory: Path, n: int, seed: int, json_share: float = 0.3) -> list[Path]:
    marker = directory / ".corpus.json"
    want = {"n": n, "seed": seed, "json_share": json_share}
    if marker.exists() and json.loads(marker.read_text()) == want:
        return sorted(
            p for p in directory.iterdir() if p.suffix in (".yaml", ".json") and not p.name.startswith(".")
        )
    if directory.exists():
        for p in directory.iterdir():
            if p.suffix in (".yaml", ".json"):
                p.unlink()
    t = time.perf_counter()
    paths = write_corpus(directory, n, seed, json_share)
    marker.write_text(json.dumps(want))
    mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"# corpus: {n} files, {mb:.1f} MB, written in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return paths


# ---------------------------------------------------------------- process-tree RSS sampler


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


# RSS counts the pages a forked worker shares with its parent once per process; PSS (proportional
# set size) divides shared pages among the processes sharing them, so the sum is the tree's real
# footprint. Reading PSS walks the page tables, so timing runs sample the cheap RSS only.
_MEMORY_SOURCES = {"rss": ("status", "VmRSS:"), "pss": ("smaps_rollup", "Pss:")}


def _memory_kb(pid: int, kind: str) -> int:
    name, prefix = _MEMORY_SOURCES[kind]
    try:
        with open(f"/proc/{pid}/{name}") as fh:
            for line in fh:
                if line.startswith(prefix):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_kb(root: int, kind: str = "rss") -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _memory_kb(pid, kind)
        stack.extend(_children(pid))
    return total


def run_measured(cmd: list[str], cwd: Path | None = None, memory: str = "rss") -> tuple[float, int, int]:
    """(wall seconds, peak memory of the process tree in KB, exit code); stdout to /dev/null."""
    peak = 0
    t = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE, env=ENV, cwd=cwd)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, tree_memory_kb(proc.pid, memory))
                stop.wait(0.02 if memory == "rss" else 0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - t
        stop.set()
        sampler.join()
    if proc.returncode not in (0, 1):
        print(
            f"# {' '.join(map(str, cmd[:5]))} … exit {proc.returncode}: {err.decode()[-500:]}",
            file=sys.stderr,
        )
    return wall, peak, proc.returncode


# ---------------------------------------------------------------- (a) parse floor


def _parse_one(path: str) -> int:
    with open(path, "rb") as fh:
        data = fh.read()
    obj = json.loads(data) if path.endswith(".json") else yaml.load(data, Loader=yaml.CSafeLoader)
    return len(obj)


def parse_floor(paths: list[Path], workers: int = 2) -> float:
    names = list(map(str, paths))
    t = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for _ in pool.imap_unordered(_parse_one, names, chunksize=64):
            pass
    return time.perf_counter() - t


# ---------------------------------------------------------------- (d) engine alone


def engine_rates(n: int, runs: int) -> dict[str, float]:
    from casereview.derive.facts import derive
    from casereview.evaluate.durable_engine import DurableEngine
    from casereview.evaluate.oracle import OracleEngine
    from casereview.generate import generate_cases
    from casereview.load import load_roster
    from casereview.model import CaseFile
    from casereview.packs.loader import load_rulebook

    book = load_rulebook()
    roster = load_roster(ROSTER)
    facts = [derive(CaseFile.model_validate(d), roster).facts for d in generate_cases(n)]
    rates: dict[str, float] = {}
    for name, engine in (("durable", DurableEngine(book.compiled)), ("oracle", OracleEngine(book.compiled))):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            for f in facts:
                engine.evaluate(f)
            times.append(time.perf_counter() - t)
        rates[name] = n / statistics.median(times)
    rates["facts_per_case"] = sum(map(len, facts)) / n
    return rates


# ---------------------------------------------------------------- (g) campaign import


def campaign_import(corpus: Path, store_dir: Path) -> float:
    """Wall seconds of `campaign create` (review + import) of `corpus` into a fresh SQLite store."""
    shutil.rmtree(store_dir, ignore_errors=True)
    cmd = [*CLI, "campaign", "create", "bench", str(corpus), "--roster", str(ROSTER)]
    cmd += ["--db", f"sqlite:///{store_dir / 'campaign.db'}"]  # never $CASEREVIEW_DB's server
    return run_measured(cmd)[0]


# ---------------------------------------------------------------- main


PARSER = {"YAML": "CSafeLoader", "JSON": "json.loads"}


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} × {model}, Python {platform.python_version()}, {system}"


def fmt_s(x: float) -> str:
    return f"{x:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="casereview benchmark")
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--corpus-dir", type=Path, default=Path("/tmp/casereview-bench"))
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", dest="full", action="store_false", help="skip N=100,000 (default)")
    group.add_argument("--full", dest="full", action="store_true", help="also measure N=100,000 peak RSS")
    parser.add_argument("--engine-cases", type=int, default=3000, help="cases for row (d)")
    parser.set_defaults(full=False)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    n, runs = args.n, args.runs
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "engine")], check=True)
    corpora = {
        "YAML": ensure_corpus(args.corpus_dir / f"yaml-n{n}", n, args.seed, json_share=0.0),
        "JSON": ensure_corpus(args.corpus_dir / f"json-n{n}", n, args.seed, json_share=1.0),
    }
    rows: list[tuple[str, str, str]] = []
    ratios: dict[str, float] = {}
    out = args.corpus_dir / "review-out"
    review_rss = 0
    review_wall: dict[str, float] = {}
    for label, paths in corpora.items():
        corpus = paths[0].parent
        floor = statistics.median(parse_floor(paths) for _ in range(runs))
        rows.append(
            (
                f"(a) parse floor, {label}: read + {PARSER[label]}, 2 processes",
                fmt_s(floor),
                f"{n / floor:,.0f} files/s",
            )
        )
        json_cmd = [*CLI, "review", str(corpus), "-o", str(out), "--format", "json"]
        json_cmd += ["--roster", str(ROSTER), "--no-cache"]
        measured = [run_measured(json_cmd) for _ in range(runs)]
        wall = statistics.median(m[0] for m in measured)
        review_rss = max(review_rss, *(m[1] for m in measured))
        ratios[label] = wall / floor
        review_wall[label] = wall
        rows.append(
            (
                f"(b) `review DIR --format json`, {label}, end to end",
                fmt_s(wall),
                f"{n / wall:,.0f} files/s; (b)/(a) = {wall / floor:.2f}×",
            )
        )

    yaml_corpus = corpora["YAML"][0].parent
    cache_dir = args.corpus_dir / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cached_cmd = [*CLI, "review", str(yaml_corpus), "-o", str(out), "--format", "json"]
    cached_cmd += ["--roster", str(ROSTER), "--cache-dir", str(cache_dir)]
    run_measured(cached_cmd)  # fill the cache
    warm = statistics.median(run_measured(cached_cmd)[0] for _ in range(runs))
    rows.append(
        ("(b') the same (YAML), unchanged files, warm result cache", fmt_s(warm), f"{n / warm:,.0f} files/s")
    )

    full_cmd = [*CLI, "review", str(yaml_corpus), "-o", str(out), "--roster", str(ROSTER), "--no-cache"]
    rmeasured = [run_measured(full_cmd) for _ in range(runs)]
    full_wall = statistics.median(m[0] for m in rmeasured)
    full_rss = max(m[1] for m in rmeasured)
    rows.append(
        (
            "(c) `review DIR` with HTML + Excel + JSON (YAML)",
            fmt_s(full_wall),
            f"{n / full_wall:,.0f} files/s",
        )
    )

    rates = engine_rates(args.engine_cases, runs)
    rows.append(
        (
            "(d) engine alone, durable (pre-derived facts, 1 core)",
            f"{rates['durable']:,.0f} cases/s",
            f"{rates['facts_per_case']:.1f} facts/case, {args.engine_cases} cases",
        )
    )
    rows.append(
        ("(d) engine alone, oracle (pre-derived facts, 1 core)", f"{rates['oracle']:,.0f} cases/s", "")
    )

    one = corpora["YAML"][0]
    cold = statistics.median(
        run_measured([*CLI, "check", str(one), "--roster", str(ROSTER), "--no-cache"])[0]
        for _ in range(max(runs, 3))
    )
    rows.append(("(e) `check ONE_FILE` cold process", fmt_s(cold), f"{one.name}; rule book cache warm"))

    json_cmd = [*CLI, "review", str(yaml_corpus), "-o", str(out), "--format", "json"]
    json_cmd += ["--roster", str(ROSTER), "--no-cache"]
    pss_json = run_measured(json_cmd, memory="pss")[1]
    pss_full = run_measured(full_cmd, memory="pss")[1]
    rows.append(
        (
            f"(f) peak memory, `review --format json` N={n:,}",
            f"{pss_json / 1024:,.0f} MB PSS",
            f"RSS summed over processes {review_rss / 1024:,.0f} MB (counts shared pages per process)",
        )
    )
    rows.append(
        (
            f"(f) peak memory, `review` HTML + Excel N={n:,}",
            f"{pss_full / 1024:,.0f} MB PSS",
            f"RSS summed {full_rss / 1024:,.0f} MB",
        )
    )
    if args.full:
        big = ensure_corpus(args.corpus_dir / "yaml-n100000", 100_000, args.seed, json_share=0.0)[0].parent
        big_cmd = [*CLI, "review", str(big), "-o", str(out), "--format", "json"]
        big_cmd += ["--roster", str(ROSTER), "--no-cache"]
        wall, pss, _ = run_measured(big_cmd, memory="pss")
        rows.append(
            (
                "(f) peak memory, `review --format json` N=100,000",
                f"{pss / 1024:,.0f} MB PSS",
                f"1 run, {wall:.0f} s",
            )
        )
    else:
        rows.append(("(f) peak memory, N=100,000", "skipped (--quick)", "run with --full"))

    store_dir = args.corpus_dir / "campaign"
    imported = statistics.median(campaign_import(yaml_corpus, store_dir) for _ in range(runs))
    rows.append(
        (
            f"(g) campaign import of the {n:,} reviewed files (`campaign create`, YAML, SQLite)",
            fmt_s(imported),
            f"(g)/(b) YAML = {imported / review_wall['YAML']:.2f}× (review + import vs review alone)",
        )
    )

    print(f"\nMachine: {machine()}; N={n:,}; medians of {runs} runs\n")
    print("| measurement | result | notes |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")
    print("\n" + "; ".join(f"(b)/(a) {label} = {r:.2f}×" for label, r in ratios.items()))
    print(f"\nbench wall time {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
