"""The weekly report: one run over the period, the previous one and the trend weeks; figures,
charts and CSV files in a folder of its own; and the index of every report built.

Layout of the output folder (reports.output_dir):
    plotly.min.js, report.css      written once, shared by every report
    index.html                     every report, latest period first
    <label>-run<N>/index.html      one report, and its CSV files and report.json"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from attribution import clock
from attribution.engine import runs
from attribution.errors import AttributionError
from attribution.models import DEFAULT_MODELS, ModelOptions, check_names
from attribution.models.bootstrap import BootstrapSpec
from attribution.reporting import charts, coverage, guidance, intervals, kept, metrics, tables
from attribution.reporting.period import Period
from attribution.reporting.render import (
    CHANNEL_COLUMNS,
    MODEL_COLUMNS,
    QUALITY_COLUMNS,
    SOURCE_COLUMNS,
    TREND_COLUMNS,
    environment,
    write_csv,
)
from attribution.resources import TEMPLATES_DIR
from attribution.warehouse.connection import Warehouse

if TYPE_CHECKING:
    from attribution.config import ReportSettings

STYLESHEET = TEMPLATES_DIR / "report.css"
MANIFEST = "report.json"
CHARTS = "charts.json"  # the Plotly figures, for emails (rendered to PNG) and other tools


@dataclass(frozen=True)
class ReportSpec:
    """What a report covers and how its run is made."""

    period: Period
    models: tuple[str, ...] = DEFAULT_MODELS
    primary: str = ""  # the model of the headline, trend and ROAS chart; "": the first model
    lookback_days: float = 30.0
    trend_weeks: int = 8
    options: ModelOptions = field(default_factory=ModelOptions)
    intervals: BootstrapSpec | None = None  # None: the report shows no intervals

    @property
    def primary_model(self) -> str:
        return self.primary or self.models[0]


def spec_for(
    cfg: ReportSettings,
    period: Period,
    *,
    models: Sequence[str] | None = None,
    primary: str | None = None,
    lookback_days: float | None = None,
) -> ReportSpec:
    """A report's settings: the arguments given, the rest from the config (`reports.*`). The
    primary model is the one asked for, else reports.primary_model when the report has it,
    else the report's first model. The one place these defaults are worked out."""
    chosen = tuple(check_names(list(models or cfg.models)))
    if not chosen:
        raise AttributionError("a report needs at least one model")
    return ReportSpec(
        period=period,
        models=chosen,
        primary=primary or (cfg.primary_model if cfg.primary_model in chosen else chosen[0]),
        lookback_days=lookback_days or cfg.lookback_days,
        trend_weeks=cfg.trend_weeks,
        intervals=interval_spec(cfg),
    )


def interval_spec(cfg: ReportSettings, level: float | None = None) -> BootstrapSpec | None:
    """The intervals the config asks for (reports.intervals and its settings), or None; a
    level given turns them on at that level."""
    if level is None and not cfg.intervals:
        return None
    return BootstrapSpec(
        level=level or cfg.interval_level, resamples=cfg.resamples, seed=cfg.interval_seed
    )


class ReportManifest(TypedDict):
    """report.json: what a report covers, how it was made, its headline, files and charts."""

    label: str
    period_start: str
    period_end: str
    run_id: int
    input_hash: str
    models: list[str]
    primary_model: str
    lookback_days: float
    window_start: str
    window_end: str
    generated_at: str
    headline: dict[str, float]  # by label; figures with no value are left out
    headline_previous: dict[str, float | None]  # the previous period's, for emails
    files: dict[str, str]  # CSV file names by table
    charts: dict[str, int]  # trace counts by chart id
    intervals: dict[str, object] | None  # level, resamples, seed, method; None: no ranges


@dataclass(frozen=True)
class Report:
    """A built report: its folder, page, CSV files, run and manifest."""

    folder: Path
    index: Path
    files: dict[str, Path]
    run_id: int
    manifest: ReportManifest


def _window(spec: ReportSpec) -> tuple[datetime, datetime]:
    """The run's conversions window: the trend weeks and the previous period, to the end."""
    start = min(spec.period.previous().start, spec.period.weeks_back(spec.trend_weeks))
    return start, spec.period.end


