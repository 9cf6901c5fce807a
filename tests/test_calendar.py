from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from casereview.derive.calendar import DayCount, WorkCalendar, default_calendar

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="module")
def strict_cal() -> WorkCalendar:
    return WorkCalendar(count_in_lieu_workdays=False)


def test_package_data_for_2024_national_day_is_as_assumed():
    assert all(not chinese_calendar.is_workday(D("2024-10-01") + timedelta(days=i)) for i in range(7))
    assert chinese_calendar.is_workday(D("2024-09-29"))  # Sunday 调休 workday
    assert chinese_calendar.is_workday(D("2024-10-12"))  # Saturday 调休 workday
    assert chinese_calendar.is_workday(D("2024-10-08"))


def test_7th_and_8th_working_day_across_2024_national_day(cal):
    # 09-27 (1), 09-29 Sun 调休 (2), 09-30 (3), 10-08..11 (4-7), 10-12 Sat 调休 (8)
    assert cal.add_workdays(D("2024-09-26"), 7)[0] == D("2024-10-11")
    assert cal.add_workdays(D("2024-09-26"), 8)[0] == D("2024-10-12")
    assert cal.workdays_between(D("2024-09-26"), D("2024-10-11")) == DayCount(7, True, ())
    assert cal.workdays_between(D("2024-09-26"), D("2024-10-12")).days == 8


def test_notice_served_2026_02_12_fifth_and_seventh_working_day(cal):
    assert cal.add_workdays(D("2026-02-12"), 5)[0] == D("2026-02-26")
    day7, count = cal.add_workdays(D("2026-02-12"), 7)
    assert day7 == D("2026-02-28")  # a 调休 Saturday
    assert count == DayCount(7, True, ())


def test_not_counting_in_lieu_workdays_skips_the_tiaoxiu_saturday(cal, strict_cal):
    assert cal.is_workday(D("2026-02-28")) == (True, True)
    assert strict_cal.is_workday(D("2026-02-28")) == (False, True)
    # without 2026-02-14 and 2026-02-28 the 5th/7th working days move out
    assert strict_cal.add_workdays(D("2026-02-12"), 5)[0] == D("2026-02-27")
    assert strict_cal.add_workdays(D("2026-02-12"), 7)[0] == D("2026-03-03")
    assert strict_cal.add_workdays(D("2024-09-26"), 8)[0] == D("2024-10-15")
    assert strict_cal.workdays_between(D("2024-09-26"), D("2024-10-12")).days == 6


def test_in_lieu_weekday_rest_day_stays_a_rest_day_when_flag_off(strict_cal):
    assert chinese_calendar.is_in_lieu(D("2024-10-07"))
    assert strict_cal.is_workday(D("2024-10-07")) == (False, True)


def test_start_day_is_excluded(cal):
    # served on a working day: that day does not count
    assert cal.workdays_between(D("2024-10-08"), D("2024-10-09")).days == 1
    assert cal.add_workdays(D("2024-10-08"), 1)[0] == D("2024-10-09")
    assert cal.natural_deadline(D("2024-03-01"), 15)[0] == D("2024-03-18")  # 03-16 Sat -> roll to Mon
    assert cal.natural_deadline(D("2024-03-04"), 15)[0] == D("2024-03-19")


def test_end_on_or_before_start_counts_zero(cal):
    assert cal.workdays_between(D("2024-10-09"), D("2024-10-09")) == DayCount(0, True, ())
    assert cal.workdays_between(D("2024-10-09"), D("2024-10-01")).days == 0
    assert cal.natural_days_effective(D("2024-10-09"), D("2024-10-08")).days == 0
    assert cal.gap_workdays_strict(D("2024-10-09"), D("2024-10-10")).days == 0
    assert cal.add_workdays(D("2024-10-09"), 0)[0] == D("2024-10-09")


