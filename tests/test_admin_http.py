"""The admin page over HTTP, in process: sign-in and sessions, every route's status codes, CSRF,
capabilities, forms and their errors, bulk actions, CSV export, languages. Pages are parsed as
documents (tests/html_doc.py), not compared as strings."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from attribution.api import create_app
from attribution.api.admin.messages import CATALOGUES, REGISTRY, Messages
from attribution.api.admin.session import COOKIE, SessionStore
from attribution.errors import AttributionError
from attribution.registry import sources as registry
from attribution.registry.schemas import SourceUpdate
from attribution.registry.sources import BulkRefusedError
from attribution.registry.tokens import TokenChecker, create_token, list_tokens, revoke_token
from attribution.service.pipeline import Pipeline

from .conftest import MakeSettings, Migrated, write_csv
from .html_doc import Doc, Node, parse

ROOT = Path(__file__).resolve().parent.parent  # the repository

LIST = "/admin/leads/sources"
TOKENS = {
    "all": ("get", "post", "put", "delete"),
    "reader": ("get",),
    "writer": ("post",),
}


@dataclass
class Admin:
    client: TestClient
    pipe: Pipeline
    tokens: dict[str, str]
    reports: Path

    def sources(self) -> list[tuple[str, str, str, bool]]:
        """(id, name, channel, active) of every source, by id: what a test compares."""
        items, _ = registry.list_sources(self.pipe.warehouse, sort="id")
        return [(s.id, s.name, s.channel, s.active) for s in items]

    def add(self, name: str, channel: str = "Unassigned") -> int:
        fields, errors = SourceUpdate.parse({"name": name, "channel": channel}, creating=True)
        assert not errors
        return registry.create_source(self.pipe.warehouse, fields=fields)

    def page(self, url: str, status: int = 200) -> Doc:
        answer = self.client.get(url)
        assert answer.status_code == status, (url, answer.status_code, answer.text[:500])
        return parse(answer.text)

    def sign_in(self, name: str = "all") -> str:
        """Sign in with a token; the session's CSRF token (from the sign-out form)."""
        form = parse(self.client.get("/admin/sign-in").text).form("/admin/sign-in")
        done = self.client.post(
            "/admin/sign-in",
            data={"token": self.tokens[name], "csrf_token": form["csrf_token"], "next": LIST},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        page = parse(self.client.get(LIST).text)  # the list, or its 403 page: both have it
        return page.form("/admin/sign-out")["csrf_token"]

    def post(self, url: str, data: dict[str, Any], status: int = 303) -> httpx.Response:
        answer: httpx.Response = self.client.post(url, data=data, follow_redirects=False)
        assert answer.status_code == status, (url, answer.status_code, answer.text[:800])
        return answer


@pytest.fixture
def make_admin(
    make_settings: MakeSettings, migrated: Migrated, tmp_path: Path
) -> Iterator[Callable[..., Admin]]:
    """An app with tokens of TOKENS over a fresh warehouse; settings sections as keywords."""
    with ExitStack() as stack:

        def make(**sections: dict[str, Any]) -> Admin:
            reports = tmp_path / "reports"
            settings = make_settings(reports={"output_dir": str(reports)}, **sections)
            pipe = stack.enter_context(Pipeline.open(migrated(settings)))
            tokens = {
                name: create_token(pipe.warehouse, name=name, capabilities=caps)[0]
                for name, caps in TOKENS.items()
            }
            client = stack.enter_context(TestClient(create_app(pipe)))
            return Admin(client, pipe, tokens, reports)

        yield make


@pytest.fixture
def admin(make_admin: Callable[..., Admin]) -> Admin:
    return make_admin()


def sign_in_location(target: str) -> str:
    return "/admin/sign-in?next=" + quote(target, safe="")


@pytest.mark.parametrize(
    "path",
    [LIST, f"{LIST}?q=goo&sort=-name", f"{LIST}/new", f"{LIST}/1/edit", f"{LIST}/1/delete"],
)
def test_a_signed_out_visit_is_sent_to_sign_in(admin: Admin, path: str) -> None:
    answer = admin.client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == sign_in_location(path)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (f"{LIST}/new", {"name": "Sneaky"}),
        (f"{LIST}/1/edit", {"name": "Sneaky"}),
        (f"{LIST}/2/delete", {}),
        (f"{LIST}/bulk", {"action": "delete", "ids": "1", "confirmed": "yes"}),
        ("/admin/sign-out", {}),
    ],
)
def test_a_signed_out_post_changes_nothing(admin: Admin, path: str, data: dict[str, str]) -> None:
    before = admin.sources()
    answer = admin.post(path, {**data, "csrf_token": "x"})
    assert answer.headers["location"] == sign_in_location(LIST)
    assert admin.sources() == before


def test_sign_in_with_a_bad_then_a_good_token(admin: Admin) -> None:
    page = admin.page(sign_in_location(f"{LIST}?q=goo"))
    form = page.form("/admin/sign-in")
    assert form["next"] == f"{LIST}?q=goo"
    assert page.label_for("token") == "API token"
    bad = admin.client.post("/admin/sign-in", data={**form, "token": "attr_guess"})
    assert bad.status_code == 401
    assert COOKIE not in bad.cookies
    assert (
        parse(bad.text).by_id("token-error").text == "That token is not valid, or it was revoked."
    )
    empty = admin.client.post("/admin/sign-in", data={**form, "token": " "})
    assert empty.status_code == 401 and "Enter an API token." in parse(empty.text).text
    good = admin.post("/admin/sign-in", {**form, "token": admin.tokens["all"]})
    assert good.headers["location"] == f"{LIST}?q=goo"
    listed = admin.page(good.headers["location"])
    assert listed.by_id("q").attrs["value"] == "goo"
    assert "Signed in as all." in listed.flashes()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/api/x", "/\\x"])
def test_sign_in_goes_nowhere_but_the_admin(admin: Admin, target: str) -> None:
    form = admin.page("/admin/sign-in?next=" + quote(target)).form("/admin/sign-in")
    assert form["next"] == LIST
    answer = admin.post("/admin/sign-in", {**form, "next": target, "token": admin.tokens["all"]})
    assert answer.headers["location"] == LIST


def test_the_sign_in_form_needs_its_own_csrf_token(admin: Admin) -> None:
    form = admin.page("/admin/sign-in").form("/admin/sign-in")
    forged = {**form, "token": admin.tokens["all"], "csrf_token": "forged"}
    assert admin.client.post("/admin/sign-in", data=forged).status_code == 403
    admin.client.cookies.clear()  # a cross-site post brings no cookie (SameSite=Strict)
    answer = admin.client.post("/admin/sign-in", data={**form, "token": admin.tokens["all"]})
    assert answer.status_code == 403 and COOKIE not in answer.cookies


