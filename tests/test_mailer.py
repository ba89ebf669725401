"""The emailed dashboard: composed from a real report, charts rendered by kaleido, received by a
real SMTP server (aiosmtpd on 127.0.0.1); each message key goes out once."""

from __future__ import annotations

import csv
import email
import io
import shutil
import socket
import ssl
import struct
import subprocess
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from attribution.cli import main
from attribution.config import SMTP_PASSWORD_ENV, Settings, load_settings
from attribution.errors import ConfigError, MailError
from attribution.reporting import dashboard, mailer
from attribution.reporting.charts import Chart
from attribution.reporting.report import Report
from attribution.service.pipeline import run_demo
from attribution.warehouse.connection import Warehouse

AS_OF = date(2026, 11, 25)
SENDER = "attribution@reports.example.com"
TO = ["ana@example.com", "ion@example.org"]
NAUGHTY = '<script>alert("x")</script> & Co'


# -- a real SMTP server ---------------------------------------------------------------------


@dataclass
class Inbox:
    """aiosmtpd handler: keeps what it accepts; answers the next DATA commands from `refuse`."""

    refuse: list[str] = field(default_factory=list)
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    over_tls: list[bool] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 OK queued as 42"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        # handled=False: aiosmtpd then answers 535 itself (by default it leaves that to us)
        return AuthResult(success=data.password == b"s3cret pw", handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def smtp_server(**kwargs: Any) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    if kwargs.pop("auth", False):
        # AUTH over a plain connection: aiosmtpd refuses it unless auth_require_tls=False (a
        # test only; mail.security=none is for local relays).
        kwargs.update(auth_required=True, auth_require_tls=False, authenticator=inbox.authenticate)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def mail_settings(port: int = 25, **mail: Any) -> Settings:
    values = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": SENDER,
        "timeout_seconds": 5,
        "retry_backoff_seconds": 0,
        **mail,
    }
    return Settings.model_validate({"mail": values})


# -- one small report, its charts rendered once ---------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Report:
    env = {
        "ATTRIBUTION_DEMO__OUTPUT_DIR": str(tmp_path_factory.mktemp("mail-demo")),
        "ATTRIBUTION_DEMO__LEADS": "400",
        "ATTRIBUTION_DEMO__WEEKS": "3",
    }
    return run_demo(load_settings(environ=env), as_of=AS_OF).report


@pytest.fixture(scope="module")
def images(built: Report) -> dict[str, bytes]:
    return dashboard.render_charts(built)  # one browser for every chart (~2-4 s to start)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    with Warehouse.open_path(tmp_path_factory.mktemp("mail-wh") / "wh.duckdb") as w:
        yield w


def compose(report: Report, images: dict[str, bytes], settings: Settings) -> EmailMessage:
    return dashboard.compose(report, recipients=TO, settings=settings, job="weekly", images=images)


class Cells(HTMLParser):
    """Text of each cell of table#ID by row, and every img src and a href of the page."""

    def __init__(self, html: str, table_id: str = "channels") -> None:
        super().__init__()
        self.table_id, self.in_table = table_id, False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.srcs: list[str] = []
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id") == self.table_id:
            self.in_table = True
        elif self.in_table and tag == "tr":
            self.rows.append([])
        elif self.in_table and tag in ("td", "th"):
            self.cell = []
        elif tag == "img":
            self.srcs.append(found.get("src") or "")
        elif tag == "a":
            self.hrefs.append(found.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_table = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def primary_rows(report: Report) -> list[dict[str, str]]:
    with report.files["channel_summary"].open(encoding="utf-8", newline="") as fh:
        model = report.manifest["primary_model"]
        return [r for r in csv.DictReader(fh) if r["model"] == model]


def money(text: str) -> str:
    return f"{Decimal(text):,.2f}" if text else "n/a"


def expected_cells(row: dict[str, str]) -> list[str]:
    """A channel's cells as the email shows them: under conversions and revenue their range
    (the demo's report has intervals), beside the channel the flag when its rank is not
    settled (the parser joins a cell's lines)."""
    flag = "rank not settled" if row.get("rank_settled") == "False" else ""
    conversions, revenue = "", ""
    if row.get("attributed_conversions_low"):
        low, high = (
            float(row["attributed_conversions_low"]),
            float(row["attributed_conversions_high"]),
        )
        conversions = f"{low:,.1f} \N{EN DASH} {high:,.1f}"
        ends = money(row["attributed_revenue_low"]), money(row["attributed_revenue_high"])
        revenue = f"{ends[0]} \N{EN DASH} {ends[1]}"
    return [
        row["channel"] + flag,
        f"{int(row['leads']):,}",
        f"{int(row['converted_leads']):,}",
        f"{float(row['attributed_conversions']):,.1f}" + conversions,
        money(row["attributed_revenue"]) + revenue,
        money(row["spend"]),
        money(row["cac"]),
        f"{float(row['roas']):,.2f}" if row["roas"] else "n/a",
    ]


def payload(part: Any) -> bytes:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def attachments(message: EmailMessage) -> dict[str, bytes]:
    return {
        str(part.get_filename()): payload(part)
        for part in message.iter_attachments()
        if part.get_content_disposition() == "attachment"
    }


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert isinstance(part, EmailMessage)
    text = part.get_content()
    assert isinstance(text, str)
    return text


# -- the tests ------------------------------------------------------------------------------


def test_the_charts_render_to_real_pngs_in_one_browser(
    built: Report, images: dict[str, bytes]
) -> None:
    assert list(images) == list(built.manifest["charts"])  # every chart, in page order
    for chart_id, png in images.items():
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), chart_id
        assert len(png) > 10_000, chart_id
        width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
        assert width == dashboard.PNG_WIDTH * dashboard.PNG_SCALE and height >= 400, chart_id


