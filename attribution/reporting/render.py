"""Rendering shared by reports, emails and pages: the Jinja2 environment and its filters, and
CSV files safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from attribution.resources import TEMPLATES_DIR

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = TEMPLATES_DIR


MODEL_LABELS = {  # the models' names for people; the code names stay in CSV files and JSON
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "last_non_direct": "Last non-direct",
    "linear": "Linear",
    "position_based": "Position-based",
    "u_shaped": "U-shaped",
    "j_shaped": "J-shaped",
    "inverse_j": "Inverse J",
    "time_decay": "Time decay",
    "markov": "Markov chain",
    "shapley": "Shapley value",
    "fractribution": "Fractribution",
}


def environment() -> Environment:
    """The Jinja2 environment of every page: autoescaped, strict about missing values."""
    # Imported here: the labels and number formats above serve commands that render no page.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["percent"] = lambda v: "n/a" if v is None else f"{float(v) * 100:.1f} %"
    env.filters["count"] = lambda v: f"{int(v):,}"
    env.filters["number"] = lambda v: "n/a" if v is None else f"{float(v):,.1f}"
    env.filters["ratio"] = lambda v: "n/a" if v is None else f"{float(v):,.2f}"
    env.filters["quantity"] = quantity
    env.filters["delta"] = delta
    env.filters["points"] = points
    env.filters["change"] = change_text
    env.filters["model"] = model_label
    env.filters["sortkey"] = lambda v: "" if v is None else v
    env.filters["compact"] = compact
    return env


def compact(value: float, fmt: str) -> str:
    """A bound of a range, short: amounts to about three figures (154k, 1.23M, 2.70k, 870,
    15.2), counts to a tenth, rates to a tenth of a percent, ratios to a tenth."""
    v = float(value)
    if fmt == "percent":
        return f"{v * 100:.1f} %"
    if fmt == "ratio":
        return f"{v:,.1f}"
    if fmt != "money":
        return f"{v:,.1f}"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            scaled = v / scale
            return f"{scaled:,.{2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0}f}{suffix}"
    return f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}"


def money(value: float | Decimal | None) -> str:
    """An amount to the cent with thousands separators: 1,302.50; n/a when unknown."""
    return "n/a" if value is None else f"{Decimal(value):,.2f}"


def quantity(value: float) -> str:
    """A number with no needless decimals: 30, 7.5, 1,302."""
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")


def model_label(model: str) -> str:
    """A model's name for people: last_non_direct -> Last non-direct."""
    return MODEL_LABELS.get(model) or model.replace("_", " ").capitalize()


def delta(value: float | None) -> str:
    """A relative change for people: +12.5 %, -3.0 %, or an empty string when unknown."""
    if value is None:
        return ""
    return "0.0 %" if shown_as_zero(value) else f"{float(value) * 100:+.1f} %"


def points(value: float | None) -> str:
    """A change of a rate (a fraction) in percentage points: +0.4 pp; empty when unknown."""
    if value is None:
        return ""
    return "0.0 pp" if shown_as_zero(value) else f"{float(value) * 100:+.1f} pp"


def change_text(value: float | None, fmt: str) -> str:
    """A headline figure's change: in points for a rate (fmt "percent"), else relative."""
    return points(value) if fmt == "percent" else delta(value)


def shown_as_zero(value: float) -> bool:
    """Whether a change (a fraction) reads as 0.0 once shown (delta, points)."""
    return round(abs(float(value)) * 100, 1) == 0


_BLANKS = "".join(chr(c) for c in range(33)) + "\x7f\u00a0\u3000"  # controls, spaces


def formula_like(text: str) -> bool:
    """Whether a spreadsheet might run the text as a formula (OWASP's CSV injection triggers):
    it starts with = + - @, TAB, CR or LF, or with = + - @ after blanks or control characters."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    return text.lstrip(_BLANKS)[:1] in ("=", "+", "-", "@")


def csv_cell(value: object) -> object:
    """Cells as written: text that a spreadsheet might run as a formula is prefixed with '."""
    if isinstance(value, str) and formula_like(value):
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
