"""The report's charts: Plotly figures built from a period's figures (reporting.metrics).

Each chart is a div and a small script for the page; plotly.js itself is one file beside the
reports (write_plotly_js), never a CDN, so that a report opens from disk with no network."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from attribution.reporting.intervals import Intervals, Range
from attribution.reporting.render import model_label
from attribution.reporting.rows import ChannelRow, Credit, Disagreement, Figures, TrendRow

PLOTLY_JS = "plotly.min.js"
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
# No figure title: the page and the email caption each chart in HTML, which wraps on a phone.
# Axes grow their margins to fit their labels (automargin); the legend sits at the bottom of
# the figure (container coordinates), below the tick labels whatever their length.
_LAYOUT: dict[str, object] = {
    "template": "plotly_white",
    "margin": {"l": 8, "r": 8, "t": 24, "b": 8},
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "separators": ".,",
    "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
    "xaxis": {"automargin": True},
    "yaxis": {"automargin": True},
    "height": 420,
}
COUNT_TICKS = ",~r"  # 1,302
MONEY_TICKS = "~s"  # 250k; the hover gives the amount to the cent
EMPTY = "Nothing in this period"


@dataclass(frozen=True)
class Chart:
    """One chart of a report: its id on the page, title (its caption), and Plotly figure."""

    chart_id: str
    title: str
    figure: go.Figure

    @property
    def traces(self) -> int:
        return len(self.figure.data)

    def html(self) -> str:
        """The chart's div and script (plotly.js comes from the page); it fills its box."""
        return str(
            pio.to_html(
                self.figure,
                include_plotlyjs=False,
                full_html=False,
                div_id=self.chart_id,
                config={"displaylogo": False, "responsive": True},
            )
        )


def write_plotly_js(folder: Path) -> Path:
    """plotly.min.js in folder, written once (again only when the bundled version changed)."""
    path = folder / PLOTLY_JS
    text = get_plotlyjs()
    if not path.exists() or path.stat().st_size != len(text.encode()):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path


def colours(channels: Sequence[str]) -> dict[str, str]:
    """A stable colour per channel (by name order)."""
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(channels))}


def iso_week(day: date) -> str:
    """The ISO week of a day, as reports name weeks: 2026-W47."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(first: date, last: date) -> list[str]:
    """Every ISO week from the one holding `first` to the one holding `last`."""
    monday = first - timedelta(days=first.weekday())
    out = []
    while monday <= last:
        out.append(iso_week(monday))
        monday += timedelta(weeks=1)
    return out


def _money_axis(currency: str, what: str = "Revenue") -> dict[str, object]:
    return {
        "title": {"text": f"{what} ({currency})" if currency else what},
        "tickformat": MONEY_TICKS,
    }


def _figure(**layout: object) -> go.Figure:
    return go.Figure(layout={**_LAYOUT, **layout})


def _empty(fig: go.Figure, text: str = EMPTY) -> go.Figure:
    """A note across an empty chart, so that it does not read as a chart that failed; its axes
    keep their titles but show no ticks or grid (Plotly's default range, -1 to 6, means
    nothing)."""
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font={"size": 15}
    )
    bare = {"showticklabels": False, "showgrid": False, "zeroline": False}
    fig.update_xaxes(**bare)
    fig.update_yaxes(**bare)
    return fig


def _credited(credit: Credit, field: Literal["conversions", "revenue"]) -> float:
    return credit.conversions if field == "conversions" else credit.revenue


def _error_bars(
    figs: Figures,
    field: Literal["conversions", "revenue"],
    model: str,
    ranges: Intervals | None,
    rows: Sequence[ChannelRow] | None = None,
) -> dict[str, object] | None:
    """Plotly error bars of a model's figure per channel: its interval around the bar."""
    if ranges is None or model not in ranges.ranges:
        return None
    plus, minus = [], []
    for row in figs.channels if rows is None else rows:
        shown = _credited(row.by_model[model], field)
        found = ranges.of(model, row.channel)
        bound: Range | None = None if found is None else getattr(found, field)
        if bound is None or bound.low is None or bound.high is None:
            plus.append(0.0)
            minus.append(0.0)
            continue
        plus.append(max(bound.high - shown, 0.0))
        minus.append(max(shown - bound.low, 0.0))
    return {
        "type": "data",
        "symmetric": False,
        "array": plus,
        "arrayminus": minus,
        "color": "#333333",
        "thickness": 1.2,
        "width": 3,
    }