def test_90_day_period_ending_on_national_day_rolls_to_october_8(cal):
    start = D("2024-10-01") - timedelta(days=90)  # 2024-07-03
    deadline, rolled, count = cal.natural_deadline(start, 90)
    assert (deadline, rolled) == (D("2024-10-08"), True)
    assert count == DayCount(97, True, ())


def test_natural_deadline_on_a_working_day_does_not_roll(cal):
    deadline, rolled, count = cal.natural_deadline(D("2024-07-04"), 96)  # ends 2024-10-08
    assert (deadline, rolled, count.days) == (D("2024-10-08"), False, 96)


def test_natural_days_effective_honours_rollover(cal):
    start = D("2024-07-03")
    # decision on 2024-10-08 is on time for a 90-day period because 10-01..07 are rest days
    assert cal.natural_days_effective(start, D("2024-10-08")).days <= 90
    assert (D("2024-10-08") - start).days == 97
    # one working day later it is late
    assert cal.natural_days_effective(start, D("2024-10-09")).days > 90
    # on the natural last day
    assert cal.natural_days_effective(start, D("2024-10-01")).days == 90


def test_natural_days_effective_agrees_with_natural_deadline(cal):
    start = D("2024-01-01")
    for n in (3, 15, 30, 60, 90, 180):
        deadline = cal.natural_deadline(start, n)[0]
        for end in (start + timedelta(days=k) for k in range(1, n + 12)):
            assert (cal.natural_days_effective(start, end).days <= n) == (end <= deadline), (n, end)


def test_hearing_notice_gap_counts_days_strictly_between(cal):
    # notice 2026-02-12, hearing 2026-02-28: 13, 14, 24, 25, 26, 27 in between
    assert cal.gap_workdays_strict(D("2026-02-12"), D("2026-02-28")).days == 6
    assert cal.gap_workdays_strict(D("2026-02-12"), D("2026-03-02")).days == 7


def test_2027_degrades_to_weekdays_and_says_so(cal):
    d = D("2027-01-01")  # a Friday, New Year's Day in reality
    assert cal.is_workday(d) == (True, False)
    assert cal.is_workday(D("2027-01-02")) == (False, False)
    count = cal.workdays_between(D("2026-12-30"), D("2027-01-05"))
    # 2026-12-31 Thu, 2027-01-01 Fri, 01-04 Mon, 01-05 Tue; whatever 2027's holidays and 调休, the
    # three 2027 weekdays may be rest days and its weekend (01-02, 01-03) working days: 1 to 6
    assert count == DayCount(4, False, (2027,), below=3, above=2)
    assert (count.lo, count.hi) == (1, 6)
    assert count.note == "日历数据缺失（2027年），按周一至周五估算"
    day, added = cal.add_workdays(D("2026-12-30"), 2)
    assert day == D("2027-01-01")
    assert (added.complete, added.missing_years) == (False, (2027,))


def test_range_inside_covered_years_is_complete(cal):
    count = cal.workdays_between(D("2025-12-20"), D("2026-01-10"))
    assert count.complete and count.missing_years == () and count.note is None


def test_override_yaml_for_2027_makes_it_complete(tmp_path):
    (tmp_path / "2027.yaml").write_text(
        "holidays: [2027-01-01]\nworkdays: ['2027-01-02']\n",
        encoding="utf-8",
    )
    cal = WorkCalendar(extra_dir=tmp_path)
    assert cal.is_workday(D("2027-01-01")) == (False, True)
    assert cal.is_workday(D("2027-01-02")) == (True, True)  # Saturday made a workday
    count = cal.workdays_between(D("2026-12-30"), D("2027-01-05"))
    # 2026-12-31, 2027-01-02 (Sat), 01-04, 01-05
    assert count == DayCount(4, True, ())
    assert "2027" in cal.data_source
    # other uncovered years are still reported
    assert cal.workdays_between(D("2027-12-30"), D("2028-01-05")).missing_years == (2028,)


