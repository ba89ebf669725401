"""Reports rendered from warehouse figures: CSV files and HTML pages (Jinja2)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .config import ROOT

TEMPLATES = ROOT / "reports"

SOURCE_SUMMARY_COLUMNS = (
    "source",
    "channel",
    "leads",
    "converted_leads",
    "conversion_rate",
    "won_revenue",
    "spend",
    "junk_leads",
)


def environment() -> Environment:
    """The Jinja2 environment of every page: autoescaped, strict about missing values."""
    from jinja2 import StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda v: f"{Decimal(v):,.2f}"
    env.filters["percent"] = lambda v: "n/a" if v is None else f"{float(v) * 100:.1f} %"
    env.filters["count"] = lambda v: f"{int(v):,}"
    return env


def csv_cell(value: Any) -> Any:
    """Cells as written: text that a spreadsheet would run as a formula is prefixed with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


CHANNEL_MODEL_COLUMNS = ("channel", "model", "conversions", "value")


def pivot(credits: Sequence[dict[str, Any]], field: str) -> tuple[list[str], list[list[Any]]]:
    """Models as columns, channels as rows (name order) of one figure of a run's credit."""
    models = list(dict.fromkeys(str(c["model"]) for c in credits))
    channels = sorted({str(c["channel"]) for c in credits})
    cell = {(str(c["channel"]), str(c["model"])): float(c[field]) for c in credits}
    return models, [[ch, *[cell.get((ch, m), 0.0) for m in models]] for ch in channels]


def write_source_summary(
    rows: Sequence[dict[str, Any]],
    folder: Path,
    *,
    start: datetime,
    end: datetime,
    base_currency: str,
    generated_at: datetime,
    credits: Sequence[dict[str, Any]] = (),
    run_id: int | None = None,
) -> dict[str, Path]:
    """source_summary.csv, channel_models.csv (when a run is given) and index.html in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    if credits:
        paths["channel_csv"] = folder / "channel_models.csv"
        with paths["channel_csv"].open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(CHANNEL_MODEL_COLUMNS)
            writer.writerows([[csv_cell(c[k]) for k in CHANNEL_MODEL_COLUMNS] for c in credits])
    csv_path = folder / "source_summary.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(SOURCE_SUMMARY_COLUMNS)
        writer.writerows([[csv_cell(r[c]) for c in SOURCE_SUMMARY_COLUMNS] for r in rows])
    totals: dict[str, Any] = {
        "leads": sum(int(r["leads"]) for r in rows),
        "converted_leads": sum(int(r["converted_leads"]) for r in rows),
        "won_revenue": sum((Decimal(r["won_revenue"]) for r in rows), Decimal(0)),
        "spend": sum((Decimal(r["spend"]) for r in rows), Decimal(0)),
    }
    totals["conversion_rate"] = (
        totals["converted_leads"] / totals["leads"] if totals["leads"] else None
    )
    html = (
        environment()
        .get_template("source_summary.html.j2")
        .render(
            rows=rows,
            totals=totals,
            start=start,
            end=end,
            base_currency=base_currency,
            generated_at=generated_at,
            csv_name=csv_path.name,
            run_id=run_id,
            conversions=pivot(credits, "conversions"),
            revenue=pivot(credits, "value"),
        )
    )
    html_path = folder / "index.html"
    html_path.write_text(html, encoding="utf-8")
    return {"csv": csv_path, "html": html_path, **paths}