def by_model(
    figs: Figures,
    field: Literal["conversions", "revenue"],
    currency: str = "",
    ranges: Intervals | None = None,
    primary: str = "",
) -> go.Figure:
    """A grouped bar per model of one figure (conversions or revenue) per channel; the primary
    model's bars carry their intervals as error bars (ranges given)."""
    if field == "conversions":
        axis: dict[str, object] = {
            "title": {"text": "Conversions credited"},
            "tickformat": COUNT_TICKS,
        }
        hover = "%{x}, %{fullData.name}: %{y:,.1f} conversions<extra></extra>"
    else:
        axis = _money_axis(currency)
        hover = "%{x}, %{fullData.name}: %{y:,.2f} " + currency + "<extra></extra>"
    fig = _figure(barmode="group", yaxis={**axis, "automargin": True})
    names = [r.channel for r in figs.channels]
    for i, model in enumerate(figs.models):
        fig.add_bar(
            name=model_label(model),
            meta=model,  # the code name, for tools reading the figure
            x=names,
            y=[_credited(r.by_model[model], field) for r in figs.channels],
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate=hover,
            error_y=_error_bars(figs, field, model, ranges) if model == primary else None,
        )
    return fig if names else _empty(fig)


def trend(
    rows: Sequence[TrendRow],
    model: str,
    channels: Sequence[str],
    weeks: Sequence[str],
    currency: str = "",
) -> go.Figure:
    """Leads, conversions and revenue (under one model) per ISO week, a line per channel each;
    the x axis holds exactly `weeks` (2026-W47 ...), in order, a week with nothing as 0."""
    label = model_label(model)
    money = f"{currency}, {label}" if currency else label
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        subplot_titles=("Leads created", f"Conversions ({label})", f"Revenue ({money})"),
        vertical_spacing=0.09,
    )
    fig.update_layout(**{**_LAYOUT, "height": 720, "hovermode": "x unified"})
    fig.update_xaxes(
        type="category", categoryorder="array", categoryarray=list(weeks), automargin=True
    )
    fig.update_yaxes(automargin=True, tickformat=COUNT_TICKS)
    fig.update_yaxes(tickformat=MONEY_TICKS, row=3, col=1)
    colour = colours(channels)
    for channel in sorted(channels):
        leads = {iso_week(r.week): r.leads for r in rows if r.channel == channel}
        credit = {iso_week(r.week): r for r in rows if r.channel == channel and r.model == model}
        series = (
            ([leads.get(w, 0) for w in weeks], "%{y:,}"),
            ([credit[w].conversions if w in credit else 0.0 for w in weeks], "%{y:,.1f}"),
            ([credit[w].revenue if w in credit else 0.0 for w in weeks], "%{y:,.2f}"),
        )
        for row, (values, number) in enumerate(series, start=1):
            fig.add_scatter(
                x=list(weeks),
                y=values,
                name=channel,
                legendgroup=channel,
                showlegend=row == 1,
                mode="lines+markers",
                line={"color": colour[channel]},
                hovertemplate=f"{channel}: {number}<extra></extra>",
                row=row,
                col=1,
            )
    return fig if channels else _empty(fig)


def funnel(figs: Figures) -> go.Figure:
    """Leads created, leads converted, conversions of the period."""
    fig = _figure()
    t = figs.totals
    values = [t.leads, t.converted_leads, t.conversions]
    widest = max(values) or 1
    fig.add_trace(
        go.Funnel(
            y=["Leads created", "Leads converted", "Conversions"],
            x=values,
            # conversions are not a share of leads: a lead may convert twice, or in a later
            # period than its creation
            # (and no share of no leads: Plotly would print "NaN%")
            texttemplate=[
                "%{value:,}",
                "%{value:,}<br>%{percentInitial:.1%} of leads" if t.leads else "%{value:,}",
                "%{value:,}",
            ],
            # beside a narrow bar, where it would shrink to nothing inside
            textposition=["inside" if v / widest > 0.4 else "outside" for v in values],
            hovertemplate="%{y}: %{value:,}<extra></extra>",
        )
    )
    return fig