def test_failed_sign_ins_are_limited(make_admin: Callable[..., Admin]) -> None:
    admin = make_admin(api={"auth_failures_limit": 2})
    form = admin.page("/admin/sign-in").form("/admin/sign-in")
    for _ in range(2):
        assert admin.client.post("/admin/sign-in", data={**form, "token": "x"}).status_code == 401
    limited = admin.client.post("/admin/sign-in", data={**form, "token": admin.tokens["all"]})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Too many failed attempts" in parse(limited.text).by_id("token-error").text


def test_every_page_answers_when_signed_in(admin: Admin) -> None:
    csrf = admin.sign_in()
    pages = [
        LIST,
        f"{LIST}?q=o&channel=paid+search&active=true&sort=-lead_count&per_page=50&page=1",
        f"{LIST}?sort=nonsense&per_page=7&page=x&active=maybe",  # bad values: defaults
        f"{LIST}/new",
        f"{LIST}/1/edit",
        f"{LIST}/1/delete",
    ]
    for url in pages:
        answer = admin.client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].startswith("text/html")
        assert "script-src" not in answer.headers["content-security-policy"]  # 'self' only
        assert answer.headers["x-frame-options"] == "DENY"
        page = parse(answer.text)
        posts = [f for f in page.find_all("form") if f.attrs.get("method") == "post"]
        assert posts and all(page.fields(f)["csrf_token"] == csrf for f in posts), url
        assert page.find("html").attrs["lang"] == "en"
        assert page.by_id("main") and page.find("a", class_="skip-link").attrs["href"] == "#main"
    for asset, kind in (("/admin/admin.css", "text/css"), ("/admin/admin.js", "text/javascript")):
        answer = admin.client.get(asset)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    assert admin.client.get("/admin", follow_redirects=False).headers["location"] == LIST
    assert admin.page(f"{LIST}/999/edit", 404).by_id("problem").text == (
        "There is no lead source with id 999."
    )
    assert admin.client.get(f"{LIST}/abc/delete").status_code == 404
    assert not [p for p in admin.client.get("/openapi.json").json()["paths"] if "admin" in p]


def rows(page: Doc) -> list[dict[str, str]]:
    """The list's rows: id, name, leads under the name, channel, status, leads column."""
    found = []
    for tr in page.by_id("sources").find("tbody").find_all("tr"):
        if "data-id" not in tr.attrs:
            continue
        found.append(
            {
                "id": tr.attrs["data-id"],
                "name": tr.find(class_="source-name").text,
                "total": tr.find(class_="total-leads").text,
                "channel": tr.find(class_="channel").text,
                "status": tr.find(class_="status").text,
                "leads": tr.find(class_="leads").text,
            }
        )
    return found


def names(page: Doc) -> list[str]:
    return [r["name"] for r in rows(page)]


def ingest_leads(admin: Admin, tmp_path: Path, source: str, count: int) -> None:
    data = [[f"L{source}{i}", "2026-03-02", source] for i in range(count)]
    admin.pipe.ingest(
        "leads", write_csv(tmp_path / f"{source}.csv", ["lead_id", "created_at", "source"], data)
    )


def test_the_list_searches_filters_sorts_and_pages(admin: Admin, tmp_path: Path) -> None:
    for i in range(28):
        admin.add(f"Source {i:02d}", "Email" if i % 2 else "Event")
    ingest_leads(admin, tmp_path, "Google", 3)
    admin.sign_in()
    first = admin.page(LIST)
    assert first.find("caption").text == "Lead sources: 30 found, page 1 of 2"
    assert len(rows(first)) == 25
    assert names(first)[:3] == ["Facebook", "Google", "Source 00"]
    google = rows(first)[1]
    assert (google["total"], google["leads"], google["channel"]) == (
        "Total Leads: 3",
        "3",
        "Paid Search",
    )
    header = first.by_id("sources").find("th", **{"aria-sort": "ascending"})
    assert header.text == "Name" and header.find("a").attrs["href"] == f"{LIST}?sort=-name"
    second = admin.page(first.find("a", rel="next").attrs["href"])
    assert names(second) == [f"Source {i:02d}" for i in range(23, 28)]
    assert second.find("a", rel="prev") and not second.find_all("a", rel="next")
    everything = names(admin.page(f"{LIST}?per_page=50"))
    assert len(everything) == 30 and everything == sorted(everything, key=str.lower)
    assert names(admin.page(f"{LIST}?per_page=100&sort=-name")) == everything[::-1]
    assert names(admin.page(f"{LIST}?q=source+0")) == [f"Source {i:02d}" for i in range(10)]
    events = admin.page(f"{LIST}?channel=event&per_page=100")
    assert {r["channel"] for r in rows(events)} == {"Event"} and len(rows(events)) == 14
    by_leads = admin.page(f"{LIST}?sort=-lead_count")
    assert names(by_leads)[0] == "Google"
    assert by_leads.find("th", **{"aria-sort": "descending"}).text == "Leads"
    assert by_leads.form(f"{LIST}/bulk")["sort"] == "-lead_count"
    registry.bulk_action(admin.pipe.warehouse, action="deactivate", ids=[1])
    retired = admin.page(f"{LIST}?active=false")
    assert [(r["name"], r["status"]) for r in rows(retired)] == [("Google", "Retired")]
    assert admin.page(f"{LIST}?q=nothing+like+it").by_id("sources").find(class_="empty").text == (
        "No lead source matches."
    )


def test_names_are_shown_as_text_never_as_markup(admin: Admin) -> None:
    evil = "<script>alert(1)</script>"
    sid = admin.add(evil, '"><img src=x onerror=alert(2)>')
    admin.sign_in()
    for url in (LIST, f"{LIST}/{sid}/edit", f"{LIST}/{sid}/delete"):
        answer = admin.client.get(url)
        assert evil not in answer.text and "<img src=x" not in answer.text
        page = parse(answer.text)
        assert not [s for s in page.find_all("script") if "alert" in s.text]
        assert not page.find_all("img")
        assert evil in page.text or page.by_id("name").attrs["value"] == evil


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(admin: Admin) -> None:
    csrf = admin.sign_in()
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"{LIST}/new", {"name": "Forged"}),
        (f"{LIST}/1/edit", {"name": "Forged", "active": "true"}),
        (f"{LIST}/2/delete", {}),
        (f"{LIST}/bulk", {"action": "deactivate", "ids": ["1", "2"]}),
        (f"{LIST}/bulk", {"action": "delete", "ids": "2", "confirmed": "yes"}),
        ("/admin/sign-out", {}),
    ]
    before = admin.sources()
    for url, data in posts:
        for token in (None, "", "forged", csrf[:-1]):
            sent = data if token is None else {**data, "csrf_token": token}
            answer = admin.client.post(url, data=sent)
            assert answer.status_code == 403, (url, token)
            assert "nothing was changed" in parse(answer.text).by_id("problem").text
    assert admin.sources() == before
    assert admin.client.get(LIST).status_code == 200  # still signed in
    assert admin.post(f"{LIST}/1/edit", {"name": "Google", "channel": "Search", "csrf_token": csrf})
    assert admin.sources()[0][2] == "Search"


