"""Time each stage of reviewing one file, in one process on one core (where to look first).

    python bench/stages.py /tmp/cr-bench/json-n10000 -n 1000
    python bench/stages.py /tmp/cr-bench/yaml-n10000 -n 1000 --profile   # + cProfile top 40

Stages: read+decode, parse (+ positions), validate (pydantic), fact types, derive, evaluate
(durable), findings, the rest (grading, score, result model), JSON line of the result. The sum
is the CPU time per file of `review` (one core), without process start-up and report writing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from casereview.batch import make_context  # noqa: E402
from casereview.derive.facts import derive  # noqa: E402
from casereview.evaluate.findings import build_findings  # noqa: E402
from casereview.load import InputRejected, load_roster  # noqa: E402
from casereview.load.facttypes import check_fact_types, declared_fact_types  # noqa: E402
from casereview.load.reader import read_text  # noqa: E402
from casereview.load.source import parse_text  # noqa: E402
from casereview.load.validate import validate_case  # noqa: E402
from casereview.packs.bookcache import load_rulebook_cached  # noqa: E402
from casereview.review import _review_case  # noqa: E402
from casereview.score.profile import load_profile  # noqa: E402

ROSTER = ROOT / "rules" / "examples" / "roster.yaml"


def run(paths: list[Path], engine: str) -> dict[str, float]:
    book = load_rulebook_cached(None)
    ctx = make_context(book, load_profile(None), load_roster(ROSTER), engine)
    declared = declared_fact_types(book)
    spent: dict[str, float] = defaultdict(float)
    clock = time.perf_counter
    for path in paths:
        t0 = clock()
        decoded = read_text(path)
        t1 = clock()
        fmt = "json" if path.suffix == ".json" else "yaml"
        try:
            doc = parse_text(decoded.text, str(path), fmt=fmt, encoding=decoded.encoding)
            t2 = clock()
            case = validate_case(doc)
        except InputRejected:  # a rejected file: its time counts as reading
            spent["read+decode"] += clock() - t0
            continue
        t3 = clock()
        check_fact_types(case, str(path), declared, doc.locate)
        t4 = clock()
        derived = derive(case, ctx.roster, ctx.calendar, book.tables)
        t5 = clock()
        result = ctx.engine.evaluate(derived.facts)
        t6 = clock()
        build_findings(book, result, derived.facts, derived.sources, str(path), doc.locate, [])
        t7 = clock()
        full = _review_case(path, case, doc, ctx)  # everything after validation, once more
        t8 = clock()
        full.model_dump_json()
        t9 = clock()
        for name, a, b in (
            ("read+decode", t0, t1),
            ("parse", t1, t2),
            ("validate", t2, t3),
            ("fact types", t3, t4),
            ("derive", t4, t5),
            ("evaluate", t5, t6),
            ("findings", t6, t7),
            ("json line", t8, t9),
        ):
            spent[name] += b - a
        spent["rest (grade, score, model)"] += (t8 - t7) - (t7 - t3)
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--engine", default="durable")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    paths = sorted(
        p for p in args.corpus.iterdir() if p.suffix in (".yaml", ".json") and not p.name.startswith(".")
    )[: args.n]
    run(paths[:20], args.engine)  # warm-up: engine built, caches filled
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    spent = run(paths, args.engine)
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
