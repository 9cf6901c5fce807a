"""行政处罚法 arts. 30 and 32 in a review: a minor party, and a mandatory mitigation ground not applied.

The age is the file's `party.age` or the birth date in the identity number on the day the
violation was committed. Real exports mask the number or omit it: then the age is unknown and
the file gets a 待人工评查 item naming what is missing — never a veto, never 优秀. Checked on both
engines, on the rule examples' base case with only the party (or the grounds) changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.derive.identity import birth_date, party_age
from casereview.derive.unsure import Unsure
from casereview.model.case import Party

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "rules" / "examples"
ENGINES = ["durable", "oracle"]
ORGANISATION = "  kind: organisation\n  name: 江西某机械制造有限公司\n  credit_code: 91360111MA35XXXX0A\n"
NONE_ADJUSTED = "adjustment: none, stated_in_decision: true}"


def _review(tmp_path: Path, engine: str, party: str | None = None, discretion: str | None = None) -> dict:
    text = (EXAMPLES / "general.yaml").read_text(encoding="utf-8")
    if party is not None:  # a citizen fined 15,000 元 has the right to a hearing: notified
        text = text.replace(ORGANISATION, party).replace(
            "hearing_right_notified: false", "hearing_right_notified: true"
        )
    if discretion is not None:
        text = text.replace(NONE_ADJUSTED, discretion)
    path = tmp_path / f"case-{engine}.yaml"
    path.write_text(text, encoding="utf-8")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        roster = str(EXAMPLES / "roster.yaml")
        main(["check", str(path), "--roster", roster, "--format", "json", "--no-cache", "--engine", engine])
    return json.loads(buffer.getvalue())["results"][0]


def _citizen(id_number: str | None = None, age: int | None = None) -> str:
    text = "  kind: individual\n  name: 张某\n"
    if id_number is not None:
        text += f'  id_number: "{id_number}"\n'
    if age is not None:
        text += f"  age: {age}\n"
    return text


def _findings(result: dict, code: str) -> list[dict]:
    return [f for f in result["findings"] if f["code"] == code]


# the base case's violation was committed on 2024-03-04
BORN_2010 = "360111201005050128"  # 13 on that day
BORN_2007 = "360111200706010124"  # 16
BORN_1985 = "360111198501010120"  # 39
BIRTHDAY_18 = "360111200603040128"  # turned 18 that very day


@pytest.mark.parametrize("engine", ENGINES)
def test_a_party_under_fourteen_fined_is_a_veto(tmp_path, engine):
    result = _review(tmp_path, engine, _citizen(BORN_2010))
    [finding] = _findings(result, "EXM-009")
    assert finding["severity"] == "veto" and "13 周岁" in finding["message"]
    assert result["score"]["grade"] == "不合格"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_sixteen_year_old_fined_without_mitigation_is_a_veto_and_with_it_passes(tmp_path, engine):
    [finding] = _findings(_review(tmp_path, engine, _citizen(BORN_2007)), "EXM-009")
    assert finding["severity"] == "veto" and "16 周岁" in finding["message"]
    lighter = "adjustment: lighter, grounds: [minor_age], stated_in_decision: true}"
    assert not _findings(_review(tmp_path, engine, _citizen(BORN_2007), lighter), "EXM-009")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_adult_and_an_organisation_pass(tmp_path, engine):
    assert not _findings(_review(tmp_path, engine, _citizen(BORN_1985)), "EXM-009")
    assert not _findings(_review(tmp_path, engine, _citizen(age=45)), "EXM-009")
    assert not _findings(_review(tmp_path, engine), "EXM-009")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("party", "named"),
    [
        (_citizen(), "未载明"),
        (_citizen("360111********0128"), "脱敏"),
        (_citizen(BIRTHDAY_18), "恰为当事人满 18 周岁的生日"),
        (_citizen("3601112007"), "位数"),
    ],
)
def test_an_age_not_known_is_a_review_item_never_a_veto_nor_excellent(tmp_path, engine, party, named):
    result = _review(tmp_path, engine, party)
    [finding] = _findings(result, "EXM-009")
    assert finding["severity"] == "review" and named in finding["message"]
    assert "行政处罚法第三十条" in finding["message"]
    assert not result["score"]["vetoed"]
    assert result["score"]["provisional"] >= 1 and result["score"]["grade"] != "优秀"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stated_mandatory_ground_without_mitigation_deducts(tmp_path, engine):
    ground = "主动消除或者减轻违法行为危害后果（第三十二条第一项）"  # a label, as exports write it
    grounds = f"adjustment: none, grounds: [{ground}], stated_in_decision: true}}"
    result = _review(tmp_path, engine, discretion=grounds)
    [finding] = _findings(result, "EXM-010")
    assert (
        finding["severity"] == "deduct"
        and "主动消除" in finding["message"]
        and "「一般」" in finding["message"]
    )
    applied = grounds.replace("adjustment: none", "adjustment: lighter")
    assert not _findings(_review(tmp_path, engine, discretion=applied), "EXM-010")
    # art. 31's ground is "may" mitigate, not "must"
    may = "adjustment: none, grounds: [limited_capacity], stated_in_decision: true}"
    assert not _findings(_review(tmp_path, engine, discretion=may), "EXM-010")


@pytest.mark.parametrize("engine", ENGINES)
def test_grounds_not_known_are_a_review_item(tmp_path, engine):
    result = _review(
        tmp_path, engine, discretion="adjustment: none, grounds: 未载明, stated_in_decision: true}"
    )
    [finding] = _findings(result, "EXM-010")
    assert finding["severity"] == "review" and "grounds" in finding["message"]
    assert result["score"]["grade"] != "优秀"


def test_birth_dates_from_identity_numbers():
    assert birth_date(BORN_2007) == (dt.date(2007, 6, 1), "")
    assert birth_date("36011120070601012x")[0] == dt.date(2007, 6, 1)  # lower-case check character
    assert birth_date("360111800601012") == (dt.date(1980, 6, 1), "")  # the old 15-digit form
    assert birth_date("36011120070601****")[0] == dt.date(2007, 6, 1)  # masked after the birth date
    for text, why in [
        ("360111********0128", "脱敏"),
        ("360111200713010124", "不是有效日期"),
        ("36011120070601", "位数"),
    ]:
        born, reason = birth_date(text)
        assert born is None and why in reason


def _day(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal()


def test_the_age_on_the_day_the_violation_was_committed():
    citizen = Party.model_validate({"kind": "individual", "id_number": BORN_2007})
    assert party_age(citizen, _day("2025-05-31"), None) == 17
    assert party_age(citizen, _day("2025-06-02"), None) == 18
    birthday = party_age(citizen, _day("2025-06-01"), None)
    assert isinstance(birthday, Unsure) and (birthday.lo, birthday.hi) == (17, 18)
    # a date known only to the month that spans the 18th birthday
    month = party_age(citizen, Unsure(_day("2025-06-01"), _day("2025-06-30"), ("只知年月",)), None)
    assert isinstance(month, Unsure) and (month.lo, month.hi) == (17, 18)
    # an unknown date is bounded by the discovery: never older than then, younger unknown
    unknown = party_age(citizen, Unsure(None, None, ("发生日未记载",)), _day("2024-01-01"))
    assert isinstance(unknown, Unsure) and (unknown.lo, unknown.hi) == (None, 16)
    organisation = Party.model_validate({"kind": "organisation", "id_number": BORN_2007})
    assert party_age(organisation, _day("2025-05-31"), None) is None
    stated = Party.model_validate({"kind": "individual", "id_number": BORN_2007, "age": 40})
    assert party_age(stated, _day("2025-05-31"), None) == 40  # the file's stated age wins
    # a birth date of its own wins over the number; known to the month, it is an interval
    born = Party.model_validate({"kind": "individual", "born_on": "2007-06-01", "id_number": BORN_1985})
    assert party_age(born, _day("2025-05-31"), None) == 17
    month = Party.model_validate({"kind": "individual", "born_on": "2007-06"})
    assert party_age(month, _day("2025-07-01"), None) == 18  # every day of June 2007 gives 18
    spanning = party_age(month, _day("2025-06-15"), None)
    assert isinstance(spanning, Unsure) and (spanning.lo, spanning.hi) == (17, 18)
    assert "仅知「2007-06」" in spanning.why[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_birth_date_known_to_the_month_still_decides_when_it_can(tmp_path, engine):
    party = "  kind: individual\n  name: 张某\n  born_on: 2010-05\n"  # 13 whatever the day
    [finding] = _findings(_review(tmp_path, engine, party), "EXM-009")
    assert finding["severity"] == "veto" and "13 周岁" in finding["message"]


def test_an_age_that_disagrees_with_its_quoted_text_is_refused(edited_rules):
    """十四周岁 in the quote, 16 in the value: the pack does not load (the 周岁 unit is checked)."""
    from casereview.packs.loader import PackError, load_rulebook

    root = edited_rules("lists", "  minor_no_penalty_age:", "        value: 14\n", "        value: 16\n")
    with pytest.raises(PackError, match="minor_no_penalty_age"):
        load_rulebook(root)
