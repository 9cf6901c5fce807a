"""Working-day and natural-day period arithmetic for Chinese administrative procedure.

Legal basis (see domain research §8 and §C):

* 行政处罚法 art. 85: the law's 二日/三日/五日/七日 periods are working days (不含法定节假日).
* 民法典 art. 201 (applied by analogy): the start day is not counted; counting begins the next day.
* 民法典 art. 203: a natural-day period whose last day is a rest day ends on the next working day.

Calendar data comes from ``chinesecalendar`` (import ``chinese_calendar``), which covers a fixed range of
years and raises ``NotImplementedError`` outside it. Uncovered years degrade to a Mon–Fri approximation and
every result says so (``DayCount.complete`` / ``missing_years``), with the bounds the true count lies within
whatever that year's holidays and 调休 turn out to be (``DayCount.lo`` / ``hi``: any weekday may be a
holiday, any weekend day a working day; no holiday rule is assumed), so that a deadline is decided only when
every possible calendar gives the same answer.
Users may add or correct a year with ``<extra_dir>/<YYYY>.yaml`` (``--calendar DIR``)::

    holidays: [2027-01-01, 2027-02-08]   # weekday rest days
    workdays: [2027-02-06]               # weekend days that are working days (调休)

All methods are pure; per-year lookup tables are built lazily and memoised on the instance.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import yaml

__all__ = ["DayCount", "WorkCalendar", "calendar_unknown_text", "default_calendar", "missing_calendar_note"]

_ONE_DAY = timedelta(days=1)


def _years_text(years: Iterable[int]) -> str:
    return "、".join(f"{y}年" for y in sorted(set(years)))


def calendar_unknown_text(missing_years: Iterable[int]) -> str:
    """The missing fact a deadline that hangs on a year without calendar data names."""
    return f"{_years_text(missing_years)}的法定节假日和调休安排（日历数据缺失，可用 --calendar 目录补充）"


def missing_calendar_note(missing_years: Iterable[int]) -> str | None:
    """User-facing note for results computed without calendar data, or None if nothing was missing."""
    years = set(missing_years)
    if not years:
        return None
    return f"日历数据缺失（{_years_text(years)}），按周一至周五估算"


@dataclass(frozen=True)
class DayCount:
    days: int  # the count (meaning depends on the method that produced it)
    complete: bool  # False if any year consulted lacked calendar data (Mon–Fri approximation used)
    missing_years: tuple[int, ...] = ()
    below: int = 0  # without calendar data the true count may be this much lower than `days` …
    above: int = 0  # … or this much higher (0 and 0 when complete)

    @property
    def lo(self) -> int:
        return self.days - self.below

    @property
    def hi(self) -> int:
        return self.days + self.above

    @property
    def note(self) -> str | None:
        """Chinese note for the report when the calendar was incomplete."""
        return missing_calendar_note(self.missing_years)


def _day_count(days: int, missing: Collection[int], below: int = 0, above: int = 0) -> DayCount:
    if not missing:
        return _complete(days)
    return DayCount(days, False, tuple(sorted(set(missing))), below, above)


@functools.lru_cache(maxsize=4096)
def _complete(days: int) -> DayCount:
    """Counts on complete calendar data are immutable values: shared, not rebuilt per call."""
    return DayCount(days=days, complete=True, missing_years=())


@dataclass(frozen=True)
class _YearTable:
    working: tuple[bool, ...]  # indexed by day-of-year - 1
    cum: tuple[int, ...]  # cum[i] = working days among the first i days of the year; len = days + 1
    known: bool  # False: Mon–Fri approximation
    start: int  # ordinal of 1 January (day-of-year index = ordinal - start)

    @property
    def total(self) -> int:
        return self.cum[-1]


@dataclass(frozen=True)
class _Override:
    holidays: frozenset[date]
    workdays: frozenset[date]


def _parse_dates(raw: object, year: int, key: str, source: Path) -> frozenset[date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ValueError(f"{source}：{key} 应为日期列表")
    out: set[date] = set()
    for item in raw:
        # PyYAML turns unquoted ISO dates into date objects; quoted ones stay strings.
        try:
            d = item if isinstance(item, date) else date.fromisoformat(str(item))
        except ValueError as exc:
            raise ValueError(f"{source}：{key} 中的日期无效：{item!r}") from exc
        if d.year != year:
            raise ValueError(f"{source}：{key} 中的日期 {d} 不在 {year} 年内（文件名即年份）")
        out.add(d)
    return frozenset(out)


def _load_overrides(extra_dir: Path) -> dict[int, _Override]:
    overrides: dict[int, _Override] = {}
    if not extra_dir.is_dir():
        raise ValueError(f"日历目录不存在：{extra_dir}")
    for path in sorted(extra_dir.iterdir()):
        if path.suffix not in (".yaml", ".yml") or not path.stem.isdigit():
            continue
        year = int(path.stem)
        if year in overrides:
            raise ValueError(f"{path}：{year} 年的日历已由同目录另一文件给出")
        try:
            # the packs' loader: safe, and a repeated key (a second `holidays:`) is an error
            from ..packs.loader import PackYamlLoader

            data = yaml.load(path.read_text(encoding="utf-8"), Loader=PackYamlLoader) or {}
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else 1
            raise ValueError(f"{path}:{line} {exc.problem}") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ValueError(f"{path}：无法读取（{type(exc).__name__}）") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}：应为含 holidays（休息的工作日）和 workdays（调休上班的周末）的映射")
        hol = _parse_dates(data.get("holidays"), year, "holidays", path)
        work = _parse_dates(data.get("workdays"), year, "workdays", path)
        if both := hol & work:
            raise ValueError(f"{path}：这些日期同时列为休息日和工作日：{', '.join(map(str, sorted(both)))}")
        overrides[year] = _Override(hol, work)
    return overrides


def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Official working calendar with explicit reporting of missing data.

    ``count_in_lieu_workdays``: chinesecalendar counts 调休 weekend days as workdays (the offices' actual
    working calendar). art. 85 only excludes 法定节假日, so a stricter reading may not count them; with
    False a weekend day is never a working day. Weekday rest days created by the swap (e.g. 2024-10-07)
    stay rest days either way, since they fall inside the announced holiday.
    """

    def __init__(self, count_in_lieu_workdays: bool = True, extra_dir: Path | None = None) -> None:
        self.count_in_lieu_workdays = count_in_lieu_workdays
        self.extra_dir = extra_dir
        # An override file replaces the package data for its year (lets users correct or extend).
        self._overrides = _load_overrides(Path(extra_dir)) if extra_dir is not None else {}
        self._tables: dict[int, _YearTable] = {}

    @property
    def fingerprint(self) -> str:
        """What the local calendar files say, as a digest ("" without any): part of the result
        cache's key, so that adding a year's holidays reviews the files again."""
        if not self._overrides:
            return ""
        import hashlib

        text = repr(sorted((y, sorted(o.holidays), sorted(o.workdays)) for y, o in self._overrides.items()))
        return hashlib.sha256(f"{self.count_in_lieu_workdays}{text}".encode()).hexdigest()

    @property
    def data_source(self) -> str:
        """Calendar provenance for the report (research §C.4: record the library version)."""
        src = f"chinesecalendar {getattr(chinese_calendar, '__version__', '?')}"
        if self._overrides:
            src += f" + 本地覆盖 {', '.join(str(y) for y in sorted(self._overrides))}"
        return src

    # -- per-year tables -------------------------------------------------------------------------

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = self._build_table(year)
        return table

    def _build_table(self, year: int) -> _YearTable:
        first = date(year, 1, 1)
        n_days = (date(year + 1, 1, 1) - first).days if year < 9999 else 365
        days = [first + timedelta(days=i) for i in range(n_days)]
        override = self._overrides.get(year)
        if override is not None:
            known = True
            base = [d in override.workdays or (d.weekday() < 5 and d not in override.holidays) for d in days]
        elif _package_covers(year):
            known = True
            # chinese_calendar.is_workday's own test, without its per-call range check (which scans
            # every holiday: ~9 ms per year table, on the critical path of a one-file check)
            workdays, holidays = chinese_calendar.workdays, chinese_calendar.holidays
            base = [d in workdays or (d.weekday() <= 4 and d not in holidays) for d in days]
        else:
            known = False
            base = [d.weekday() < 5 for d in days]
        if not self.count_in_lieu_workdays:
            base = [w and d.weekday() < 5 for w, d in zip(base, days, strict=True)]
        cum = [0]
        for w in base:
            cum.append(cum[-1] + w)
        return _YearTable(working=tuple(base), cum=tuple(cum), known=known, start=first.toordinal())

    # -- public API ------------------------------------------------------------------------------

    def is_workday(self, d: date) -> tuple[bool, bool]:
        """(is a working day, calendar data known for that year)."""
        t = self._table(d.year)
        return t.working[d.toordinal() - t.start], t.known

    def is_rest_day(self, d: date) -> bool:
        """Rest day for 民法典 art. 203 rollover: any non-working day (holidays and ordinary weekends)."""
        return not self.is_workday(d)[0]

    def workdays_between(self, start: date, end: date) -> DayCount:
        """Working days in (start, end]: start excluded (民法典 201), end included; 0 if end <= start."""
        return self.workdays_between_days(start.toordinal(), end.toordinal())

    def workdays_between_days(self, start: int, end: int) -> DayCount:
        """`workdays_between` of ordinal days (derive counts on them: no date objects made)."""
        if end <= start:
            return _complete(0)
        first = start + 1
        year = date.fromordinal(end).year
        t = self._table(year)
        if first >= t.start:  # the usual case: one table, no list of missing years
            days = t.cum[end - t.start + 1] - t.cum[first - t.start]
            if t.known:
                return _complete(days)
            return _day_count(days, (year,), days, self._may_work(end - first + 1 - days))
        first_year = date.fromordinal(first).year
        missing: list[int] = []
        total = below = above = 0
        for y in range(first_year, year + 1):
            t = self._table(y)
            lo = first - t.start if y == first_year else 0
            hi = end - t.start + 1 if y == year else len(t.working)
            days = t.cum[hi] - t.cum[lo]
            total += days
            if not t.known:  # each estimated working day may be a holiday, each rest day a 调休 workday
                missing.append(y)
                below += days
                above += self._may_work(hi - lo - days)
        return _day_count(total, missing, below, above)

    def _may_work(self, rest_days: int) -> int:
        """How many of `rest_days` estimated rest days (weekends) of a year without data may be
        working days: all of them, unless 调休 weekend days are not counted at all."""
        return rest_days if self.count_in_lieu_workdays else 0

    def add_workdays(self, start: date, n: int) -> tuple[date, DayCount]:
        """The n-th working day after ``start`` (start excluded). n == 0 returns start.

        DayCount.days is n (working days); it carries the completeness of the years walked through.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return start, DayCount(0, True, ())
        missing: list[int] = []
        year = start.year
        offset = start.timetuple().tm_yday  # index of the first day after start within `year`
        remaining = n
        while True:
            t = self._table(year)
            if not t.known:
                missing.append(year)
            available = t.total - t.cum[offset]
            if remaining <= available:
                # smallest i with cum[i] >= cum[offset] + remaining -> day index i - 1
                i = bisect_left(t.cum, t.cum[offset] + remaining, lo=offset + 1)
                return date(year, 1, 1) + timedelta(days=i - 1), _day_count(n, missing)
            remaining -= available
            year += 1
            offset = 0

    def natural_deadline(self, start: date, n: int) -> tuple[date, bool, DayCount]:
        """Last day of an n-natural-day period counted from the day after ``start`` (民法典 201),
        moved past rest days to the next working day (民法典 203).

        Returns (deadline, rolled, DayCount) where DayCount.days = natural days from start to the
        (possibly rolled) deadline, and completeness covers the days inspected for rollover.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start + timedelta(days=n)
        missing: list[int] = []
        rolled = False
        while True:
            working, known = self.is_workday(d)
            if not known:
                missing.append(d.year)
            if working:
                break
            d += _ONE_DAY
            rolled = True
        return d, rolled, _day_count((d - start).days, missing)

    def natural_days_effective(self, start: date, end: date) -> DayCount:
        """Natural days from start to end, less the run of rest days immediately before ``end``.

        Why: with rollover (民法典 203) an act on day ``end`` meets an N-day period iff every day from
        start+N up to end-1 is a rest day. Subtracting that trailing rest run makes the check a plain
        ``effective <= N``: if end <= start+N it already holds; otherwise it holds exactly when the run
        reaches back to start+N. The value is for that comparison, not a general day count; the run is
        only looked for inside (start, end), and end <= start gives 0.
        """
        return self.natural_days_effective_days(start.toordinal(), end.toordinal())

    def natural_days_effective_days(self, start: int, end: int) -> DayCount:
        """`natural_days_effective` of ordinal days."""
        if end <= start:
            return _complete(0)
        missing: list[int] = []
        run = 0  # the run of rest days before `end` on the estimated calendar
        surely = 0  # the part of it on days with calendar data (a day without data may be working)
        longest = 0  # the run were every day without data a rest day (up to a known working day)
        open_run = open_surely = True
        d = end - 1
        t: _YearTable | None = None
        while d > start:
            if t is None or d < t.start:
                year = date.fromordinal(d).year
                t = self._table(year)
            working = t.working[d - t.start]
            if t.known:
                if working:
                    break
                surely += open_surely
            else:
                missing.append(year)
                open_surely = False
            open_run = open_run and not working
            run += open_run
            longest += 1
            d -= 1
        if not missing:
            return _day_count(end - start - run, missing)
        return _day_count(end - start - run, missing, longest - run, run - surely)

    def gap_workdays_strict(self, earlier: date, later: date) -> DayCount:
        """Working days strictly between ``earlier`` and ``later`` (both excluded).

        For "听证七日前通知" reading (a) of research §C.3: compliant iff the result >= 7.
        """
        if later - earlier <= _ONE_DAY:
            return DayCount(0, True, ())
        return self.workdays_between(earlier, later - _ONE_DAY)


@functools.cache
def default_calendar() -> WorkCalendar:
    """Shared calendar with default settings (tables are memoised across all callers)."""
    return WorkCalendar()