def test_a_token_without_the_capability_gets_a_403_page(admin: Admin) -> None:
    csrf = admin.sign_in("reader")
    listed = admin.page(LIST)
    assert not listed.find_all("a", id="add-source")
    assert not [a for a in listed.find_all("a") if a.attrs["href"].endswith(("/edit", "/delete"))]
    for url in (f"{LIST}/new", f"{LIST}/1/edit", f"{LIST}/1/delete"):
        assert admin.client.get(url).status_code == 403, url
    before = admin.sources()
    refused = [
        (f"{LIST}/new", {"name": "Nope"}),
        (f"{LIST}/1/edit", {"name": "Nope"}),
        (f"{LIST}/2/delete", {}),
        (f"{LIST}/bulk", {"action": "deactivate", "ids": "1"}),
        (f"{LIST}/bulk", {"action": "set_channel", "ids": "1", "new_channel": "X"}),
        (f"{LIST}/bulk", {"action": "delete", "ids": "2", "confirmed": "yes"}),
    ]
    for url, data in refused:
        answer = admin.client.post(url, data={**data, "csrf_token": csrf})
        assert answer.status_code == 403, url
        assert "lacks the “" in parse(answer.text).by_id("problem").text
    assert admin.sources() == before
    exported = admin.client.post(f"{LIST}/bulk", data={"action": "export", "csrf_token": csrf})
    assert exported.status_code == 200
    admin.client.cookies.clear()
    admin.sign_in("writer")
    page = admin.page(LIST, 403)
    assert "(writer) lacks the “get” capability" in page.by_id("problem").text
    assert admin.client.get(f"{LIST}/new").status_code == 200


def test_form_errors_are_shown_in_the_form(admin: Admin) -> None:
    csrf = admin.sign_in()
    before = admin.sources()
    empty = admin.client.post(
        f"{LIST}/new", data={"name": "  ", "channel": "X", "csrf_token": csrf}
    )
    assert empty.status_code == 422
    page = parse(empty.text)
    assert page.by_id("name-error").text == "The Name field is required."
    assert page.by_id("name").attrs["aria-invalid"] == "true"
    assert page.by_id("channel").attrs["value"] == "X"  # what was typed stays
    long = admin.client.post(f"{LIST}/new", data={"name": "x" * 151, "csrf_token": csrf})
    assert long.status_code == 422
    assert "cannot exceed 150 characters" in parse(long.text).by_id("name-error").text
    twin = admin.client.post(f"{LIST}/new", data={"name": "google", "csrf_token": csrf})
    assert twin.status_code == 409
    assert (
        parse(twin.text).by_id("name-error").text == "A lead source named 'Google' already exists."
    )
    assert admin.sources() == before
    rename = admin.client.post(f"{LIST}/2/edit", data={"name": "GOOGLE", "csrf_token": csrf})
    assert (
        rename.status_code == 409
        and "already exists" in parse(rename.text).by_id("form-errors").text
    )
    blank = admin.client.post(f"{LIST}/2/edit", data={"name": "", "csrf_token": csrf})
    assert blank.status_code == 422
    assert admin.sources() == before
    assert (
        admin.client.post(f"{LIST}/99/edit", data={"name": "Y", "csrf_token": csrf}).status_code
        == 404
    )


def test_create_and_edit_a_source(admin: Admin) -> None:
    csrf = admin.sign_in()
    made = admin.post(
        f"{LIST}/new",
        {
            "name": " Trade Fair ",
            "channel": "Event",
            "utm_source": "fair",
            "active": "true",
            "csrf_token": csrf,
        },
    )
    assert made.headers["location"] == LIST
    assert admin.page(LIST).flashes() == ["Added “Trade Fair”."]
    assert admin.page(LIST).flashes() == []  # shown once
    new_id = next(s[0] for s in admin.sources() if s[1] == "Trade Fair")
    form = admin.page(f"{LIST}/{new_id}/edit")
    assert form.by_id("utm_source").attrs["value"] == "fair"
    assert "checked" in form.by_id("active-box").attrs
    admin.post(
        f"{LIST}/{new_id}/edit",
        {"name": "Trade Fair 2026", "channel": "", "utm_source": "", "csrf_token": csrf},
    )
    src = registry.get_source(admin.pipe.warehouse, source_id=int(new_id))
    assert src is not None
    assert (src.name, src.channel, src.utm_source, src.active) == (
        "Trade Fair 2026",
        "Unassigned",
        None,
        False,  # the box was not ticked
    )
    assert admin.page(LIST).flashes() == ["Saved “Trade Fair 2026”."]


def test_deleting_a_source_in_use_is_refused_with_an_offer_to_retire(
    admin: Admin, tmp_path: Path
) -> None:

    ingest_leads(admin, tmp_path, "Google", 2)
    spare = admin.add("Spare")
    csrf = admin.sign_in()
    assert admin.page(f"{LIST}/{spare}/delete").find("h1").text == "Delete “Spare”?"
    known = admin.page(f"{LIST}/1/delete")  # in use: said before any click, no Delete button
    assert known.find("h1").text == "“Google” cannot be deleted"
    assert not known.find_all(id="confirm-delete") and known.by_id("retire")
    refused = admin.client.post(f"{LIST}/1/delete", data={"csrf_token": csrf})
    assert refused.status_code == 409
    page = parse(refused.text)
    assert page.find("h1").text == "“Google” cannot be deleted"
    assert (
        page.by_id("refusal").text == "The lead source is in use by 2 leads and cannot be deleted."
    )
    assert known.by_id("refusal").text == page.by_id("refusal").text
    retire = page.form(f"{LIST}/bulk")
    assert (retire["ids"], page.by_id("retire").attrs["value"]) == ("1", "deactivate")
    admin.post(f"{LIST}/bulk", {**retire, "action": "deactivate"})
    assert admin.sources()[0] == ("1", "Google", "Paid Search", False)
    assert admin.page(LIST).flashes() == ["Sources retired: 1."]
    again = parse(admin.client.post(f"{LIST}/1/delete", data={"csrf_token": csrf}).text)
    assert again.by_id("refusal") and not again.find_all(id="retire")
    assert "already retired" in again.text
    admin.post(f"{LIST}/{spare}/delete", {"csrf_token": csrf})
    assert [s[1] for s in admin.sources()] == ["Google", "Facebook"]
    assert admin.page(LIST).flashes() == ["Deleted “Spare”."]
    assert admin.client.post(f"{LIST}/{spare}/delete", data={"csrf_token": csrf}).status_code == 404


