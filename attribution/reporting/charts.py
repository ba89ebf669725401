"""The report's charts: Plotly figures built from a period's figures (reporting.metrics).

Each chart is a div and a small script for the page; plotly.js itself is one file beside the
reports (write_plotly_js), never a CDN, so that a report opens from disk with no network."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from attribution.reporting.rows import Credit, Disagreement, Figures, TrendRow

PLOTLY_JS = "plotly.min.js"
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
_LAYOUT: dict[str, object] = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "legend": {"orientation": "h", "y": -0.2},
    "height": 420,
}


@dataclass(frozen=True)
class Chart:
    """One chart of a report: its id on the page, title, and Plotly figure."""

    chart_id: str
    title: str
    figure: go.Figure

    @property
    def traces(self) -> int:
        return len(self.figure.data)

    def html(self) -> str:
        """The chart's div and script (plotly.js comes from the page)."""
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


def _figure(title: str, **layout: object) -> go.Figure:
    return go.Figure(layout={**_LAYOUT, "title": {"text": title}, **layout})


def _credited(credit: Credit, field: Literal["conversions", "revenue"]) -> float:
    return credit.conversions if field == "conversions" else credit.revenue


def by_model(
    figs: Figures, field: Literal["conversions", "revenue"], title: str, axis: str
) -> go.Figure:
    """A grouped bar per model of one figure (conversions or revenue) per channel."""
    fig = _figure(title, barmode="group", yaxis={"title": {"text": axis}})
    names = [r.channel for r in figs.channels]
    for i, model in enumerate(figs.models):
        fig.add_bar(
            name=model,
            x=names,
            y=[_credited(r.by_model[model], field) for r in figs.channels],
            marker_color=PALETTE[i % len(PALETTE)],
        )
    return fig


def trend(rows: Sequence[TrendRow], model: str, channels: Sequence[str]) -> go.Figure:
    """Leads, conversions and revenue (under one model) per week, a line per channel each."""
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        subplot_titles=("Leads", f"Conversions ({model})", f"Revenue ({model})"),
        vertical_spacing=0.08,
    )
    fig.update_layout(**{**_LAYOUT, "height": 720, "title": {"text": "Weekly trend per channel"}})
    colour = colours(channels)
    for channel in sorted(channels):
        leads = {str(r.week): r.leads for r in rows if r.channel == channel}
        credit = {str(r.week): r for r in rows if r.channel == channel and r.model == model}
        weeks = sorted(leads)
        for row, (values, show) in enumerate(
            (
                ([leads[w] for w in weeks], True),
                ([credit[w].conversions if w in credit else 0 for w in weeks], False),
                ([credit[w].revenue if w in credit else 0 for w in weeks], False),
            ),
            start=1,
        ):
            fig.add_scatter(
                x=weeks,
                y=values,
                name=channel,
                legendgroup=channel,
                showlegend=show,
                mode="lines+markers",
                line={"color": colour[channel]},
                row=row,
                col=1,
            )
    return fig


def funnel(figs: Figures) -> go.Figure:
    """Leads created, leads converted, conversions of the period."""
    fig = _figure("Conversion funnel")
    t = figs.totals
    fig.add_trace(
        go.Funnel(
            y=["Leads created", "Leads converted", "Conversions"],
            x=[t.leads, t.converted_leads, t.conversions],
            textinfo="value+percent initial",
        )
    )
    return fig


def days_to_convert(figs: Figures, cap: int) -> go.Figure:
    """Conversions by whole days from lead creation (the last bin: cap days or more)."""
    fig = _figure(
        "Days from lead to conversion",
        xaxis={"title": {"text": "days"}},
        yaxis={"title": {"text": "conversions"}},
    )
    labels = [f"{cap}+" if r.days >= cap else str(r.days) for r in figs.days_to_convert]
    fig.add_bar(x=labels, y=[r.conversions for r in figs.days_to_convert], name="conversions")
    return fig


def roas(figs: Figures, model: str) -> go.Figure:
    """Spend beside attributed revenue (one model) per channel with spend; ROAS as text."""
    fig = _figure(f"Spend and attributed revenue ({model})", barmode="group")
    spent = [r for r in figs.channels if r.spend]
    names = [r.channel for r in spent]
    fig.add_bar(name="Spend", x=names, y=[r.spend for r in spent], marker_color="#7f7f7f")
    fig.add_bar(
        name=f"Revenue ({model})",
        x=names,
        y=[r.by_model[model].revenue for r in spent],
        text=[_roas_text(r.by_model[model].roas) for r in spent],
        textposition="outside",
        marker_color="#2ca02c",
    )
    return fig


def _roas_text(value: float | None) -> str:
    return "ROAS n/a" if value is None else f"ROAS {value:.2f}"


def disagreement(rows: Sequence[Disagreement], models: Sequence[str]) -> go.Figure:
    """Each channel's share of conversions under each model (a heatmap), most disputed first."""
    fig = _figure("Where the models disagree: share of conversions", height=120 + 40 * len(rows))
    fig.add_trace(
        go.Heatmap(
            z=[[r.shares[m] for m in models] for r in rows],
            x=list(models),
            y=[r.channel for r in rows],
            colorscale="Blues",
            zmin=0,
            texttemplate="%{z:.0%}",
            hovertemplate="%{y} under %{x}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def report_charts(
    figs: Figures,
    trend_rows: Sequence[TrendRow],
    spread: Sequence[Disagreement],
    primary: str,
    cap: int,
) -> list[Chart]:
    """Every chart of the weekly report, in page order."""
    channels = sorted({r.channel for r in trend_rows} | {r.channel for r in figs.channels})
    return [
        Chart(
            "chart-conversions",
            "Conversions by channel",
            by_model(figs, "conversions", "Conversions by channel under each model", "conversions"),
        ),
        Chart(
            "chart-revenue",
            "Revenue by channel",
            by_model(figs, "revenue", "Revenue by channel under each model", "revenue"),
        ),
        Chart("chart-trend", "Weekly trend", trend(trend_rows, primary, channels)),
        Chart("chart-funnel", "Funnel", funnel(figs)),
        Chart("chart-days", "Days to convert", days_to_convert(figs, cap)),
        Chart("chart-roas", "Spend and revenue", roas(figs, primary)),
        Chart("chart-disagreement", "Model disagreement", disagreement(spread, figs.models)),
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
