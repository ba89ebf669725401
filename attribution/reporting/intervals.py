"""The intervals of a report's figures: the bounds its run stored for the report's period
(engine/intervals.py), with CAC and ROAS bounds from them, and which channels' rank under a
model is not settled (its interval overlaps a neighbour's in the ranking)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from attribution.reporting.period import Period
from attribution.reporting.rows import ChannelRow
from attribution.warehouse.connection import Warehouse


@dataclass(frozen=True)
class Range:
    """A figure's interval; high None: unbounded (a CAC whose conversions may be 0)."""

    low: float | None
    high: float | None


@dataclass(frozen=True)
class ChannelRange:
    """A channel's intervals under one model, and whether its rank is settled."""

    conversions: Range
    revenue: Range
    share: Range
    cac: Range
    roas: Range
    settled: bool
    point_share: float | None = None  # the figure's share of the model's conversions


@dataclass(frozen=True)
class Intervals:
    """A report's intervals: the settings they were drawn with and the ranges per model and
    channel (channels with no stored interval have none)."""

    level: float
    resamples: int
    seed: int
    method: str
    basis: str
    ranges: Mapping[str, Mapping[str, ChannelRange]]  # model -> channel -> ranges

    def of(self, model: str, channel: str) -> ChannelRange | None:
        return self.ranges.get(model, {}).get(channel)

    def unsettled(self, model: str) -> list[str]:
        """The channels whose rank under the model is not settled, by name."""
        return sorted(c for c, r in self.ranges.get(model, {}).items() if not r.settled)

    @property
    def percent(self) -> str:
        """The level for people: 90 %."""
        return f"{self.level * 100:g} %"


def cac_range(spend: float | None, conversions: Range) -> Range:
    """spend / conversions: the bounds swapped (more conversions, lower cost); no spend, or
    spend that buys nothing, has none."""
    if not spend or conversions.low is None or conversions.high is None:
        return Range(None, None)
    low = spend / conversions.high if conversions.high > 0 else None
    high = spend / conversions.low if conversions.low > 0 else None
    return Range(low, high) if low is not None else Range(None, None)


def roas_range(spend: float | None, revenue: Range) -> Range:
    """revenue / spend: the bounds divided by the (fixed) spend."""
    if not spend or revenue.low is None or revenue.high is None:
        return Range(None, None)
    return Range(revenue.low / spend, revenue.high / spend)


def settled(points: Mapping[str, float], bounds: Mapping[str, Range]) -> dict[str, bool]:
    """Per channel ranked by its point estimate (largest first; channels credited nothing are
    left out, and settled): whether its interval is apart from both neighbours' in the ranking."""
    ranked = sorted((c for c in points if points[c] > 0), key=lambda c: (-points[c], c))
    out = {c: True for c in points}
    for above, below in itertools.pairwise(ranked):
        a, b = bounds[above], bounds[below]
        if a.low is None or b.high is None or a.low <= b.high:  # the intervals meet
            out[above] = out[below] = False
    return out


def load(
    wh: Warehouse, run_id: int, period: Period, channels: Sequence[ChannelRow]
) -> Intervals | None:
    """The intervals the run stored for exactly this period, or None (a run without them)."""
    params = {"run_id": run_id, "from": period.start, "to": period.end}
    rows = wh.records("metrics/channel_intervals", params)
    if not rows:
        return None
    spend = {r.channel: r.spend for r in channels}
    points = {
        (model, r.channel): credit.conversions
        for r in channels
        for model, credit in r.by_model.items()
    }
    raw: dict[str, dict[str, tuple[Range, Range, Range]]] = {}
    for row in rows:
        raw.setdefault(row["model"], {})[row["channel"]] = (
            Range(row["conversions_low"], row["conversions_high"]),
            Range(row["value_low"], row["value_high"]),
            Range(row["share_low"], row["share_high"]),
        )
    zero = Range(0.0, 0.0)
    ranges: dict[str, dict[str, ChannelRange]] = {}
    for model, per_channel in raw.items():
        for r in channels:  # touched by no journey (leads only): credited nothing in any draw
            if r.channel not in per_channel and not points.get((model, r.channel)):
                per_channel[r.channel] = (zero, zero, zero)
        shown = {c: points.get((model, c), 0.0) for c in per_channel}
        rank = settled(shown, {c: r[0] for c, r in per_channel.items()})
        total = sum(shown.values())
        ranges[model] = {
            c: ChannelRange(
                conv,
                value,
                share,
                cac_range(spend.get(c), conv),
                roas_range(spend.get(c), value),
                rank[c],
                shown[c] / total if total else None,
            )
            for c, (conv, value, share) in per_channel.items()
        }
    first = rows[0]
    return Intervals(
        level=float(first["level"]),
        resamples=int(first["resamples"]),
        seed=int(first["seed"]),
        method=str(first["method"]),
        basis=str(first["basis"]),
        ranges=ranges,
    )


# CSV columns of the ranges: channel_summary.csv names them after its attributed_* columns,
# model_comparison.csv after its own.
SUMMARY_COLUMNS = (
    "attributed_conversions_low",
    "attributed_conversions_high",
    "attributed_revenue_low",
    "attributed_revenue_high",
    "share_low",
    "share_high",
    "cac_low",
    "cac_high",
    "roas_low",
    "roas_high",
    "rank_settled",
)
COMPARISON_COLUMNS = tuple(c.removeprefix("attributed_") for c in SUMMARY_COLUMNS)


def csv_cells(found: Intervals | None, rows: list[dict[str, object]], prefix: str) -> None:
    """Add each (channel, model) row's ranges to its CSV cells, named with the prefix of its
    file's credit columns ("attributed_" or ""); nothing without intervals."""
    if found is None:
        return
    for row in rows:
        r = found.of(str(row["model"]), str(row["channel"]))
        if r is None:
            continue
        row.update(
            {
                f"{prefix}conversions_low": r.conversions.low,
                f"{prefix}conversions_high": r.conversions.high,
                f"{prefix}revenue_low": r.revenue.low,
                f"{prefix}revenue_high": r.revenue.high,
                "share_low": r.share.low,
                "share_high": r.share.high,
                "cac_low": r.cac.low,
                "cac_high": r.cac.high,
                "roas_low": r.roas.low,
                "roas_high": r.roas.high,
                "rank_settled": r.settled,
            }
        )


@dataclass(frozen=True)
class Placebo:
    """What a model credits to a channel with no effect over the run's window (the placebo
    check), its interval, and its share of the window's conversions."""

    model: str
    conversions: float
    low: float
    high: float
    share: float

    @property
    def meaning(self) -> str:
        """The row in words: whether the model's credit to noise is told apart from none."""
        if self.low <= 0.0:
            return "credits noise no more than the data can tell from nothing"
        return f"hands about {self.share * 100:.1f} % of conversions to a channel that does nothing"


def placebo(wh: Warehouse, run_id: int, models: Sequence[str]) -> list[Placebo]:
    """The run's placebo check, in the report's model order (none: a run without it)."""
    rows = {r["model"]: r for r in wh.records("metrics/placebo", {"run_id": run_id})}
    return [
        Placebo(
            m,
            float(rows[m]["conversions"]),
            float(rows[m]["conversions_low"]),
            float(rows[m]["conversions_high"]),
            float(rows[m]["share"]),
        )
        for m in models
        if m in rows
    ]
