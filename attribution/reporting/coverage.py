"""What a period holds, counted before a report or run is made over it: its leads and
conversions, and the days the warehouse has data. A period with neither is refused
(EmptyPeriodError) unless empty periods are allowed, so a refused report or run stores nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from attribution.errors import EmptyPeriodError
from attribution.warehouse.connection import Warehouse


@dataclass(frozen=True)
class Coverage:
    """A period's leads and conversions; the first and last day of any in the warehouse."""

    leads: int
    conversions: int
    first_day: date | None  # None: the warehouse holds no lead or conversion at all
    last_day: date | None

    @property
    def empty(self) -> bool:
        return self.leads == 0 and self.conversions == 0

    def where(self) -> str:
        """Where the warehouse has data, for a message."""
        if self.first_day is None:
            return "the warehouse holds no leads or conversions yet (load them: attribution ingest)"
        return f"the warehouse has data from {self.first_day} to {self.last_day}"


def count(wh: Warehouse, start: datetime, end: datetime, kinds: Sequence[str]) -> Coverage:
    """The leads created and conversions (of these revenue kinds) in [start, end)."""
    row = wh.records("runs/period_data", {"start": start, "end": end, "kinds": list(kinds)})[0]
    return Coverage(int(row["leads"]), int(row["conversions"]), row["first_day"], row["last_day"])


def days(start: datetime, end: datetime) -> str:
    """[start, end) as people read it: its first and last day, both included."""
    return f"{start.date()} to {(end - timedelta(microseconds=1)).date()}"


def require_data(
    wh: Warehouse,
    start: datetime,
    end: datetime,
    *,
    kinds: Sequence[str],
    what: str,
    unit: str,
    action: str,
) -> None:
    """EmptyPeriodError when [start, end) (`what`, for the message) has no leads and no
    conversions (`unit` and `action` say what to choose or do instead). A period with data is
    told apart after reading little: only an empty one is counted, for the message."""
    params = {"start": start, "end": end, "kinds": list(kinds)}
    if wh.records("runs/period_has_data", params):
        return
    found = count(wh, start, end, kinds)
    if found.empty:  # the count decides; the quick test above only spares it a period with data
        raise EmptyPeriodError(
            f"no leads and no conversions in {what}; {found.where()}", unit=unit, action=action
        )