def _banners(
    wh: Warehouse, period: Period, kinds: Sequence[str], now: datetime, allow_empty: bool
) -> list[str]:
    """The notes atop the page: the period has no data, or is not over. A period with no leads
    and no conversions is refused here (EmptyPeriodError), before any run, unless allowed."""
    is_week = period.end - period.start == timedelta(days=7) and period.start.weekday() == 0
    unit = "week" if is_week else "period"
    dates = coverage.days(period.start, period.end)
    what = period.label if period.label == dates else f"{period.label} ({dates})"
    banners = []
    if not allow_empty:
        coverage.require_data(
            wh, period.start, period.end, kinds=kinds, what=what, unit=unit, action="build it"
        )
    elif (found := coverage.count(wh, period.start, period.end, kinds)).empty:
        banners.append(f"This {unit} has no data: no leads and no conversions; {found.where()}.")
    if period.end > now:
        banners.append(f"This {unit} is not over: figures to {now:%Y-%m-%d %H:%M} UTC.")
    return banners


def build(
    wh: Warehouse,
    spec: ReportSpec,
    out_root: Path,
    *,
    base_currency: str,
    progress: Callable[[str], None] | None = None,
    attribute: Callable[[runs.RunSpec], runs.Stored] | None = None,
    allow_empty: bool = False,
) -> Report:
    """Run the models over the report's window (with `attribute`, default: in memory on this
    warehouse), then write the report's folder and the index. A period with no leads and no
    conversions is refused (EmptyPeriodError) before the run, unless `allow_empty`."""
    models = tuple(check_names(spec.models))
    if spec.primary_model not in models:
        raise AttributionError(
            f"the primary model {spec.primary_model!r} is not among the report's models "
            f"({', '.join(models)}); add it to --models"
        )
    say = progress or (lambda _: None)
    start, end = _window(spec)
    run_spec = runs.RunSpec(
        start=start,
        end=end,
        lookback_days=spec.lookback_days,
        models=models,
        options=spec.options,
        intervals=spec.intervals,
        interval_periods=((spec.period.start, spec.period.end),),  # the figures shown
        placebo=spec.intervals is not None,
    )
    read_at = clock.utc_now().replace(microsecond=0)
    banners = _banners(wh, spec.period, run_spec.kinds, read_at, allow_empty)
    say(f"running {len(models)} models over {start.date()} to {end.date()}")
    result = (attribute or (lambda made: runs.run(wh, made)))(run_spec)
    say("computing the figures")
    # recorded first: a prune from now on keeps these periods' figures of the run
    kept.record(wh, result.run_id, [spec.period, spec.period.previous()])
    primary = spec.primary_model
    since = _last_built(out_root)
    now = metrics.figures(wh, result.run_id, spec.period, models, primary=primary, since=since)
    before = metrics.figures(wh, result.run_id, spec.period.previous(), models, primary=primary)
    trend_start = spec.period.weeks_back(spec.trend_weeks)
    trend_rows = metrics.weekly_trend(wh, result.run_id, trend_start, spec.period.end)
    spread = metrics.disagreement(now)
    compared = tables.compare(now, before)
    ranges = intervals.load(wh, result.run_id, spec.period, now.channels)
    summary_cells = tables.long_cells(compared.channels, models)
    comparison_cells = tables.model_cells(compared.channels, models)
    intervals.csv_cells(ranges, summary_cells, "attributed_")
    intervals.csv_cells(ranges, comparison_cells, "")
    with_ranges = ranges is not None
    say("writing the report")
    folder = out_root / f"{_slug(spec.period.label)}-run{result.run_id}"
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    quality = tables.quality(now, before, primary)
    files = {
        "channel_summary": write_csv(
            tmp / "channel_summary.csv",
            CHANNEL_COLUMNS + (intervals.SUMMARY_COLUMNS if with_ranges else ()),
            summary_cells,
        ),
        "source_summary": write_csv(
            tmp / "source_summary.csv", SOURCE_COLUMNS, tables.long_cells(compared.sources, models)
        ),
        "model_comparison": write_csv(
            tmp / "model_comparison.csv",
            MODEL_COLUMNS + (intervals.COMPARISON_COLUMNS if with_ranges else ()),
            comparison_cells,
        ),
        "weekly_trend": write_csv(
            tmp / "weekly_trend.csv", TREND_COLUMNS, tables.trend_cells(trend_rows)
        ),
        "data_quality": write_csv(
            tmp / "data_quality.csv", QUALITY_COLUMNS, [tables.cells(q) for q in quality]
        ),
    }
    chart_list = charts.report_charts(
        now, trend_rows, spread, primary, metrics.DAYS_CAP, currency=base_currency, ranges=ranges
    )
    generated = clock.utc_now().replace(microsecond=0)
    headline = tables.headline(now, before, primary)
    manifest: ReportManifest = {
        "label": spec.period.label,
        "period_start": spec.period.start.isoformat(),
        "period_end": spec.period.end.isoformat(),
        "run_id": result.run_id,
        "input_hash": result.input_hash,
        "models": list(models),
        "primary_model": primary,
        "lookback_days": spec.lookback_days,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "generated_at": generated.isoformat(),
        "headline": {h.label: h.value for h in headline if h.value is not None},
        "headline_previous": {h.label: h.previous for h in headline if h.value is not None},
        "files": {k: p.name for k, p in files.items()},
        "charts": {c.chart_id: c.traces for c in chart_list},
        "intervals": None
        if ranges is None
        else {
            "level": ranges.level,
            "resamples": ranges.resamples,
            "seed": ranges.seed,
            "method": ranges.method,
            "unsettled": ranges.unsettled(primary),
        },
    }
    html = (
        environment()
        .get_template("report.html.j2")
        .render(
            spec=spec,
            period=spec.period,
            previous=spec.period.previous(),
            now=compared,
            models=models,
            primary=primary,
            headline=headline,
            charts=chart_list,
            quality=quality,
            files=files,
            manifest=manifest,
            base_currency=base_currency,
            window=(start, end),
            banners=banners,
            ranges=ranges,
            placebo=intervals.placebo(wh, result.run_id, models),
            guidance=guidance.run_advice(wh, result.run_id, models),
        )
    )
    (tmp / "index.html").write_text(html, encoding="utf-8")
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (tmp / CHARTS).write_text(charts.to_json(chart_list), encoding="utf-8")
    charts.write_plotly_js(out_root)
    shutil.copyfile(STYLESHEET, out_root / STYLESHEET.name)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.replace(folder)
    files = {k: folder / p.name for k, p in files.items()}
    write_index(out_root)
    return Report(folder, folder / "index.html", files, result.run_id, manifest)


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() or c == "-" else "_" for c in label.replace(" to ", "_"))


