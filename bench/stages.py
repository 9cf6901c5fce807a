"""Time each stage of reviewing one file, in one process on one core (where to look first).

    python bench/stages.py /tmp/cr-bench/json-n10000 -n 1000
    python bench/stages.py /tmp/cr-bench/yaml-n10000 -n 1000 --profile   # + cProfile top 40

Stages: read+decode+parse, validate (pydantic), fact types, derive, evaluate (durable),
findings, score, the rest (grading, result model), JSON line of the result. The sum is the CPU
time per file of `review` (one core), without process start-up, results transfer and reports.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from casereview import load as load_module  # noqa: E402
from casereview import review  # noqa: E402
from casereview.batch import make_context  # noqa: E402
from casereview.load import load_roster  # noqa: E402
from casereview.packs.bookcache import load_rulebook_cached  # noqa: E402
from casereview.score.profile import load_profile  # noqa: E402

ROSTER = ROOT / "rules" / "examples" / "roster.yaml"


def run(paths: list[Path], engine: str, chunk: int = 64) -> dict[str, float]:
    """CPU seconds per stage over `paths`: `review_files` as a batch worker runs it (`chunk` files
    a task; 1: file by file), with each stage function wrapped in a timer; what no wrapper covers
    is "rest"."""
    book = load_rulebook_cached(None)
    ctx = make_context(book, load_profile(None), load_roster(ROSTER), engine)
    spent: dict[str, float] = defaultdict(float)
    clock = time.process_time  # CPU time: other processes on the machine do not count

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += clock() - t

        return wrapper

    stages = [
        (load_module, "read_document", "read+decode+parse"),
        (load_module, "validate_case", "validate"),
        (review, "check_fact_types", "fact types"),
        (review, "derive", "derive"),
        (review, "build_findings", "findings"),
        (review, "score_case", "score"),
        (ctx.engine, "evaluate", "evaluate"),
    ]
    originals = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in stages]
    for owner, attr, name in stages:
        setattr(owner, attr, timed(name, getattr(owner, attr)))
    try:
        for first in range(0, len(paths), chunk):  # as a worker reviews its chunk (review_files)
            t = clock()
            results = review.review_files(paths[first : first + chunk], ctx)
            spent["total"] += clock() - t
            t = clock()
            for result in results:
                review.result_json(result)
            spent["json line"] += clock() - t
    finally:
        for owner, attr, function in originals:
            setattr(owner, attr, function)
    spent["rest (grade, model …)"] = spent.pop("total") - sum(
        v for k, v in spent.items() if k not in ("total", "json line")
    )
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--engine", default="durable")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--chunk", type=int, default=64, help="files a task (1: one at a time)")
    args = parser.parse_args()
    paths = sorted(
        p for p in args.corpus.iterdir() if p.suffix in (".yaml", ".json") and not p.name.startswith(".")
    )[: args.n]
    run(paths[:20], args.engine)  # warm-up: engine built, caches filled
    gc.collect()
    gc.freeze()  # as a batch worker does once its context is built (evaluate/runner.py)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    spent = run(paths, args.engine, args.chunk)
    if profiler:
        profiler.disable()
    total = sum(spent.values())
    print(f"{len(paths)} files, {total / len(paths) * 1000:.2f} ms CPU per file ({args.engine})")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:28s} {seconds / len(paths) * 1000:7.3f} ms  {seconds / total:6.1%}")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