def row_actions(page: Doc, name: str) -> dict[str, Node]:
    """The links and buttons of a source's row, by their text ("Retire Google")."""
    tr = next(
        tr
        for tr in page.by_id("sources").find("tbody").find_all("tr")
        if "data-id" in tr.attrs and tr.find(class_="source-name").text == name
    )
    return {n.text: n for n in tr.find(class_="actions").walk() if n.tag in ("a", "button")}


def ingest_usage(admin: Admin, tmp_path: Path, touches: list[str], spend: list[str]) -> None:
    """A touch naming each source of touches (of the lead LGoogle0), a spend row for each of
    spend."""
    header = ["touch_id", "lead_id", "occurred_at", "source"]
    rows = [[f"T{i}", "LGoogle0", "2026-03-01T08:00:00Z", n] for i, n in enumerate(touches)]
    assert admin.pipe.ingest("touches", write_csv(tmp_path / "t.csv", header, rows)).loaded == len(
        rows
    )
    rows = [["2026-03-01", n, "10"] for n in spend]
    spent = admin.pipe.ingest(
        "spend", write_csv(tmp_path / "s.csv", ["date", "source", "amount"], rows)
    )
    assert spent.loaded == len(rows)


def test_a_source_in_use_offers_retire_from_the_start_and_an_unused_one_delete(
    make_admin: Callable[..., Admin], tmp_path: Path
) -> None:
    admin = make_admin(registry={"default_source": "Fallback"})
    ids = {n: str(admin.add(n)) for n in ("Touched", "Spent", "Fallback", "Old", "Spare")}
    ingest_leads(admin, tmp_path, "Google", 3378)
    ingest_leads(admin, tmp_path, "Old", 1)
    ingest_usage(admin, tmp_path, touches=["Touched"], spend=["Spent"])
    registry.bulk_action(admin.pipe.warehouse, action="deactivate", ids=[int(ids["Old"])])
    csrf = admin.sign_in()
    page = admin.page(f"{LIST}?per_page=50")
    assert {r["name"]: list(row_actions(page, r["name"])) for r in rows(page)} == {
        "Facebook": ["Edit Facebook", "Delete Facebook"],
        "Fallback": ["Edit Fallback", "Retire Fallback"],  # the default source
        "Google": ["Edit Google", "Retire Google"],
        "Old": ["Edit Old"],  # in use and retired already
        "Spare": ["Edit Spare", "Delete Spare"],
        "Spent": ["Edit Spent", "Retire Spent"],
        "Touched": ["Edit Touched", "Retire Touched"],
    }
    why = {n: row_actions(page, n)[f"Retire {n}"].attrs["title"] for n in ("Google", "Spent")}
    assert why == {
        "Google": "The lead source is in use by 3,378 leads and cannot be deleted.",
        "Spent": "The lead source is in use by 1 spend rows and cannot be deleted.",
    }
    retire = row_actions(page, "Google")["Retire Google"]
    assert (retire.attrs["form"], retire.attrs["name"], retire.attrs["value"]) == (
        "retire-one",
        "ids",
        "1",
    )
    google = next(r for r in rows(page) if r["name"] == "Google")
    assert (google["total"], google["leads"]) == ("Total Leads: 3,378", "3,378")
    assert page.find("caption").text == "Lead sources: 7 found, page 1 of 1"
    sent = page.fields(page.by_id("retire-one"))  # and the button's ids=1, as a browser sends
    assert sent == {"csrf_token": csrf, "per_page": "50", "action": "deactivate"}
    done = admin.post(f"{LIST}/bulk", {**sent, "ids": "1"})
    assert done.headers["location"] == f"{LIST}?per_page=50"
    after = admin.page(done.headers["location"])
    assert after.flashes() == ["Sources retired: 1."]
    assert list(row_actions(after, "Google")) == ["Edit Google"]
    assert admin.sources()[0] == ("1", "Google", "Paid Search", False)
    refused = admin.page(f"{LIST}/{ids['Touched']}/delete")
    assert refused.by_id("refusal").text == (
        "The lead source is in use by 1 touches rows and cannot be deleted."
    )


@pytest.mark.parametrize(
    ("language", "brand", "title"),
    [
        ("en", "Attribution admin", "Lead sources"),
        ("ro", "Administrare atribuire", "Surse Lead-uri"),
    ],
)
def test_the_header_names_lead_sources_once(
    make_admin: Callable[..., Admin], language: str, brand: str, title: str
) -> None:
    admin = make_admin(admin={"language": language})
    admin.sign_in()
    page = admin.page(LIST)
    header = page.find("header")
    assert header.find(class_="brand").text == brand
    assert header.text.count(title) == 1
    assert [h.text for h in page.find_all("h1")] == [title] and page.title == title


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", ["0", "999", "3,378", "1,234,567"]), ("ro", ["0", "999", "3.378", "1.234.567"])],
)
def test_counts_are_written_as_the_language_writes_them(language: str, shown: list[str]) -> None:
    t = Messages(language)
    assert [t.number(n) for n in (0, 999, 3378, 1_234_567)] == shown
    assert t("list.total_leads", n=3378).endswith(f": {shown[2]}")
    assert t("bulk.done.deactivate", n=1_234_567).endswith(f": {shown[3]}.")