def _last_built(out_root: Path) -> datetime:
    """When the latest report in out_root was built (rows rejected since then count in the next
    report's data quality); the earliest time when there is none."""
    built = [str(m.get("generated_at", "")) for m in list_reports(out_root)]
    times = [datetime.fromisoformat(b) for b in built if b]
    return max(times, default=datetime(1900, 1, 1))


def list_reports(out_root: Path) -> list[dict[str, Any]]:
    """Every report under out_root (its manifest and folder name), latest period first: by the
    period's end, then its start, then the latest built, then the latest run."""
    found = []
    for path in out_root.glob(f"*/{MANIFEST}"):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a report being written, or damaged: not listed
        found.append({**manifest, "folder": path.parent.name})
    # ISO timestamps sort as text; runs are numbered in order, so the run breaks ties of
    # reports of one period made in the same second.
    return sorted(
        found,
        key=lambda m: (
            str(m.get("period_end", "")),
            str(m.get("period_start", "")),
            str(m.get("generated_at", "")),
            int(m.get("run_id", 0)),
        ),
        reverse=True,
    )


def write_index(out_root: Path) -> Path:
    """index.html of every report, latest period first (list_reports)."""
    out_root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STYLESHEET, out_root / STYLESHEET.name)
    html = (
        environment().get_template("reports_index.html.j2").render(reports=list_reports(out_root))
    )
    path = out_root / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
