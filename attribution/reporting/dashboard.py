"""The emailed dashboard of a report, as a message: a plain-text part and an HTML part (tables
and inline styles only, as mail clients want) with the headline figures and their change, the
primary model's channel table, and the charts as PNG images by Content-ID (rendered by kaleido in
one browser); attachments per `mail.attach`. attribution.reporting.mailer sends it."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import quote

import plotly.graph_objects as go
from jinja2 import Environment
from plotly.offline import get_plotlyjs

from attribution import clock
from attribution.config import MailSettings, Settings
from attribution.errors import AttributionError, MailError, NotFoundError
from attribution.reporting import charts, tables
from attribution.reporting.charts import PLOTLY_JS, Chart
from attribution.reporting.period import Period
from attribution.reporting.render import delta, environment, formula_like, model_label
from attribution.reporting.report import CHARTS, MANIFEST, STYLESHEET, Report

log = logging.getLogger(__name__)

# CSS pixels. The email's column is 612 px wide on a desktop and about 350 on a phone: a chart
# drawn at 520 px with larger type reads on both (about 10 px type on a phone).
PNG_WIDTH = 520
PNG_FONT_SIZE = 14
PNG_SCALE = 2  # device pixels per CSS pixel, for sharp charts on dense screens
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FORMATS = {  # how each headline figure reads; others (such as "Conversions (markov)"): number
    "Leads": "count",
    "Converted leads": "count",
    "Conversion rate": "percent",
    "Revenue": "money",
    "Spend": "money",
    "Cost per lead": "money",
    "CAC": "money",
    "ROAS": "ratio",
}
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+")


@dataclass(frozen=True)
class HeadlineFigure:
    """A headline figure of the email (label: as in report.json; text: for people), its change
    (of a rate in points, else relative), and its tone: good, bad or neutral."""

    label: str
    value: float
    format: str
    change: float | None
    tone: str
    text: str


@dataclass(frozen=True)
class ChannelFigures:
    """A channel's row of the email: the primary model's figures (None: empty in the CSV)."""

    channel: str
    leads: float | None
    converted_leads: float | None
    conversions: float | None
    revenue: float | None
    spend: float | None
    cac: float | None
    roas: float | None
    conversions_low: float | None = None  # the ranges, when the report has intervals
    conversions_high: float | None = None
    revenue_low: float | None = None
    revenue_high: float | None = None
    settled: bool = True  # the rank under the primary model is settled

    @property
    def ranged(self) -> bool:
        return None not in (self.conversions_low, self.conversions_high)


# -- the message ----------------------------------------------------------------------------


def open_report(folder: Path) -> Report:
    """A built report from its folder (its report.json names its files)."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(
            f"{folder} holds no report ({MANIFEST} is missing); build one with `attribution report`"
        ) from None
    except (OSError, ValueError) as exc:
        raise AttributionError(f"cannot read {path}: {exc}") from None
    files = {name: folder / file for name, file in manifest.get("files", {}).items()}
    return Report(folder, folder / "index.html", files, int(manifest["run_id"]), manifest)


def message_key(report: Report, job: str = "") -> str:
    """The default message key: one email per job, period and run."""
    return f"{job}:{report.manifest['label']}:{report.run_id}"


