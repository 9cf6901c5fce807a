"""`casereview check casefiles/` gives each sample exactly its planted findings (casefiles/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casereview.cli import main

CASEFILES = Path(__file__).resolve().parents[1] / "casefiles"

# file prefix → (codes expected, grade expected). BM-011 (提示, not scored): the Jiangxi agency applies
# Shanxi's 晋应急发〔2021〕260号 (the only official tier table shipped) — another region's benchmark.
EXPECTED = {
    "01": ({"BM-011"}, "优秀"),
    "02": ({"BM-011"}, "优秀"),
    "03": (set(), "优秀"),
    "04": (set(), "优秀"),
    "05": ({"AMT-001", "BM-001", "BM-011"}, "不合格"),  # 80,000 above art. 99's 50,000 maximum
    "06": ({"AMT-002", "BM-011"}, "不合格"),  # personal fine under art. 97 in the first branch
    "07": ({"CERT-001", "TS-004", "BM-011"}, "不合格"),  # inquiry by one officer and a technical inspector
    "08": ({"CERT-001", "CERT-002"}, "不合格"),  # certificate expired the day before the inspection
    # officer not in the roster: 待人工评查, not a fail; the certificate veto could not be checked: 暂定 良好
    "09": ({"CERT-003", "BM-011"}, "良好"),
    "10": ({"AMT-013", "LR-001", "TS-003"}, "不合格"),  # no legal review after a hearing; art. 98: persons
    "11": ({"BM-003", "DEAD-002"}, "良好"),  # served on the 9th working day; tier not stated
    "12": ({"BM-001", "BM-002", "BM-011"}, "良好"),  # 4 locations claimed as tier 2
    "13": ({"AMT-013", "LR-004", "BM-011"}, "优秀"),  # reviewer is a case handler; art. 108 persons
    "14": (set(), "优秀"),  # exemption correctly applied
    "15": ({"EXM-003", "EXM-007"}, "良好"),  # exemption without its conditions, no education record
    # refused stop order on a major hazard, no transfer: 待人工评查 (a veto only a person decides): 暂定
    "16": ({"AMT-017", "TR-001"}, "良好"),
    "17": ({"DEAD-001", "DEAD-006", "BM-011"}, "优秀"),  # decision after 90 days without extension
    "18": ({"HEAR-003", "HEAR-005", "BM-011"}, "不合格"),  # hearing notified late, decided before it
    "19": ({"DEAD-002"}, "优秀"),  # 2026 case: late service, 令第18号 numbers unverified
    # seizure without audio-video record; no release or handling of the seized cylinders recorded:
    # the period (行政强制法 art. 25) could not be checked (CM-003, 待人工评查 → 暂定, at most 良好)
    "20": ({"TS-002", "BM-011", "CM-003"}, "良好"),
    # a township office inspected and ordered correction for the county bureau: no 委托书 in the file,
    # the township's officers are not in the bureau's roster
    "32": ({"BODY-004", "CERT-003"}, "良好"),
    # 应急〔2024〕90号 阶次A (rows not loaded: the tier could not be checked, 暂定) and Shanxi's expired
    # 260号 applied in Jiangxi
    "33": ({"BM-010", "BM-011", "BM-004"}, "良好"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("samples") / "out.json"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main(["check", str(CASEFILES), "--roster", str(CASEFILES / "roster.yaml"), "--format", "json"])
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return {Path(r["file"]).name[:2]: r for r in json.loads(buffer.getvalue())["results"]}


def test_every_sample_is_reviewed(results):
    assert len(results) >= 20
    assert all(r["status"] == "reviewed" for r in results.values())


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_sample_shows_its_planted_findings(results, prefix):
    codes, grade = EXPECTED[prefix]
    result = results[prefix]
    assert {f["code"] for f in result["findings"]} == codes, result["file"]
    assert result["score"]["grade"] == grade, result["file"]


def test_csv_roster_gives_the_same_verdicts(results, capsys):
    main(["check", str(CASEFILES), "--roster", str(CASEFILES / "roster.csv"), "--format", "json"])
    via_csv = {Path(r["file"]).name[:2]: r for r in json.loads(capsys.readouterr().out)["results"]}
    for prefix, result in results.items():
        assert {f["code"] for f in via_csv[prefix]["findings"]} == {f["code"] for f in result["findings"]}, (
            prefix
        )


def test_the_2026_case_says_the_new_measures_are_unverified(results):
    notes = " ".join(n for f in results["19"]["findings"] for n in f["notes"])
    assert "第18号" in notes and "未核实" in notes


def test_acting_body_and_wild_benchmark_findings_name_what_they_are_about(results):
    """32: the finding names the township and its acts; 33: the unloaded benchmark is named, never silent."""
    body = next(f for f in results["32"]["findings"] if f["code"] == "BODY-004")
    assert "青河镇人民政府" in body["message"] and "现场检查" in body["message"]
    assert body["severity"] == "deduct"
    certs = [f for f in results["32"]["findings"] if f["code"] == "CERT-003"]
    assert certs and all("青河镇人民政府" in f["message"] for f in certs)
    loaded = next(f for f in results["33"]["findings"] if f["code"] == "BM-010")
    assert "基准未加载，阶次未核查" in loaded["message"] and "应急〔2024〕90号" in loaded["message"]
    assert loaded["severity"] == "review"
    assert {f["severity"] for f in results["33"]["findings"]} <= {"review", "warn"}
