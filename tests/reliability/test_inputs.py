# ruff: noqa: RUF005  (command lines read better as the sum of their parts)
"""Issue 13 items 3, 4, 5 and 6: no input stops another file's report, bad numbers are errors
on both engines, 400 near-identical rules do not hang durable, and every report masks personal
numbers in every shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from casereview.cli import main

from .conftest import ROOT, copy_case

# --- item 3: one bad file never stops the batch -------------------------------------------


@pytest.mark.parametrize(
    "name, text",
    [
        (
            "ctl.yaml",
            lambda t: t.replace("name: 江西某机械制造有限公司\n", 'name: "江西某\\x01机械制造有限公司"\n'),
        ),
        ("esc.yaml", lambda t: t.replace("title: 江西", 'title: "\\x1b[31m江西"\n  # ', 1)),
    ],
)
def test_control_characters_from_escapes_are_rejected_per_file(tmp_path, name, text):
    src = tmp_path / "in"
    copy_case(src / "good.yaml")
    copy_case(src / name, text)
    out = tmp_path / "out"
    code = main(["review", str(src), "-o", str(out), "--no-cache", "--workers", "0", "--engine", "oracle"])
    assert code == 2
    results = {
        Path(r["file"]).name: r for r in json.loads((out / "results.json").read_text("utf-8"))["results"]
    }
    assert results["good.yaml"]["status"] == "reviewed"
    bad = results[name]
    assert bad["status"] == "rejected" and "控制字符" in bad["errors"][0]["message"]
    assert bad["errors"][0]["line"] and bad["errors"][0]["field"]
    assert (out / "评查结果.xlsx").stat().st_size > 0 and (out / "index.html").exists()


def test_a_json_escape_surrogate_is_rejected_not_a_crash(tmp_path):
    src = tmp_path / "in"
    copy_case(src / "good.yaml")
    (src / "sur.json").write_text('{"case": {"number": "A\\ud800B"}}', encoding="utf-8")
    out = tmp_path / "out"
    code = main(["review", str(src), "-o", str(out), "--no-cache", "--workers", "0", "--engine", "oracle"])
    assert code == 2
    results = json.loads((out / "results.json").read_text("utf-8"))["results"]
    assert {r["status"] for r in results} == {"reviewed", "rejected"}


def _non_utf8_folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    copy_case(src / "good.yaml")
    raw = os.fsencode(src) + b"/bad\xff\xfe-\x01name.yaml"
    with open(raw, "wb") as handle:
        handle.write((ROOT / "rules" / "examples" / "general.yaml").read_bytes())
    return src


def test_a_non_utf8_file_name_is_reported_in_every_format(tmp_path):
    src = _non_utf8_folder(tmp_path)
    out = tmp_path / "out"
    code = main(
        ["review", str(src), "-o", str(out), "--format"]
        + ["html,xlsx,json,junit,sarif", "--no-cache", "--workers", "0", "--engine", "oracle"]
    )
    assert code in (0, 1)
    results = json.loads((out / "results.json").read_text("utf-8"))["results"]
    names = sorted(Path(r["file"]).name for r in results)
    assert names == ["bad\\xff\\xfe-\\x01name.yaml", "good.yaml"]
    for written in ("index.html", "junit.xml", "results.sarif", "评查结果.xlsx"):
        assert (out / written).stat().st_size > 0
    import xml.etree.ElementTree as ET

    ET.parse(out / "junit.xml")  # well-formed XML


@pytest.mark.parametrize("fmt", ["json", "text", "junit", "sarif"])
def test_check_prints_a_non_utf8_file_name(tmp_path, fmt):
    src = _non_utf8_folder(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "casereview.cli", "check", str(src), "--format"]
        + [fmt, "--no-cache", "--workers", "0", "--engine", "oracle"],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr.decode("utf-8", "replace")
    text = proc.stdout.decode("utf-8")  # valid UTF-8 throughout
    assert "xff" in text and "xfe" in text
    if fmt in ("json", "sarif"):
        json.loads(text)


# --- item 4: numbers that are not numbers -------------------------------------------------


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "两处", '"2"', "2.5", "true"])
@pytest.mark.parametrize("engine", ["durable", "oracle"])
def test_a_bad_numeric_fact_is_an_error_with_file_line_field(tmp_path, capsys, value, engine):
    case = copy_case(
        tmp_path / "case.yaml",
        lambda t: t.replace("facts: {locations_count: 2}", f"facts: {{locations_count: {value}}}"),
    )
    code = main(["check", str(case), "--format", "json", "--no-cache", "--engine", engine])
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert code == 2 and result["status"] == "rejected", result.get("score")
    error = result["errors"][0]
    assert error["line"] == 28 and error["field"] == "violations[0].facts.locations_count"


def test_json_nan_in_a_numeric_fact_is_an_error(tmp_path, capsys):
    from casereview.load import read_document

    data = read_document(ROOT / "rules" / "examples" / "general.yaml").data
    data["violations"][0]["facts"]["locations_count"] = float("nan")
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    code = main(["check", str(path), "--format", "json", "--no-cache", "--engine", "oracle"])
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert code == 2 and result["status"] == "rejected"
    assert result["errors"][0]["line"]  # the JSON reader refuses NaN where it stands


# --- item 5: 400 near-identical rules -----------------------------------------------------


def _many_rules(path: Path, n: int, same: bool) -> Path:
    rules = []
    for i in range(n):
        threshold = 100 if same else i
        rules.append(
            f"""  - code: X{"ABCDEFGH"[i // 100]}-{i % 100:03d}
    title: 附加规则{i}
    category: documents
    severity: warn
    applies_to: case
    basis:
      - instrument: 中华人民共和国行政处罚法
        version: "2021"
        article: 48
        verification: official
    when:
      all:
        - outcome == penalty
        - fine_total > {threshold}
    message: 附加规则{i}
    examples:
      fail: [{{note: x}}]
      pass: [{{note: x}}]
"""
        )
    path.write_text('pack:\n  id: many\n  title: 附加\n  version: "1"\n\nrules:\n' + "".join(rules), "utf-8")
    return path


@pytest.mark.parametrize("same", [True, False], ids=["identical", "near-identical"])
def test_400_near_identical_extra_rules_do_not_hang_and_engines_agree(tmp_path, same):
    pack = _many_rules(tmp_path / "many.yaml", 400, same)
    case = copy_case(tmp_path / "case.yaml")
    outputs = {}
    for engine in ("durable", "oracle"):
        proc = subprocess.run(
            [sys.executable, "-m", "casereview.cli", "check", str(case), "--pack", str(pack)]
            + ["--format", "json", "--no-cache", "--engine", engine, "--workers", "1"],
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert proc.returncode in (0, 1), proc.stderr
        [result] = json.loads(proc.stdout)["results"]
        assert result["status"] == "reviewed"
        outputs[engine] = sorted((f["code"], f["location"]["field"]) for f in result["findings"])
    assert outputs["durable"] == outputs["oracle"]
    assert sum(code.startswith("X") for code, _ in outputs["durable"]) == 400


# --- item 6: masking ----------------------------------------------------------------------

PERSONAL = {
    "mobile": "13812345678",
    "spaced": "138 1234 5678",
    "hyphen": "138-1234-5678",
    "plus86": "+86 138 1234 5678",
    "fullwidth": "１３８１２３４５６７８",
    "id18": "36010219900101123X",
    "id15": "360102900101123",
    "run": "990136010219900101123499",
}


def _personal_case(tmp_path: Path) -> Path:
    """Every shape in the party's name (quoted in results, findings, every report) and a mobile
    number in the file name."""

    def edit(text: str) -> str:
        shapes = "；".join(f"{k}：{v}" for k, v in PERSONAL.items())
        return text.replace("name: 江西某机械制造有限公司\n", f"name: 江西某机械制造有限公司（{shapes}）\n")

    return copy_case(tmp_path / "in" / "张三13812345678.yaml", edit)


def _leaks(text: str) -> list[str]:
    import re

    digits = re.sub(r"[ \-+]", "", text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    secrets_ = ["12345678", "199001011", "9001011"]  # the hidden middles of the numbers above
    return [s for s in secrets_ if s in digits]


def test_every_review_format_masks_every_number_shape(tmp_path):
    _personal_case(tmp_path)
    out = tmp_path / "out"
    main(
        ["review", str(tmp_path / "in"), "-o", str(out), "--format", "html,xlsx,json,junit,sarif"]
        + ["--no-cache", "--workers", "0", "--engine", "oracle", "--fail-on", "veto"]
    )
    import zipfile

    texts = {
        "results.json": (out / "results.json").read_text("utf-8"),
        "junit.xml": (out / "junit.xml").read_text("utf-8"),
        "results.sarif": (out / "results.sarif").read_text("utf-8"),
        "index.html": (out / "index.html").read_text("utf-8"),
        "case.html": "".join(p.read_text("utf-8") for p in (out / "cases").glob("*.html")),
        "xlsx": "".join(
            zipfile.ZipFile(out / "评查结果.xlsx").read(n).decode("utf-8")
            for n in zipfile.ZipFile(out / "评查结果.xlsx").namelist()
            if n.endswith(".xml")
        ),
    }
    leaks = {name: _leaks(text) for name, text in texts.items()}
    assert not any(leaks.values()), leaks
    assert "138****5678" in texts["results.json"] or "138 **** 5678" in texts["results.json"]


def test_no_mask_shows_the_numbers(tmp_path):
    _personal_case(tmp_path)
    out = tmp_path / "out"
    main(
        ["review", str(tmp_path / "in"), "-o", str(out), "--format", "json,junit", "--no-mask", "--no-cache"]
    )
    assert "13812345678" in (out / "results.json").read_text("utf-8")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("手机13812345678", "手机138****5678"),
        ("138 1234 5678", "138 **** 5678"),
        ("138-1234-5678", "138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("+8613812345678", "+86138****5678"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("身份证360102199001011234", "身份证3601**********1234"),
        ("36010219900101123x", "3601**********123x"),
        ("360102900101123", "3601*******1123"),
        ("360102 19900101 1234", "3601** ******** 1234"),
        ("账号6222021234567890123", "账号622************0123"),
        ("99913812345678999", "999**********8999"),
        ("ID360102199001011234", "ID3601**********1234"),
        ("1836010219900101123X", "183*************123X"),
    ],
)
def test_the_masker_covers_every_shape(text, expected):
    from casereview.report.masking import mask

    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "罚款幅度 100000-300000 元",
        "2024-04-10",
        "（洪青）应急罚〔2024〕21号",
        "91360111MA35XXXX0A",
        "1234567890",
    ],
)
def test_the_masker_leaves_amounts_dates_and_codes(text):
    from casereview.report.masking import mask

    assert mask(text) == text