RO_REGISTRY = {
    "registry.required": "Câmpul Nume este obligatoriu.",
    "registry.too_long": "Câmpul Nume are prea multe caractere (cel mult 150).",
    "registry.not_text": "Câmpul Sursă UTM trebuie să fie text.",
    "registry.not_boolean": "Câmpul Activă trebuie să fie true sau false.",
    "registry.name_taken": "Există deja o sursă numită „Google”.",
    "registry.utm_claimed": "„Expo” și „Fair” nu pot avea amândouă regula UTM utm_source=FAIR: "
    "o interacțiune corespunde unei singure surse.",
    "registry.default_source": "Sursa este sursa implicită din configurare și nu poate fi ștearsă.",
    "registry.in_use_leads": "Sursa nu poate fi ștearsă: o folosesc lead-uri (1).",
    "registry.in_use_touches": "Sursa nu poate fi ștearsă: o folosesc rânduri de interacțiuni (1).",
    "registry.in_use_spend": "Sursa nu poate fi ștearsă: o folosesc rânduri de cheltuieli (1).",
    "registry.in_use_both": "Sursa nu poate fi ștearsă: o folosesc rânduri de interacțiuni (1) și "
    "de cheltuieli (1).",
    "registry.missing": "Sursa nu există.",
}


def test_every_registry_message_is_translated(admin: Admin, tmp_path: Path) -> None:
    """Each error of attribution/registry/ that the admin page shows, provoked: the English
    page shows it word for word (the API's words), the Romanian one in Romanian."""
    wh = admin.pipe.warehouse

    def field_error(raw: dict[str, Any]) -> str:
        _, errors = SourceUpdate.parse(raw, creating=True)
        assert len(errors) == 1, errors
        return next(iter(errors.values()))

    def refusal(call: Callable[[], object]) -> str:
        with pytest.raises(AttributionError) as caught:
            call()
        return str(caught.value)

    def delete_refusal(name: str) -> str:
        return refusal(lambda: registry.delete_source(wh, source_id=ids[name]))

    ids = {n: admin.add(n) for n in ("Touched", "Spent", "Both", "Spare")}
    registry.create_source(wh, fields=SourceUpdate(name="Fair", utm_source="fair"))
    ingest_leads(admin, tmp_path, "Google", 1)
    ingest_usage(admin, tmp_path, touches=["Touched", "Both"], spend=["Spent", "Both"])
    expo = SourceUpdate(name="Expo", utm_source="FAIR")
    provoked = {
        "registry.required": field_error({"name": " "}),
        "registry.too_long": field_error({"name": "x" * 151}),
        "registry.not_text": field_error({"name": "X", "utm_source": ["x"]}),
        "registry.not_boolean": field_error({"name": "X", "active": "maybe"}),
        "registry.name_taken": refusal(lambda: admin.add("GOOGLE")),
        "registry.utm_claimed": refusal(lambda: registry.create_source(wh, fields=expo)),
        "registry.default_source": refusal(
            lambda: registry.delete_source(wh, source_id=ids["Spare"], default_source="spare")
        ),
        "registry.in_use_leads": refusal(lambda: registry.delete_source(wh, source_id=1)),
    }
    for key, name in (("touches", "Touched"), ("spend", "Spent"), ("both", "Both")):
        provoked[f"registry.in_use_{key}"] = delete_refusal(name)
    with pytest.raises(BulkRefusedError) as bulk:
        registry.bulk_action(wh, action="activate", ids=[999])
    provoked["registry.missing"] = bulk.value.reasons["999"]
    assert set(provoked) == set(REGISTRY) - {"registry.clash"}
    clash = CATALOGUES["en"]["registry.clash"]  # a race: found in the code instead
    assert f'"{clash}"' in (ROOT / "attribution" / "registry" / "sources.py").read_text("utf-8")
    provoked["registry.clash"] = clash
    english, romanian = Messages("en"), Messages("ro")
    for key, message in provoked.items():
        assert REGISTRY[key].fullmatch(message), key
        assert english.registry(message) == message, key
        expected = RO_REGISTRY.get(key, CATALOGUES["ro"][key])
        assert romanian.registry(message) == expected, key
    assert romanian.registry("Something else.") == "Something else."


def test_bulk_actions(admin: Admin, tmp_path: Path) -> None:
    a, b, c = (admin.add(n) for n in ("Alpha", "Beta", "Gamma"))
    ingest_leads(admin, tmp_path, "Google", 1)
    csrf = admin.sign_in()
    back = admin.page(f"{LIST}?q=a&sort=-name").form(f"{LIST}/bulk")  # as a browser sends it
    assert (back["csrf_token"], back["new_channel"]) == (csrf, "")
    done = admin.post(f"{LIST}/bulk", {**back, "action": "deactivate", "ids": [str(a), str(b)]})
    assert done.headers["location"] == f"{LIST}?q=a&sort=-name"
    assert [s[3] for s in admin.sources()[2:]] == [False, False, True]
    assert admin.page(LIST).flashes() == ["Sources retired: 2."]
    admin.post(f"{LIST}/bulk", {**back, "action": "activate", "ids": str(b)})
    admin.post(
        f"{LIST}/bulk",
        {**back, "action": "set_channel", "ids": [str(b), str(c)], "new_channel": " Email "},
    )
    assert admin.sources()[2:] == [
        (str(a), "Alpha", "Unassigned", False),
        (str(b), "Beta", "Email", True),
        (str(c), "Gamma", "Email", True),
    ]
    assert admin.page(LIST).flashes() == [
        "Sources activated: 1.",
        "Channel set to “Email”; sources changed: 2.",
    ]
    before = admin.sources()
    admin.post(f"{LIST}/bulk", {**back, "action": "deactivate"})
    admin.post(f"{LIST}/bulk", {**back, "action": "set_channel", "ids": str(a), "new_channel": " "})
    admin.post(f"{LIST}/bulk", {**back, "action": "explode", "ids": str(a)})
    assert admin.page(LIST).flashes() == [
        "Select at least one source first.",
        "Enter the new channel first.",
        "Choose one of the actions.",
    ]
    confirm = admin.client.post(
        f"{LIST}/bulk", data={**back, "action": "delete", "ids": ["1", str(c)]}
    )
    assert confirm.status_code == 200 and admin.sources() == before
    page = parse(confirm.text)
    assert page.find("h1").text == "Delete the selected sources (2)?"
    assert [li.text.split(" (")[0] for li in page.by_id("to-delete").find_all("li")] == [
        "Google",
        "Gamma",
    ]
    fields = page.form(f"{LIST}/bulk")
    assert (fields["confirmed"], fields["sort"], fields["q"]) == ("yes", "-name", "a")
    admin.post(
        f"{LIST}/bulk", {**back, "action": "delete", "ids": ["1", str(c)], "confirmed": "yes"}
    )
    assert admin.sources() == before  # Google is in use: all or nothing
    flash = admin.page(LIST).find(class_="flash-error")
    assert flash.find("p").text == "Nothing was changed:"
    assert [li.text for li in flash.find_all("li")] == [
        "Google: The lead source is in use by 1 leads and cannot be deleted."
    ]
    admin.post(
        f"{LIST}/bulk", {**back, "action": "delete", "ids": [str(a), str(c)], "confirmed": "yes"}
    )
    assert [s[1] for s in admin.sources()] == ["Google", "Facebook", "Beta"]
    assert admin.page(LIST).flashes() == ["Sources deleted: 2."]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_is_the_apis_csv_for_the_same_selection(admin: Admin, tmp_path: Path) -> None:
    for name, channel in (
        ("Bing", "Paid Search"),
        ("=HYPERLINK()", "Paid Search"),
        ("Expo", "Event"),
    ):
        admin.add(name, channel)
    ingest_leads(admin, tmp_path, "Bing", 2)
    csrf = admin.sign_in()
    auth = {"authtoken": admin.tokens["all"]}
    for filters in (
        {},
        {"channel": "paid search", "sort": "-lead_count"},
        {"q": "e", "active": "true"},
    ):
        form = admin.page(f"{LIST}?{urlencode(filters)}").form(f"{LIST}/bulk")  # as rendered
        mine = admin.post(f"{LIST}/bulk", {**form, "action": "export"}, 200)
        assert mine.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in mine.headers["content-disposition"]
        api_params = {("search" if k == "q" else k): v for k, v in filters.items()}
        theirs = admin.client.get("/api/lead_sources.csv", params=api_params, headers=auth)
        assert mine.text == theirs.text, filters
        assert len(csv_rows(mine.text)) > 1
    chosen = admin.post(
        f"{LIST}/bulk",
        {"action": "export", "ids": ["4", "1"], "sort": "name", "csrf_token": csrf},
        200,
    )
    every = csv_rows(admin.client.get("/api/lead_sources.csv", headers=auth).text)
    assert csv_rows(chosen.text) == [every[0]] + [r for r in every[1:] if r[0] in ("1", "4")]
    assert [r[1] for r in csv_rows(chosen.text)[1:]] == ["'=HYPERLINK()", "Google"]


