"""The command line as a case handler uses it: exit codes, JSON shape, bad input never stops a batch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from casereview.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "rules" / "examples"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_file_exits_zero_and_says_no_problems(capsys):
    code, out, _ = run(
        capsys, "check", str(EXAMPLES / "general.yaml"), "--roster", str(EXAMPLES / "roster.yaml")
    )
    assert code == 0
    assert "未发现问题" in out and "得分：100" in out


def test_veto_finding_exits_one_with_code_citation_and_location(tmp_path, capsys):
    text = (EXAMPLES / "general.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace(
            '{name: 李华, cert: "36011120200002"}], recorded: video, documents: [询问笔录]',
            "{name: 陈工, role: technical_inspector}], recorded: video, documents: [询问笔录]",
        ),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "check", str(bad), "--roster", str(EXAMPLES / "roster.yaml"))
    assert code == 1
    assert "CERT-001" in out and "不合格" in out
    assert "行政处罚法》（2021）第42条第1款" in out
    assert f"{bad}:" in out  # location names the file and line


def test_fail_on_threshold(tmp_path, capsys):
    # an unverifiable officer is a `review` finding: below the default threshold (deduct)
    text = (
        (EXAMPLES / "general.yaml").read_text(encoding="utf-8").replace("36011120200002", "36019999999999", 1)
    )
    case = tmp_path / "review.yaml"
    case.write_text(text, encoding="utf-8")
    roster = str(EXAMPLES / "roster.yaml")
    assert run(capsys, "check", str(case), "--roster", roster)[0] == 0
    assert run(capsys, "check", str(case), "--roster", roster, "--fail-on", "review")[0] == 1


def test_json_output_is_versioned_and_complete(capsys):
    _, out, _ = run(
        capsys,
        "check",
        str(EXAMPLES / "general.yaml"),
        "--format",
        "json",
        "--roster",
        str(EXAMPLES / "roster.yaml"),
    )
    doc = json.loads(out)
    assert doc["schema"] == "casereview.result" and doc["schema_version"]
    (result,) = doc["results"]
    assert result["status"] == "reviewed" and result["score"]["grade"] == "优秀"


def test_bad_file_is_reported_and_batch_goes_on(tmp_path, capsys):
    shutil.copy(EXAMPLES / "general.yaml", tmp_path / "a-good.yaml")
    (tmp_path / "b-broken.yaml").write_text("case: [unclosed\n", encoding="utf-8")
    (tmp_path / "c-gbk-junk.yaml").write_bytes(b"\x00\x01\xff\xfe junk")
    bad_type = (
        (EXAMPLES / "general.yaml").read_text(encoding="utf-8").replace("amount: 15000", 'amount: "1.5万"')
    )
    (tmp_path / "d-type.yaml").write_text(bad_type, encoding="utf-8")
    code, out, _ = run(
        capsys, "check", str(tmp_path), "--format", "json", "--roster", str(EXAMPLES / "roster.yaml")
    )
    assert code == 2
    results = {Path(r["file"]).name: r for r in json.loads(out)["results"]}
    assert set(results) == {"a-good.yaml", "b-broken.yaml", "c-gbk-junk.yaml", "d-type.yaml"}
    assert results["a-good.yaml"]["status"] == "reviewed"
    for name in ("b-broken.yaml", "c-gbk-junk.yaml", "d-type.yaml"):
        assert results[name]["status"] == "rejected" and results[name]["errors"]
    (err,) = results["d-type.yaml"]["errors"]
    assert err["field"] == "decision.penalties[0].amount" and err["line"] and "整数" in err["message"]


def test_missing_roster_makes_officers_unverifiable_not_passing(capsys):
    code, out, _ = run(capsys, "check", str(EXAMPLES / "general.yaml"), "--fail-on", "review")
    assert code == 1
    assert "CERT-003" in out and "证件台账" in out


@pytest.mark.parametrize("engine", ["oracle", "durable"])
def test_both_engines_give_the_same_json(engine, capsys):
    _, out, _ = run(capsys, "check", str(EXAMPLES / "general.yaml"), "--format", "json", "--engine", engine)
    findings = json.loads(out)["results"][0]["findings"]
    assert {f["code"] for f in findings} == {"CERT-003"}


def test_schema_command_prints_json_schema(capsys):
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and "case" in schema["properties"]
    assert schema["$defs"]["Procedure"]["x-labels"]["general"] == "一般程序"


def test_rules_and_explain(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "CERT-001" in out
    code, out, _ = run(capsys, "explain", "CERT-001")
    assert code == 0 and "执法人员不得少于两人" in out and "条件" in out
    assert run(capsys, "explain", "NOPE-999")[0] == 3  # a usage error, not a rejected input


def test_broken_pack_is_refused_with_file_line_and_code(tmp_path, capsys):
    pack = tmp_path / "bad.yaml"
    pack.write_text(
        "pack: {id: bad, title: 坏包, version: '1'}\nrules:\n  - code: BAD-001\n    title: t\n"
        "    category: procedure\n"
        "    severity: veto\n    applies_to: case\n    basis: [{instrument: x, verification: official}]\n"
        "    when: no_such_field == 1\n    message: m\n    examples: {fail: [{}], pass: [{}]}\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "rules", "--pack", str(pack))
    assert code == 2
    assert f"{pack}:3 BAD-001" in err and "未知字段 no_such_field" in err


def test_a_parameter_is_defined_once_and_conflicting_redefinitions_are_refused(tmp_path, capsys):
    from casereview.packs.loader import load_rulebook

    book = load_rulebook()
    assert "review_line_org" in book.parameters  # legal-review.yaml defines it, three-systems.yaml uses it
    pack = tmp_path / "dup.yaml"
    pack.write_text(
        "pack: {id: dup, title: 重复参数, version: '1'}\nparameters:\n  review_line_org:\n"
        "    description: 另一个取值\n    date_field: decided_on\n    values:\n"
        "      - {value: 1, basis: [{instrument: x, verification: example}]}\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "rules", "--pack", str(pack))
    assert code == 2 and "参数 review_line_org 已在" in err
