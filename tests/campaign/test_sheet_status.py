"""A campaign never grades a file the machine could not grade: 无法评查 (unreadable), 未结案 and
无法评分 carry through the reviewer's sheet, its sign-off and the per-unit pass rate."""

from __future__ import annotations

from casereview.campaign import service
from casereview.campaign.sheet import SCORED, UNREVIEWABLE, machine_status, score_sheet
from casereview.score.profile import load_profile

from .helpers import make_campaign, sign_overriding_all, single_file_campaign


def _result(status: str = "reviewed", score_status: str | None = "scored") -> dict:
    score = None if score_status is None else {"score": 100.0, "grade": "优秀", "status": score_status}
    return {"status": status, "score": score, "findings": []}


def test_machine_status_of_each_kind_of_result():
    assert machine_status(_result()) == SCORED
    assert machine_status(_result(score_status="未结案")) == "未结案"
    assert machine_status(_result(score_status="无法评分")) == "无法评分"
    assert machine_status(_result("rejected", None)) == UNREVIEWABLE
    assert machine_status({}) == UNREVIEWABLE  # a file without a machine result at all


def test_an_empty_sheet_of_an_ungraded_file_is_not_excellent():
    profile = load_profile(None)
    graded = score_sheet(profile, [], {})
    assert graded.graded and graded.grade == "优秀" and graded.shown == "100"
    for status in ("未结案", "无法评分", UNREVIEWABLE):
        sheet = score_sheet(profile, [], {}, status)
        assert not sheet.graded and sheet.grade == status and sheet.shown == "—"
        assert sheet.score == 100.0  # kept for reference only
        assert "不评定等次" in sheet.summary and "优秀" not in sheet.summary


def test_signed_sheet_of_an_open_case_keeps_its_status_out_of_the_pass_rate(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)  # + one file without a decision: 未结案
    case_id, li, result = single_file_campaign(store, "含未结案", tmp_path / "b", "26-xinjian-wei-jiean.yaml")
    assert machine_status(result) == "未结案"
    score = sign_overriding_all(store, case_id, li, result)
    assert not score.graded and score.grade == "未结案"
    with store.session() as session:
        campaign = service.get_campaign(session, "含未结案")
        rows = service.final_rows(session, campaign)
        assert rows[0]["final_grade"] == "未结案" and rows[0]["final_graded"] is False
        unit = service.unit_figures(rows, "不合格")[0]
        assert unit["files"] == 1 and unit["final"] == 0 and unit["pass_rate"] is None
    from casereview.campaign.exports import render_results_html, results_document

    html = render_results_html(results_document(store, "含未结案"))
    assert '<td class="num final">—</td><td>未结案</td>' in html