def test_romanian(make_admin: Callable[..., Admin], tmp_path: Path) -> None:
    admin = make_admin(admin={"language": "ro"})
    ingest_leads(admin, tmp_path, "Google", 3378)
    sign_in = admin.page("/admin/sign-in")
    assert sign_in.find("html").attrs["lang"] == "ro"
    assert sign_in.find("h1").text == "Autentificare"
    csrf = admin.sign_in()
    page = admin.page(LIST)
    assert page.find("h1").text == "Surse Lead-uri" and page.title == "Surse Lead-uri"
    assert page.label_for("q") == "Caută"
    assert rows(page)[0]["total"] == "Total Lead-uri: 0"
    assert (rows(page)[1]["total"], rows(page)[1]["leads"]) == ("Total Lead-uri: 3.378", "3.378")
    assert list(row_actions(page, "Google")) == ["Editează Google", "Retrage Google"]
    assert row_actions(page, "Google")["Retrage Google"].attrs["title"] == (
        "Sursa nu poate fi ștearsă: o folosesc lead-uri (3.378)."
    )
    buttons = [b.text for b in page.find_all("button")]
    for word in ("Deconectare", "Retrage", "Activează", "Setează canalul", "Exportă CSV", "Șterge"):
        assert word in buttons, word
    assert page.find("a", id="add-source").text == "Adaugă sursă"
    assert admin.page(f"{LIST}/new").find("h1").text == "Adaugă sursă"
    # The registry's messages, in Romanian: form errors, a refused delete, a refused bulk delete.
    empty = admin.client.post(f"{LIST}/new", data={"name": " ", "csrf_token": csrf})
    assert empty.status_code == 422
    assert parse(empty.text).by_id("name-error").text == "Câmpul Nume este obligatoriu."
    twin = admin.client.post(f"{LIST}/new", data={"name": "google", "csrf_token": csrf})
    assert twin.status_code == 409
    assert parse(twin.text).by_id("name-error").text == "Există deja o sursă numită „Google”."
    registry.create_source(
        admin.pipe.warehouse, fields=SourceUpdate(name="Fair", utm_source="fair")
    )
    clash = admin.client.post(
        f"{LIST}/2/edit", data={"name": "Facebook", "utm_source": "fair", "csrf_token": csrf}
    )
    assert clash.status_code == 409
    assert parse(clash.text).by_id("utm_source-error").text == (
        "„Facebook” și „Fair” nu pot avea amândouă regula UTM utm_source=fair: o "
        "interacțiune corespunde unei singure surse."
    )
    refused = admin.client.post(f"{LIST}/1/delete", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert parse(refused.text).by_id("refusal").text == (
        "Sursa nu poate fi ștearsă: o folosesc lead-uri (3.378)."
    )
    admin.post(
        f"{LIST}/bulk", {"action": "delete", "ids": "1", "confirmed": "yes", "csrf_token": csrf}
    )
    flash = admin.page(LIST).find(class_="flash-error")
    assert flash.find("p").text == "Nu s-a modificat nimic:"
    assert [li.text for li in flash.find_all("li")] == [
        "Google: Sursa nu poate fi ștearsă: o folosesc lead-uri (3.378)."
    ]


def test_both_catalogues_have_the_same_keys_and_cover_every_key_used() -> None:
    assert set(CATALOGUES["en"]) == set(CATALOGUES["ro"])
    fields = re.compile(r"{(\w*)(?:![rsa])?}")  # {name} or {name!r}
    for lang, words in CATALOGUES.items():
        for key, text in words.items():
            params = set(fields.findall(text))
            assert params == set(fields.findall(CATALOGUES["en"][key])), (lang, key)
            assert text.strip() and text == text.strip(), (lang, key)
    pattern = re.compile(
        r"""["']((?:app|nav|sign_in|list|col|status|bulk|form|delete|error|num|registry|tokens)"""
        r"""\.[a-z_.]+)["']"""
    )
    catalogues = ROOT / "attribution" / "api" / "admin" / "messages.py"
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "reports" / "admin").glob("*.j2")]
    texts += [
        p.read_text(encoding="utf-8")
        for p in (ROOT / "attribution" / "api" / "admin").glob("*.py")
        if p != catalogues
    ]
    code = catalogues.read_text(encoding="utf-8")  # what follows the catalogues
    texts.append(code[code.index("CATALOGUES: ") :])
    used = {k for text in texts for k in pattern.findall(text)}
    used |= {f"bulk.done.{action}" for action in registry.BULK_ACTIONS}  # t(f"bulk.done.{action}")
    used |= set(REGISTRY)  # found by matching (test_every_registry_message_is_translated)
    assert used - set(CATALOGUES["en"]) == set()
    assert set(CATALOGUES["en"]) - used == set(), "unused keys"
    assert "ă" in CATALOGUES["ro"]["list.add"] and "ș" in CATALOGUES["ro"]["bulk.delete"].lower()


