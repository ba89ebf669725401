"""The weekly report's tables: the period's channel and source rows beside the previous
period's, the headline figures, the data-quality measures, and the rows of its CSV files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from attribution.reporting.metrics import change, ratio
from attribution.reporting.render import model_label, shown_as_zero
from attribution.reporting.rows import ChannelRow, Credit, Figures, SourceRow, TrendRow

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Cells = dict[str, object]  # a CSV row by column name (render.write_csv)

QUALITY_LABELS = {
    "leads": "Leads created",
    "leads_unknown_origin": "Leads of unknown origin (no source, no UTM values; on Unassigned)",
    "leads_without_source": "Leads without a lead source",
    "leads_unassigned": "Leads on the Unassigned channel",
    "junk_leads": "Junk leads (left out of every figure)",
    "journey_touches": "Touches of converting journeys",
    "journey_touches_unassigned": "Touches of converting journeys on Unassigned",
    "journey_touches_without_source": "Touches of converting journeys without a lead source",
    "credit_without_source": "Conversions credited to no lead source ({primary})",
    "conversions_without_touches": "Conversions with no touch in their window",
    "rejected_rows": "Rows rejected by ingest (dated in the period, or loaded since the last "
    "report)",
    "revenue_without_lead": "Revenue rows refused: lead unknown",
    "sources_auto_created": "Lead sources created by ingest",
    "touches_too_early": "Touches before the lookback window (whole run)",
    "touches_after_conversion": "Touches at or after their conversion (whole run)",
}
COSTS = ("Spend", "Cost per lead", "CAC")  # a rise is not good news
NEUTRAL = ("Spend",)  # more spend is neither good nor bad news by itself


@dataclass(frozen=True)
class ComparedCredit(Credit):
    """A model's credit beside its credit in the previous period (0 when it had none)."""

    conversions_previous: float
    revenue_previous: float

    @property
    def conversions_change(self) -> float | None:
        return change(self.conversions, self.conversions_previous)

    @property
    def revenue_change(self) -> float | None:
        return change(self.revenue, self.revenue_previous)


@dataclass(frozen=True)
class ComparedChannel(ChannelRow):
    """A channel's row with the previous period's leads and credit beside them."""

    by_model: Mapping[str, ComparedCredit]
    leads_previous: int

    @property
    def leads_change(self) -> float | None:
        return change(self.leads, self.leads_previous)


@dataclass(frozen=True)
class ComparedSource(SourceRow):
    """A lead source's row with the previous period's leads and credit beside them."""

    by_model: Mapping[str, ComparedCredit]
    leads_previous: int

    @property
    def leads_change(self) -> float | None:
        return change(self.leads, self.leads_previous)


@dataclass(frozen=True)
class Compared:
    """The period's channel and source rows, each beside the previous period's."""

    channels: list[ComparedChannel]
    sources: list[ComparedSource]


@dataclass(frozen=True)
class HeadlineItem:
    """A headline figure (format: count, money, percent, ratio or number) and the previous
    period's."""

    label: str
    format: str
    value: float | None
    previous: float | None
    model: str = ""  # the model of an attributed figure, named in its label

    @property
    def change(self) -> float | None:
        """The change against the previous period: of a rate in points, else relative."""
        return headline_change(self.value, self.previous, self.format)

    @property
    def text(self) -> str:
        """The label for people (model names as such)."""
        return headline_text(self.label, self.model)

    @property
    def tone(self) -> str:
        """Whether the change is good news, bad news or neither (good, bad, neutral)."""
        return tone(self.label, self.change)


def headline_change(value: float | None, previous: float | None, fmt: str) -> float | None:
    """A headline change: a rate's (fmt "percent") in points (0.25 -> 0.30: +0.05), other
    figures' relative (None when there was nothing before)."""
    if fmt != "percent":
        return change(value, previous)
    return None if value is None or previous is None else float(value) - float(previous)


def headline_text(label: str, model: str) -> str:
    """A headline label for people: "Conversions (markov)" -> "Conversions (Markov chain)"."""
    return label.replace(f"({model})", f"({model_label(model)})") if model else label


def tone(label: str, moved: float | None) -> str:
    """good, bad or neutral: neutral when unknown, shown as 0.0, or for spend (more spend is
    not good or bad news by itself); lower is better for costs."""
    if moved is None or label in NEUTRAL or shown_as_zero(moved):
        return "neutral"
    return "good" if (moved > 0) != (label in COSTS) else "bad"


@dataclass(frozen=True)
class QualityLine:
    """A data-quality measure for people, its count and the previous period's."""

    measure: str
    value: float
    previous: float
    share: float | None = None  # of the period's conversions, for credit without a source

    @property
    def text(self) -> str:
        return _quality_text(self.value)

    @property
    def previous_text(self) -> str:
        return _quality_text(self.previous)


