"""Speed work must not change a verdict: every result on a fixed corpus equals the recorded one.

The corpus: generated files (YAML and JSON, the benchmark's generator), the same cases with
random facts marked 未载明 or dates cut to the month, a few broken files, and the shipped
samples. Each is reviewed on both engines; the results (findings, scores, not-run checks,
rejections with their positions) must equal `tests/data/golden_results.json.gz`, recorded on
commit 9804b1f, before the performance work of issue 16, and re-recorded only for deliberate
rule fixes (their commits say what changed): BM-001 and combined fines; INS-002 and dates
known to the month; each missing fact named once in a 待人工评查 message.

Re-record only for a deliberate change of results (a rule or law fix), never for speed work:
    python tests/test_golden_results.py --update
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden_results.json.gz"
SEED = 20261206
GENERATED = 160
WITH_UNKNOWNS = 160


def _import_paths() -> None:
    for folder in (ROOT / "engine", ROOT / "bench"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


def _unknown_variant(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """`data` with 1–6 random facts marked unknown (a date possibly cut to the month)."""
    from casereview.maintain.unknown_examples import _paths
    from casereview.packs.examples import _parent, parse_path

    partial = json.loads(json.dumps(data, default=str))
    paths = list(dict.fromkeys(_paths(partial)))
    chosen = rng.sample(paths, min(len(paths), rng.randint(1, 6)))
    for path in sorted(chosen, key=len, reverse=True):  # inner paths first: an outer marker wins
        steps = parse_path(path)
        try:
            parent = _parent(partial, steps)
            current = parent[steps[-1]] if isinstance(parent, list) or steps[-1] in parent else None
            text = str(current)
            month = text[:7] if len(text) == 10 and text[4] == "-" and text[7] == "-" else None
            marker = month if month and rng.random() < 0.5 else rng.choice(["未载明", {"unknown": "未公开"}])
            parent[steps[-1]] = marker
        except (KeyError, IndexError, TypeError):
            continue  # an outer path was already marked unknown
    return partial


_BROKEN = {
    "broken-syntax.yaml": "case:\n  number: 应急罚〔2024〕1号\n  agency: {name: 某县应急管理局\n",
    "broken-type.json": '{"case": {"number": "X1", "agency": {"name": "某局"}}, '
    '"decision": {"penalties": 5}}',
    "broken-top.yaml": "- 只是一个列表\n",
    "broken-empty.yaml": "",
    "broken-nan.json": '{"case": {"number": "X2", "agency": {"name": "某局"}}, '
    '"violations": [{"facts": {"x": NaN}}]}',
    "broken-dupkey.yaml": "case:\n  number: A\n  number: B\n  agency: {name: 某局}\n",
}


def write_golden_corpus(folder: Path) -> list[tuple[Path, Path]]:
    """(case file, roster) pairs of the golden corpus, written under `folder`."""
    _import_paths()
    import yaml
    from corpus import write_corpus

    from casereview.generate import generate_cases

    roster = ROOT / "rules" / "examples" / "roster.yaml"
    pairs = [(p, roster) for p in write_corpus(folder / "generated", GENERATED, SEED, json_share=0.3)]
    rng = random.Random(SEED)
    unknown_dir = folder / "unknowns"
    unknown_dir.mkdir()
    for i, case in enumerate(generate_cases(WITH_UNKNOWNS, SEED + 1), start=1):
        variant = _unknown_variant(case, rng)
        path = unknown_dir / f"partial-{i:04d}.yaml"
        path.write_text(yaml.safe_dump(variant, allow_unicode=True, sort_keys=False), "utf-8")
        pairs.append((path, roster))
    broken_dir = folder / "broken"
    broken_dir.mkdir()
    for name, text in _BROKEN.items():
        (broken_dir / name).write_text(text, "utf-8")
        pairs.append((broken_dir / name, roster))
    samples = ROOT / "casefiles"
    pairs += [(p, samples / "roster.yaml") for p in sorted(samples.glob("*.yaml")) if p.stem != "roster"]
    return pairs


def review_golden_corpus(folder: Path, engine: str) -> dict[str, Any]:
    """{relative file name: result as JSON data} on `engine`, one process, no cache."""
    _import_paths()
    from casereview.batch import make_context, review_one
    from casereview.load import load_roster
    from casereview.packs.loader import load_rulebook
    from casereview.score.profile import load_profile

    book, profile = load_rulebook(), load_profile()
    contexts: dict[Path, Any] = {}
    out: dict[str, Any] = {}
    for path, roster in write_golden_corpus(folder):
        if roster not in contexts:
            contexts[roster] = make_context(book, profile, load_roster(roster), engine)
        result = review_one(path, contexts[roster])
        name = path.relative_to(folder).as_posix() if folder in path.parents else f"samples/{path.name}"
        out[name] = _canonical(result.model_dump(mode="json"), str(path), name)
    return out


def _canonical(data: dict[str, Any], file: str, name: str) -> dict[str, Any]:
    """A result without what legitimately differs between runs: the file's absolute path and
    which engine ran it (both engines must give the same result)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).replace(json.dumps(file)[1:-1], name)
    canonical = json.loads(text)
    canonical.pop("engine", None)
    return canonical


def _load_golden() -> dict[str, Any]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.mark.parametrize("engine", ["durable", "oracle"])
def test_results_equal_the_recorded_ones(tmp_path, engine):
    golden = _load_golden()
    current = review_golden_corpus(tmp_path, engine)
    assert sorted(current) == sorted(golden), "the golden corpus changed: re-record deliberately"
    differing = [name for name in golden if current[name] != golden[name]]
    if differing:
        name = differing[0]
        detail = _first_difference(golden[name], current[name])
        pytest.fail(f"{len(differing)} of {len(golden)} results changed, e.g. {name}: {detail}")


def _first_difference(expected: Any, actual: Any, path: str = "") -> str:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if expected.get(key) != actual.get(key):
                return _first_difference(expected.get(key), actual.get(key), f"{path}.{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{i}]")
    was, now = (json.dumps(v, ensure_ascii=False)[:300] for v in (expected, actual))
    return f"{path or '.'}: recorded {was} ≠ now {now}"


def test_the_golden_corpus_covers_what_speed_work_touches():
    """The recorded corpus exercises unknowns, rejections, both formats and every grade path."""
    golden = _load_golden()
    statuses = {r["status"] for r in golden.values()}
    assert statuses == {"reviewed", "rejected"}
    assert any(name.endswith(".json") for name in golden) and any(name.endswith(".yaml") for name in golden)
    assert sum(1 for r in golden.values() if any(f["unknown"] for f in r["findings"])) >= 50
    assert sum(1 for r in golden.values() if r["not_run"]) >= 50
    assert sum(1 for r in golden.values() if r["findings"] and r["findings"][0]["location"]["line"]) >= 200


def main() -> int:
    import tempfile

    if "--update" not in sys.argv:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        durable = review_golden_corpus(Path(tmp) / "d", "durable")
        oracle = review_golden_corpus(Path(tmp) / "o", "oracle")
    differing = [name for name in durable if durable[name] != oracle[name]]
    if differing:
        print(f"engines disagree on {len(differing)} files, e.g. {differing[:5]}", file=sys.stderr)
        name = differing[0]
        print(_first_difference(durable[name], oracle[name]), file=sys.stderr)
        return 1
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(GOLDEN, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(durable, fh, ensure_ascii=False, sort_keys=True, indent=0)
    print(f"{len(durable)} results written to {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