def test_the_email_arrives_with_text_html_charts_and_the_csv_files(
    built: Report, images: dict[str, bytes], wh: Warehouse
) -> None:
    with smtp_server() as (inbox, port):
        settings = mail_settings(port, attach="csv")
        message = compose(built, images, settings)
        key = dashboard.message_key(built, "weekly")
        result = mailer.send(wh, message, settings=settings, key=key)
    assert (result.status, result.attempts) == ("sent", 1)
    assert result.answer == "250 OK queued as 42"
    [got] = inbox.received
    assert inbox.envelopes == [(SENDER, TO)]

    label = built.manifest["label"]
    revenue = built.manifest["headline"]["Revenue"]
    before = built.manifest["headline_previous"]["Revenue"]
    assert before is not None
    change = (revenue - before) / abs(before) * 100
    assert (
        got["Subject"] == f"Channel performance {label}: revenue {revenue:,.2f} ({change:+.1f} %)"
    )
    assert (got["From"], got["To"]) == (SENDER, ", ".join(TO))
    assert got["Message-ID"] == dashboard.message_id(key, SENDER)
    assert got["X-Attribution-Job"] == "weekly"

    # multipart/mixed: alternative (text, related (html, images)), then the attachments
    assert got.get_content_type() == "multipart/mixed"
    [alternative, *_] = got.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "multipart/related",
    ]
    html = body(got, "html")
    page = Cells(html)
    rows = primary_rows(built)
    assert page.rows[1:] == [expected_cells(r) for r in rows]
    assert all(r["attributed_conversions_low"] for r in rows)  # every row has its range
    text = body(got, "plain")
    assert label in text and all(r["channel"] in text for r in rows)
    assert f"{revenue:,.2f}" in text and f"{change:+.1f} %" in text
    assert "<script" not in html and "<style" not in html and "<link" not in html

    pngs = {
        str(p["Content-ID"]).strip("<>"): payload(p)
        for p in got.walk()
        if p.get_content_type() == "image/png"
    }
    assert len(pngs) == len(images)
    assert page.srcs == [f"cid:{cid}" for cid in pngs]  # every image by Content-ID, nothing else
    assert sorted(pngs.values()) == sorted(images.values())

    assert attachments(got) == {p.name: p.read_bytes() for p in built.files.values()}
    assert "/reports/" not in text  # no report_base_url: no link


