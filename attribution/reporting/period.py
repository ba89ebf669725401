"""The period a report covers: whole days in UTC, an ISO week or any run of days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from attribution.errors import AttributionError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)  # room for the trend and lookback


def _in_range(first: date, last: date) -> None:
    if first < FIRST_DAY or last > LAST_DAY:
        raise AttributionError(
            f"a report period must lie between {FIRST_DAY} and {LAST_DAY}; got {first} to {last}"
        )


@dataclass(frozen=True)
class Period:
    """Whole days [start, end) in UTC, with a label for people."""

    start: datetime
    end: datetime
    label: str

    @classmethod
    def week(cls, text: str) -> Period:
        """An ISO week such as 2026-W47 (Monday to Sunday)."""
        match = _WEEK.match(text.strip())
        if not match:
            raise AttributionError(f"week {text!r} is not an ISO week; write it as 2026-W47")
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise AttributionError(
                f"week {text!r} does not exist; weeks run 01 to 52 or 53"
            ) from None
        _in_range(monday, monday + timedelta(days=6))
        start = datetime.combine(monday, datetime.min.time())
        return cls(start, start + timedelta(days=7), text.strip())

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """From the first to the last day, both included."""
        if last < first:
            raise AttributionError(f"the period ends ({last}) before it starts ({first})")
        _in_range(first, last)
        start = datetime.combine(first, datetime.min.time())
        end = datetime.combine(last, datetime.min.time()) + timedelta(days=1)
        return cls(start, end, f"{first.isoformat()} to {last.isoformat()}")

    @classmethod
    def last_complete_week(cls, today: date) -> Period:
        """The ISO week before the one holding today."""
        monday = today - timedelta(days=today.weekday() + 7)
        year, week, _ = monday.isocalendar()
        return cls.week(f"{year}-W{week:02d}")

    def previous(self) -> Period:
        """The period of the same length just before."""
        length = self.end - self.start
        start = self.start - length
        if length == timedelta(days=7) and self.start.weekday() == 0:
            year, week, _ = start.date().isocalendar()
            return Period(start, self.start, f"{year}-W{week:02d}")
        last = self.start.date() - timedelta(days=1)
        return Period(start, self.start, f"{start.date().isoformat()} to {last.isoformat()}")

    def weeks_back(self, weeks: int) -> datetime:
        """The Monday `weeks` weeks before the week that holds the period's last day."""
        last = (self.end - timedelta(days=1)).date()
        monday = last - timedelta(days=last.weekday())
        return datetime.combine(monday - timedelta(weeks=weeks - 1), datetime.min.time())
