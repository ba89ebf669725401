"""The typed rows of a period's figures (made by reporting.metrics): per channel and per lead
source, totals, data quality, days to convert, the weekly trend and where the models disagree.
Field names are the CSV columns' and the templates' (reports/*.j2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

from attribution.reporting.period import Period


@dataclass(frozen=True)
class Credit:
    """One model's credit to a channel or source in a period, and the ratios that need it."""

    conversions: float
    revenue: float
    average_deal_value: float | None
    cac: float | None
    roas: float | None


@dataclass(frozen=True)
class ChannelRow:
    """A channel's figures: leads, converted leads, their conversions, revenue and days to
    convert by the channel of each lead's creation; converting journeys that touched it; spend;
    then each model's credit."""

    channel: str
    leads: int
    converted_leads: int
    conversions: int
    revenue: float
    days_to_convert_median: float | None
    days_to_convert_p90: float | None
    journeys: int
    touches_per_journey: float | None
    participation: float | None
    spend: float | None
    conversion_rate: float | None
    cost_per_lead: float | None
    by_model: Mapping[str, Credit]


@dataclass(frozen=True)
class SourceRow:
    """A lead source's figures, as ChannelRow's without journeys; what has no source is one row
    per channel (source_id None, source "<channel>, source unknown", source_key "unknown:...")."""

    source_key: str
    source_id: int | None
    source: str
    channel: str
    leads: int
    converted_leads: int
    conversions: int
    revenue: float
    days_to_convert_median: float | None
    days_to_convert_p90: float | None
    spend: float | None
    conversion_rate: float | None
    cost_per_lead: float | None
    by_model: Mapping[str, Credit]


@dataclass(frozen=True)
class Totals:
    """The period's totals over every channel; spend None when no channel has any."""

    leads: int
    converted_leads: int
    conversions: int
    revenue: float
    spend: float | None
    conversion_rate: float | None
    cost_per_lead: float | None
    cac: float | None
    roas: float | None
    average_deal_value: float | None


@dataclass(frozen=True)
class DataQuality:
    """Counts of the data-quality measures (sql/metrics/data_quality.sql), in its order."""

    leads: int
    leads_unknown_origin: int
    leads_without_source: int
    leads_unassigned: int
    junk_leads: int
    journey_touches: int
    journey_touches_unassigned: int
    journey_touches_without_source: int
    credit_without_source: float  # the primary model's conversions credited to no source
    conversions_without_touches: int
    rejected_rows: int
    revenue_without_lead: int
    sources_auto_created: int
    touches_too_early: int
    touches_after_conversion: int

    def counts(self) -> dict[str, float]:
        """Each measure's count by name, in field order."""
        return asdict(self)


@dataclass(frozen=True)
class DaysToConvert:
    """Conversions whose lead took `days` whole days to convert (the last bin: that or more)."""

    days: int
    conversions: int


@dataclass(frozen=True)
class TrendRow:
    """Leads of a channel in a week (its Monday) and one model's credit (model None: none)."""

    week: date
    channel: str
    model: str | None
    leads: int
    conversions: float
    revenue: float


@dataclass(frozen=True)
class Disagreement:
    """A channel's share of conversions under each model, and the spread (highest less
    lowest share)."""

    channel: str
    spread: float
    highest_model: str
    lowest_model: str
    shares: dict[str, float]


@dataclass(frozen=True)
class Figures:
    """A run's figures for one period: rows per channel and per source (model-independent
    figures, then per model: conversions, revenue, average deal value, CAC, ROAS), totals."""

    period: Period
    models: tuple[str, ...]
    channels: list[ChannelRow]
    sources: list[SourceRow]
    totals: Totals
    quality: DataQuality
    days_to_convert: list[DaysToConvert]