def test_names_from_the_data_are_escaped_in_html_and_plain_in_text(
    built: Report, images: dict[str, bytes], tmp_path: Path
) -> None:
    folder = tmp_path / built.folder.name
    shutil.copytree(built.folder, folder)
    path = folder / "channel_summary.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    renamed = [[NAUGHTY if cell == rows[1][0] else cell for cell in row] for row in rows]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(renamed)
    message = compose(dashboard.open_report(folder), images, mail_settings())
    html = body(message, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert Cells(html).rows[1][0] == NAUGHTY  # what the reader sees
    assert NAUGHTY in body(message, "plain")


def test_link_mode_links_the_report_and_attaches_nothing(
    built: Report, images: dict[str, bytes]
) -> None:
    settings = mail_settings(attach="link", report_base_url="https://attribution.example.com/")
    message = compose(built, images, settings)
    link = f"https://attribution.example.com/reports/{built.folder.name}/index.html"
    assert link in body(message, "plain")
    assert link in Cells(body(message, "html")).hrefs
    assert attachments(message) == {}


def test_csv_and_report_attaches_a_zip_that_opens_offline(
    built: Report, images: dict[str, bytes], tmp_path: Path
) -> None:
    settings = mail_settings(attach="csv_and_report", report_base_url="https://a.example.com")
    message = compose(built, images, settings)
    link = f"https://a.example.com/reports/{built.folder.name}/index.html"
    assert link in body(message, "plain") and link in body(message, "html")
    files = attachments(message)
    zip_name = f"{built.folder.name}.zip"
    assert list(files) == [*(p.name for p in built.files.values()), zip_name]
    with zipfile.ZipFile(io.BytesIO(files[zip_name])) as zf:
        zf.extractall(tmp_path)
    page = tmp_path / built.folder.name / "index.html"
    html = page.read_text(encoding="utf-8")
    for asset in ("../plotly.min.js", "../report.css"):
        assert f'"{asset}"' in html
        shipped = (page.parent / asset).resolve()
        assert shipped.read_bytes() == (built.folder / asset).resolve().read_bytes()
    assert (tmp_path / built.folder.name / "channel_summary.csv").read_bytes() == (
        built.files["channel_summary"].read_bytes()
    )


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_uses_the_password_from_the_environment_only(
    built: Report,
    images: dict[str, bytes],
    wh: Warehouse,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG", logger="attribution")
    with smtp_server(auth=True) as (inbox, port):
        settings = mail_settings(port, user="reports", retries=0)
        message = compose(built, images, settings)
        monkeypatch.delenv(SMTP_PASSWORD_ENV, raising=False)
        with pytest.raises(ConfigError, match=SMTP_PASSWORD_ENV):
            mailer.send(wh, message, settings=settings, key="auth:missing")
        assert mailer.ledger(wh, "auth:missing") is None  # nothing was attempted

        monkeypatch.setenv(SMTP_PASSWORD_ENV, "n0t-1t")
        with pytest.raises(MailError, match="535"):
            mailer.send(wh, message, settings=settings, key="auth:bad")

        monkeypatch.setenv(SMTP_PASSWORD_ENV, "s3cret pw")
        result = mailer.send(wh, message, settings=settings, key="auth:good")
    assert result.status == "sent"
    # smtplib tries each mechanism the server offers (PLAIN, then LOGIN) before giving up
    assert set(inbox.logins) == {("reports", "n0t-1t"), ("reports", "s3cret pw")}
    assert inbox.logins[-1] == ("reports", "s3cret pw")
    assert len(inbox.received) == 1
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("attribution")]
    assert any("535" in line for line in ours)  # the failed attempt is logged, ...
    assert not any("s3cret" in line or "n0t-1t" in line for line in ours)  # ... not the password


def test_a_refusal_is_retried_and_the_email_goes_out_once(
    built: Report, images: dict[str, bytes], wh: Warehouse
) -> None:
    with smtp_server() as (inbox, port):
        settings = mail_settings(port, retries=3)
        inbox.refuse = ["451 4.3.0 try later"]
        result = mailer.send(wh, compose(built, images, settings), settings=settings, key="k1")
        again = mailer.send(wh, compose(built, images, settings), settings=settings, key="k1")
    assert (result.status, result.attempts) == ("sent", 2)
    assert len(inbox.received) == 1
    assert (again.status, again.attempts) == ("already sent", 0)
    row = mailer.ledger(wh, "k1")
    assert row is not None
    assert (row["status"], row["attempts"], row["server_answer"]) == (
        "sent",
        2,
        "250 OK queued as 42",
    )
    assert row["job"] == "weekly" and row["recipients"] == ", ".join(TO)
    assert row["sent_at"] is not None and row["first_attempt_at"] <= row["sent_at"]


def test_a_server_that_always_refuses_gives_mail_error_and_a_failed_ledger_row(
    built: Report, images: dict[str, bytes], wh: Warehouse
) -> None:
    with smtp_server() as (inbox, port):
        settings = mail_settings(port, retries=2)
        message = compose(built, images, settings)
        inbox.refuse = ["554 5.7.1 relay denied"] * 3
        with pytest.raises(MailError, match="3 attempts") as caught:
            mailer.send(wh, message, settings=settings, key="k2")
        assert caught.value.answer == "554 5.7.1 relay denied"
        assert "554 5.7.1 relay denied" in str(caught.value)
        row = mailer.ledger(wh, "k2")
        assert row is not None and (row["status"], row["attempts"]) == ("failed", 3)
        assert inbox.received == []
        # the job runs again once the server accepts: the email goes out, once
        assert mailer.send(wh, message, settings=settings, key="k2").status == "sent"
    row = mailer.ledger(wh, "k2")
    assert row is not None and (row["status"], row["attempts"]) == ("sent", 4)
    assert len(inbox.received) == 1


def test_an_unreachable_server_is_retried_with_exponential_backoff(
    built: Report, images: dict[str, bytes], wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(mailer, "_sleep", waits.append)
    settings = mail_settings(free_port(), retries=3, retry_backoff_seconds=0.5)
    with pytest.raises(MailError, match="refused") as caught:
        mailer.send(wh, compose(built, images, settings), settings=settings, key="k3")
    assert waits == [0.5, 1.0, 2.0]
    assert "connection to 127.0.0.1" in caught.value.answer
    row = mailer.ledger(wh, "k3")
    assert row is not None and (row["status"], row["attempts"]) == ("failed", 4)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl; `cryptography` is not installed)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_connections_verify_the_server_certificate(
    built: Report,
    images: dict[str, bytes],
    wh: Warehouse,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    security: str,
) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server: dict[str, Any] = (
        {"tls_context": context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": context}
    )
    with smtp_server(**server) as (inbox, port):
        settings = mail_settings(port, security=security, retries=0)
        message = compose(built, images, settings)
        with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED"):
            mailer.send(wh, message, settings=settings, key=f"{security}:untrusted")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted by ssl.create_default_context
        result = mailer.send(wh, message, settings=settings, key=f"{security}:trusted")
    assert result.status == "sent"
    assert inbox.over_tls == [True]


def test_the_headline_reads_changes_as_good_or_bad_news() -> None:
    manifest = {
        "headline": {"Revenue": 110.0, "CAC": 60.0, "Spend": 200.0, "Leads": 5, "ROAS": 2.0},
        "headline_previous": {"Revenue": 100.0, "CAC": 50.0, "Spend": 100.0, "Leads": 0},
    }
    got = {h.label: (h.format, h.change, h.tone) for h in dashboard.headline(manifest)}
    assert got == {
        "Revenue": ("money", pytest.approx(0.1), "good"),
        "CAC": ("money", pytest.approx(0.2), "bad"),  # lower is better
        "Spend": ("money", pytest.approx(1.0), "neutral"),
        "Leads": ("count", None, "neutral"),  # nothing before: no change
        "ROAS": ("ratio", None, "neutral"),  # absent before
    }
    assert dashboard.subject({"label": "2026-W47", **manifest}) == (
        "Channel performance 2026-W47: revenue 110.00 (+10.0 %)"
    )
    old = {"label": "2026-W47", "headline": {"Revenue": 110.0}}  # built before headline_previous
    assert dashboard.subject(old) == "Channel performance 2026-W47: revenue 110.00"


def test_the_mail_command_sends_a_built_report_once(
    built: Report,
    images: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def render(chart_list: Sequence[Chart]) -> list[bytes]:
        return [images[c.chart_id] for c in chart_list]  # rendered once per module

    monkeypatch.setattr(dashboard, "render_pngs", render)
    with smtp_server() as (inbox, port):
        env = {
            "ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "cli.duckdb"),
            "ATTRIBUTION_REPORTS__OUTPUT_DIR": str(built.folder.parent),
            "ATTRIBUTION_MAIL__HOST": "127.0.0.1",
            "ATTRIBUTION_MAIL__PORT": str(port),
            "ATTRIBUTION_MAIL__SECURITY": "none",
        }
        args = ["mail", built.folder.name, "--to", ",".join(TO)]
        first = CliRunner().invoke(main, args, env=env)
        second = CliRunner().invoke(main, args, env=env)
    assert first.exit_code == 0, first.output
    assert f"sent Channel performance {built.manifest['label']}" in first.output
    assert second.exit_code == 0 and "already sent" in second.output
    assert len(inbox.received) == 1
    assert inbox.received[0]["X-Attribution-Job"] == "manual"
