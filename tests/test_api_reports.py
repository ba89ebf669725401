"""Reports over HTTP: list, build, and their files behind the same tokens, safe from traversal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from attribution.api import create_app
from attribution.config import load_settings
from attribution.registry.tokens import create_token, revoke_token
from attribution.service.pipeline import Pipeline, run_demo

from .html_doc import parse

Api = tuple[TestClient, dict[str, str], dict[str, str], Path]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("reports-api")
    env = {
        "ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder / "demo"),
        "ATTRIBUTION_DEMO__LEADS": "2000",
        "ATTRIBUTION_DEMO__WEEKS": "6",
    }
    demo = run_demo(load_settings(environ=env), as_of=date(2026, 11, 25))
    env.update(
        ATTRIBUTION_WAREHOUSE__PATH=str(demo.warehouse),
        ATTRIBUTION_REPORTS__OUTPUT_DIR=str(folder / "reports"),
        ATTRIBUTION_SNAPSHOT__PATH=str(folder / "snapshot.duckdb"),
    )
    (folder / "secret.txt").write_text("not a report", encoding="utf-8")
    with Pipeline.open(load_settings(environ=env)) as pipe:
        everything, _ = create_token(pipe.warehouse, name="all")
        reader, _ = create_token(pipe.warehouse, name="reader", capabilities=["get"])
        with TestClient(create_app(pipe)) as client:
            yield client, {"authtoken": everything}, {"authtoken": reader}, folder / "reports"


def test_build_list_and_open_a_report(api: Api) -> None:
    client, auth, _, out = api
    built = client.post(
        "/api/v1/reports", json={"week": "2026-W47", "models": ["linear"]}, headers=auth
    )
    assert built.status_code == 201, built.text
    body = built.json()["report"]
    assert (body["label"], body["models"], body["primary_model"]) == (
        "2026-W47",
        ["linear"],
        "linear",
    )
    assert (out / body["folder"] / "index.html").is_file()
    listed = client.get("/api/v1/reports", headers=auth).json()["reports"]
    assert listed[0]["folder"] == body["folder"] and listed[0]["url"] == body["url"]
    page = client.get(body["url"], headers=auth)
    assert page.status_code == 200 and "Channel performance, 2026-W47" in page.text
    assert "httponly" in page.headers["set-cookie"].lower()
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    # The page's relative links carry no header: the cookie admits them.
    script = client.get("/reports/plotly.min.js")
    assert script.status_code == 200 and len(script.content) > 1_000_000
    csv_file = client.get(f"/reports/{body['folder']}/channel_summary.csv")
    assert csv_file.text.splitlines()[0].startswith("channel,leads,leads_previous")
    folder = client.get(f"/reports/{body['folder']}", follow_redirects=False)
    assert folder.status_code == 307 and folder.headers["location"].endswith("/")
    assert "2026-W47" in client.get("/reports/").text  # the index of reports


def test_reports_need_a_token_with_the_right_capability(api: Api) -> None:
    client, _, reader, _ = api
    client.cookies.clear()
    assert client.get("/api/v1/reports").status_code == 401
    assert client.get("/reports/index.html").status_code == 401
    client.cookies.set("attribution_reports", "attr_not_a_token")
    assert client.get("/reports/index.html").status_code == 401
    client.cookies.clear()
    assert client.get("/api/v1/reports", headers=reader).status_code == 200
    refused = client.post("/api/v1/reports", json={"week": "2026-W47"}, headers=reader)
    assert refused.status_code == 403 and refused.json()["status"] is False


def _cookie(answer: httpx.Response) -> dict[str, str]:
    """The reports cookie's value and flags (lower-case names) from an answer's Set-Cookie."""
    header = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith("attribution_reports=")
    )
    parts = [p.strip() for p in header.split(";")]
    flags = {p.split("=", 1)[0].lower(): p.split("=", 1)[-1] for p in parts[1:]}
    return flags | {"value": parts[0].split("=", 1)[1]}


@pytest.mark.parametrize("secure", [False, True])
def test_the_reports_cookie_holds_a_session_never_the_token(api: Api, secure: bool) -> None:
    client, auth, _, _ = api
    app = client.app
    assert isinstance(app, FastAPI)
    wh = app.state.pipeline.warehouse
    built = client.post(
        "/api/v1/reports", json={"week": "2026-W47", "models": ["linear"]}, headers=auth
    )
    assert built.status_code == 201, built.text
    token, _ = create_token(wh, name=f"cookie-{secure}", capabilities=["get"])
    settings = app.state.settings
    admin = settings.admin.model_copy(update={"secure_cookies": secure})
    app.state.settings = settings.model_copy(update={"admin": admin})
    try:
        browser = TestClient(app, base_url="https://testserver")
        first = browser.get("/reports/", headers={"authtoken": token})
        assert first.status_code == 200
        flags = _cookie(first)
        assert token not in first.headers["set-cookie"]
        assert token.removeprefix("attr_")[:12] not in flags["value"]
        assert len(flags["value"]) >= 40
        assert "httponly" in flags and flags["samesite"].lower() == "strict"
        assert (flags["path"], flags["max-age"]) == ("/reports", "43200")  # session_hours: 12
        assert ("secure" in flags) is secure
        # The cookie alone admits the page's next requests, and is not set again.
        again = browser.get("/reports/plotly.min.js")
        assert again.status_code == 200 and "set-cookie" not in again.headers
        other = TestClient(app, base_url="https://testserver")
        other.cookies.set("attribution_reports", flags["value"])
        assert other.get("/reports/").status_code == 200
        # The token itself is no cookie any more.
        stolen = TestClient(app, base_url="https://testserver")
        stolen.cookies.set("attribution_reports", token)
        refused = stolen.get("/reports/")
        assert refused.status_code == 401 and refused.json()["message"] == "Invalid token."
        # Revoking the token ends its session at once.
        revoke_token(wh, name=f"cookie-{secure}")
        gone = other.get("/reports/")
        assert gone.status_code == 401 and gone.json()["message"] == "Invalid token."
        assert browser.get("/reports/plotly.min.js").status_code == 401
    finally:
        app.state.settings = settings


@pytest.mark.parametrize(
    "path",
    ["../secret.txt", "%2e%2e/secret.txt", "..%2fsecret.txt", "%2fetc%2fpasswd", "nope.html"],
)
def test_report_files_cannot_reach_outside_the_reports_folder(api: Api, path: str) -> None:
    client, auth, _, _ = api
    answer = client.get(f"/reports/{path}", headers=auth)
    assert answer.status_code == 404
    assert "not a report" not in answer.text and "root:" not in answer.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Give week"),
        ({"week": "2026-47"}, "ISO week"),
        ({"week": "2026-W47", "from": "2026-11-01", "to": "2026-11-02"}, "not both"),
        ({"from": "2026-11-09", "to": "2026-11-01"}, "before it starts"),
        ({"week": "2026-W47", "models": ["nope"]}, "unknown model"),
        ({"week": "2026-W47", "models": ["linear"], "primary": "markov"}, "primary model"),
        ({"week": "2026-W47", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_report_request_says_what_is_wrong(
    api: Api, body: dict[str, object], message: str
) -> None:
    client, auth, _, _ = api
    answer = client.post("/api/v1/reports", json=body, headers=auth)
    assert answer.status_code in (400, 422), answer.text
    assert message in answer.json()["message"]
    assert "Traceback" not in answer.text


def test_an_empty_week_is_refused_with_a_422_unless_allowed(api: Api) -> None:
    client, auth, _, out = api
    folders = set(out.iterdir()) if out.exists() else set()  # none yet when run alone
    refused = client.post(
        "/api/v1/reports", json={"week": "2026-W10", "models": ["linear"]}, headers=auth
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "status": False,
        "message": "no leads and no conversions in 2026-W10 (2026-03-02 to 2026-03-08); the "
        "warehouse has data from 2026-10-12 to 2026-11-22. Choose another week, or send "
        '"allow_empty": true to build it anyway.',
    }
    assert (set(out.iterdir()) if out.exists() else set()) == folders  # nothing written
    built = client.post(
        "/api/v1/reports",
        json={"week": "2026-W10", "models": ["linear"], "allow_empty": True},
        headers=auth,
    )
    assert built.status_code == 201, built.text
    page = parse(client.get(built.json()["report"]["url"], headers=auth).text)
    assert [p.text for p in page.find_all("p", class_="banner")] == [
        "This week has no data: no leads and no conversions; the warehouse has data from "
        "2026-10-12 to 2026-11-22."
    ]
    # Its charts say they are empty, without axes counting from -1 to 6 around nothing.
    charts = json.loads((out / built.json()["report"]["folder"] / "charts.json").read_text())
    empty = [
        c["figure"]["layout"]
        for c in charts
        if any("in this period" in a["text"] for a in c["figure"]["layout"].get("annotations", []))
    ]
    assert len(empty) >= 5, [c["id"] for c in charts]
    for layout in empty:
        axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
        assert axes and all(a["showticklabels"] is False and a["showgrid"] is False for a in axes)
    funnel = next(c["figure"]["data"][0] for c in charts if c["id"] == "chart-funnel")
    assert funnel["x"] == [0, 0, 0]
    assert not any("percent" in t for t in funnel["texttemplate"])  # no "NaN% of leads"


def test_reports_are_listed_latest_period_first(api: Api) -> None:
    client, auth, _, _ = api
    made = {}
    for week in ("2026-W47", "2026-W46"):  # the older week built last
        answer = client.post(
            "/api/v1/reports", json={"week": week, "models": ["linear"]}, headers=auth
        )
        assert answer.status_code == 201, answer.text
        made[week] = answer.json()["report"]["folder"]
    listed = client.get("/api/v1/reports", headers=auth).json()["reports"]
    labels = [r["label"] for r in listed]
    assert listed[0]["folder"] == made["2026-W47"]
    assert labels == sorted(labels, reverse=True)  # ISO weeks of one year sort as text
    assert labels.index("2026-W46") > labels.index("2026-W47")
