"""The law data checks itself: a number that disagrees with its quoted text, or a quote that is
not the statute's text, fails `rules lint` and pack loading (issue 12 "Law data that checks itself")."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "engine"))

from casereview.packs.lint import errors, lint_tables  # noqa: E402
from casereview.packs.loader import PackError, load_rulebook  # noqa: E402

STATUTE = "statute-安全生产法-2021.yaml"
ART97_INITIAL = "          - {target: unit, shape: max_only, max: 100000, text: 处十万元以下的罚款}\n"


def rules_copy(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    return root


def plant(root: Path, old: str, new: str, count: int = 1) -> None:
    path = root / "tables" / STATUTE
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_shipped_statute_amounts_agree_with_their_text(book):
    problems = [p for p in lint_tables(book) if p.code == "amount_text"]
    assert problems, "the 114 ¶2 interpretive ranges are listed (waived)"
    assert all(p.waived for p in problems), [str(p) for p in problems if not p.waived]


def test_planted_art97_maximum_fails_load_and_lint(tmp_path, capsys):
    """Art. 97 first-finding maximum 100,000 → 1,000,000 while the text still says 十万元."""
    root = rules_copy(tmp_path)
    plant(root, ART97_INITIAL, ART97_INITIAL.replace("max: 100000", "max: 1000000"))
    with pytest.raises(PackError) as caught:
        load_rulebook(root)
    message = str(caught.value)
    assert STATUTE in message and "第97条" in message and "1000000" in message and "十万元" in message

    from casereview.cli import main

    assert main(["rules", "lint", "--rules", str(root)]) != 0
    assert "第97条" in capsys.readouterr().err


def test_planted_text_not_in_quote(tmp_path):
    root = rules_copy(tmp_path)
    plant(root, "text: 处十万元以下的罚款}", "text: 处二十万元以下的罚款}")
    with pytest.raises(PackError, match="不是本条引文"):
        load_rulebook(root)


def test_waiver_with_reason_lets_a_mismatch_load(tmp_path):
    root = rules_copy(tmp_path)
    planted = ART97_INITIAL.replace("max: 100000", "max: 1000000").replace(
        "}", ", text_waiver: 测试：解释性上限}"
    )
    plant(root, ART97_INITIAL, planted)
    book = load_rulebook(root)
    found = [p for p in lint_tables(book) if p.code == "amount_text" and "第97条" in p.message]
    assert found and all(p.waived == "测试：解释性上限" for p in found)
    assert not [p for p in errors(lint_tables(book)) if p.code == "amount_text"]


STATUTES = ROOT / "docs" / "statutes"  # the repository's copy, found relative to the rules folder


def test_official_quotes_match_the_statute_texts(book):
    from casereview.packs.quotes import find_statutes, quote_problems

    assert find_statutes(book.root) == STATUTES.resolve()
    problems = quote_problems(book, STATUTES)
    assert not [str(p.message) for p in problems if not p.notice]
    checked_tables = {t.law for t in book.tables.of("statute") if t.verification == "official"}
    assert "安全生产法" in checked_tables


def test_planted_quote_change_fails_lint(tmp_path, capsys):
    root = rules_copy(tmp_path)
    (tmp_path / "docs").mkdir()
    shutil.copytree(STATUTES, tmp_path / "docs" / "statutes")
    pack = root / "packs" / "amount.yaml"
    text = pack.read_text(encoding="utf-8")
    assert "对公民处以二百元以下" in text
    pack.write_text(text.replace("对公民处以二百元以下", "对公民处以五百元以下", 1), encoding="utf-8")
    from casereview.cli import main

    assert main(["rules", "lint", "--rules", str(root)]) != 0
    out = capsys.readouterr().out
    assert "[quote]" in out and "第51条" in out and "五百元" in out


def test_planted_statute_table_quote_change_is_caught(tmp_path):
    root = rules_copy(tmp_path)
    plant(root, "高危行业、领域的生产经营单位未按照国家规定投保", "高危行业的生产经营单位未按照国家规定投保")
    book = load_rulebook(root)
    found = [p for p in errors(lint_tables(book, STATUTES)) if p.code == "quote"]
    assert found and "第109条" in found[0].message


def test_without_statutes_folder_the_quote_check_says_it_did_not_run(tmp_path, monkeypatch):
    monkeypatch.delenv("CASEREVIEW_STATUTES", raising=False)
    root = rules_copy(tmp_path)  # no docs/statutes next to it, as in an installed wheel
    book = load_rulebook(root)
    problems = lint_tables(book)
    skipped = [p for p in problems if p.code == "quotes_unchecked"]
    assert skipped and skipped[0].notice and "未与原文核对" in skipped[0].message
    assert not [p for p in errors(problems) if p.code.startswith("quote")]


def test_quote_of_another_version_is_not_compared_with_this_text():
    from casereview.packs.quotes import statute_file

    assert statute_file(STATUTES, "中华人民共和国安全生产法", "2021") is not None
    assert statute_file(STATUTES, "中华人民共和国安全生产法", "2014") is None
    assert statute_file(STATUTES, "中华人民共和国刑法", "刑法修正案（十一）") is not None


LAW_PACKS = {"amount", "hearing", "legal-review", "procedure", "transfer", "lists", "three-systems"}


def test_every_law_pack_rule_runs_inside_durable_rules(book, durable):
    """No rule of the law packs falls back to the Python evaluation (durable's limits, error 113)."""
    outside = [r.rule_id for r in durable.outside if book.rules[r.code].pack_id in LAW_PACKS]
    assert outside == []


def test_rule_docs_show_article_134_1_not_134():
    from casereview.maintain.docs import article_text

    name, text = article_text(STATUTES, "中华人民共和国刑法", 134, "刑法修正案（十一）", 1)
    assert name.startswith("刑法") and text.startswith("第一百三十四条之一") and "危险" in text