def test_a_session_ends_after_session_hours(make_admin: Callable[..., Admin]) -> None:
    admin = make_admin(admin={"session_hours": 0.5})
    store: SessionStore = admin.client.app.state.admin_sessions  # type: ignore[attr-defined]
    now = [1_000_000.0]
    store.clock = lambda: now[0]
    admin.sign_in()
    now[0] += 29 * 60
    assert admin.client.get(LIST).status_code == 200
    now[0] += 2 * 60
    answer = admin.client.get(LIST, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, sign_in_location(LIST))


def test_sign_out_and_revoking_the_token_end_the_session(admin: Admin) -> None:
    csrf = admin.sign_in()
    cookie = admin.client.cookies[COOKIE]
    out = admin.post("/admin/sign-out", {"csrf_token": csrf})
    assert out.headers["location"] == "/admin/sign-in?signed_out=1"
    assert 'attribution_admin=""' in out.headers["set-cookie"]
    assert (
        admin.page(out.headers["location"]).find(class_="flash-ok").text == "You have signed out."
    )
    admin.client.cookies.set(COOKIE, cookie)  # the old id is worth nothing now
    assert admin.client.get(LIST, follow_redirects=False).status_code == 303
    admin.client.cookies.clear()
    admin.sign_in()
    revoke_token(admin.pipe.warehouse, name="all")
    assert admin.client.get(LIST, follow_redirects=False).status_code == 303


def cookie_flags(answer: httpx.Response) -> dict[str, str]:
    header = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    parts = [p.strip() for p in header.split(";")]
    return {p.split("=", 1)[0].lower(): p.split("=", 1)[-1] for p in parts[1:]} | {
        "value": parts[0].split("=", 1)[1]
    }


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie(make_admin: Callable[..., Admin], secure: bool) -> None:
    admin = make_admin(admin={"secure_cookies": secure, "session_hours": 2})
    admin.client.base_url = httpx.URL("https://testserver")  # Secure cookies travel on https
    form = admin.page("/admin/sign-in").form("/admin/sign-in")
    answer = admin.post("/admin/sign-in", {**form, "token": admin.tokens["all"]})
    flags = cookie_flags(answer)
    assert "httponly" in flags and flags["samesite"].lower() == "strict"
    assert ("secure" in flags) is secure
    assert (flags["path"], flags["max-age"]) == ("/", "7200")
    assert len(flags["value"]) >= 40
    assert admin.tokens["all"] not in answer.headers["set-cookie"]
    token_part = admin.tokens["all"].removeprefix("attr_")
    assert token_part[:12] not in flags["value"]


def test_the_latest_report_is_linked_and_the_session_opens_it(admin: Admin) -> None:
    # "Latest" is the latest period: W46, rebuilt after W47 (run 3), does not take its place.
    for folder, period_start, period_end, generated, run_id in (
        ("2026-W46-run1", "2026-11-09T00:00:00", "2026-11-16T00:00:00", "2026-11-16T07:00:00", 1),
        ("2026-W47-run2", "2026-11-16T00:00:00", "2026-11-23T00:00:00", "2026-11-23T07:00:00", 2),
        ("2026-W46-run3", "2026-11-09T00:00:00", "2026-11-16T00:00:00", "2026-11-24T09:00:00", 3),
    ):
        (admin.reports / folder).mkdir(parents=True)
        manifest = {
            "label": folder[:8],
            "period_start": period_start,
            "period_end": period_end,
            "generated_at": generated,
            "run_id": run_id,
        }
        (admin.reports / folder / "report.json").write_text(json.dumps(manifest), encoding="utf-8")
        (admin.reports / folder / "index.html").write_text(f"<h1>{folder}</h1>", encoding="utf-8")
    assert admin.client.get("/reports/2026-W47-run2/index.html").status_code == 401
    csrf = admin.sign_in("reader")
    link = admin.page(LIST).by_id("latest-report")
    assert link.attrs["href"] == "/reports/2026-W47-run2/index.html"
    assert link.text == "Latest weekly report (2026-W47)"
    assert admin.client.get(link.attrs["href"]).text == "<h1>2026-W47-run2</h1>"
    assert admin.page(LIST).find("a", href="/docs")
    admin.post("/admin/sign-out", {"csrf_token": csrf})
    assert admin.client.get(link.attrs["href"]).status_code == 401
    admin.sign_in("writer")  # no get capability: no link, no report
    assert admin.client.get(link.attrs["href"]).status_code == 403


# -- API tokens (/admin/tokens) ---------------------------------------------------------------

TOKENS_PAGE = "/admin/tokens"


def with_admin_token(admin: Admin, caps: tuple[str, ...] = ("get", "post", "admin")) -> Admin:
    """The app with a token "boss" holding `admin` (TOKENS has none)."""
    admin.tokens["boss"] = create_token(admin.pipe.warehouse, name="boss", capabilities=caps)[0]
    return admin


def token_rows(doc: Doc) -> list[list[str]]:
    rows = doc.by_id("tokens").find("tbody").find_all("tr")
    return [[cell.text for cell in row.children if isinstance(cell, Node)][:6] for row in rows]


def test_an_admin_session_lists_tokens_without_their_secrets(admin: Admin) -> None:
    with_admin_token(admin)
    revoke_token(admin.pipe.warehouse, name="writer")
    admin.sign_in("boss")
    answer = admin.client.get(TOKENS_PAGE)
    assert answer.status_code == 200
    doc = parse(answer.text)
    assert doc.by_id("nav-tokens").attrs["href"] == TOKENS_PAGE
    rows = token_rows(doc)
    assert [r[0] for r in rows] == ["all", "reader", "writer", "boss"]
    assert [r[1] for r in rows] == [
        admin.tokens[n][:11] + "…" for n in ("all", "reader", "writer", "boss")
    ]
    assert [r[2] for r in rows] == ["get, post, put, delete", "get", "post", "get, post, admin"]
    assert rows[1][4] == "Never" and rows[1][5] == "Active"
    assert rows[2][5] != "Active" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[2][5])
    for secret in admin.tokens.values():
        assert secret not in answer.text and secret[11:] not in answer.text
    revoke_buttons = [n for n in doc.find_all("form", action=f"{TOKENS_PAGE}/revoke")]
    assert [Doc.fields(f)["name"] for f in revoke_buttons] == ["all", "reader", "boss"]
    boxes = doc.find("form", action=TOKENS_PAGE).find_all("input", type="checkbox")
    assert [(b.attrs["value"], "disabled" in b.attrs) for b in boxes] == [
        ("get", False),
        ("post", False),
        ("put", True),
        ("delete", True),
        ("backup", True),
        ("admin", False),
    ]


