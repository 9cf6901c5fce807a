"""A reviewer confirming a 待人工评查 item scores it as the check it held open: a veto rule's item
vetoes even when the profile names that rule in no veto item; a deduction rule's item deducts."""

from __future__ import annotations

from casereview.campaign.sheet import CurrentDecision, finding_keys, score_sheet
from casereview.score.profile import load_profile


def _review_item(code: str, rule_severity: str) -> dict:
    return {
        "code": code,
        "severity": "review",
        "rule_severity": rule_severity,
        "location": {"field": "violations[0]"},
    }


def _confirmed(findings: list[dict]) -> dict:
    return {("finding", key): CurrentDecision("confirm") for key in finding_keys(findings)}


def test_a_confirmed_item_of_a_veto_rule_vetoes_with_or_without_a_veto_item():
    profile = load_profile(None)
    listed = [_review_item("EXM-009", "veto")]  # in V-08 适用法律错误
    sheet = score_sheet(profile, listed, _confirmed(listed))
    assert sheet.vetoed and sheet.vetoes == ["V-08"] and sheet.grade == "不合格"
    unlisted = [_review_item("ZZ-901", "veto")]  # a local pack's veto rule the profile does not name
    sheet = score_sheet(profile, unlisted, _confirmed(unlisted))
    assert sheet.vetoed and sheet.vetoes == ["ZZ-901"] and sheet.score == 0


def test_a_confirmed_item_of_a_deduction_rule_deducts_and_an_open_one_counts_nothing():
    profile = load_profile(None)
    findings = [_review_item("EXM-010", "deduct")]
    sheet = score_sheet(profile, findings, _confirmed(findings))
    assert not sheet.vetoed and sheet.deductions == {"L-02": 10}
    sheet = score_sheet(profile, findings, {})
    assert not sheet.vetoed and not sheet.deductions and sheet.undecided


def test_every_shipped_veto_rule_is_named_in_a_veto_item(book):
    profile = load_profile(None)
    unnamed = sorted(
        code for code, d in book.rules.items() if d.rule.severity == "veto" and profile.veto_for(code) is None
    )
    assert unnamed == []
