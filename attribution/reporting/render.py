"""Rendering shared by reports, emails and pages: the Jinja2 environment and its filters, and
CSV files safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from attribution.resources import TEMPLATES_DIR

TEMPLATES = TEMPLATES_DIR


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
    env.filters["money"] = lambda v: "n/a" if v is None else f"{Decimal(v):,.2f}"
    env.filters["percent"] = lambda v: "n/a" if v is None else f"{float(v) * 100:.1f} %"
    env.filters["count"] = lambda v: f"{int(v):,}"
    env.filters["number"] = lambda v: "n/a" if v is None else f"{float(v):,.1f}"
    env.filters["ratio"] = lambda v: "n/a" if v is None else f"{float(v):,.2f}"
    env.filters["delta"] = delta
    env.filters["sortkey"] = lambda v: "" if v is None else v
    return env


def delta(value: float | None) -> str:
    """A relative change for people: +12.5 %, -3.0 %, or an empty string when unknown."""
    if value is None:
        return ""
    return f"{float(value) * 100:+.1f} %"


def csv_cell(value: object) -> object:
    """Cells as written: text that a spreadsheet would run as a formula is prefixed with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


# -- The weekly report ----------------------------------------------------------------------

CHANNEL_COLUMNS = (
    "channel",
    "leads",
    "leads_previous",
    "converted_leads",
    "conversion_rate",
    "conversions",
    "revenue",
    "days_to_convert_median",
    "days_to_convert_p90",
    "touches_per_journey",
    "participation",
    "spend",
    "cost_per_lead",
    "model",
    "attributed_conversions",
    "attributed_conversions_previous",
    "attributed_revenue",
    "attributed_revenue_previous",
    "average_deal_value",
    "cac",
    "roas",
)
SOURCE_COLUMNS = (
    "source_id",
    "source",
    "channel",
    "leads",
    "leads_previous",
    "converted_leads",
    "conversion_rate",
    "conversions",
    "revenue",
    "days_to_convert_median",
    "days_to_convert_p90",
    "spend",
    "cost_per_lead",
    "model",
    "attributed_conversions",
    "attributed_revenue",
    "attributed_revenue_previous",
    "cac",
    "roas",
)
MODEL_COLUMNS = (
    "channel",
    "model",
    "conversions",
    "conversions_previous",
    "revenue",
    "revenue_previous",
    "average_deal_value",
    "cac",
    "roas",
)
TREND_COLUMNS = ("week", "channel", "model", "leads", "conversions", "revenue")
QUALITY_COLUMNS = ("measure", "value", "previous")


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, object]]) -> Path:
    """A UTF-8 CSV with a header, the columns in the order given, formula-safe cells."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([[csv_cell(_plain(r.get(c))) for c in columns] for r in rows])
    return path


def _plain(value: object) -> object:
    if isinstance(value, float):
        return round(value, 10)
    return value
