"""《危险化学品安全管理条例》（2013年修订）as a statute table: the penalty chapter's quotes are the
statute text, and a case citing it is reviewed on both engines.

Each case is the rule examples' base file (安全生产法第九十九条, 15,000 yuan) with its penalty basis
moved to the regulation. What a reviewer would notice: a unit fine above (or below) the clause's range
is a veto naming the article; a fine inside the range raises nothing; an article another department
applies (公安机关 …) is a 待人工评查 item, never a veto; an unstated article gives only review items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from example_review import ENGINES, findings_of, review_example

ROOT = Path(__file__).resolve().parents[1]
STATUTES = ROOT / "docs" / "statutes"
LAW = "危险化学品安全管理条例"
TABLE_ID = "危险化学品安全管理条例-2013"


def _vetoes(result: dict) -> list[dict]:
    return [f for f in result["findings"] if f["severity"] == "veto"]


def _basis(article: Any, amount: int = 15000, *, branch: str = "initial", **basis: Any):
    """Penalty basis in the regulation; the 安全生产法 benchmark item (JXEX-99-1) is taken off."""

    def change(case: dict) -> None:
        violation = case["violations"][0]
        violation["penalty_basis"] = {"law": LAW, "version": "2013", "article": article, **basis}
        violation["discretion"] = {"adjustment": "none", "stated_in_decision": True}
        violation["branch"] = branch
        if branch != "initial":
            case["acts"][4]["result"] = "not_corrected"  # the 复查 found the order not carried out
        if amount >= 20000:  # 江西: 较大数额 for an organisation, hearing right notified
            case["acts"][5]["hearing_right_notified"] = True
        case["decision"]["penalties"][0]["amount"] = amount

    return change


# --- the table itself ------------------------------------------------------------------------


def test_table_is_the_2013_text_without_an_end_date(book) -> None:
    from casereview.packs.quotes import statute_table_quotes
    from casereview.packs.tables.statute import fine_text_problems

    [table] = [t for t in book.tables.of("statute") if t.id == TABLE_ID]
    assert table.kind == "regulation" and table.verification == "official"
    assert table.in_force == dt.date(2013, 12, 7) and table.in_force_until is None
    assert set(range(75, 95)) == table.articles()
    assert not [p.message for p in statute_table_quotes(table, STATUTES)]
    assert not fine_text_problems(table)
    # only 安全生产监督管理部门's clauses carry fines; another department's clause names it
    police = next(c for c in table.clauses if c.article == 88)
    assert police.authority == "公安机关" and not police.branches


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("change", "cited", "range_text"),
    [
        (_basis(78, 50001, item=8), "第78条第1款", "5万元以下"),
        (_basis(80, 100001, item=2), "第80条第1款", "5万元以上10万元以下"),
        (_basis(77, 200001, paragraph=3), "第77条第3款", "10万元以上20万元以下"),
    ],
    ids=["78-initial-max", "80-initial-max", "77-3-max"],
)
def test_a_unit_fine_above_the_clause_maximum_vetoes(
    tmp_path: Path, engine: str, change: Callable[[dict], None], cited: str, range_text: str
) -> None:
    result = review_example(tmp_path, engine, change)
    [finding] = findings_of(result, "AMT-001")
    assert finding["severity"] == "veto" and not finding["unknown"]
    assert f"《{LAW}》{cited}" in finding["message"] and range_text in finding["message"]
    assert result["score"]["grade"] == "不合格"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_refused_correction_fine_below_its_minimum_vetoes(tmp_path: Path, engine: str) -> None:
    result = review_example(tmp_path, engine, _basis(78, 40000, branch="refused_correction", item=8))
    [finding] = findings_of(result, "AMT-001")
    assert finding["severity"] == "veto"
    assert "第78条第1款（拒不改正" in finding["message"] and "低于" in finding["message"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "change",
    [
        _basis(78, 50000, paragraph=1, item=8),
        _basis(78, 60000, branch="refused_correction", item=8),
        # 拒不改正 recorded as 逾期未改正 (the re-inspection after the order shows both): not a veto
        _basis(78, 60000, branch="overdue_uncorrected", item=8),
        _basis(81, 10000),  # 未写款：第八十一条只有第二款由应急管理部门适用
    ],
    ids=["78-at-max", "78-refused", "78-refused-labelled-overdue", "81-unstated-paragraph"],
)
def test_a_fine_inside_the_range_raises_nothing(tmp_path: Path, engine: str, change) -> None:
    result = review_example(tmp_path, engine, change)
    codes = {f["code"] for f in result["findings"]}
    quiet = {"AMT-001", "AMT-002", "AMT-003", "AMT-011", "AMT-015", "INS-001", "INS-002", "INS-003"}
    assert not codes & quiet
    assert not _vetoes(result), [f["message"] for f in _vetoes(result)]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_fine_before_the_overdue_branch_of_article_76_vetoes(tmp_path: Path, engine: str) -> None:
    """第七十六条第一款首次查处只责令停止建设、限期改正，逾期不改正才罚款。"""
    [finding] = findings_of(review_example(tmp_path, engine, _basis(76, 15000)), "AMT-002")
    assert finding["severity"] == "veto" and "第76条第1款" in finding["message"]


# --- another department's article, an unstated article ----------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("change", "authority"),
    [(_basis(88, 15000, item=1), "公安机关"), (_basis(86, 15000, item=2), "交通运输主管部门")],
    ids=["88-police", "86-transport"],
)
def test_another_departments_article_is_a_review_item_not_a_veto(
    tmp_path: Path, engine: str, change, authority: str
) -> None:
    result = review_example(tmp_path, engine, change)
    assert not _vetoes(result), [f["message"] for f in _vetoes(result)]
    [finding] = findings_of(result, "AMT-015")
    assert finding["severity"] == "review" and authority in finding["message"]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unstated_article_gives_review_items_never_a_veto(tmp_path: Path, engine: str) -> None:
    result = review_example(tmp_path, engine, _basis("未载明", 15000))
    assert not _vetoes(result), [f["message"] for f in _vetoes(result)]
    unknown = [f for f in result["findings"] if f["unknown"]]
    assert {"AMT-001", "AMT-002"} <= {f["code"] for f in unknown}
    assert all(f["severity"] == "review" for f in unknown)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_safety_law_benchmark_item_on_a_regulation_basis_is_a_deduction(
    tmp_path: Path, engine: str
) -> None:
    """The base file's JXEX-99-1 refines 安全生产法第九十九条: kept on a 第八十条 basis, BM-006 says so."""

    def keep_benchmark(case: dict) -> None:
        discretion = case["violations"][0]["discretion"]
        _basis(80, 60000, item=2)(case)
        case["violations"][0]["discretion"] = discretion

    result = review_example(tmp_path, engine, keep_benchmark)
    [finding] = findings_of(result, "BM-006")
    assert finding["severity"] == "deduct" and "第80条" in finding["message"]
    assert not _vetoes(result)