def message_id(key: str, sender: str) -> str:
    """A Message-ID derived from the key alone: the same email always has the same id."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{_domain(sender)}>"


def _domain(sender: str) -> str:
    address = getaddresses([sender])[0][1]
    domain = address.rpartition("@")[2]
    return domain if domain and _ADDRESS.fullmatch(f"x@{domain}") else "localhost"


def headline(manifest: Mapping[str, Any]) -> list[HeadlineFigure]:
    """The headline figures with their change and whether it is good news (tone)."""
    previous = manifest.get("headline_previous", {})  # absent in reports built before it
    primary = str(manifest.get("primary_model", ""))
    items = []
    for label, value in manifest.get("headline", {}).items():
        fmt = FORMATS.get(label, "number")
        moved = tables.headline_change(value, previous.get(label), fmt)
        text = tables.headline_text(label, primary)
        items.append(HeadlineFigure(label, value, fmt, moved, tables.tone(label, moved), text))
    return items


def subject(manifest: Mapping[str, Any]) -> str:
    """E.g. "Channel performance 2026-W47: revenue 544,203.17 (-14.9 %)"."""
    text = f"Channel performance {manifest['label']}"
    revenue = next((h for h in headline(manifest) if h.label == "Revenue"), None)
    if revenue is None:
        return text
    text += f": revenue {environment().filters['money'](revenue.value)}"
    return text + (f" ({delta(revenue.change)})" if revenue.change is not None else "")


def channel_rows(report: Report) -> list[ChannelFigures]:
    """The primary model's rows of channel_summary.csv, as numbers (None where empty)."""
    primary = report.manifest["primary_model"]
    with report.files["channel_summary"].open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["model"] == primary]
    return [
        ChannelFigures(
            channel=_cell_text(r["channel"]),
            leads=_number(r["leads"]),
            converted_leads=_number(r["converted_leads"]),
            conversions=_number(r["attributed_conversions"]),
            revenue=_number(r["attributed_revenue"]),
            spend=_number(r["spend"]),
            cac=_number(r["cac"]),
            roas=_number(r["roas"]),
            conversions_low=_number(r.get("attributed_conversions_low") or ""),
            conversions_high=_number(r.get("attributed_conversions_high") or ""),
            revenue_low=_number(r.get("attributed_revenue_low") or ""),
            revenue_high=_number(r.get("attributed_revenue_high") or ""),
            settled=r.get("rank_settled", "True") != "False",
        )
        for r in rows
    ]


def _cell_text(value: str) -> str:
    """The text before reporting.csv_cell made it formula-safe."""
    return value[1:] if value[:1] == "'" and formula_like(value[1:]) else value


def _number(value: str) -> float | None:
    return float(value) if value.strip() else None


def report_charts(report: Report) -> list[Chart]:
    """The report's charts from its charts.json (none for reports built before it existed)."""
    path = report.folder / CHARTS
    return charts.from_json(path.read_text(encoding="utf-8")) if path.is_file() else []


def render_charts(report: Report) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, by chart id (one browser for all)."""
    chart_list = report_charts(report)
    return dict(zip((c.chart_id for c in chart_list), render_pngs(chart_list), strict=True))


def render_pngs(chart_list: Sequence[Chart]) -> list[bytes]:
    """PNG images of charts, rendered by kaleido in ONE headless Chromium: starting the browser
    costs about 2 to 4 s, each chart then about 0.2 s."""
    if not chart_list:
        return []
    import kaleido

    opts = {"format": "png", "width": PNG_WIDTH, "scale": PNG_SCALE}

    async def render() -> list[bytes]:
        # mathjax=False: it would be fetched from a CDN (no network here, nor needed)
        async with kaleido.Kaleido(mathjax=False) as browser:
            return [bytes(await browser.calc_fig(_for_email(c), opts)) for c in chart_list]

    # A thread of its own: asyncio.run refuses to run inside an event loop (API, scheduler).
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="kaleido") as pool:
            images = pool.submit(asyncio.run, render()).result()
    except Exception as exc:
        raise MailError(
            f"cannot render the charts to PNG ({type(exc).__name__}: {exc}); kaleido needs "
            "Chromium: install Debian's `chromium` package (make setup)"
        ) from exc
    bad = [c.chart_id for c, png in zip(chart_list, images, strict=True) if not _is_png(png)]
    if bad:
        raise MailError(f"kaleido returned no PNG image for {', '.join(bad)}")
    return images


def _for_email(chart: Chart) -> go.Figure:
    """The chart's figure as the email shows it: its caption is HTML text above the image
    (dropped from reports built before that), the type larger."""
    figure = go.Figure(chart.figure)
    figure.update_layout(title=None, font={"size": PNG_FONT_SIZE})
    return figure


def _is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def report_link(report: Report, mail: MailSettings) -> str:
    """The report's page under mail.report_base_url; empty when that is not set."""
    base = mail.report_base_url.rstrip("/")
    return f"{base}/reports/{quote(report.folder.name)}/index.html" if base else ""


