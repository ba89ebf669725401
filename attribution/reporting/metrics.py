"""Channel and lead-source performance figures of a run for a period, and their change.

A run stores its facts by day (sql/schema/0005_run_days.sql): credit per channel and source per
model, conversions with their leads, leads created and spend. The figures of any period inside
the run's window are sums and quantiles over those, in SQL (sql/metrics/); this module adds the
ratios and the change against the previous period of the same length, and turns the SQL's rows
into the typed rows of reporting.rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attribution.reporting import kept
from attribution.reporting.period import Period
from attribution.reporting.rows import (
    ChannelRow,
    Credit,
    DataQuality,
    DaysToConvert,
    Disagreement,
    Figures,
    SourceRow,
    Totals,
    TrendRow,
)
from attribution.warehouse.connection import Warehouse

DAYS_CAP = kept.DAYS_CAP  # days to convert: the last bin holds this many days and more

Record = dict[str, Any]  # a row as the warehouse gives it; made a typed row in this module


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


def _with_credit(
    rows: Sequence[Record], credits: Sequence[Record], key: str
) -> list[tuple[Record, dict[str, Record]]]:
    """Each row with its credit rows by model; in the rows' order (the SQL's: by name), then
    any key that has only credit (with empty figures)."""
    by_key: dict[object, dict[str, Record]] = {}
    for credit in credits:
        by_key.setdefault(credit[key], {})[credit["model"]] = credit
    known = {r[key]: r for r in rows}
    credit_only = by_key.keys() - known.keys()
    keys = [*known, *sorted(credit_only, key=lambda v: (v is None, str(v)))]
    return [(known.get(k) or _empty(key, k), by_key.get(k, {})) for k in keys]


def _empty(key: str, value: object) -> Record:
    row: Record = {
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
    else:  # source_period.sql lists every source with credit, so only a stray key lands here
        unknown = str(value).removeprefix("unknown:")
        row.update(source_id=None, source=f"{unknown}, source unknown", channel=unknown)
    return row


def _by_model(
    credits: Mapping[str, Record], spend: float | None, models: Sequence[str]
) -> dict[str, Credit]:
    """Each model's credit (none: zero) and the ratios that need it."""
    out = {}
    for model in models:
        credit = credits.get(model)
        conv = float(credit["conversions"]) if credit else 0.0
        revenue = float(credit["revenue"]) if credit else 0.0
        out[model] = Credit(
            conversions=conv,
            revenue=revenue,
            average_deal_value=ratio(revenue, conv),
            cac=ratio(spend, conv),
            roas=ratio(revenue, spend),
        )
    return out


def _channel(record: Record, credits: Mapping[str, Record], models: Sequence[str]) -> ChannelRow:
    return ChannelRow(
        **record,
        conversion_rate=ratio(record["converted_leads"], record["leads"]),
        cost_per_lead=ratio(record["spend"], record["leads"]),
        by_model=_by_model(credits, record["spend"], models),
    )


def _source(record: Record, credits: Mapping[str, Record], models: Sequence[str]) -> SourceRow:
    return SourceRow(
        **record,
        conversion_rate=ratio(record["converted_leads"], record["leads"]),
        cost_per_lead=ratio(record["spend"], record["leads"]),
        by_model=_by_model(credits, record["spend"], models),
    )


def _totals(channels: Sequence[ChannelRow]) -> Totals:
    leads = sum(r.leads for r in channels)
    conversions = sum(r.conversions for r in channels)
    revenue = sum(r.revenue for r in channels)
    spend_known = any(r.spend is not None for r in channels)
    spend = sum(r.spend or 0.0 for r in channels) if spend_known else None
    return Totals(
        leads=leads,
        converted_leads=sum(r.converted_leads for r in channels),
        conversions=conversions,
        revenue=revenue,
        spend=spend,
        conversion_rate=ratio(sum(r.converted_leads for r in channels), leads),
        cost_per_lead=ratio(spend, leads),
        cac=ratio(spend, conversions),
        roas=ratio(revenue, spend),
        average_deal_value=ratio(revenue, conversions),
    )


def figures(
    wh: Warehouse,
    run_id: int,
    period: Period,
    models: Sequence[str],
    *,
    primary: str | None = None,
    since: datetime | None = None,
) -> Figures:
    """The run's figures for the period (which must lie inside the run's window). The data
    quality's credit without a source is the primary model's (default: the first); rows
    rejected or sources created since `since` (the previous report) count besides the
    period's own (None: the period's own only)."""
    params = {"run_id": run_id, "from": period.start, "to": period.end}
    use = kept.reads(wh, run_id, period)  # a pruned run's figures as kept
    channels = [
        _channel(record, credits, models)
        for record, credits in _with_credit(
            wh.records(use["metrics/channel_period"], params),
            wh.records("metrics/channel_period_credits", params),
            "channel",
        )
    ]
    sources = [
        _source(record, credits, models)
        for record, credits in _with_credit(
            wh.records(use["metrics/source_period"], params),
            wh.records("metrics/source_period_credits", params),
            "source_key",
        )
    ]
    asked = {**params, "model": primary or models[0], "since": since}
    quality = DataQuality(**wh.records("metrics/data_quality", asked)[0])
    days = [
        DaysToConvert(**r)
        for r in wh.records(use["metrics/days_to_convert"], {**params, "cap": DAYS_CAP})
    ]
    return Figures(period, tuple(models), channels, sources, _totals(channels), quality, days)


def weekly_trend(wh: Warehouse, run_id: int, start: datetime, end: datetime) -> list[TrendRow]:
    """Leads and each model's conversions and revenue per week and channel."""
    params = {"run_id": run_id, "from": start, "to": end}
    return [TrendRow(**r) for r in wh.records("metrics/weekly_trend", params)]


def disagreement(figs: Figures) -> list[Disagreement]:
    """Channels by how far the models disagree on their share of conversions: the spread
    (highest share less lowest) in percentage points, largest first."""
    totals = {m: sum(r.by_model[m].conversions for r in figs.channels) for m in figs.models}
    rows = []
    for row in figs.channels:
        shares = {
            m: (row.by_model[m].conversions / totals[m]) if totals[m] else 0.0 for m in figs.models
        }
        if not shares:
            continue
        high, low = max(shares, key=shares.__getitem__), min(shares, key=shares.__getitem__)
        rows.append(Disagreement(row.channel, shares[high] - shares[low], high, low, shares))
    return sorted(rows, key=lambda r: (-r.spread, r.channel))
