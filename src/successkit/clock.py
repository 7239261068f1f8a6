"""Time is an input: the kit asks its clock, never the system behind the caller's back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import attrs

from .errors import ValidationError

__all__ = ["Clock", "FixedClock", "days_before", "system_clock", "to_clock"]

#: A clock is any callable returning a timezone-aware datetime.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(timezone.utc)


@attrs.define
class FixedClock:
    """A clock that stands still until moved; for tests, demos and replays."""

    at: datetime

    def __attrs_post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValidationError("FixedClock needs a timezone-aware datetime", value=self.at)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        """Move the clock forward, e.g. ``clock.advance(days=30)``."""
        self.at += timedelta(**delta)

    def set(self, at: datetime | date) -> None:
        """Jump to a moment (a date means its midnight UTC)."""
        self.at = to_clock(at)()


def to_clock(value: Clock | datetime | date | None) -> Clock:
    """Accept a clock, a fixed moment, a date, or None for the system clock."""
    if value is None:
        return system_clock
    if isinstance(value, datetime):
        return FixedClock(value)
    if isinstance(value, date):
        return FixedClock(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    if callable(value):
        return value
    raise ValidationError("clock must be a callable, a datetime, a date or None", value=value)


def days_before(day: date, days: int) -> date:
    """``days`` days before ``day``, or the first day there is when that is earlier
    (a rule's window reaching back past year 1 starts at the beginning of time)."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min
