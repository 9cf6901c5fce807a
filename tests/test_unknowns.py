"""Unknown is not absent: the 未载明 marker, partial dates, three-valued rules, checks not run,
the 未结案/无法评分 status and the exit code, on both engines."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.exitcodes import EXIT_UNGRADED, EXIT_USAGE
from casereview.load import InputRejected, read_document, validate_case
from casereview.model.case import CaseFile
from casereview.model.unknown import PartialDate, Unknown, as_unknown, parse_day
from casereview.packs.loader import PackError, load_rulebook
from casereview.review import CaseResult, ReviewContext, review_file

MINIMAL = {
    "case": {"number": "赣某应急罚〔2023〕7号", "agency": {"name": "某县应急管理局"}},
    "party": {"name": "某某石材加工厂"},
    "violations": [
        {
            "description": "未如实记录安全生产教育和培训情况",
            "penalty_basis": {"law": "安全生产法", "article": "未载明"},
        }
    ],
    "decision": {"decided_on": "2023-06-12"},
}


@pytest.fixture(scope="module")
def general(root: Path) -> dict:
    return read_document(root / "rules" / "examples" / "general.yaml").data


def _review(tmp_path: Path, data: dict, ctx: ReviewContext, name: str = "case.json") -> CaseResult:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    return review_file(path, ctx)


def _both(tmp_path, data, book, profile, durable, oracle, roster) -> CaseResult:
    by_durable = _review(tmp_path, data, ReviewContext(book, profile, durable, roster))
    by_oracle = _review(tmp_path, data, ReviewContext(book, profile, oracle, roster))
    assert by_durable.status == "reviewed", by_durable.errors
    key = [(f.code, f.severity, f.location.field) for f in by_durable.findings]
    assert key == [(f.code, f.severity, f.location.field) for f in by_oracle.findings]
    assert [n.code for n in by_durable.not_run] == [n.code for n in by_oracle.not_run]
    return by_durable


# -- the marker and partial dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, reason",
    [
        ("未载明", None),
        ("unknown", None),
        ("UNKNOWN", None),
        ({"未载明": "扫描件模糊"}, "扫描件模糊"),
        ({"unknown": True, "reason": "未公开"}, "未公开"),
        ({"unknown": "未公开"}, "未公开"),
        ({"未载明": True, "原因": "未公开"}, "未公开"),
    ],
)
def test_unknown_marker_spellings(value, reason):
    marker = as_unknown(value)
    assert isinstance(marker, Unknown) and marker.reason == reason


def test_not_a_marker():
    assert as_unknown("张三") is None and as_unknown({"name": "x"}) is None and as_unknown(0) is None


@pytest.mark.parametrize(
    "text, span",
    [
        ("2022-01", ("2022-01-01", "2022-01-31")),
        ("2022年1月", ("2022-01-01", "2022-01-31")),
        ("2024年2月", ("2024-02-01", "2024-02-29")),
        ("2022", ("2022-01-01", "2022-12-31")),
        (2022, ("2022-01-01", "2022-12-31")),
        ("2022年", ("2022-01-01", "2022-12-31")),
        ("1月5日", None),
        ("--01-05", None),
    ],
)
def test_partial_dates(text, span):
    value = parse_day(text)
    assert isinstance(value, PartialDate)
    got = value.span()
    assert (got and tuple(d.isoformat() for d in got)) == span


def test_full_dates_in_chinese_and_unpadded():
    assert parse_day("2022年1月5日") == dt.date(2022, 1, 5)
    assert parse_day("2022-1-5") == dt.date(2022, 1, 5)


def test_every_fact_a_rule_reads_accepts_the_marker(general):
    data = copy.deepcopy(general)
    data["case"]["opened_on"] = "未载明"
    data["party"]["headcount"] = {"未载明": "未公开"}
    data["violations"][0]["penalty_basis"]["article"] = "unknown"
    data["violations"][0]["committed_on"] = "2024年3月"
    data["violations"][0]["first_offence"] = "未载明"
    data["violations"][0]["facts"]["locations_count"] = "未载明"
    data["acts"][0]["by"] = "未载明"
    data["acts"][1]["by"][0]["cert"] = "未载明"
    data["acts"][2]["on"] = "未载明"
    data["decision"]["penalties"][0]["amount"] = "未载明"
    data["documents"] = [{"title": "行政处罚决定书", "number": "（洪青）应急罚〔2024〕21号"}]
    case = CaseFile.model_validate(data)
    assert isinstance(case.acts[0].by, Unknown)
    assert isinstance(case.violations[0].committed_on, PartialDate)
    assert case.documents[0].on is None


def test_required_fields_shrink_to_the_identity_of_a_file():
    case = CaseFile.model_validate({"case": {"id": "EXPORT-0001", "agency": {"name": "某县应急管理局"}}})
    assert case.case.label.endswith("EXPORT-0001）")


def test_no_identity_is_refused_in_chinese(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("case:\n  agency: {name: 某县应急管理局}\n", encoding="utf-8")
    with pytest.raises(InputRejected) as exc:
        validate_case(read_document(path))
    assert "案号 number 与案卷编号 id 至少填写一项" in exc.value.format()


def test_a_bad_partial_date_names_file_line_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "case:\n  number: X\n  agency: {name: 某局}\nviolations:\n  - committed_on: 2022-13\n",
        encoding="utf-8",
    )
    with pytest.raises(InputRejected) as exc:
        validate_case(read_document(path))
    text = exc.value.format()
    assert f"{path}:5" in text and "violations[0].committed_on" in text and "月份 13 无效" in text


def test_schema_shows_the_marker_and_partial_dates(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "未载明" in schema["$defs"]["Unknown"]["anyOf"][0]["enum"]
    committed = json.dumps(schema["$defs"]["Violation"]["properties"]["committed_on"], ensure_ascii=False)
    assert "#/$defs/Unknown" in committed and "YYYY-MM" in committed
    assert schema["$defs"]["CaseInfo"]["required"] == ["agency"]


# -- rules on unknown facts ------------------------------------------------------------------------


def test_minimal_file_is_reviewed_and_lists_what_could_not_run(
    tmp_path, book, profile, durable, oracle, example_roster
):
    result = _both(tmp_path, MINIMAL, book, profile, durable, oracle, None)
    assert not [f for f in result.findings if f.severity in ("veto", "deduct")]
    codes = {n.code for n in result.not_run}
    assert {"PENALTIES", "ROSTER"} <= codes
    assert result.score.grade == "无法评分" and not result.score.graded
    assert all(n.reason for n in result.not_run)


def test_unknown_officers_give_review_not_veto(
    tmp_path, general, book, profile, durable, oracle, example_roster
):
    data = copy.deepcopy(general)
    data["acts"][0]["by"] = "未载明"
    result = _both(tmp_path, data, book, profile, durable, oracle, example_roster)
    cert = [f for f in result.findings if f.code == "CERT-001"]
    assert cert and all(f.severity == "review" and f.unknown for f in cert)
    assert "实施人员" in cert[0].message and "未载明" in cert[0].message


def test_absent_officers_are_a_defect(tmp_path, general, book, profile, durable, oracle, example_roster):
    data = copy.deepcopy(general)
    data["acts"][0]["by"] = [{"name": "张明", "cert": "36011120200001"}]
    result = _both(tmp_path, data, book, profile, durable, oracle, example_roster)
    assert any(f.code == "CERT-001" and f.severity == "veto" for f in result.findings)


def test_unknown_amount_never_deducts(tmp_path, general, book, profile, durable, oracle, example_roster):
    data = copy.deepcopy(general)
    data["decision"]["penalties"][0]["amount"] = {"未载明": "决定书未公开金额"}
    result = _both(tmp_path, data, book, profile, durable, oracle, example_roster)
    assert not [f for f in result.findings if f.severity in ("veto", "deduct")]
    assert any(f.unknown and "决定书未公开金额" in f.message for f in result.findings)


def _deadline_case(general: dict, opened: str, decided: str) -> dict:
    data = copy.deepcopy(general)
    data["acts"] = [a for a in data["acts"] if a["kind"] != "extension_approval"]
    data["case"]["opened_on"] = opened
    data["decision"]["decided_on"] = decided
    return data


def test_a_partial_date_decides_when_every_day_gives_the_same_answer(
    tmp_path, general, book, profile, durable, oracle, example_roster
):
    # opened some day in March 2024, decided 2024-08-01: more than 90 days whatever the day
    late = _both(
        tmp_path,
        _deadline_case(general, "2024-03", "2024-08-01"),
        book,
        profile,
        durable,
        oracle,
        example_roster,
    )
    assert [f.severity for f in late.findings if f.code == "DEAD-001"] == ["deduct"]
    # decided 2024-04-10: within 90 days whatever the day in March
    early = _both(
        tmp_path,
        _deadline_case(general, "2024-03", "2024-04-10"),
        book,
        profile,
        durable,
        oracle,
        example_roster,
    )
    assert not [f for f in early.findings if f.code == "DEAD-001"]


def test_a_partial_date_that_cannot_decide_gives_review(
    tmp_path, general, book, profile, durable, oracle, example_roster
):
    # opened in March 2024, decided 2024-06-15: day 91+ if opened before 03-17, else within 90
    result = _both(
        tmp_path,
        _deadline_case(general, "2024年3月", "2024-06-15"),
        book,
        profile,
        durable,
        oracle,
        example_roster,
    )
    dead = [f for f in result.findings if f.code == "DEAD-001"]
    assert [f.severity for f in dead] == ["review"]
    assert "2024年3月" in dead[0].message
    assert any(n.code == "DEAD-001" for n in result.not_run)


def _book_with_dead001_unknown(tmp_path: Path, root: Path, block: str):
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(root / "rules", rules)
    pack = rules / "packs" / "procedure.yaml"
    text = pack.read_text(encoding="utf-8")
    anchor = "    locate: decision.decided_on\n    explain: 立案当日不计入"
    assert anchor in text
    pack.write_text(text.replace(anchor, block + anchor, 1), encoding="utf-8")
    return load_rulebook(rules)


def test_rule_level_unknown_message(tmp_path, root, general, profile, example_roster):
    from casereview.evaluate.oracle import OracleEngine

    block = '    unknown:\n      message: "办案期限无法核对：{missing}"\n'
    book = _book_with_dead001_unknown(tmp_path, root, block)
    data = _deadline_case(general, "2024年3月", "2024-06-15")
    result = _review(
        tmp_path, data, ReviewContext(book, profile, OracleEngine(book.compiled), example_roster)
    )
    dead = [f for f in result.findings if f.code == "DEAD-001"]
    assert [f.message for f in dead] == ["办案期限无法核对：立案日期（case.opened_on）仅知「2024年3月」"]


def test_rule_level_unknown_note_mode(tmp_path, root, general, profile, example_roster):
    from casereview.evaluate.oracle import OracleEngine

    book = _book_with_dead001_unknown(tmp_path, root, "    unknown: {mode: note}\n")
    data = _deadline_case(general, "2024年3月", "2024-06-15")
    result = _review(
        tmp_path, data, ReviewContext(book, profile, OracleEngine(book.compiled), example_roster)
    )
    assert not [f for f in result.findings if f.code == "DEAD-001"]
    assert [n.reason for n in result.not_run if n.code == "DEAD-001"] == [
        "立案日期（case.opened_on）仅知「2024年3月」"
    ]


def test_unknown_needs_must_name_fields(tmp_path, root):
    with pytest.raises(PackError, match=r"unknown\.needs"):
        _book_with_dead001_unknown(tmp_path, root, "    unknown: {needs: [no_such_field]}\n")


# -- not closed, not gradable, exit codes ------------------------------------------------------------


def test_a_file_without_decision_is_not_graded(
    tmp_path, general, book, profile, durable, oracle, example_roster
):
    data = copy.deepcopy(general)
    del data["decision"]
    data["acts"] = [
        a for a in data["acts"] if a["kind"] not in ("decision", "service", "publicity", "payment")
    ]
    result = _both(tmp_path, data, book, profile, durable, oracle, example_roster)
    assert result.score.grade == "未结案" and not result.score.graded
    assert result.not_run[0].code == "GRADE"


def test_exit_code_of_an_ungraded_file(tmp_path):
    path = tmp_path / "open.yaml"
    path.write_text(
        "case: {number: 赣某应急罚〔2024〕1号, agency: {name: 某县应急管理局}, procedure: general}\n"
        "party: {kind: organisation, name: 某公司}\n",
        encoding="utf-8",
    )
    assert main(["check", str(path), "--fail-on", "veto", "--engine", "oracle"]) == EXIT_UNGRADED


def test_an_empty_rules_folder_is_an_error(tmp_path, capsys):
    empty = tmp_path / "rules"
    empty.mkdir()
    with pytest.raises(PackError) as exc:
        load_rulebook(empty)
    assert "没有规则包" in str(exc.value)
    case = tmp_path / "c.yaml"
    case.write_text("case: {number: X, agency: {name: 某局}}\n", encoding="utf-8")
    code = main(["check", str(case), "--rules", str(empty)])
    assert code == EXIT_USAGE
    assert "没有规则包" in capsys.readouterr().err


def test_a_missing_rules_folder_is_an_error(tmp_path):
    with pytest.raises(PackError, match="规则目录不存在"):
        load_rulebook(tmp_path / "nope")


def test_html_and_excel_show_the_status_and_the_checks_not_run(tmp_path, root):
    from openpyxl import load_workbook

    out = tmp_path / "out"
    files = [
        root / "casefiles" / "25-qingshanhu-jinyou-juedingri.yaml",
        root / "casefiles" / "26-xinjian-wei-jiean.yaml",
    ]
    main(["review", *map(str, files), "-o", str(out), "--no-cache", "--engine", "oracle"])
    pages = " ".join(p.read_text(encoding="utf-8") for p in sorted((out / "cases").glob("*.html")))
    assert "未能进行的检查" in pages and "不评定等次" in pages and "无法评分" in pages and "未结案" in pages
    sheet = load_workbook(out / "评查结果.xlsx").worksheets[0]
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert {"无法评分", "未结案"} <= cells
    assert "优秀" not in cells


@pytest.mark.parametrize("name", ["21-xinjian-riqi-zhi-yue.yaml", "28-nankang-huanjie-weizhi.yaml"])
def test_explain_a_file_with_unknown_facts(root, name, capsys):
    assert main(["explain", str(root / "casefiles" / name), "--rule", "DEAD-002"]) == 0
    assert "DEAD-002" in capsys.readouterr().out


def test_each_missing_fact_is_named_once():
    """Reasons of several uncertain fields that share inputs name each missing input once."""
    from casereview.evaluate.findings import WHY, missing_facts

    fact = {WHY: {"amount": "处罚内容未载明；当事人类型未记载", "target": "当事人类型未记载；程序类型未记载"}}
    named = missing_facts(fact, {"amount", "target"})
    assert named == ["处罚内容未载明", "当事人类型未记载", "程序类型未记载"]