def test_override_yaml_with_date_of_another_year_is_rejected(tmp_path):
    (tmp_path / "2027.yaml").write_text("holidays: [2028-01-01]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="不在 2027 年内"):
        WorkCalendar(extra_dir=tmp_path)


def test_add_workdays_and_workdays_between_are_inverse_across_years(cal):
    start = D("2025-12-15")
    for n in range(1, 300):
        day, _ = cal.add_workdays(start, n)
        assert cal.is_workday(day)[0]
        assert cal.workdays_between(start, day).days == n


def test_workdays_between_matches_package_count(cal):
    start, end = D("2023-06-30"), D("2026-03-31")
    expected = len(chinese_calendar.get_workdays(start + timedelta(days=1), end))
    assert cal.workdays_between(start, end) == DayCount(expected, True, ())


def test_default_calendar_is_shared_and_counts_tiaoxiu():
    assert default_calendar() is default_calendar()
    assert default_calendar().is_workday(D("2024-10-12")) == (True, True)


def test_year_tables_agree_with_chinese_calendar_on_every_covered_day():
    """The tables apply the package's rule themselves (its is_workday scans all holidays per call)."""
    cal = WorkCalendar()
    years = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            assert cal.is_workday(day) == (chinese_calendar.is_workday(day), True), day
            day += timedelta(days=1)


def _reference_counts(cal: WorkCalendar, start: date, end: date) -> tuple[DayCount, DayCount]:
    """Both counts day by day from `is_workday` (what the tables sum and the ordinal forms skip)."""
    days = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    missing = {d.year for d in days if not cal.is_workday(d)[1]}
    worked = sum(cal.is_workday(d)[0] for d in days)
    unknown = [d for d in days if not cal.is_workday(d)[1]]  # any of these may be either
    below = sum(cal.is_workday(d)[0] for d in unknown)
    above = sum(not cal.is_workday(d)[0] for d in unknown) if cal.count_in_lieu_workdays else 0
    workdays = DayCount(worked, not missing, tuple(sorted(missing)), *((below, above) if missing else (0, 0)))
    before = list(reversed(days[:-1]))  # the days just before `end`, inside (start, end)
    run = next((i for i, d in enumerate(before) if cal.is_workday(d)[0]), len(before))
    surely = next((i for i, d in enumerate(before) if cal.is_workday(d) != (False, True)), len(before))
    longest = next((i for i, d in enumerate(before) if cal.is_workday(d) == (True, True)), len(before))
    rest_missing = {d.year for d in before[:longest] if not cal.is_workday(d)[1]}
    natural = DayCount(
        max(len(days) - run, 0),
        not rest_missing,
        tuple(sorted(rest_missing)),
        *((longest - run, run - surely) if rest_missing else (0, 0)),
    )
    return workdays, natural


@pytest.mark.parametrize("strict", [False, True])
def test_counts_on_ordinal_days_equal_counts_day_by_day(strict):
    """Derive counts on ordinal days: equal to the date forms and to a day-by-day count, across
    year ends, 调休, long holidays and a year without calendar data (2027)."""
    import random

    cal = WorkCalendar(count_in_lieu_workdays=not strict)
    rng = random.Random(2112)
    anchors = [D("2024-10-01"), D("2024-12-28"), D("2025-01-28"), D("2026-12-30"), D("2027-01-01")]
    for _ in range(400):
        start = rng.choice(anchors) + timedelta(days=rng.randint(-40, 40))
        end = start + timedelta(days=rng.choice([rng.randint(-3, 12), rng.randint(0, 420)]))
        a, b = start.toordinal(), end.toordinal()
        workdays, natural = _reference_counts(cal, start, end)
        assert cal.workdays_between_days(a, b) == cal.workdays_between(start, end) == workdays
        assert cal.natural_days_effective_days(a, b) == cal.natural_days_effective(start, end) == natural
