"""A decision heavier than its notice (行政处罚法 arts. 44, 45 ¶2, 62), the 查封/扣押 period and
handling (行政强制法 arts. 25, 27), illegal gains not confiscated (行政处罚法 art. 28 ¶2), and the
hearing checks when one penalty's amount is unknown, on both engines.

Each case is the rule examples' base file with one change. What a reviewer would notice: the veto
or deduction and its numbers; a 待人工评查 item (never a veto or deduction) when the fact the check
needs is not known; nothing at all when the export does not carry the notice's content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from example_review import ENGINES, findings_of, review_example

OFFICERS = [{"name": "张明", "cert": "36011120200001"}, {"name": "李华", "cert": "36011120200002"}]


def _penalty(**fields: Any) -> Any:
    def change(case: dict) -> None:
        case["decision"]["penalties"][0].update(fields)

    return change


# --- ORD-005: heavier than notified ---------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_fine_above_the_notified_amount_vetoes(tmp_path: Path, engine: str) -> None:
    result = review_example(tmp_path, engine, _penalty(notified_amount=10000))
    [finding] = findings_of(result, "ORD-005")
    assert finding["severity"] == "veto" and not finding["unknown"]
    assert "15000" in finding["message"] and "10000" in finding["message"]
    assert finding["location"]["field"] == "decision.penalties[0].notified_amount"
    assert result["score"]["grade"] == "不合格"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_penalty_the_notice_did_not_state_vetoes(tmp_path: Path, engine: str) -> None:
    def add_warning(case: dict) -> None:
        case["decision"]["penalties"].append(
            {"target": "unit", "type": "warning", "violation_ids": ["v1"], "notified": False}
        )

    [finding] = findings_of(review_example(tmp_path, engine, add_warning), "ORD-005")
    assert finding["severity"] == "veto"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("notified", [15000, 20000])
def test_a_fine_equal_to_or_below_the_notice_passes(tmp_path: Path, engine: str, notified: int) -> None:
    result = review_example(tmp_path, engine, _penalty(notified=True, notified_amount=notified))
    assert not findings_of(result, "ORD-005")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_export_without_the_notice_content_is_not_judged(tmp_path: Path, engine: str) -> None:
    assert not findings_of(review_example(tmp_path, engine, lambda case: None), "ORD-005")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unknown_notified_amount_is_a_review_item(tmp_path: Path, engine: str) -> None:
    result = review_example(tmp_path, engine, _penalty(notified_amount="未载明"))
    [finding] = findings_of(result, "ORD-005")
    assert finding["severity"] == "review" and finding["unknown"]
    assert "notified_amount" in finding["message"]
    assert result["score"]["grade"] != "不合格"


# --- CM-002 / CM-003: the seizure period and its end ----------------------------------------


def _acts(*acts: dict) -> Any:
    def change(case: dict) -> None:
        for act in acts:
            case["acts"].append({"by": OFFICERS, **act})

    return change


def _detention(on: str, **more: Any) -> dict:
    return {"kind": "detention", "on": on, "approved": True, "recorded": "video", **more}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_detention_released_on_day_31_is_deducted(tmp_path: Path, engine: str) -> None:
    result = review_example(
        tmp_path, engine, _acts(_detention("2024-02-20"), {"kind": "coercion_release", "on": "2024-03-22"})
    )
    [finding] = findings_of(result, "CM-002")
    assert finding["severity"] == "deduct" and "31 日" in finding["message"]
    assert not findings_of(result, "CM-003")


@pytest.mark.parametrize("engine", ENGINES)
def test_day_30_passes_and_a_last_day_in_a_holiday_rolls_over(tmp_path: Path, engine: str) -> None:
    on_time = _acts(_detention("2024-02-20"), {"kind": "coercion_release", "on": "2024-03-21"})
    assert not findings_of(review_example(tmp_path, engine, on_time), "CM-002")
    # day 30 is 2024-10-01 (国庆): the period runs to the first working day, 10-08
    rolled = _acts(_detention("2024-09-01"), {"kind": "coercion_release", "on": "2024-10-08"})
    assert not findings_of(review_example(tmp_path, engine, rolled), "CM-002")
    late = _acts(_detention("2024-09-01"), {"kind": "coercion_release", "on": "2024-10-09"})
    assert findings_of(review_example(tmp_path, engine, late), "CM-002")


@pytest.mark.parametrize("engine", ENGINES)
def test_testing_days_and_an_approved_extension_count(tmp_path: Path, engine: str) -> None:
    release = {"kind": "coercion_release", "on": "2024-04-20"}  # day 46
    tested = _acts(_detention("2024-03-05", testing_days=20), release)
    assert not findings_of(review_example(tmp_path, engine, tested), "CM-002")
    extended = _acts(_detention("2024-03-05"), {"kind": "coercion_extension", "on": "2024-04-01"}, release)
    assert not findings_of(review_example(tmp_path, engine, extended), "CM-002")
    refused = _acts(
        _detention("2024-03-05"),
        {"kind": "coercion_extension", "on": "2024-04-01", "approved": False},
        release,
    )
    assert findings_of(review_example(tmp_path, engine, refused), "CM-002")
    beyond = _acts(
        _detention("2024-03-05"),
        {"kind": "coercion_extension", "on": "2024-04-01"},
        {"kind": "coercion_disposal", "on": "2024-05-08"},  # day 64 (day 60 in the May holiday)
    )
    assert findings_of(review_example(tmp_path, engine, beyond), "CM-002")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_extension_whose_approval_is_unknown_is_a_review_item(tmp_path: Path, engine: str) -> None:
    change = _acts(
        _detention("2024-03-05"),
        {"kind": "coercion_extension", "on": "2024-04-01", "approved": "未载明"},
        {"kind": "coercion_release", "on": "2024-04-20"},
    )
    result = review_example(tmp_path, engine, change)
    [finding] = findings_of(result, "CM-002")
    assert finding["severity"] == "review" and finding["unknown"]
    assert result["score"]["provisional"] >= 1 and result["score"]["grade"] != "优秀"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_detention_never_ended_is_a_check_that_could_not_run(tmp_path: Path, engine: str) -> None:
    result = review_example(tmp_path, engine, _acts(_detention("2024-03-05")))
    [finding] = findings_of(result, "CM-003")
    assert finding["severity"] == "review"
    assert any(item["code"] == "CM-003" for item in result["not_run"])
    assert not findings_of(result, "CM-002")
    assert result["score"]["grade"] != "优秀"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["解除查封、扣押", "解除查封扣押", "查封扣押财物处理决定", "transfer"])
def test_an_end_written_as_a_chinese_label_ends_the_measure(tmp_path: Path, engine: str, kind: str) -> None:
    """Exporters write the label, often without the enumeration comma; a transfer to the police
    takes the seized things with the case (行政强制法 art. 21) and ends the measure too."""
    result = review_example(
        tmp_path, engine, _acts(_detention("2024-03-05"), {"kind": kind, "on": "2024-03-20"})
    )
    assert result["status"] == "reviewed"
    assert not findings_of(result, "CM-003") and not findings_of(result, "CM-002")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_decision_that_confiscates_ends_the_measure(tmp_path: Path, engine: str) -> None:
    def confiscate(case: dict) -> None:
        _acts(_detention("2024-03-20"))(case)
        case["decision"]["penalties"].append(
            {"target": "unit", "type": "confiscation", "amount": 800, "violation_ids": ["v1"]}
        )

    result = review_example(tmp_path, engine, confiscate)
    assert not findings_of(result, "CM-003")
    assert not findings_of(result, "CM-002")  # 03-20 to the decision on 04-10: 21 days


# --- AMT-018: illegal gains not confiscated -------------------------------------------------


def _gains(amount: Any, *penalties: dict, **violation: Any) -> Any:
    def change(case: dict) -> None:
        case["violations"][0].update(illegal_gains=amount, **violation)
        case["decision"]["penalties"].extend(penalties)

    return change


CONFISCATION = {"target": "unit", "type": "confiscation", "amount": 8000, "violation_ids": ["v1"]}


@pytest.mark.parametrize("engine", ENGINES)
def test_illegal_gains_not_confiscated_are_deducted(tmp_path: Path, engine: str) -> None:
    [finding] = findings_of(review_example(tmp_path, engine, _gains(8000)), "AMT-018")
    assert finding["severity"] == "deduct" and "8000" in finding["message"]
    assert finding["location"]["field"] == "violations[0].illegal_gains"


@pytest.mark.parametrize("engine", ENGINES)
def test_confiscation_a_refund_due_or_no_gains_pass(tmp_path: Path, engine: str) -> None:
    assert not findings_of(review_example(tmp_path, engine, _gains(8000, CONFISCATION)), "AMT-018")
    whole_case = {**CONFISCATION, "violation_ids": []}  # a penalty naming no violation concerns them all
    assert not findings_of(review_example(tmp_path, engine, _gains(8000, whole_case)), "AMT-018")
    assert not findings_of(review_example(tmp_path, engine, _gains(8000, gains_refund_due=True)), "AMT-018")
    assert not findings_of(review_example(tmp_path, engine, _gains(0)), "AMT-018")


@pytest.mark.parametrize("engine", ENGINES)
def test_unknown_gains_or_penalty_type_are_review_items(tmp_path: Path, engine: str) -> None:
    for change in (_gains("未载明"), _gains(8000, {**CONFISCATION, "type": "未载明"})):
        result = review_example(tmp_path, engine, change)
        [finding] = findings_of(result, "AMT-018")
        assert finding["severity"] == "review" and finding["unknown"]
        assert result["score"]["grade"] != "优秀"


# --- CM-004: 先行登记保存 without approval --------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_preservation_without_approval_is_deducted_unless_unknown(tmp_path: Path, engine: str) -> None:
    def preserved(**approval: Any) -> Any:
        return _acts(
            {"kind": "preservation", "on": "2024-03-07", **approval},
            {"kind": "preservation_decision", "on": "2024-03-12"},
        )

    for missing in ({}, {"approved": False}):
        [finding] = findings_of(review_example(tmp_path, engine, preserved(**missing)), "CM-004")
        assert finding["severity"] == "deduct"
    assert not findings_of(review_example(tmp_path, engine, preserved(approved=True)), "CM-004")
    [unknown] = findings_of(review_example(tmp_path, engine, preserved(approved="未载明")), "CM-004")
    assert unknown["severity"] == "review" and unknown["unknown"]


def test_a_seizure_period_that_disagrees_with_its_quoted_text_is_refused(edited_rules):
    """三十日 in the quote of 行政强制法 art. 25, 31 in the value: the pack does not load; the sixty
    days (thirty plus thirty) load only because their `text_waiver` says why they are not quoted."""
    from casereview.packs.loader import PackError, load_rulebook

    root = edited_rules("coercion", "  coercion_limit_days:", "        value: 30\n", "        value: 31\n")
    with pytest.raises(PackError, match="coercion_limit_days"):
        load_rulebook(root)
    edited_rules("coercion", "  coercion_limit_days:", "        value: 31\n", "        value: 30\n")  # undone
    load_rulebook(root)
    waiver = "        text_waiver: 三十日期限加不超过三十日的延长期限之和，条文未直接写出六十日\n"
    unwaived = edited_rules("coercion", "  coercion_extended_limit_days:", waiver, "")
    with pytest.raises(PackError, match="coercion_extended_limit_days"):
        load_rulebook(unwaived)


# --- amounts partly known: a penalty of unknown amount opens only its own kind's total ----------


def _add_penalty(**fields: Any) -> Any:
    def change(case: dict) -> None:
        case["decision"]["penalties"].append({"target": "unit", "violation_ids": ["v1"], **fields})

    return change


@pytest.mark.parametrize("engine", ENGINES)
def test_a_known_part_of_the_fines_above_the_hearing_line_still_vetoes(tmp_path: Path, engine: str) -> None:
    def change(case: dict) -> None:
        case["decision"]["penalties"][0]["amount"] = 25000
        _add_penalty(type="fine", amount="未载明")(case)

    result = review_example(tmp_path, engine, change)
    [finding] = findings_of(result, "HEAR-001")
    assert finding["severity"] == "veto" and not finding["unknown"]
    assert "至少 25000" in finding["message"]
    assert not findings_of(result, "HEAR-007")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_fine_of_unknown_amount_leaves_the_confiscation_hearing_check_decided(
    tmp_path: Path, engine: str
) -> None:
    result = review_example(tmp_path, engine, _penalty(amount="未载明"))
    [finding] = findings_of(result, "HEAR-001")
    assert finding["severity"] == "review" and finding["unknown"]
    assert not findings_of(result, "HEAR-007")  # nothing is confiscated: that check ran and passed
    assert "HEAR-007" not in {n["code"] for n in result["not_run"]}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_confiscation_of_unknown_amount_is_a_review_item_only_for_its_own_check(
    tmp_path: Path, engine: str
) -> None:
    result = review_example(tmp_path, engine, _add_penalty(type="confiscation", amount="未载明"))
    [finding] = findings_of(result, "HEAR-007")
    assert finding["severity"] == "review" and finding["unknown"]
    assert not findings_of(result, "HEAR-001")  # the 15,000 yuan fine is known and below the line