def _day_ticks(last: int, cap: int) -> tuple[list[int], list[str]]:
    """Ticks of the days axis: a round step (1, 2, 7, 14 or 28 days) up to `last`, the last
    bin (cap) as "60+"."""
    step = next((s for s in (1, 2, 7, 14, 28) if last // s <= 8), 28)
    values = [d for d in range(0, last + 1, step) if last < cap or d <= cap - step / 2]
    if last >= cap:
        values.append(cap)
    return values, [f"{cap}+" if d >= cap else str(d) for d in values]


def days_to_convert(figs: Figures, cap: int) -> go.Figure:
    """Conversions by whole days from lead creation on a numeric axis (a day with none is a
    gap; the last bin: cap days or more)."""
    rows = figs.days_to_convert
    last = max((r.days for r in rows), default=0)
    values, texts = _day_ticks(last, cap)
    fig = _figure(
        xaxis={
            "type": "linear",
            "title": {"text": "Days from lead creation to conversion"},
            "range": [-0.6, last + 0.6],
            "tickmode": "array",
            "tickvals": values,
            "ticktext": texts,
            "automargin": True,
        },
        yaxis={"title": {"text": "Conversions"}, "tickformat": COUNT_TICKS, "automargin": True},
        bargap=0.15,
    )
    fig.add_bar(
        x=[r.days for r in rows],
        y=[r.conversions for r in rows],
        name="Conversions",
        customdata=[f"{cap} days or more" if r.days >= cap else _days(r.days) for r in rows],
        hovertemplate="%{customdata}: %{y:,} conversions<extra></extra>",
    )
    return fig if rows else _empty(fig, "No conversions in this period")


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def roas(
    figs: Figures, model: str, currency: str = "", ranges: Intervals | None = None
) -> go.Figure:
    """Spend beside attributed revenue (one model) per channel with spend; each channel's ROAS
    under its name (a label on the bar would shrink to nothing on a phone)."""
    label = model_label(model)
    fig = _figure(barmode="group", yaxis={**_money_axis(currency, "Amount"), "automargin": True})
    spent = [r for r in figs.channels if r.spend]
    names = [f"{r.channel}<br>{_roas_text(r.by_model[model].roas)}" for r in spent]
    unit = f" {currency}" if currency else ""
    fig.add_bar(
        name="Spend",
        x=names,
        y=[r.spend for r in spent],
        marker_color="#7f7f7f",
        hovertemplate="Spend: %{y:,.2f}" + unit + "<extra></extra>",
    )
    fig.add_bar(
        name=f"Revenue ({label})",
        x=names,
        y=[r.by_model[model].revenue for r in spent],
        error_y=_error_bars(figs, "revenue", model, ranges, spent),
        marker_color="#2ca02c",
        hovertemplate=f"Revenue ({label}): " + "%{y:,.2f}" + unit + "<extra></extra>",
    )
    fig.update_layout(hovermode="x unified")
    return fig if spent else _empty(fig, "No spend in this period")


def _roas_text(value: float | None) -> str:
    return "ROAS n/a" if value is None else f"ROAS {value:,.2f}"


def disagreement(rows: Sequence[Disagreement], models: Sequence[str]) -> go.Figure:
    """Each channel's share of conversions under each model (a heatmap), most disputed first."""
    fig = _figure(height=160 + 36 * len(rows))
    fig.add_trace(
        go.Heatmap(
            z=[[r.shares[m] for m in models] for r in rows],
            x=[model_label(m) for m in models],
            y=[r.channel for r in rows],
            colorscale="Blues",
            zmin=0,
            texttemplate="%{z:.0%}",
            hovertemplate="%{y} under %{x}: %{z:.1%} of conversions<extra></extra>",
            colorbar={  # below the cells: the width goes to the models
                "tickformat": ".0%",
                "title": {"text": "Share", "side": "top"},
                "orientation": "h",
                "thickness": 12,
                "len": 1,
                "yref": "container",
                "y": 0,
                "yanchor": "bottom",
            },
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(automargin=True, side="top")
    return fig if rows else _empty(fig)


def report_charts(
    figs: Figures,
    trend_rows: Sequence[TrendRow],
    spread: Sequence[Disagreement],
    primary: str,
    cap: int,
    currency: str = "",
    ranges: Intervals | None = None,
) -> list[Chart]:
    """Every chart of the weekly report, in page order; money axes in `currency`; with
    ranges, error bars on the primary model's bars."""
    channels = sorted({r.channel for r in trend_rows} | {r.channel for r in figs.channels})
    last_day = (figs.period.end - timedelta(days=1)).date()
    first_day = min((r.week for r in trend_rows), default=figs.period.start.date())
    weeks = weeks_between(min(first_day, figs.period.start.date()), last_day)
    label = model_label(primary)
    bars = f"; error bars: {label}, {ranges.percent} range" if ranges is not None else ""
    return [
        Chart(
            "chart-conversions",
            "Conversions by channel under each model" + bars,
            by_model(figs, "conversions", "", ranges, primary),
        ),
        Chart(
            "chart-revenue",
            "Revenue by channel under each model" + bars,
            by_model(figs, "revenue", currency, ranges, primary),
        ),
        Chart(
            "chart-trend",
            "Weekly trend per channel",
            trend(trend_rows, primary, channels, weeks, currency),
        ),
        Chart("chart-funnel", "Conversion funnel", funnel(figs)),
        Chart("chart-days", "Days from lead to conversion", days_to_convert(figs, cap)),
        Chart(
            "chart-roas",
            f"Spend and attributed revenue ({label})" + bars.replace(f" {label},", ""),
            roas(figs, primary, currency, ranges),
        ),
        Chart(
            "chart-disagreement",
            "Where the models disagree: each channel's share of conversions",
            disagreement(spread, figs.models),
        ),
    ]


def to_json(chart_list: Sequence[Chart]) -> str:
    """The charts as one JSON document: [{"id", "title", "figure"}] (Plotly's figure JSON)."""
    parts = [
        f'{{"id": {json.dumps(c.chart_id)}, "title": {json.dumps(c.title)}, '
        f'"figure": {c.figure.to_json()}}}'
        for c in chart_list
    ]
    return "[" + ",\n".join(parts) + "]"


def from_json(text: str) -> list[Chart]:
    """Charts written by to_json."""
    return [
        Chart(item["id"], item["title"], pio.from_json(json.dumps(item["figure"])))
        for item in json.loads(text)
    ]