def _quality_text(value: float) -> str:
    """A count with thousands separators, credit (fractional) with one decimal."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _credits(
    now: Mapping[str, Credit], before: Mapping[str, Credit] | None
) -> dict[str, ComparedCredit]:
    out = {}
    for model, c in now.items():
        prior = before[model] if before else None
        out[model] = ComparedCredit(
            conversions=c.conversions,
            revenue=c.revenue,
            average_deal_value=c.average_deal_value,
            cac=c.cac,
            roas=c.roas,
            conversions_previous=prior.conversions if prior else 0.0,
            revenue_previous=prior.revenue if prior else 0.0,
        )
    return out


def _channel(row: ChannelRow, prior: ChannelRow | None) -> ComparedChannel:
    return ComparedChannel(
        channel=row.channel,
        leads=row.leads,
        converted_leads=row.converted_leads,
        conversions=row.conversions,
        revenue=row.revenue,
        days_to_convert_median=row.days_to_convert_median,
        days_to_convert_p90=row.days_to_convert_p90,
        journeys=row.journeys,
        touches_per_journey=row.touches_per_journey,
        participation=row.participation,
        spend=row.spend,
        conversion_rate=row.conversion_rate,
        cost_per_lead=row.cost_per_lead,
        by_model=_credits(row.by_model, prior.by_model if prior else None),
        leads_previous=prior.leads if prior else 0,
    )


def _source(row: SourceRow, prior: SourceRow | None) -> ComparedSource:
    return ComparedSource(
        source_key=row.source_key,
        source_id=row.source_id,
        source=row.source,
        channel=row.channel,
        leads=row.leads,
        converted_leads=row.converted_leads,
        conversions=row.conversions,
        revenue=row.revenue,
        days_to_convert_median=row.days_to_convert_median,
        days_to_convert_p90=row.days_to_convert_p90,
        spend=row.spend,
        conversion_rate=row.conversion_rate,
        cost_per_lead=row.cost_per_lead,
        by_model=_credits(row.by_model, prior.by_model if prior else None),
        leads_previous=prior.leads if prior else 0,
    )


def compare(now: Figures, before: Figures) -> Compared:
    """The rows of `now` with the previous period's leads and per-model credit beside them."""
    channels = {r.channel: r for r in before.channels}
    sources = {r.source_key: r for r in before.sources}
    return Compared(
        [_channel(r, channels.get(r.channel)) for r in now.channels],
        [_source(r, sources.get(r.source_key)) for r in now.sources],
    )


def headline(now: Figures, before: Figures, primary: str) -> list[HeadlineItem]:
    """The headline figures with the previous period's."""

    def attributed(figs: Figures) -> float:
        return float(sum(r.by_model[primary].conversions for r in figs.channels))

    t, p = now.totals, before.totals
    return [
        HeadlineItem("Leads", "count", t.leads, p.leads),
        HeadlineItem("Converted leads", "count", t.converted_leads, p.converted_leads),
        HeadlineItem("Conversion rate", "percent", t.conversion_rate, p.conversion_rate),
        HeadlineItem("Revenue", "money", t.revenue, p.revenue),
        HeadlineItem("Spend", "money", t.spend, p.spend),
        HeadlineItem("Cost per lead", "money", t.cost_per_lead, p.cost_per_lead),
        HeadlineItem("CAC", "money", t.cac, p.cac),
        HeadlineItem("ROAS", "ratio", t.roas, p.roas),
        HeadlineItem(
            f"Conversions ({primary})", "number", attributed(now), attributed(before), primary
        ),
    ]


def quality(now: Figures, before: Figures, primary: str) -> list[QualityLine]:
    """Each data-quality measure of the period beside the previous period's; the credit with
    no lead source also as a share of the period's conversions."""
    previous = before.quality.counts()
    lines = []
    for key, value in now.quality.counts().items():
        label = QUALITY_LABELS.get(key, key).format(primary=model_label(primary))
        share = ratio(value, now.totals.conversions) if key == "credit_without_source" else None
        lines.append(QualityLine(label, value, previous[key], share))
    return lines


def cells(row: DataclassInstance, **more: object) -> Cells:
    """A row's fields by name (nested rows as they are), then `more`."""
    return {**{f.name: getattr(row, f.name) for f in fields(row)}, **more}


def long_cells(
    rows: Sequence[ComparedChannel | ComparedSource], models: Sequence[str]
) -> list[Cells]:
    """One CSV row per (row, model): the row's figures, then the model's."""
    out = []
    for row in rows:
        for model in models:
            credit = row.by_model[model]
            out.append(
                cells(
                    row,
                    model=model,
                    attributed_conversions=credit.conversions,
                    attributed_conversions_previous=credit.conversions_previous,
                    attributed_revenue=credit.revenue,
                    attributed_revenue_previous=credit.revenue_previous,
                    average_deal_value=credit.average_deal_value,
                    cac=credit.cac,
                    roas=credit.roas,
                )
            )
    return out


def model_cells(rows: Sequence[ComparedChannel], models: Sequence[str]) -> list[Cells]:
    """One CSV row per (channel, model): the model's credit and the previous period's."""
    return [
        {"channel": row.channel, "model": model, **cells(row.by_model[model])}
        for row in rows
        for model in models
    ]


def trend_cells(rows: Sequence[TrendRow]) -> list[Cells]:
    """The weekly trend's CSV rows."""
    return [cells(r) for r in rows]
