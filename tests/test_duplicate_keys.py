"""A key written twice in one mapping of legal data (a rule pack, a statute or benchmark table, a
scoring profile, a local calendar year) is an error naming the file and line: YAML's loaders keep
the last value silently, so a second `value:`, `max:` or `note:` would replace the first unseen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casereview.derive.calendar import WorkCalendar
from casereview.packs.loader import PackError, load_rulebook
from casereview.score.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", dest)
    return dest


def _repeat_line(path: Path, needle: str) -> int:
    """Write the first line containing `needle` twice; its 1-based line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if needle in line)
    lines.insert(index + 1, lines[index])
    path.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


def test_the_shipped_rules_load(book):
    assert book.rules  # no shipped file repeats a key (the loader would refuse it)


def test_a_key_repeated_in_a_rule_pack_is_refused(rules_copy):
    pack = rules_copy / "packs" / "certificates.yaml"
    line = _repeat_line(pack, "    severity: veto")
    with pytest.raises(PackError) as err:
        load_rulebook(rules_copy)
    assert f"certificates.yaml:{line + 1} YAML 语法错误：键「severity」重复（第 {line} 行已有）" in str(
        err.value
    )


def test_a_key_repeated_in_a_statute_table_is_refused(rules_copy):
    table = rules_copy / "tables" / "statute-安全生产法-2021.yaml"
    line = _repeat_line(table, "        other_penalties: [责令停业整顿]")
    with pytest.raises(PackError) as err:
        load_rulebook(rules_copy)
    expected = f"安全生产法-2021.yaml:{line + 1} YAML 错误：键「other_penalties」重复（第 {line} 行已有）"
    assert expected in str(err.value)


def test_a_key_repeated_in_a_profile_is_refused(tmp_path):
    profile = tmp_path / "评查标准.yaml"
    shutil.copy(ROOT / "rules" / "profiles" / "example-profile.yaml", profile)
    _repeat_line(profile, "provisional_max_grade:")
    with pytest.raises(ValueError, match="键「provisional_max_grade」重复"):
        load_profile(profile)


def test_a_key_repeated_in_a_calendar_year_is_refused(tmp_path):
    (tmp_path / "2027.yaml").write_text("holidays: [2027-01-01]\nholidays: [2027-02-08]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="键「holidays」重复"):
        WorkCalendar(extra_dir=tmp_path)
