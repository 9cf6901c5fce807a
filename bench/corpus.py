"""Write N generated case files (YAML and JSON mix, varied sizes) to a directory, fixed seed.

    python bench/corpus.py OUT_DIR [-n 10000] [--seed 20261126] [--json-share 0.3]

Cases come from `casereview.generate.generate_cases` (every one validates); sizes vary by
adding file documents (案卷文书目录) and notes on acts: most files are 3–6 KB, a tail reaches
~40 KB, like real exports. File names are `case-000001.yaml` / `case-000002.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "engine"))

import yaml  # noqa: E402

from casereview.generate import generate_cases  # noqa: E402

try:
    _Dumper: type = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Dumper = yaml.SafeDumper

_DOC_TITLES = [
    "现场检查记录",
    "询问笔录",
    "责令限期整改指令书",
    "整改复查意见书",
    "立案审批表",
    "证据先行登记保存清单",
    "行政处罚告知书",
    "陈述申辩笔录",
    "法制审核意见书",
    "集体讨论记录",
    "行政处罚决定书",
    "送达回证",
    "罚款缴纳凭证",
    "结案审批表",
    "现场照片",
    "营业执照复印件",
]


def _size_tier(rng: random.Random) -> int:
    """How many extra documents: mostly few, a long tail of big files."""
    r = rng.random()
    if r < 0.6:
        return rng.randint(0, 5)
    if r < 0.9:
        return rng.randint(6, 40)
    return rng.randint(41, 300)


def vary_size(case: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    extra = _size_tier(rng)
    base_day = case["acts"][0]["on"] if case.get("acts") else dt.date(2024, 1, 1)
    docs = case.setdefault("documents", [])
    for i in range(extra):
        docs.append(
            {
                "title": f"{rng.choice(_DOC_TITLES)}（第{i + 1}份）",
                "number": f"赣应急〔{base_day.year}〕{rng.randint(1, 999)}号",
                "on": base_day + dt.timedelta(days=rng.randint(0, 60)),
            }
        )
    if extra > 20:
        for act in case.get("acts", []):
            act["note"] = "；".join(rng.choice(_DOC_TITLES) + "已归档" for _ in range(rng.randint(1, 12)))
    return case


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def write_corpus(out: Path, n: int, seed: int = 20261126, json_share: float = 0.3) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed ^ 0x5EED)
    paths = []
    for i, case in enumerate(generate_cases(n, seed), start=1):
        case = vary_size(case, rng)
        if rng.random() < json_share:
            path = out / f"case-{i:06d}.json"
            path.write_text(json.dumps(case, ensure_ascii=False, indent=1, default=_json_default), "utf-8")
        else:
            path = out / f"case-{i:06d}.yaml"
            path.write_text(yaml.dump(case, Dumper=_Dumper, allow_unicode=True, sort_keys=False), "utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--json-share", type=float, default=0.3)
    args = parser.parse_args(argv)
    paths = write_corpus(args.out, args.n, args.seed, args.json_share)
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} files, {total / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
