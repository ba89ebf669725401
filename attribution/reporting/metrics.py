"""Channel and lead-source performance figures of a run for a period, and their change.

A run stores its facts by day (sql/schema/0005_run_days.sql): credit per channel and source per
model, conversions with their leads, leads created and spend. The figures of any period inside
the run's window are sums and quantiles over those, in SQL (sql/metrics/); this module adds the
ratios and the change against the previous period of the same length."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from attribution.errors import AttributionError
from attribution.warehouse.connection import Warehouse

DAYS_CAP = 60  # days to convert: the last bin holds this many days and more

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


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None (shown as n/a) when either is missing or zero."""
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator)


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change from previous to current; None when there was nothing before."""
    if current is None or previous is None or previous == 0:
        return None
    return (float(current) - float(previous)) / abs(float(previous))


@dataclass(frozen=True)
class Figures:
    """A run's figures for one period: rows per channel and per source (model-independent
    figures, then per model: conversions, revenue, average deal value, CAC, ROAS), totals."""

    period: Period
    models: tuple[str, ...]
    channels: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    totals: dict[str, Any]
    quality: dict[str, Any]
    days_to_convert: list[dict[str, Any]]


def _with_models(
    rows: list[dict[str, Any]],
    credits: Sequence[dict[str, Any]],
    key: str,
    models: Sequence[str],
) -> list[dict[str, Any]]:
    """Each row with its per-model credit and the ratios that need it, as nested dicts; in the
    rows' order (the SQL's: by name), then any key that has only credit."""
    by_key: dict[tuple[Any, str], dict[str, Any]] = {(c[key], c["model"]): c for c in credits}
    known = {r[key]: r for r in rows}
    credit_only = {c[key] for c in credits} - known.keys()
    keys = [*known, *sorted(credit_only, key=lambda v: (v is None, str(v)))]
    out = []
    for k in keys:
        row = dict(known.get(k) or _empty(key, k))
        row["conversion_rate"] = ratio(row["converted_leads"], row["leads"])
        row["cost_per_lead"] = ratio(row["spend"], row["leads"])
        row["by_model"] = {}
        for model in models:
            credit = by_key.get((k, model))
            conv = float(credit["conversions"]) if credit else 0.0
            revenue = float(credit["revenue"]) if credit else 0.0
            row["by_model"][model] = {
                "conversions": conv,
                "revenue": revenue,
                "average_deal_value": ratio(revenue, conv),
                "cac": ratio(row["spend"], conv),
                "roas": ratio(revenue, row["spend"]),
            }
        out.append(row)
    return out


def _empty(key: str, value: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        key: value,
        "leads": 0,
        "converted_leads": 0,
        "conversions": 0,
        "revenue": 0.0,
        "days_to_convert_median": None,
        "days_to_convert_p90": None,
        "spend": None,
    }
    if key == "channel":
        row.update(journeys=0, touches_per_journey=None, participation=None)
    else:
        row.update(source="(no source)", channel="Unassigned")
    return row


def figures(wh: Warehouse, run_id: int, period: Period, models: Sequence[str]) -> Figures:
    """The run's figures for the period (which must lie inside the run's window)."""
    params = {"run_id": run_id, "from": period.start, "to": period.end}
    channel_rows = wh.records("metrics/channel_period", params)
    source_rows = wh.records("metrics/source_period", params)
    channels = _with_models(
        channel_rows, wh.records("metrics/channel_period_credits", params), "channel", models
    )
    sources = _with_models(
        source_rows, wh.records("metrics/source_period_credits", params), "source_id", models
    )
    spend_known = any(r["spend"] is not None for r in channels)
    totals: dict[str, Any] = {
        "leads": sum(int(r["leads"]) for r in channels),
        "converted_leads": sum(int(r["converted_leads"]) for r in channels),
        "conversions": sum(int(r["conversions"]) for r in channels),
        "revenue": sum(float(r["revenue"]) for r in channels),
        "spend": sum(float(r["spend"] or 0) for r in channels) if spend_known else None,
    }
    totals["conversion_rate"] = ratio(totals["converted_leads"], totals["leads"])
    totals["cost_per_lead"] = ratio(totals["spend"], totals["leads"])
    totals["cac"] = ratio(totals["spend"], totals["conversions"])
    totals["roas"] = ratio(totals["revenue"], totals["spend"])
    totals["average_deal_value"] = ratio(totals["revenue"], totals["conversions"])
    quality = wh.records("metrics/data_quality", params)[0]
    days = wh.records("metrics/days_to_convert", {**params, "cap": DAYS_CAP})
    return Figures(period, tuple(models), channels, sources, totals, quality, days)


def weekly_trend(
    wh: Warehouse, run_id: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Leads and each model's conversions and revenue per week and channel."""
    return wh.records("metrics/weekly_trend", {"run_id": run_id, "from": start, "to": end})


def disagreement(figs: Figures) -> list[dict[str, Any]]:
    """Channels by how far the models disagree on their share of conversions: the spread
    (highest share less lowest) in percentage points, largest first."""
    totals = {m: sum(r["by_model"][m]["conversions"] for r in figs.channels) for m in figs.models}
    rows = []
    for row in figs.channels:
        shares = {
            m: (row["by_model"][m]["conversions"] / totals[m]) if totals[m] else 0.0
            for m in figs.models
        }
        if not shares:
            continue
        high, low = max(shares, key=shares.__getitem__), min(shares, key=shares.__getitem__)
        rows.append(
            {
                "channel": row["channel"],
                "spread": shares[high] - shares[low],
                "highest_model": high,
                "lowest_model": low,
                "shares": shares,
            }
        )
    return sorted(rows, key=lambda r: (-r["spread"], r["channel"]))
