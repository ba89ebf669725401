"""The admin page in headless Chromium against a real `attribution serve` on 127.0.0.1: the
flows an admin goes through, with and without JavaScript, by keyboard, on a narrow screen."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from attribution.config import load_settings
from attribution.registry import sources as registry
from attribution.registry.schemas import SourceUpdate
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline

from .browser import BrowserPage, is_local_url
from .conftest import write_csv
from .server import serving

pytestmark = pytest.mark.browser
LIST = "/admin/leads/sources"
SOURCES = [  # (name, channel), besides the seeded Google and Facebook
    ("Newsletter", "Email"),
    ("Webinar", "Event"),
    ("Trade Fair", "Event"),
    ("Partner Portal", "Partner"),
    ("Reseller", "Partner"),
    ("Old Fair", "Event"),
    ("Retire One", "Referral"),
    ("Retire Two", "Referral"),
]


@dataclass
class Server:
    url: str
    token: str

    def api(self, path: str, **params: str) -> httpx.Response:
        headers = {"authtoken": self.token}
        return httpx.get(self.url + path, params=params, headers=headers, timeout=10)

    def source(self, name: str) -> dict[str, object]:
        found = [s for s in self.api("/api/lead_sources").json() if s["name"] == name]
        assert len(found) == 1, (name, found)
        return dict(found[0])

    def has(self, name: str) -> bool:
        return any(s["name"] == name for s in self.api("/api/lead_sources").json())


WEBINAR_LEADS = 3378  # a count with a thousands separator


@contextmanager
def started(folder: Path, language: str) -> Iterator[Server]:
    """`attribution serve` in this language over a warehouse with SOURCES, two leads of
    Google and WEBINAR_LEADS of Webinar."""
    env = {  # no ATTRIBUTION_* of the caller's (ATTRIBUTION_TEST_OUTPUT is no setting)
        **{k: v for k, v in os.environ.items() if not k.startswith("ATTRIBUTION_")},
        "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
        "ATTRIBUTION_REPORTS__OUTPUT_DIR": str(folder / "reports"),
        "ATTRIBUTION_JOBS__RUN_IN_SERVE": "false",
        "ATTRIBUTION_ADMIN__LANGUAGE": language,
    }
    with Pipeline.open(load_settings(environ=env)) as pipe:
        token, _ = create_token(pipe.warehouse, name="admin")
        for name, channel in SOURCES:
            fields, _ = SourceUpdate.parse({"name": name, "channel": channel}, creating=True)
            registry.create_source(pipe.warehouse, fields=fields)
        leads = [["B1", "2026-03-02", "Google"], ["B2", "2026-03-03", "Google"]]
        leads += [[f"W{i}", "2026-03-04", "Webinar"] for i in range(WEBINAR_LEADS)]
        pipe.ingest(
            "leads", write_csv(folder / "leads.csv", ["lead_id", "created_at", "source"], leads)
        )
    with serving(env, folder / "server.log") as served:
        yield Server(served.url, token)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with started(tmp_path_factory.mktemp("admin-serve"), "en") as served:
        yield served


@pytest.fixture(scope="module")
def server_ro(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with started(tmp_path_factory.mktemp("admin-serve-ro"), "ro") as served:
        yield served


SIGN_IN = {  # the sign-in form's words: token label, button, and what the next page says
    "en": ("API token", "Sign in", "Signed in as admin."),
    "ro": ("Token API", "Conectare", "Conectat ca admin."),
}


def sign_in(page: Page, server: Server, path: str = LIST, language: str = "en") -> None:
    label, button, done = SIGN_IN[language]
    page.goto(server.url + path)
    expect(page).to_have_url(f"{server.url}/admin/sign-in?next={path.replace('/', '%2F')}")
    page.get_by_label(label).fill(server.token)
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(server.url + path)
    expect(page.get_by_role("status")).to_have_text(done)


def row(page: Page, name: str) -> Locator:
    return page.locator("#sources tbody tr").filter(has=page.locator(".source-name", has_text=name))


def listed_names(page: Page) -> list[str]:
    return page.locator("#sources .source-name").all_text_contents()


def expect_refusals(browser_page: BrowserPage, *statuses: int) -> None:
    """Chromium logs a console error for each page that came with a 4xx status: exactly the
    refusals a test provoked, then nothing else (assert_clean checks the rest)."""
    names = {403: "Forbidden", 409: "Conflict", 422: "Unprocessable Entity"}
    expected = [
        f"Failed to load resource: the server responded with a status of {s} ({names[s]})"
        for s in statuses
    ]
    assert browser_page.console_errors == expected
    browser_page.console_errors.clear()


def test_sign_in_create_find_sort_and_edit(
    browser_page: BrowserPage, server: Server, output_dir: Path
) -> None:
    page = browser_page.page
    sign_in(page, server)  # a signed-out visit went to sign-in first
    page.get_by_role("link", name="Add source").click()
    page.get_by_label("Name").fill("Zeta Stand")
    page.get_by_label("Channel").fill("Street")
    page.get_by_role("button", name="Add source").click()
    expect(page.get_by_role("status")).to_have_text("Added “Zeta Stand”.")
    assert server.source("Zeta Stand")["channel"] == "Street"

    page.get_by_label("Search").fill("zeta")
    page.get_by_role("button", name="Apply").click()
    assert listed_names(page) == ["Zeta Stand"]
    expect(page.locator("#sources .total-leads")).to_have_text(["Total Leads: 0"])

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Channel", exact=True).select_option("Partner")
    page.get_by_role("button", name="Apply").click()
    assert listed_names(page) == ["Partner Portal", "Reseller"]
    assert set(page.locator("#sources td.channel").all_text_contents()) == {"Partner"}

    page.get_by_role("link", name="Clear filters").click()
    everything = sorted(listed_names(page), key=str.lower)
    assert listed_names(page) == everything  # by name, A to Z, at first
    name_header = page.locator("#sources thead th", has_text="Name")
    expect(name_header).to_have_attribute("aria-sort", "ascending")
    name_header.get_by_role("link").click()
    expect(name_header).to_have_attribute("aria-sort", "descending")
    assert listed_names(page) == everything[::-1]
    name_header.get_by_role("link").click()
    expect(name_header).to_have_attribute("aria-sort", "ascending")
    assert listed_names(page) == everything
    page.screenshot(path=output_dir / "list.png", full_page=True)

    row(page, "Zeta Stand").get_by_role("link", name="Edit Zeta Stand").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit “Zeta Stand”")
    page.screenshot(path=output_dir / "edit-form.png", full_page=True)
    page.get_by_label("Channel").fill("Events")
    page.get_by_label("UTM source").fill("zeta")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved “Zeta Stand”.")
    shown = server.source("Zeta Stand")
    assert (shown["channel"], shown["utm_source"]) == ("Events", "zeta")
    assert (output_dir / "list.png").stat().st_size > 10_000
    assert (output_dir / "edit-form.png").stat().st_size > 5_000
    browser_page.assert_clean()


def test_bulk_retire_and_export(browser_page: BrowserPage, server: Server, tmp_path: Path) -> None:
    page = browser_page.page
    sign_in(page, server)
    for name in ("Retire One", "Retire Two"):
        row(page, name).get_by_label(f"Select {name}").check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")  # admin.js
    page.get_by_role("button", name="Retire", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Sources retired: 2.")
    assert [server.source(n)["active"] for n in ("Retire One", "Retire Two")] == [False, False]
    assert server.source("Webinar")["active"] is True
    expect(row(page, "Retire One").locator(".status")).to_have_text("Retired")

    select_all = page.get_by_label("Select all on this page")
    select_all.check()
    boxes = page.locator('#sources input[name="ids"]')
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    select_all.uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))

    page.get_by_label("Channel", exact=True).select_option("Referral")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"channel=Referral"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    mine = saved.read_bytes().decode("utf-8")
    theirs = server.api("/api/lead_sources.csv", channel="Referral").text
    assert mine == theirs
    assert [r[1] for r in csv.reader(io.StringIO(mine))] == ["name", "Retire One", "Retire Two"]
    browser_page.assert_clean()


def test_delete_an_unused_source_and_retire_a_used_one(
    browser_page: BrowserPage, server: Server
) -> None:
    page = browser_page.page
    sign_in(page, server)
    row(page, "Old Fair").get_by_role("link", name="Delete Old Fair").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete “Old Fair”?")
    page.get_by_role("button", name="Delete “Old Fair”").click()
    expect(page.get_by_role("status")).to_have_text("Deleted “Old Fair”.")
    assert not server.has("Old Fair")

    google = row(page, "Google")  # in use: Retire from the start, no Delete to be refused
    expect(google.get_by_role("link", name="Delete Google")).to_have_count(0)
    retire = google.get_by_role("button", name="Retire Google")
    expect(retire).to_have_attribute(
        "title", "The lead source is in use by 2 leads and cannot be deleted."
    )
    retire.click()
    expect(page.get_by_role("status")).to_have_text("Sources retired: 1.")
    assert server.source("Google")["active"] is False
    assert [server.source(n)["active"] for n in ("Webinar", "Newsletter")] == [True, True]
    expect(row(page, "Google").locator(".status")).to_have_text("Retired")
    expect(row(page, "Google").locator(".actions")).to_have_text("Edit Google")  # nothing more

    page.goto(server.url + LIST + "/" + str(server.source("Google")["id"]) + "/delete")
    expect(page.get_by_role("heading", level=1)).to_have_text("“Google” cannot be deleted")
    expect(page.locator("#confirm-delete")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_text(
        "The lead source is in use by 2 leads and cannot be deleted."
    )
    expect(page.get_by_text("It is already retired.")).to_be_visible()
    browser_page.assert_clean()


def test_counts_and_one_lead_sources_heading(browser_page: BrowserPage, server: Server) -> None:
    page = browser_page.page
    sign_in(page, server)
    webinar = row(page, "Webinar")
    expect(webinar.locator(".total-leads")).to_have_text("Total Leads: 3,378")
    expect(webinar.locator("td.leads")).to_have_text("3,378")
    expect(webinar.get_by_role("button", name="Retire Webinar")).to_be_visible()
    expect(row(page, "Newsletter").get_by_role("link", name="Delete Newsletter")).to_be_visible()
    expect(page.get_by_role("heading", name="Lead sources", exact=True)).to_have_count(1)
    header = page.get_by_role("banner")
    assert header.inner_text().count("Lead sources") == 1
    expect(header.locator(".brand")).to_have_text("Attribution admin")
    browser_page.assert_clean()


def test_romanian_counts_form_errors_and_retire(
    browser_page: BrowserPage, server_ro: Server
) -> None:
    page = browser_page.page
    sign_in(page, server_ro, language="ro")
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    webinar = row(page, "Webinar")
    expect(webinar.locator(".total-leads")).to_have_text("Total Lead-uri: 3.378")
    expect(webinar.locator("td.leads")).to_have_text("3.378")
    expect(page.get_by_role("heading", name="Surse Lead-uri", exact=True)).to_have_count(1)
    assert page.get_by_role("banner").inner_text().count("Surse Lead-uri") == 1

    page.get_by_role("link", name="Adaugă sursă").click()
    page.get_by_role("button", name="Adaugă sursă").click()  # no name
    expect(page.locator("#name-error")).to_have_text("Câmpul Nume este obligatoriu.")
    expect(page.get_by_role("alert")).to_contain_text("Sursa nu a fost salvată:")
    page.get_by_label("Nume").fill("google")
    page.get_by_role("button", name="Adaugă sursă").click()
    expect(page.locator("#name-error")).to_have_text("Există deja o sursă numită „Google”.")
    page.get_by_role("link", name="Renunță").click()

    google = row(page, "Google")
    expect(google.get_by_role("link", name="Șterge Google")).to_have_count(0)
    retire = google.get_by_role("button", name="Retrage Google")
    expect(retire).to_have_attribute("title", "Sursa nu poate fi ștearsă: o folosesc lead-uri (2).")
    retire.click()
    expect(page.get_by_role("status")).to_have_text("Surse retrase: 1.")
    assert server_ro.source("Google")["active"] is False
    expect_refusals(browser_page, 422, 409)
    browser_page.assert_clean()


def test_a_missing_or_forged_csrf_token_is_refused(
    browser_page: BrowserPage, server: Server
) -> None:
    page = browser_page.page
    sign_in(page, server)
    for tamper, name in (
        ("document.querySelector('#source-form [name=csrf_token]').value = 'forged'", "Forged"),
        ("document.querySelector('#source-form [name=csrf_token]').remove()", "Missing"),
    ):
        page.goto(server.url + LIST + "/new")
        page.get_by_label("Name").fill(name)
        page.evaluate(tamper)
        page.get_by_role("button", name="Add source").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(page.locator("#problem")).to_contain_text("nothing was changed")
        assert not server.has(name)
    page.goto(server.url + LIST)  # still signed in: the session was not touched
    expect(page.get_by_role("heading", level=1)).to_have_text("Lead sources")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(server.url + LIST + "/new")
    expect(page).to_have_url(f"{server.url}/admin/sign-in?next=%2Fadmin%2Fleads%2Fsources%2Fnew")
    expect_refusals(browser_page, 403, 403)
    browser_page.assert_clean()


def test_keyboard_and_a_360_px_screen(
    browser_page: BrowserPage, server: Server, output_dir: Path
) -> None:
    page = browser_page.page
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, server)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0  # shown when focused
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    search = page.get_by_label("Search")
    expect(search).to_be_focused()
    ring = search.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert ring == ["solid", "3px", "rgb(29, 78, 216)"]
    page.keyboard.type("newsletter")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=newsletter&"))
    assert listed_names(page) == ["Newsletter"]
    page.goto(server.url + LIST)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth,"
        " document.querySelector('.table-wrap').scrollWidth,"
        " document.querySelector('.table-wrap').clientWidth]"
    )
    page_width, body_width, table_width, wrap_width = widths
    assert page_width <= 360 and body_width <= 360, widths
    assert table_width > wrap_width  # the table scrolls inside its wrapper, not the page
    page.screenshot(path=output_dir / "list-360px.png", full_page=True)
    browser_page.assert_clean()


@contextmanager
def no_script_page(browser: Browser) -> Iterator[BrowserPage]:
    """As tests/browser.py's offline page, in a context with JavaScript off."""
    context = browser.new_context(java_script_enabled=False, service_workers="block")
    try:
        result = BrowserPage(context.new_page())

        def on_request(route: Route) -> None:
            if is_local_url(route.request.url):
                route.continue_()
            else:
                result.blocked.append(route.request.url)
                route.abort("blockedbyclient")

        context.route("**/*", on_request)
        yield result
    finally:
        context.close()


def test_create_and_delete_with_javascript_off(chromium_browser: Browser, server: Server) -> None:
    with no_script_page(chromium_browser) as browser_page:
        page = browser_page.page
        sign_in(page, server)
        expect(page.get_by_label("Select all on this page")).to_be_hidden()  # admin.js did not run
        page.get_by_role("link", name="Add source").click()
        page.get_by_label("Name").fill("No Script Expo")
        page.get_by_role("button", name="Add source").click()
        expect(page.get_by_role("status")).to_have_text("Added “No Script Expo”.")
        assert server.has("No Script Expo")
        row(page, "No Script Expo").get_by_role("link", name="Delete No Script Expo").click()
        page.get_by_role("button", name="Delete “No Script Expo”").click()
        expect(page.get_by_role("status")).to_have_text("Deleted “No Script Expo”.")
        assert not server.has("No Script Expo")
        assert browser_page.blocked == []
