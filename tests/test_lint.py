"""`casereview rules lint`: the shipped tables lint clean (known source defects waived); broken
tables are caught with file:line and Chinese messages."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "engine"))

from casereview.packs.expanders import load_tables  # noqa: E402
from casereview.packs.lint import errors, lint_tables  # noqa: E402

STATUTE = ROOT / "rules" / "tables" / "statute-安全生产法-2021.yaml"


def test_shipped_tables_lint_clean(book):
    problems = lint_tables(book)
    assert not errors(problems), [str(p) for p in errors(problems)]
    waived = {(p.item, p.code) for p in problems if p.waived}
    assert ("SX-2021-99-1", "same_band") in waived  # tiers 3/4 identical in the source
    assert ("SX-2021-99-1", "non_monotonic") in waived  # person bands
    assert ("SX-2021-108", "overlap") in waived  # 100人以下 / 100人以上


def broken_table(
    tmp_path: Path, tiers: list[dict], article: int = 108, boundary: dict | None = None, var_type: str = "int"
) -> Path:
    root = tmp_path / "rules"
    (root / "tables").mkdir(parents=True)
    shutil.copy(STATUTE, root / "tables" / STATUTE.name)
    data = {
        "table": {"type": "benchmark", "id": "BROKEN"},
        "source": {
            "title": "坏表",
            "issuer": "测试",
            "region": "36",
            "verification": "example",
            "boundary": boundary or {"以上": True, "以下": True},
        },
        "items": [
            {
                "id": "BR-1",
                "title": "测试",
                "clause": {"article": article},
                "variables": {"headcount": {"type": var_type, "label": "人数"}},
                "tiers": tiers,
            }
        ],
    }
    path = root / "tables" / "benchmark-broken.yaml"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(
        text.replace("table:\n  type: benchmark\n  id: BROKEN", "table: {type: benchmark, id: BROKEN}"),
        encoding="utf-8",
    )
    return root


def lint_dir(root: Path):
    problems: list[str] = []
    tables = load_tables(root, problems)
    assert not problems, problems
    # the statute table's own (waived) text checks are covered in test_law_selfcheck.py
    return [p for p in lint_tables(tables) if not (p.code == "amount_text" and p.waived)]


def tier(n, rng, unit, branch="refused_correction"):
    return {
        "tier": n,
        "text": f"第{n}档",
        "range": {"var": "headcount", **rng},
        "fines": {branch: {"unit": unit}},
    }


def test_tier_above_statutory_max(tmp_path):
    root = broken_table(
        tmp_path,
        [tier(1, {"max": 100, "max_word": "不满"}, [20000, 100000]), tier(2, {"min": 100}, [100000, 250000])],
    )
    problems = lint_dir(root)
    codes = {p.code for p in problems}
    assert "above_statute" in codes
    bad = next(p for p in problems if p.code == "above_statute")
    assert bad.file.endswith("benchmark-broken.yaml") and bad.line > 1 and "法定上限" in bad.message


def test_tier_below_statutory_min(tmp_path):
    root = broken_table(
        tmp_path,
        [tier(1, {"max": 100, "max_word": "不满"}, [10000, 100000]), tier(2, {"min": 100}, [100000, 200000])],
    )
    assert "below_statute" in {p.code for p in lint_dir(root)}


def test_overlapping_tiers(tmp_path):
    root = broken_table(
        tmp_path, [tier(1, {"max": 100}, [20000, 100000]), tier(2, {"min": 100}, [100000, 200000])]
    )
    problems = lint_dir(root)
    assert [p.code for p in problems] == ["overlap"] and "重叠" in problems[0].message


def test_same_words_no_overlap_when_source_says_以下_excludes(tmp_path):
    root = broken_table(
        tmp_path,
        [tier(1, {"max": 100}, [20000, 100000]), tier(2, {"min": 100}, [100000, 200000])],
        boundary={"以上": True, "以下": False},
    )
    assert lint_dir(root) == []


def test_gap_between_tiers(tmp_path):
    root = broken_table(
        tmp_path, [tier(1, {"max": 50}, [20000, 100000]), tier(2, {"min": 100}, [100000, 200000])]
    )
    assert [p.code for p in lint_dir(root)] == ["gap"]
    # integers: 以下 100 then 超过 100 has no gap; 以下 100 then 以上 102 leaves 101 uncovered
    root2 = broken_table(
        tmp_path / "b",
        [tier(1, {"max": 100}, [20000, 100000]), tier(2, {"min": 100, "min_word": "超过"}, [100000, 200000])],
    )
    assert lint_dir(root2) == []
    root3 = broken_table(
        tmp_path / "c", [tier(1, {"max": 100}, [20000, 100000]), tier(2, {"min": 102}, [100000, 200000])]
    )
    assert [p.code for p in lint_dir(root3)] == ["gap"]


def test_non_monotonic_and_same_band(tmp_path):
    root = broken_table(
        tmp_path,
        [
            tier(1, {"max": 50}, [50000, 100000]),
            tier(2, {"min": 51, "max": 80}, [20000, 90000]),
            tier(3, {"min": 81}, [20000, 90000]),
        ],
    )
    codes = [p.code for p in lint_dir(root)]
    assert "non_monotonic" in codes and "same_band" in codes


def test_wrong_article(tmp_path):
    root = broken_table(tmp_path, [tier(1, {"max": 100}, [20000, 100000], branch="initial")], article=35)
    problems = lint_dir(root)
    assert [p.code for p in problems] == ["unknown_article"] and "第35条" in problems[0].message


def test_no_statutory_fine_in_branch(tmp_path):
    root = broken_table(tmp_path, [tier(1, {"max": 100}, [20000, 100000], branch="initial")], article=108)
    assert [p.code for p in lint_dir(root)] == ["no_statutory_fine"]


def test_unit_suspected_wan(tmp_path):
    root = broken_table(tmp_path, [tier(1, {"max": 100}, [2, 10])])
    assert "unit" in {p.code for p in lint_dir(root)}


def test_cli_rules_lint(capsys):
    from casereview.cli import main

    assert main(["rules", "lint"]) == 0
    out = capsys.readouterr().out
    assert "已豁免" in out and "0 个待处理" in out


@pytest.mark.parametrize("article", [97, 99])
def test_list_citation_checked(tmp_path, article):
    root = tmp_path / "rules"
    (root / "tables").mkdir(parents=True)
    shutil.copy(STATUTE, root / "tables" / STATUTE.name)
    (root / "tables" / "list-x.yaml").write_text(
        "table: {type: exemption_list, id: X}\n"
        "list_type: no_penalty\ntitle: 测试\nissuer: 测试\nregions: ['36']\n"
        "discretion: optional\nverification: example\n"
        f"items:\n  - id: XX-1\n    violation: 测试\n    basis: {{article: {article}, item: 9}}\n",
        encoding="utf-8",
    )
    problems = lint_dir(root)
    assert [p.code for p in problems] == ["unknown_article"] and problems[0].line == 9
