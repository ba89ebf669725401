"""The one place "now" is read. The warehouse keeps naive timestamps in UTC; callers use
`clock.utc_now()` (not `from ... import`), so that a test can set the time here."""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def utc_now() -> datetime:
    """The current time in UTC as a naive timestamp, as the warehouse stores them."""
    return now().replace(tzinfo=None)


def today() -> date:
    """Today's date in UTC."""
    return now().date()