def report_zip(report: Report) -> bytes:
    """The report folder as a zip that opens offline: plotly.min.js and report.css at the root,
    as beside the reports (index.html refers to ../plotly.min.js and ../report.css)."""
    parent = report.folder.parent
    plotly_js = parent / PLOTLY_JS
    css = parent / STYLESHEET.name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        if plotly_js.is_file():
            zf.write(plotly_js, PLOTLY_JS)
        else:
            zf.writestr(PLOTLY_JS, get_plotlyjs())
        zf.write(css if css.is_file() else STYLESHEET, STYLESHEET.name)
        for path in sorted(p for p in report.folder.iterdir() if p.is_file()):
            zf.write(path, f"{report.folder.name}/{path.name}")
    return buffer.getvalue()


def _recipients(recipients: Sequence[str]) -> list[str]:
    found = [r.strip() for r in recipients if r.strip()]
    if not found:
        raise AttributionError("no recipients: give at least one email address")
    bad = [r for r in found if not _ADDRESS.fullmatch(r)]
    if bad:
        raise AttributionError(
            f"not an email address: {', '.join(map(repr, bad))}; write them as name@example.com"
        )
    return found


def _text_environment() -> Environment:
    env = environment()
    env.autoescape = False  # the plain-text part: escaping would show &lt; to the reader
    return env


def compose(
    report: Report,
    *,
    recipients: Sequence[str],
    settings: Settings,
    job: str = "",
    images: Mapping[str, bytes] | None = None,
) -> EmailMessage:
    """The report's email: text and HTML parts, the charts as images, attachments per
    mail.attach. `images` (chart id -> PNG, see render_charts) skips rendering, e.g. when one
    report goes to several lists."""
    mail = settings.mail
    to = _recipients(recipients)
    manifest = report.manifest
    key = message_key(report, job)
    chart_list = report_charts(report)
    if images is None:
        images = dict(zip((c.chart_id for c in chart_list), render_pngs(chart_list), strict=True))
    domain = _domain(mail.sender)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    shown = [
        {"id": c.chart_id, "title": c.title, "cid": f"{_cid_part(c.chart_id)}.{digest}@{domain}"}
        for c in chart_list
        if c.chart_id in images
    ]
    csv_files = [] if mail.attach == "link" else list(report.files.values())
    zip_name = f"{report.folder.name}.zip" if mail.attach == "csv_and_report" else ""
    title = subject(manifest)
    context = {
        "subject": title,
        "label": manifest["label"],
        "period_start": manifest["period_start"][:10],
        "period_end": manifest["period_end"][:10],
        "previous_label": _previous_label(report),
        "primary": model_label(manifest["primary_model"]),
        "models": [model_label(m) for m in manifest.get("models", [])],
        "run_id": report.run_id,
        "generated_at": str(manifest.get("generated_at", "")).replace("T", " "),
        "currency": settings.ingest.base_currency,
        "headline": headline(manifest),
        "channels": channel_rows(report),
        "intervals": manifest.get("intervals"),
        "charts": shown,
        "link": report_link(report, mail),
        "attachments": [p.name for p in csv_files] + ([zip_name] if zip_name else []),
        "job": job,
    }
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = mail.sender
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = message_id(key, mail.sender)
    msg["X-Attribution-Report"] = report.folder.name
    if job:
        msg["X-Attribution-Job"] = job
    msg.set_content(_text_environment().get_template("email.txt.j2").render(context))
    msg.add_alternative(environment().get_template("email.html.j2").render(context), subtype="html")
    html_part = msg.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    for chart in shown:
        html_part.add_related(
            images[chart["id"]],
            maintype="image",
            subtype="png",
            cid=f"<{chart['cid']}>",
            filename=f"{chart['id']}.png",
            disposition="inline",
        )
    for path in csv_files:
        msg.add_attachment(path.read_bytes(), maintype="text", subtype="csv", filename=path.name)
    if zip_name:
        msg.add_attachment(
            report_zip(report), maintype="application", subtype="zip", filename=zip_name
        )
    return msg


def _cid_part(chart_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", chart_id)


def _previous_label(report: Report) -> str:
    start = datetime.fromisoformat(report.manifest["period_start"])
    end = datetime.fromisoformat(report.manifest["period_end"])
    return Period(start, end, report.manifest["label"]).previous().label
