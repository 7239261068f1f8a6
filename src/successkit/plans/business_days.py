"""Business-day arithmetic for template and playbook offsets (TPL_03).

Built on python-dateutil's ``rrule``: weekdays only, minus a holiday list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from dateutil.rrule import DAILY, FR, MO, TH, TU, WE, rrule, rruleset

from successkit.errors import RuleViolation, ValidationError

__all__ = ["DateShifter", "add_days"]


def add_days(day: date, days: int, *, what: str = "a date") -> date:
    """``day`` moved by ``days`` calendar days; past either end of the calendar
    (year 1 to 9999) a SEC_05 error naming ``what``, the day and the offset,
    not an OverflowError.  Every due-date offset goes through here."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise _out_of_range(day, days, what) from None


def _out_of_range(day: date, days: int, what: str) -> RuleViolation:
    return RuleViolation(
        "SEC_05", f"{what}: {day} moved by {days} days is outside the calendar ({date.min} to {date.max})", value=days
    )


class DateShifter:
    """Turns day offsets into dates from one starting day.

    With ``business_days`` an offset of N is the N-th business day after the
    start (weekends and ``holidays`` skipped); otherwise it is N calendar days.
    Business days are computed once per shifter, however many items use it.
    """

    def __init__(self, start: date, *, business_days: bool = False, holidays: Iterable[date] = ()) -> None:
        self.start = start
        self.business_days = business_days
        given: Any = holidays
        if isinstance(given, (str, bytes)) or not hasattr(given or (), "__iter__"):
            raise ValidationError("holidays are a list of dates", value=given)
        self.holidays = tuple(given or ())
        for h in self.holidays:
            if not isinstance(h, date):
                raise ValidationError("holidays are dates", value=h)
        self._days: list[date] = []

    def shift(self, offset: int, *, business_days: bool | None = None) -> date:
        """The date ``offset`` days after the start (offsets are whole numbers >= 0)."""
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValidationError("a day offset is a whole number >= 0", value=offset)
        use_business = self.business_days if business_days is None else business_days
        if not use_business or offset == 0:
            return add_days(self.start, offset, what="a day offset")
        if offset > len(self._days):
            self._extend(offset)
        if offset > len(self._days):  # the calendar ended first
            raise _out_of_range(self.start, offset, "a business-day offset")
        return self._days[offset - 1]

    def _extend(self, count: int) -> None:
        if self.start == date.max:
            return
        first = datetime.combine(self.start + timedelta(days=1), datetime.min.time())
        rules = rruleset()
        rules.rrule(rrule(DAILY, dtstart=first, byweekday=(MO, TU, WE, TH, FR)))
        for h in self.holidays:
            rules.exdate(datetime.combine(h, datetime.min.time()))
        self._days = [d.date() for d in islice(rules, max(count, 2 * len(self._days), 32))]
