"""`--calendar DIR`: a year the holiday package lacks, given by the user, decides the working-day
deadlines that were 待人工评查 without it; a bad file stops the batch with a Chinese reason naming it;
the result cache does not reuse a result reviewed on another calendar."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml

from casereview.batch import BatchOptions, BatchSetupError, load_calendar, make_context, review_batch
from casereview.cache import context_fingerprint
from casereview.cli import main
from casereview.exitcodes import EXIT_USAGE

ROOT = Path(__file__).resolve().parents[1]
GENERAL = ROOT / "rules" / "examples" / "general.yaml"
ROSTER = ROOT / "rules" / "examples" / "roster.yaml"

# 2027's arrangement as a user would copy it from the State Council's notice (a test value: the
# real notice decides; only the mechanism is tested here)
YEAR_2027 = "holidays: [2027-03-08]\nworkdays: [2027-03-13]\n"


@pytest.fixture
def case_2027(tmp_path: Path) -> Path:
    """general.yaml moved to 2027: decided Fri 2027-03-05, served Wed 03-17 (8th weekday)."""
    data = yaml.safe_load(GENERAL.read_text(encoding="utf-8"))
    for act in data["acts"]:  # PyYAML reads the key `on` as true (YAML 1.1); the case loader does not
        act["on"] = act.pop(True)
    data["case"]["opened_on"] = "2027-02-01"
    for index in (2, 5):
        data["acts"][index]["on"] = "2027-02-01"
    for index in (6, 7):
        data["acts"][index]["on"] = "2027-03-05"
    data["decision"]["decided_on"] = "2027-03-05"
    for index in (8, 9, 10, 11):
        data["acts"][index]["on"] = "2027-03-17"
    del data["acts"][12]  # the base case's extension approval (dated before)
    path = tmp_path / "case-2027.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _check(*args: str) -> tuple[int, dict | None, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", *args, "--roster", str(ROSTER), "--format", "json", "--no-cache"])
    return code, (json.loads(out.getvalue())["results"][0] if out.getvalue() else None), err.getvalue()


def _service(result: dict) -> list[dict]:
    return [f for f in result["findings"] if f["code"] == "DEAD-002"]


def test_a_year_given_in_the_calendar_folder_decides_the_deadline(case_2027, tmp_path):
    _, without, _ = _check(str(case_2027))
    assert [f["severity"] for f in _service(without)] == ["review"]
    assert "CALENDAR" in {n["code"] for n in without["not_run"]}
    assert without["score"]["grade"] == "良好"  # 暂定: the deadline could not be decided

    folder = tmp_path / "日历"
    folder.mkdir()
    (folder / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    _, given, _ = _check(str(case_2027), "--calendar", str(folder))
    # 03-08 a holiday, Sat 03-13 a working day: the 17th is still the 8th working day — late
    assert [f["severity"] for f in _service(given)] == ["deduct"]
    assert "CALENDAR" not in {n["code"] for n in given["not_run"]}

    (folder / "2027.yaml").write_text("holidays: [2027-03-08]\n", encoding="utf-8")
    _, on_time, _ = _check(str(case_2027), "--calendar", str(folder))
    assert _service(on_time) == []  # the 17th is the 7th working day


def test_a_bad_calendar_file_stops_the_batch_with_a_chinese_reason(case_2027, tmp_path):
    (tmp_path / "2027.yaml").write_text("holidays: 2027-03-08\n", encoding="utf-8")
    code, result, err = _check(str(case_2027), "--calendar", str(tmp_path))
    assert code == EXIT_USAGE and result is None
    assert "日历目录无法读取" in err and "2027.yaml" in err and "holidays 应为日期列表" in err
    with pytest.raises(BatchSetupError, match="日历目录不存在"):
        review_batch([case_2027], BatchOptions(calendar=tmp_path / "无此目录", workers=0))


def test_the_result_cache_tells_calendars_apart(book, profile, tmp_path):
    (tmp_path / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    plain = make_context(book, profile, None, "oracle")
    local = make_context(book, profile, None, "oracle", calendar=load_calendar(tmp_path))
    assert context_fingerprint(plain) != context_fingerprint(local)
    (tmp_path / "2027.yaml").write_text("holidays: [2027-03-09]\n", encoding="utf-8")
    changed = make_context(book, profile, None, "oracle", calendar=load_calendar(tmp_path))
    assert context_fingerprint(changed) not in (context_fingerprint(plain), context_fingerprint(local))


def test_the_config_file_names_the_calendar_folder(case_2027, tmp_path):
    (tmp_path / "日历").mkdir()
    (tmp_path / "日历" / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    config = tmp_path / ".casereview.toml"
    config.write_text('calendar = "日历"\n', encoding="utf-8")
    _, result, err = _check(str(case_2027), "--config", str(config))
    assert result is not None, err
    assert [f["severity"] for f in _service(result)] == ["deduct"]