def test_a_new_token_s_secret_is_shown_once(admin: Admin) -> None:
    with_admin_token(admin)
    csrf = admin.sign_in("boss")
    answer = admin.post(
        TOKENS_PAGE,
        {"csrf_token": csrf, "name": " crm-sync ", "capabilities": ["get", "post"]},
        status=201,
    )
    doc = parse(answer.text)
    secret = doc.by_id("secret").attrs["value"]
    assert doc.find("h1").text == "Token “crm-sync” created"
    assert doc.by_id("new-token").find("p").text == (
        "Copy this token now: it will not be shown again (only its SHA-256 is kept)."
    )
    checker = TokenChecker(admin.pipe.warehouse)
    info = checker.check(secret)
    assert info is not None and (info.name, info.capabilities) == ("crm-sync", ("get", "post"))
    listing = admin.client.get(TOKENS_PAGE).text
    assert secret not in listing and secret[11:] not in listing
    assert "crm-sync" in [r[0] for r in token_rows(parse(listing))]


def test_revoking_a_token_from_the_page(admin: Admin) -> None:
    with_admin_token(admin)
    csrf = admin.sign_in("boss")
    assert TokenChecker(admin.pipe.warehouse).check(admin.tokens["reader"]) is not None
    done = admin.post(f"{TOKENS_PAGE}/revoke", {"csrf_token": csrf, "name": "reader"})
    assert done.headers["location"] == TOKENS_PAGE
    doc = admin.page(TOKENS_PAGE)
    assert doc.flashes() == ["Revoked “reader”: it is refused from the next request on."]
    assert TokenChecker(admin.pipe.warehouse).check(admin.tokens["reader"]) is None
    app = admin.client.app
    assert isinstance(app, FastAPI)
    assert app.state.tokens.check(admin.tokens["reader"]) is None  # the service's own checker
    assert token_rows(doc)[1][5] != "Active"
    admin.post(f"{TOKENS_PAGE}/revoke", {"csrf_token": csrf, "name": "nobody"})
    assert admin.page(TOKENS_PAGE).flashes() == [
        "There is no token named “nobody”; nothing was revoked."
    ]


@pytest.mark.parametrize("who", ["all", "reader"])
def test_a_session_without_admin_gets_403_and_no_nav_link(admin: Admin, who: str) -> None:
    csrf = admin.sign_in(who)
    assert admin.page(LIST).find_all("a", href=TOKENS_PAGE) == []
    doc = admin.page(TOKENS_PAGE, status=403)
    assert doc.by_id("problem").text == (
        f"The token you signed in with ({who}) lacks the “admin” capability that this needs. "
        "Sign in with another token."
    )
    before = [(t.name, t.revoked_at) for t in list_tokens(admin.pipe.warehouse)]
    admin.post(TOKENS_PAGE, {"csrf_token": csrf, "name": "x", "capabilities": "get"}, status=403)
    admin.post(f"{TOKENS_PAGE}/revoke", {"csrf_token": csrf, "name": "all"}, status=403)
    assert [(t.name, t.revoked_at) for t in list_tokens(admin.pipe.warehouse)] == before


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (TOKENS_PAGE, {"name": "sneaky", "capabilities": "get"}),
        (f"{TOKENS_PAGE}/revoke", {"name": "all"}),
    ],
)
@pytest.mark.parametrize("csrf", [None, "wrong"])
def test_token_posts_need_the_csrf_token(
    admin: Admin, path: str, data: dict[str, str], csrf: str | None
) -> None:
    with_admin_token(admin)
    admin.sign_in("boss")
    before = [(t.name, t.revoked_at) for t in list_tokens(admin.pipe.warehouse)]
    sent = data if csrf is None else {**data, "csrf_token": csrf}
    doc = parse(admin.post(path, sent, status=403).text)
    assert doc.by_id("problem").text.startswith("This form is out of date")
    assert [(t.name, t.revoked_at) for t in list_tokens(admin.pipe.warehouse)] == before


def test_a_grant_beyond_the_session_s_capabilities_is_refused(admin: Admin) -> None:
    with_admin_token(admin)
    csrf = admin.sign_in("boss")
    answer = admin.post(
        TOKENS_PAGE,
        {"csrf_token": csrf, "name": "greedy", "capabilities": ["get", "delete", "backup"]},
        status=403,
    )
    errors = parse(answer.text).by_id("token-errors")
    assert [li.text for li in errors.find_all("li")] == [
        "You cannot grant delete, backup: a token may grant only the capabilities of the token "
        "you signed in with (get, post, admin)."
    ]
    assert "greedy" not in [t.name for t in list_tokens(admin.pipe.warehouse)]
    answer = admin.post(TOKENS_PAGE, {"csrf_token": csrf, "name": "a/b"}, status=422)
    assert [li.text for li in parse(answer.text).by_id("token-errors").find_all("li")] == [
        "A name is printable text of at most 100 characters, without “/”.",
        "Tick at least one capability.",
    ]
    answer = admin.post(
        TOKENS_PAGE, {"csrf_token": csrf, "name": "reader", "capabilities": "get"}, status=409
    )
    assert [li.text for li in parse(answer.text).by_id("token-errors").find_all("li")] == [
        "A token named “reader” exists; pick another name."
    ]


def test_the_tokens_page_in_romanian(make_admin: Callable[..., Admin]) -> None:
    admin = with_admin_token(make_admin(admin={"language": "ro"}))
    csrf = admin.sign_in("boss")
    doc = admin.page(TOKENS_PAGE)
    assert doc.find("h1").text == "Token-uri API"
    assert doc.by_id("nav-tokens").text == "Token-uri API"
    assert token_rows(doc)[1][4:6] == ["Niciodată", "Activ"]
    answer = admin.post(
        TOKENS_PAGE, {"csrf_token": csrf, "name": "crm", "capabilities": "get"}, status=201
    )
    created = parse(answer.text)
    assert created.find("h1").text == "Token-ul „crm” a fost creat"
    assert created.by_id("new-token").find("p").text.startswith("Copiați token-ul acum")
