"""`casereview review DIR -o OUT`: every input file appears in every output, even when inputs are
malformed, not UTF-8, or crash the worker reviewing them."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from casereview.cli import EXIT_INPUT, EXIT_USAGE, main  # noqa: E402

CASEFILES = ROOT / "casefiles"


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    good = sorted(CASEFILES.glob("0[1-3]-*.yaml"))[:2]
    for p in good:
        shutil.copy(p, src / p.name)
    shutil.copy(good[0], src / "crashme-copy.yaml")
    (src / "malformed.yaml").write_text("case: [unclosed\n  party: :\n", encoding="utf-8")
    (src / "empty-fields.yaml").write_text("schema_version: '1'\ncase: {}\n", encoding="utf-8")
    (src / "latin1.yaml").write_bytes("case:\n  title: caf\xe9 \xff\xfe\n".encode("latin-1"))
    return src


def run(args: list[str]) -> int:
    return main([str(a) for a in args])


def test_review_reports_every_file(batch: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ON", "crashme")
    out = tmp_path / "out"
    code = run(
        [
            "review",
            batch,
            "-o",
            out,
            "--roster",
            CASEFILES / "roster.yaml",
            "--engine",
            "oracle",
            "--workers",
            "2",
            "--format",
            "html,xlsx,json,junit,sarif",
        ]
    )
    assert code == EXIT_INPUT  # some files could not be reviewed
    inputs = sorted(str(p) for p in batch.iterdir())
    summary_line = capsys.readouterr().out
    assert f"共 {len(inputs)} 个文件" in summary_line and "评查完成" in summary_line

    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "casereview.result" and doc["schema_version"]
    assert sorted(r["file"] for r in doc["results"]) == inputs
    status = {Path(r["file"]).name: r for r in doc["results"]}
    for name in ("malformed.yaml", "empty-fields.yaml", "latin1.yaml"):
        assert status[name]["status"] == "rejected" and status[name]["errors"], name
    assert doc["analysis"]["campaign"]["files"] == len(inputs)
    assert len(doc["analysis"]["rejected"]) == 3

    index = (out / "index.html").read_text(encoding="utf-8")
    for name in ("malformed.yaml", "empty-fields.yaml", "latin1.yaml"):
        assert name in index
    assert len(list((out / "cases").glob("*.html"))) == len(inputs)
    assert (out / "style.css").is_file()

    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(out / "评查结果.xlsx")
    assert wb["评查结果汇总表"].max_row == 3 + len(inputs)  # title, run line, header, one row per file

    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert sorted(s.get("name") for s in suites) == inputs
    sarif = json.loads((out / "results.sarif").read_text(encoding="utf-8"))
    rejected_uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "INPUT-000"
    }
    assert {"malformed.yaml", "empty-fields.yaml", "latin1.yaml"} == {Path(u).name for u in rejected_uris}


def test_review_clean_batch_exit_and_masking(tmp_path: Path):
    src = tmp_path / "in"
    src.mkdir()
    first = sorted(CASEFILES.glob("01-*.yaml"))[0]
    shutil.copy(first, src / first.name)
    text = first.read_text(encoding="utf-8")
    out_masked, out_plain = tmp_path / "m", tmp_path / "p"
    common = [
        "--roster",
        CASEFILES / "roster.yaml",
        "--engine",
        "oracle",
        "--workers",
        "0",
        "--fail-on",
        "veto",
    ]
    assert run(["review", src, "-o", out_masked, *common]) in (0, 1)
    assert run(["review", src, "-o", out_plain, "--no-mask", *common]) in (0, 1)
    import re

    phones = re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    masked = (out_masked / "results.json").read_text(encoding="utf-8")
    assert json.loads(masked)["masked"] is True
    for phone in phones:
        assert phone not in masked
        assert phone not in (out_masked / "cases" / "1.html").read_text(encoding="utf-8")


def test_review_unknown_format(tmp_path: Path, capsys):
    assert run(["review", CASEFILES, "-o", tmp_path / "o", "--format", "pdf"]) == EXIT_USAGE
    assert "pdf" in capsys.readouterr().err


def test_check_sarif_and_junit(capsys):
    files = sorted(CASEFILES.glob("0[1-2]-*.yaml"))
    args = ["check", *files, "--roster", CASEFILES / "roster.yaml", "--engine", "oracle", "--workers", "0"]
    run([*args, "--format", "sarif"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == "2.1.0" and doc["runs"][0]["tool"]["driver"]["rules"]
    run([*args, "--format", "junit"])
    root = ET.fromstring(capsys.readouterr().out)
    assert len(root.findall("testsuite")) == len(files)


def test_crashed_worker_file_is_re_reviewed(batch: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CASEREVIEW_TEST_CRASH_ON", "crashme")
    out = tmp_path / "out"
    run(["review", batch, "-o", out, "--engine", "oracle", "--workers", "2", "--format", "json"])
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    status = {Path(r["file"]).name: r for r in doc["results"]}
    crashed = status["crashme-copy.yaml"]
    assert crashed["status"] == "reviewed"
    assert any("崩溃" in n or "异常退出" in n for n in crashed["notes"])
    assert "缺少必填字段" in status["empty-fields.yaml"]["errors"][0]["message"]
