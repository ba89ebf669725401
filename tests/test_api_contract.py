"""Contract tests of the lead_sources REST API (/work/shared/design/lead-sources-api.md).

Every status code, JSON body and message the contract fixes is asserted exactly, including the
string ids and the original CRM's spelling "necessay". The app runs in-process over a fresh
warehouse per test (seeded with Google, id 1, and Facebook, id 2).

Sections: fixtures and helpers; authentication; GET list; GET one; POST; PUT; DELETE; bulk;
CSV export; body limit and error shape; OpenAPI; ingest over HTTP; token storage."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from attribution.api import create_app
from attribution.registry.tokens import CAPABILITIES, create_token, revoke_token
from attribution.service.pipeline import Pipeline

from .conftest import MakeSettings, Migrated, count, write_csv

# --------------------------------------------------------------------------------------------
# Messages and bodies fixed by the contract
# --------------------------------------------------------------------------------------------

MISSING_TOKEN = {"status": False, "message": "Token is not defined."}
INVALID_TOKEN = {"status": False, "message": "Invalid token."}
FORBIDDEN = {
    "status": False,
    "message": "Your API token does not have the necessay permissions for the requested operation",
}
NO_DATA = {"status": False, "message": "No data were found"}
INVALID_ID = {"status": False, "message": "Invalid Lead Source ID"}
NAME_REQUIRED = {
    "status": False,
    "error": {"name": "The Name field is required."},
    "message": "The Name field is required.",
}
UPDATED = {"status": True, "message": "Lead Source Update Successful."}
UPDATE_FAIL = {"status": False, "message": "Lead Source Update Fail."}
NOT_ACCEPTABLE = {"status": False, "message": "Data Not Acceptable OR Not Provided"}
DELETED = {"status": True, "message": "Lead Source Delete Successful."}
DELETE_FAIL = {"status": False, "message": "Lead Source Delete Fail."}
ADDED_MESSAGE = "Lead Source add successful."

DELETE_PATHS = ("/api/delete/lead_sources/{}", "/api/lead_sources/{}")
NON_NUMERIC_IDS = ("abc", "1a", "-1", "1.5", "0x1")
INJECTION_SORTS = ("name; DROP TABLE leads", "name desc", "1=1")


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


def send(client: TestClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; typed, as the test client's own methods are not."""
    return cast(httpx.Response, client.request(method, path, **kwargs))


@dataclass
class Api:
    """An app over an open pipeline, a client for it and a token holding every capability."""

    pipe: Pipeline
    client: TestClient
    token: str
    folder: Path
    _serial: Iterator[int] = field(default_factory=itertools.count)

    @property
    def auth(self) -> dict[str, str]:
        return {"authtoken": self.token}

    def token_with(self, *capabilities: str) -> str:
        token, _ = create_token(
            self.pipe.warehouse, name=f"caps-{next(self._serial)}", capabilities=capabilities
        )
        return token

    def get(self, path: str, **params: Any) -> httpx.Response:
        return send(self.client, "GET", path, params=params, headers=self.auth)

    def post(self, path: str, body: Any) -> httpx.Response:
        return send(self.client, "POST", path, json=body, headers=self.auth)

    def put(self, path: str, body: Any) -> httpx.Response:
        return send(self.client, "PUT", path, json=body, headers=self.auth)

    def delete(self, path: str) -> httpx.Response:
        return send(self.client, "DELETE", path, headers=self.auth)

    def add(self, name: str, **fields: Any) -> int:
        """Create a source through the API; its id."""
        response = self.post("/api/lead_sources", {"name": name, **fields})
        assert response.status_code == 200, response.text
        record_id = response.json()["record_id"]
        assert isinstance(record_id, int)
        return record_id

    def source(self, source_id: int | str) -> dict[str, Any]:
        response = self.get(f"/api/lead_sources/{source_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def exists(self, source_id: int | str) -> bool:
        return self.get(f"/api/lead_sources/{source_id}").status_code == 200

    def names(self, **params: Any) -> list[str]:
        """Names in the list's order, with these query parameters."""
        response = self.get("/api/lead_sources", **params)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()]

    def add_leads(self, source_id: int, n: int) -> None:
        """Ingest n new leads that name source_id (as a CSV file, like the CLI does)."""
        batch = next(self._serial)
        rows = [[f"L{batch}-{i}", "2026-03-02T10:00:00Z", source_id] for i in range(n)]
        path = write_csv(
            self.folder / f"leads-{batch}.csv", ["lead_id", "created_at", "source_id"], rows
        )
        assert self.pipe.ingest("leads", path).loaded == n

    def add_touches(self, source_id: int, n: int) -> None:
        """Ingest n touches that name source_id, on a new lead of another source (Facebook)."""
        batch = next(self._serial)
        lead = f"T{batch}"
        leads = write_csv(
            self.folder / f"touch-lead-{batch}.csv",
            ["lead_id", "created_at", "source_id"],
            [[lead, "2026-03-02T10:00:00Z", 2]],
        )
        assert self.pipe.ingest("leads", leads).loaded == 1
        rows = [[f"{lead}-{i}", lead, "2026-03-01T10:00:00Z", source_id] for i in range(n)]
        header = ["touch_id", "lead_id", "occurred_at", "source_id"]
        path = write_csv(self.folder / f"touches-{batch}.csv", header, rows)
        assert self.pipe.ingest("touches", path).loaded == n


MakeApi = Callable[..., Api]


@pytest.fixture
def make_api(make_settings: MakeSettings, migrated: Migrated, tmp_path: Path) -> Iterator[MakeApi]:
    """make_api(**sections): an Api over settings with those sections (call once per test)."""
    with ExitStack() as stack:

        def make(**sections: dict[str, Any]) -> Api:
            pipe = stack.enter_context(Pipeline.open(migrated(make_settings(**sections))))
            token, _ = create_token(pipe.warehouse, name="all")
            # A client sees what a real one would: a 500 response, not a re-raised exception.
            client = stack.enter_context(
                TestClient(create_app(pipe), raise_server_exceptions=False)
            )
            return Api(pipe=pipe, client=client, token=token, folder=tmp_path)

        yield make


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    return make_api()


@pytest.fixture
def compat(make_api: MakeApi) -> Api:
    return make_api(api={"compat_404": True})


def assert_source(
    item: dict[str, Any],
    *,
    id: str,  # the contract's field name
    name: str,
    channel: str,
    active: bool = True,
    lead_count: int = 0,
) -> None:
    """The fields the contract fixes, id as a string; timestamps present."""
    shown = {k: item[k] for k in ("id", "name", "channel", "active", "lead_count")}
    assert shown == {
        "id": id,
        "name": name,
        "channel": channel,
        "active": active,
        "lead_count": lead_count,
    }
    assert item["created_at"]
    assert item["updated_at"]


def assert_tables_intact(api: Api, leads: int) -> None:
    assert count(api.pipe, "leads") == leads
    assert count(api.pipe, "lead_sources") >= 2


def form_request(
    client: TestClient,
    method: str,
    path: str,
    encoding: str,
    fields: dict[str, str],
    headers: dict[str, str],
) -> httpx.Response:
    """Send fields as JSON, urlencoded or multipart form data."""
    if encoding == "json":
        return send(client, method, path, json=fields, headers=headers)
    if encoding == "urlencoded":
        return send(client, method, path, data=fields, headers=headers)
    assert encoding == "multipart"
    parts = {k: (None, v) for k, v in fields.items()}
    return send(client, method, path, files=parts, headers=headers)


ENCODINGS = ("json", "urlencoded", "multipart")


# --------------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request of the API, and the capability it needs."""

    capability: str
    method: str
    path: str
    body: Any = None

    def send(self, client: TestClient, **kwargs: Any) -> httpx.Response:
        if self.body is not None:
            kwargs["json"] = self.body
        return send(client, self.method, self.path, **kwargs)


CALLS = (
    Call("get", "GET", "/api/lead_sources"),
    Call("get", "GET", "/api/lead_sources/1"),
    Call("get", "GET", "/api/lead_sources.csv"),
    Call("post", "POST", "/api/lead_sources", {"name": "Newsletter"}),
    Call("put", "PUT", "/api/lead_sources/1", {"name": "Renamed"}),
    Call("delete", "DELETE", "/api/lead_sources/1"),
    Call("delete", "DELETE", "/api/delete/lead_sources/1"),
    Call("put", "POST", "/api/lead_sources/bulk", {"action": "deactivate", "ids": ["1"]}),
    Call("delete", "POST", "/api/lead_sources/bulk", {"action": "delete", "ids": ["1"]}),
    Call("post", "POST", "/api/v1/ingest/leads", [{"lead_id": "A", "created_at": "2026-03-02"}]),
)
CALL_IDS = [f"{c.method} {c.path} {c.capability}" for c in CALLS]


def assert_registry_untouched(api: Api) -> None:
    listed = api.get("/api/lead_sources").json()
    assert [(s["id"], s["name"], s["active"]) for s in listed] == [
        ("2", "Facebook", True),
        ("1", "Google", True),
    ]
    assert count(api.pipe, "leads") == 0


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_no_token_is_401_token_not_defined(api: Api, call: Call) -> None:
    response = call.send(api.client)
    assert (response.status_code, response.json()) == (401, MISSING_TOKEN)
    assert_registry_untouched(api)


@pytest.mark.parametrize(
    "headers",
    [
        {"authtoken": "attr_not-a-real-token"},
        {"authtoken": "   "},
        {"Authorization": "Bearer attr_not-a-real-token"},
    ],
    ids=["header", "blank-header", "bearer"],
)
def test_bad_token_is_401_invalid_token(api: Api, headers: dict[str, str]) -> None:
    response = api.client.get("/api/lead_sources", headers=headers)
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN)


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_bad_token_is_refused_on_every_endpoint(api: Api, call: Call) -> None:
    response = call.send(api.client, headers={"authtoken": api.token + "x"})
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN)
    assert_registry_untouched(api)


@pytest.mark.parametrize(
    "where",
    ["authtoken", "AUTHTOKEN", "AuthToken", "query", "bearer", "bearer-lower-case"],
)
def test_token_is_accepted_in_every_documented_place(api: Api, where: str) -> None:
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if where == "query":
        params["authtoken"] = api.token
    elif where == "bearer":
        headers["Authorization"] = f"Bearer {api.token}"
    elif where == "bearer-lower-case":
        headers["authorization"] = f"bearer {api.token}"
    else:
        headers[where] = api.token
    response = api.client.get("/api/lead_sources/1", headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert_source(response.json(), id="1", name="Google", channel="Paid Search")


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_token_without_the_capability_is_403(api: Api, call: Call) -> None:
    others = [c for c in CAPABILITIES if c != call.capability]
    response = call.send(api.client, headers={"authtoken": api.token_with(*others)})
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert_registry_untouched(api)


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_token_with_only_the_needed_capabilities_is_admitted(api: Api, call: Call) -> None:
    # Bulk actions also read the sources they act on.
    capabilities = {call.capability, "get"} if "bulk" in call.path else {call.capability}
    response = call.send(api.client, headers={"authtoken": api.token_with(*capabilities)})
    assert response.status_code == 200, response.text


def test_read_only_token_can_read_but_not_write(api: Api) -> None:
    ro = {"authtoken": api.token_with("get")}
    assert api.client.get("/api/lead_sources", headers=ro).status_code == 200
    response = api.client.post("/api/lead_sources", json={"name": "X"}, headers=ro)
    assert (response.status_code, response.json()) == (403, FORBIDDEN)


@pytest.mark.parametrize(
    ("headers", "body"),
    [({}, MISSING_TOKEN), ({"authtoken": "attr_wrong"}, INVALID_TOKEN)],
    ids=["missing", "invalid"],
)
def test_compat_setting_answers_404_for_missing_or_bad_token(
    compat: Api, headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = compat.client.get("/api/lead_sources", headers=headers)
    assert (response.status_code, response.json()) == (404, body)


def test_compat_setting_still_admits_a_good_token(compat: Api) -> None:
    assert compat.names() == ["Facebook", "Google"]


# --------------------------------------------------------------------------------------------
# GET /api/lead_sources
# --------------------------------------------------------------------------------------------


def test_list_is_a_bare_array_ordered_by_name(api: Api) -> None:
    response = api.get("/api/lead_sources")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert len(body) == 2
    assert_source(body[0], id="2", name="Facebook", channel="Paid Social")
    assert_source(body[1], id="1", name="Google", channel="Paid Search")


def test_list_orders_by_name_whatever_the_insertion_order_or_case(api: Api) -> None:
    for name in ("Zulu", "alpha", "Meetup"):
        api.add(name)
    assert api.names() == ["alpha", "Facebook", "Google", "Meetup", "Zulu"]


def test_list_shows_lead_counts(api: Api) -> None:
    api.add_leads(2, 3)
    api.add_leads(1, 1)
    body = api.get("/api/lead_sources").json()
    assert_source(body[0], id="2", name="Facebook", channel="Paid Social", lead_count=3)
    assert_source(body[1], id="1", name="Google", channel="Paid Search", lead_count=1)


def test_empty_registry_is_200_empty_array(api: Api) -> None:
    for source_id in (1, 2):
        assert api.delete(f"/api/lead_sources/{source_id}").json() == DELETED
    response = api.get("/api/lead_sources")
    assert (response.status_code, response.json()) == (200, [])


def test_compat_empty_registry_is_404_no_data(compat: Api) -> None:
    for source_id in (1, 2):
        assert compat.delete(f"/api/lead_sources/{source_id}").json() == DELETED
    response = compat.get("/api/lead_sources")
    assert (response.status_code, response.json()) == (404, NO_DATA)


@pytest.fixture
def five(api: Api) -> Api:
    """Sources: Alpha(3), Beta(4), Facebook(2), Gamma(5), Google(1)."""
    for name in ("Alpha", "Beta", "Gamma"):
        api.add(name)
    return api


@pytest.mark.parametrize(
    ("params", "names", "meta"),
    [
        ({"page": 1, "per_page": 2}, ["Alpha", "Beta"], (1, 2, 5, 3)),
        ({"page": 2, "per_page": 2}, ["Facebook", "Gamma"], (2, 2, 5, 3)),
        ({"page": 3, "per_page": 2}, ["Google"], (3, 2, 5, 3)),
        ({"page": 4, "per_page": 2}, [], (4, 2, 5, 3)),
        ({"per_page": 5}, ["Alpha", "Beta", "Facebook", "Gamma", "Google"], (1, 5, 5, 1)),
        ({"page": 2, "per_page": 2, "channel": "Unassigned"}, ["Gamma"], (2, 2, 3, 2)),
    ],
)
def test_paging_wraps_the_list_with_meta(
    five: Api, params: dict[str, Any], names: list[str], meta: tuple[int, int, int, int]
) -> None:
    response = five.get("/api/lead_sources", **params)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "meta"}
    assert [item["name"] for item in body["data"]] == names
    page, per_page, total, total_pages = meta
    assert body["meta"] == {
        "page": page,
        "per_page": per_page,
        "total": total,
        "total_pages": total_pages,
    }


def test_page_alone_turns_on_the_paged_shape(five: Api) -> None:
    body = five.get("/api/lead_sources", page=1).json()
    assert set(body) == {"data", "meta"}
    assert set(body["meta"]) == {"page", "per_page", "total", "total_pages"}
    assert (body["meta"]["page"], body["meta"]["total"]) == (1, 5)
    assert len(body["data"]) == 5
    assert_source(body["data"][0], id="3", name="Alpha", channel="Unassigned")


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"search": "goo"}, ["Google"]),
        ({"search": "GOO"}, ["Google"]),
        ({"search": "oo"}, ["Facebook", "Google"]),
        ({"search": "nothing like it"}, []),
        ({"search": "%"}, []),
        ({"search": "_"}, []),
        ({"channel": "Paid Search"}, ["Google"]),
        ({"channel": "Paid Social"}, ["Facebook"]),
        ({"channel": "Unassigned"}, ["Meetup"]),
        ({"channel": "Event"}, []),
        ({"active": "true"}, ["Google", "Meetup"]),
        ({"active": "false"}, ["Facebook"]),
        ({"active": "false", "search": "goo"}, []),
        ({"active": "true", "channel": "Unassigned", "search": "meet"}, ["Meetup"]),
    ],
)
def test_list_filters(api: Api, params: dict[str, str], names: list[str]) -> None:
    api.add("Meetup")
    assert api.put("/api/lead_sources/2", {"active": False}).json() == UPDATED
    assert api.names(**params) == names


def test_list_without_active_filter_shows_retired_sources(api: Api) -> None:
    assert api.put("/api/lead_sources/2", {"active": False}).json() == UPDATED
    body = api.get("/api/lead_sources").json()
    assert [(s["name"], s["active"]) for s in body] == [("Facebook", False), ("Google", True)]


@pytest.mark.parametrize(
    ("sort", "ids"),
    [
        ("name", ["2", "1", "3"]),
        ("-name", ["3", "1", "2"]),
        ("id", ["1", "2", "3"]),
        ("-id", ["3", "2", "1"]),
        ("lead_count", ["3", "1", "2"]),
        ("-lead_count", ["2", "1", "3"]),
    ],
)
def test_list_sort(api: Api, sort: str, ids: list[str]) -> None:
    api.add("Zeta")  # id 3, no leads
    api.add_leads(2, 2)
    api.add_leads(1, 1)
    response = api.get("/api/lead_sources", sort=sort)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == ids


@pytest.mark.parametrize("sort", INJECTION_SORTS)
def test_sort_with_sql_text_is_422_and_changes_nothing(api: Api, sort: str) -> None:
    api.add_leads(1, 2)
    response = api.get("/api/lead_sources", sort=sort)
    assert response.status_code == 422
    assert response.json()["status"] is False
    assert isinstance(response.json()["message"], str)
    assert_tables_intact(api, leads=2)
    assert api.names() == ["Facebook", "Google"]


@pytest.mark.parametrize(
    "params",
    [
        {"search": "'; DROP TABLE leads; --"},
        {"channel": "x' OR '1'='1"},
    ],
)
def test_filters_with_sql_text_match_nothing_and_change_nothing(
    api: Api, params: dict[str, str]
) -> None:
    api.add_leads(1, 2)
    assert api.names(**params) == []
    assert_tables_intact(api, leads=2)


@pytest.mark.parametrize(
    "params",
    [{"active": "maybe"}, {"page": "0"}, {"per_page": "0"}, {"page": "x"}],
)
def test_invalid_list_parameters_are_422(api: Api, params: dict[str, str]) -> None:
    response = api.get("/api/lead_sources", **params)
    assert response.status_code == 422
    assert response.json()["status"] is False


# --------------------------------------------------------------------------------------------
# GET /api/lead_sources/{id}
# --------------------------------------------------------------------------------------------


def test_get_one_is_a_bare_object_with_a_string_id(api: Api) -> None:
    response = api.get("/api/lead_sources/1")
    assert response.status_code == 200
    assert_source(response.json(), id="1", name="Google", channel="Paid Search")


def test_get_one_counts_its_leads(api: Api) -> None:
    api.add_leads(2, 4)
    assert_source(api.source(2), id="2", name="Facebook", channel="Paid Social", lead_count=4)


@pytest.mark.parametrize("source_id", ["999", "0", "3"])
def test_get_unknown_id_is_404_no_data(api: Api, source_id: str) -> None:
    response = api.get(f"/api/lead_sources/{source_id}")
    assert (response.status_code, response.json()) == (404, NO_DATA)


@pytest.mark.parametrize("source_id", NON_NUMERIC_IDS)
def test_get_non_numeric_id_is_404_invalid_id(api: Api, source_id: str) -> None:
    response = api.get(f"/api/lead_sources/{source_id}")
    assert (response.status_code, response.json()) == (404, INVALID_ID)


# --------------------------------------------------------------------------------------------
# POST /api/lead_sources
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_post_adds_a_source(api: Api, encoding: str) -> None:
    response = form_request(
        api.client, "POST", "/api/lead_sources", encoding, {"name": " Trade Show "}, api.auth
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["record_id"], int)
    assert body == {"status": True, "message": ADDED_MESSAGE, "record_id": body["record_id"]}
    assert_source(
        api.source(body["record_id"]),
        id=str(body["record_id"]),
        name="Trade Show",
        channel="Unassigned",
    )
    assert "Trade Show" in api.names()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_post_keeps_the_optional_fields(api: Api, encoding: str) -> None:
    fields = {
        "name": "Partner X",
        "channel": "Partner",
        "utm_source": "partnerx",
        "utm_medium": "referral",
        "utm_campaign": "spring",
        "active": "false",
    }
    response = form_request(api.client, "POST", "/api/lead_sources", encoding, fields, api.auth)
    assert response.status_code == 200, response.text
    stored = api.source(response.json()["record_id"])
    assert {k: stored[k] for k in fields} == {**fields, "active": False}


def test_post_record_ids_are_new_each_time(api: Api) -> None:
    ids = [api.add(name) for name in ("One", "Two", "Three")]
    assert len(set(ids)) == 3
    assert not {1, 2} & set(ids)


@pytest.mark.parametrize(
    ("encoding", "fields"),
    [
        ("json", {}),
        ("json", {"name": ""}),
        ("json", {"name": "   "}),
        ("json", {"channel": "Event"}),
        ("urlencoded", {"channel": "Event"}),
        ("urlencoded", {"name": ""}),
        ("multipart", {"channel": "Event"}),
        ("multipart", {"name": "  "}),
    ],
)
def test_post_without_name_is_422(api: Api, encoding: str, fields: dict[str, str]) -> None:
    response = form_request(api.client, "POST", "/api/lead_sources", encoding, fields, api.auth)
    assert (response.status_code, response.json()) == (422, NAME_REQUIRED)
    assert api.names() == ["Facebook", "Google"]


def test_post_with_no_body_is_422_name_required(api: Api) -> None:
    response = api.client.post("/api/lead_sources", headers=api.auth)
    assert (response.status_code, response.json()) == (422, NAME_REQUIRED)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_compat_post_without_name_is_404_same_body(compat: Api, encoding: str) -> None:
    response = form_request(
        compat.client, "POST", "/api/lead_sources", encoding, {"channel": "Event"}, compat.auth
    )
    assert (response.status_code, response.json()) == (404, NAME_REQUIRED)


@pytest.mark.parametrize("name", ["Google", "google", "  GOOGLE  ", "\tfacebook\n", "FaceBook"])
def test_post_duplicate_name_is_409(api: Api, name: str) -> None:
    response = api.post("/api/lead_sources", {"name": name})
    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"status", "error", "message"}
    assert body["status"] is False
    assert isinstance(body["error"]["name"], str) and body["error"]["name"]
    assert isinstance(body["message"], str) and body["message"]
    assert api.names() == ["Facebook", "Google"]


@pytest.mark.parametrize(("length", "status"), [(1, 200), (150, 200), (151, 422)])
def test_post_name_length_limit(api: Api, length: int, status: int) -> None:
    name = "n" * length
    response = api.post("/api/lead_sources", {"name": f"  {name}  "})
    assert response.status_code == status, response.text
    if status == 200:
        assert api.source(response.json()["record_id"])["name"] == name
    else:
        body = response.json()
        assert body["status"] is False
        assert set(body["error"]) == {"name"}
        assert body["message"] == body["error"]["name"]
        assert api.names() == ["Facebook", "Google"]


def test_post_invalid_active_is_422(api: Api) -> None:
    response = api.post("/api/lead_sources", {"name": "Odd", "active": "maybe"})
    assert response.status_code == 422
    body = response.json()
    assert body["status"] is False
    assert set(body["error"]) == {"active"}
    assert "Odd" not in api.names()


# --------------------------------------------------------------------------------------------
# PUT /api/lead_sources/{id}
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_put_changes_the_given_fields(api: Api, encoding: str) -> None:
    fields = {"name": "Google Ads", "channel": "Search", "utm_source": "google"}
    response = form_request(api.client, "PUT", "/api/lead_sources/1", encoding, fields, api.auth)
    assert (response.status_code, response.json()) == (200, UPDATED)
    stored = api.source(1)
    assert {k: stored[k] for k in fields} == fields
    assert_source(stored, id="1", name="Google Ads", channel="Search")
    assert_source(api.source(2), id="2", name="Facebook", channel="Paid Social")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_put_active_false_retires_the_source(api: Api, encoding: str) -> None:
    response = form_request(
        api.client, "PUT", "/api/lead_sources/2", encoding, {"active": "false"}, api.auth
    )
    assert (response.status_code, response.json()) == (200, UPDATED)
    assert api.source(2)["active"] is False


@pytest.mark.parametrize(
    "fields",
    [{"name": "Google"}, {"name": "Google", "channel": "Paid Search"}, {"active": True}],
)
def test_put_without_change_is_still_successful(api: Api, fields: dict[str, Any]) -> None:
    before = api.source(1)
    response = api.put("/api/lead_sources/1", fields)
    assert (response.status_code, response.json()) == (200, UPDATED)
    assert api.source(1) == before


def test_put_own_name_in_another_case_is_not_a_duplicate(api: Api) -> None:
    response = api.put("/api/lead_sources/1", {"name": "GOOGLE"})
    assert (response.status_code, response.json()) == (200, UPDATED)
    assert api.source(1)["name"] == "GOOGLE"


@pytest.mark.parametrize("source_id", ["999", "3", "0"])
def test_put_unknown_id_is_404_update_fail(api: Api, source_id: str) -> None:
    response = api.put(f"/api/lead_sources/{source_id}", {"name": "Ghost"})
    assert (response.status_code, response.json()) == (404, UPDATE_FAIL)
    assert "Ghost" not in api.names()


@pytest.mark.parametrize("source_id", NON_NUMERIC_IDS)
def test_put_non_numeric_id_is_404_invalid_id(api: Api, source_id: str) -> None:
    response = api.put(f"/api/lead_sources/{source_id}", {"name": "Ghost"})
    assert (response.status_code, response.json()) == (404, INVALID_ID)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="no-body"),
        pytest.param({"json": {}}, id="json-{}"),
        pytest.param({"content": b"  "}, id="blank"),
        pytest.param({"json": {"colour": "red"}}, id="json-unknown-fields-only"),
        pytest.param({"data": {"colour": "red"}}, id="urlencoded-unknown-fields-only"),
        pytest.param({"files": {"colour": (None, "red")}}, id="multipart-unknown-fields-only"),
    ],
)
def test_put_empty_body_is_406(api: Api, kwargs: dict[str, Any]) -> None:
    before = api.source(1)
    response = send(api.client, "PUT", "/api/lead_sources/1", headers=api.auth, **kwargs)
    assert (response.status_code, response.json()) == (406, NOT_ACCEPTABLE)
    assert api.source(1) == before


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"active": "maybe"}, "active"),
        ({"active": None}, "active"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 151}, "name"),
        ({"name": "Okay", "active": "perhaps"}, "active"),
    ],
)
def test_put_invalid_field_is_422_and_changes_nothing(
    api: Api, fields: dict[str, Any], bad: str
) -> None:
    before = api.source(1)
    response = api.put("/api/lead_sources/1", fields)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] is False
    assert bad in body["error"]
    assert isinstance(body["message"], str) and body["message"]
    assert api.source(1) == before


@pytest.mark.parametrize("name", ["Facebook", " facebook ", "FACEBOOK"])
def test_put_duplicate_name_is_409(api: Api, name: str) -> None:
    response = api.put("/api/lead_sources/1", {"name": name})
    assert response.status_code == 409
    body = response.json()
    assert body["status"] is False
    assert "name" in body["error"]
    assert isinstance(body["message"], str) and body["message"]
    assert api.source(1)["name"] == "Google"


def test_put_utm_rule_claimed_by_another_source_is_409_naming_both(api: Api) -> None:
    rule = {"utm_source": "google", "utm_medium": "cpc"}
    assert api.put("/api/lead_sources/1", rule).json() == UPDATED
    response = api.put("/api/lead_sources/2", {"utm_source": "Google", "utm_medium": "CPC"})
    assert response.status_code == 409
    body = response.json()
    assert body["status"] is False
    assert "Google" in body["message"]
    assert "Facebook" in body["message"]
    stored = api.source(2)
    assert (stored["utm_source"], stored["utm_medium"]) == (None, None)


def test_put_same_utm_rule_on_its_own_source_is_fine(api: Api) -> None:
    rule = {"utm_source": "google", "utm_medium": "cpc"}
    assert api.put("/api/lead_sources/1", rule).json() == UPDATED
    response = api.put("/api/lead_sources/1", {**rule, "channel": "Search"})
    assert (response.status_code, response.json()) == (200, UPDATED)


# --------------------------------------------------------------------------------------------
# DELETE /api/delete/lead_sources/{id} and /api/lead_sources/{id}
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", DELETE_PATHS)
def test_delete_removes_an_unused_source(api: Api, path: str) -> None:
    new_id = api.add("Temporary")
    response = api.delete(path.format(new_id))
    assert (response.status_code, response.json()) == (200, DELETED)
    assert api.get(f"/api/lead_sources/{new_id}").json() == NO_DATA
    assert api.names() == ["Facebook", "Google"]


@pytest.mark.parametrize("path", DELETE_PATHS)
def test_delete_seeded_unused_source(api: Api, path: str) -> None:
    response = api.delete(path.format(2))
    assert (response.status_code, response.json()) == (200, DELETED)
    assert api.names() == ["Google"]


@pytest.mark.parametrize("path", DELETE_PATHS)
@pytest.mark.parametrize("source_id", ["999", "0", "3"])
def test_delete_unknown_id_is_404_delete_fail(api: Api, path: str, source_id: str) -> None:
    response = api.delete(path.format(source_id))
    assert (response.status_code, response.json()) == (404, DELETE_FAIL)


@pytest.mark.parametrize("path", DELETE_PATHS)
def test_delete_twice_is_404_the_second_time(api: Api, path: str) -> None:
    assert api.delete(path.format(2)).json() == DELETED
    response = api.delete(path.format(2))
    assert (response.status_code, response.json()) == (404, DELETE_FAIL)


@pytest.mark.parametrize("path", DELETE_PATHS)
@pytest.mark.parametrize("source_id", NON_NUMERIC_IDS)
def test_delete_non_numeric_id_is_404_invalid_id(api: Api, path: str, source_id: str) -> None:
    response = api.delete(path.format(source_id))
    assert (response.status_code, response.json()) == (404, INVALID_ID)


@pytest.mark.parametrize("path", DELETE_PATHS)
@pytest.mark.parametrize("leads", [1, 3])
def test_delete_source_in_use_is_409_and_it_stays(api: Api, path: str, leads: int) -> None:
    api.add_leads(1, leads)
    response = api.delete(path.format(1))
    assert response.status_code == 409
    body = response.json()
    assert body["status"] is False
    message = f"The lead source is in use by {leads} leads and cannot be deleted."
    assert body["message"] == message
    assert_source(api.source(1), id="1", name="Google", channel="Paid Search", lead_count=leads)
    assert count(api.pipe, "leads") == leads


@pytest.mark.parametrize("path", DELETE_PATHS)
def test_source_in_use_can_be_retired_instead(api: Api, path: str) -> None:
    api.add_leads(1, 2)
    assert api.delete(path.format(1)).status_code == 409
    assert api.put("/api/lead_sources/1", {"active": False}).json() == UPDATED
    listed = api.get("/api/lead_sources").json()
    assert_source(
        listed[1], id="1", name="Google", channel="Paid Search", active=False, lead_count=2
    )
    assert api.names(active="false") == ["Google"]
    assert api.names(active="true") == ["Facebook"]


# --------------------------------------------------------------------------------------------
# POST /api/lead_sources/bulk
# --------------------------------------------------------------------------------------------


def bulk(api: Api, body: Any) -> httpx.Response:
    return api.post("/api/lead_sources/bulk", body)


def states(api: Api) -> dict[str, tuple[str, str, bool]]:
    """id -> (name, channel, active), for every source."""
    return {
        s["id"]: (s["name"], s["channel"], s["active"]) for s in api.get("/api/lead_sources").json()
    }


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ({"action": "deactivate"}, lambda s: s[2] is False),
        ({"action": "activate"}, lambda s: s[2] is True),
        ({"action": "set_channel", "channel": "Event"}, lambda s: s[1] == "Event"),
    ],
    ids=["deactivate", "activate", "set_channel"],
)
def test_bulk_changes_every_listed_source(
    api: Api, body: dict[str, Any], check: Callable[[tuple[str, str, bool]], bool]
) -> None:
    extra = api.add("Untouched", channel="Referral")
    ids = ["1", "2"]
    if body["action"] == "activate":
        assert bulk(api, {"action": "deactivate", "ids": ids}).status_code == 200
    response = bulk(api, {**body, "ids": ids})
    assert response.status_code == 200, response.text
    assert response.json()["status"] is True
    after = states(api)
    assert all(check(after[i]) for i in ids)
    assert after[str(extra)] == ("Untouched", "Referral", True)


def test_bulk_delete_removes_every_listed_source(api: Api) -> None:
    ids = [api.add("Old A"), api.add("Old B"), api.add("Keep")]
    response = bulk(api, {"action": "delete", "ids": [str(ids[0]), ids[1]]})
    assert response.status_code == 200, response.text
    assert response.json()["status"] is True
    assert api.names() == ["Facebook", "Google", "Keep"]


def test_bulk_accepts_form_data(api: Api) -> None:
    response = api.client.post(
        "/api/lead_sources/bulk",
        data={"action": "set_channel", "ids": "1,2", "channel": "Web"},
        headers=api.auth,
    )
    assert response.status_code == 200, response.text
    assert {s[1] for s in states(api).values()} == {"Web"}


@pytest.mark.parametrize(
    "body",
    [
        {"action": "deactivate"},
        {"action": "activate"},
        {"action": "set_channel", "channel": "Event"},
        {"action": "delete"},
    ],
    ids=lambda b: str(b["action"]),
)
def test_bulk_with_an_unknown_id_changes_nothing(api: Api, body: dict[str, Any]) -> None:
    new_id = api.add("Spare")
    if body["action"] == "activate":
        assert bulk(api, {"action": "deactivate", "ids": ["1", "2"]}).status_code == 200
    before = states(api)
    response = bulk(api, {**body, "ids": ["1", "2", str(new_id), "999"]})
    assert response.status_code == 409, response.text
    payload = response.json()
    assert payload["status"] is False
    assert set(payload["errors"]) == {"999"}
    assert isinstance(payload["errors"]["999"], str) and payload["errors"]["999"]
    assert states(api) == before


def test_bulk_delete_with_a_source_in_use_changes_nothing(api: Api) -> None:
    spare = api.add("Spare")
    api.add_leads(1, 2)
    response = bulk(api, {"action": "delete", "ids": [str(spare), "1", "2"]})
    assert response.status_code == 409, response.text
    payload = response.json()
    assert payload["status"] is False
    assert set(payload["errors"]) == {"1"}
    assert isinstance(payload["errors"]["1"], str) and payload["errors"]["1"]
    assert api.names() == ["Facebook", "Google", "Spare"]


def test_bulk_refusal_gives_a_reason_for_each_refused_id(api: Api) -> None:
    api.add_leads(1, 1)
    api.add_leads(2, 1)
    response = bulk(api, {"action": "delete", "ids": ["1", "2", "998", "999"]})
    assert response.status_code == 409
    assert set(response.json()["errors"]) == {"1", "2", "998", "999"}
    assert api.names() == ["Facebook", "Google"]


@pytest.mark.parametrize(
    ("capabilities", "action"),
    [(("get", "delete"), "deactivate"), (("get", "put"), "delete")],
)
def test_bulk_needs_the_capability_of_its_action(
    api: Api, capabilities: tuple[str, ...], action: str
) -> None:
    token = api.token_with(*capabilities)
    response = api.client.post(
        "/api/lead_sources/bulk",
        json={"action": action, "ids": ["1", "2"]},
        headers={"authtoken": token},
    )
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert_registry_untouched(api)


@pytest.mark.parametrize(
    "body",
    [
        {"action": "explode", "ids": ["1"]},
        {"action": "deactivate", "ids": []},
        {"action": "deactivate", "ids": ["one"]},
        {"action": "deactivate"},
        {"action": "set_channel", "ids": ["1"]},
    ],
)
def test_bulk_malformed_request_is_refused_and_changes_nothing(
    api: Api, body: dict[str, Any]
) -> None:
    response = bulk(api, body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["status"] is False
    assert_registry_untouched(api)


# --------------------------------------------------------------------------------------------
# GET /api/lead_sources.csv
# --------------------------------------------------------------------------------------------


def export(api: Api, **params: Any) -> list[dict[str, str]]:
    response = api.get("/api/lead_sources.csv", **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_has_a_header_row_and_one_row_per_source(api: Api) -> None:
    api.add_leads(2, 2)
    response = api.get("/api/lead_sources.csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert {"id", "name", "channel", "active", "lead_count"} <= set(rows[0])
    assert len(rows) == 3
    records = export(api)
    shown = [(r["id"], r["name"], r["channel"], r["lead_count"]) for r in records]
    assert shown == [("2", "Facebook", "Paid Social", "2"), ("1", "Google", "Paid Search", "0")]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"search": "goo"},
        {"channel": "paid social"},
        {"active": "false"},
        {"active": "true"},
        {"sort": "-name"},
        {"sort": "id"},
        {"search": "a", "sort": "-id"},
    ],
)
def test_csv_takes_the_same_filters_as_the_list(api: Api, params: dict[str, str]) -> None:
    api.add("Alpha", channel="Paid Social")
    api.add("Zeta", active=False)
    assert [r["name"] for r in export(api, **params)] == api.names(**params)


@pytest.mark.parametrize("sort", INJECTION_SORTS)
def test_csv_sort_with_sql_text_is_422(api: Api, sort: str) -> None:
    response = api.get("/api/lead_sources.csv", sort=sort)
    assert response.status_code == 422
    assert response.json()["status"] is False
    assert_tables_intact(api, leads=0)


@pytest.mark.parametrize("name", ["=cmd()", "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_guards_against_formula_injection(api: Api, name: str) -> None:
    new_id = api.add(name)
    assert api.source(new_id)["name"] == name  # JSON keeps the value as it is
    (row,) = [r for r in export(api) if r["id"] == str(new_id)]
    assert row["name"] == "'" + name


def test_csv_guards_every_text_column(api: Api) -> None:
    new_id = api.add("Plain", channel="=evil()", utm_source="+x", utm_medium="@y")
    (row,) = [r for r in export(api) if r["id"] == str(new_id)]
    assert (row["name"], row["channel"], row["utm_source"], row["utm_medium"]) == (
        "Plain",
        "'=evil()",
        "'+x",
        "'@y",
    )


# --------------------------------------------------------------------------------------------
# Body limit and error shape
# --------------------------------------------------------------------------------------------


BIG_NAME = "x" * 10_240  # a 10 KB body


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        pytest.param("POST", "/api/lead_sources", {"json": {"name": BIG_NAME}}, id="json"),
        pytest.param("POST", "/api/lead_sources", {"data": {"name": BIG_NAME}}, id="urlencoded"),
        pytest.param(
            "POST", "/api/lead_sources", {"files": {"name": (None, BIG_NAME)}}, id="multipart"
        ),
        pytest.param("PUT", "/api/lead_sources/1", {"json": {"name": BIG_NAME}}, id="put"),
        pytest.param(
            "POST",
            "/api/lead_sources/bulk",
            {"json": {"action": "delete", "ids": [1] * 3000}},
            id="bulk",
        ),
    ],
)
def test_body_over_the_limit_is_413(
    make_api: MakeApi, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    api = make_api(api={"max_body_bytes": 2048})
    response = send(api.client, method, path, headers=api.auth, **kwargs)
    assert response.status_code == 413
    body = response.json()
    assert body["status"] is False
    assert isinstance(body["message"], str) and body["message"]
    assert_registry_untouched(api)


def test_chunked_body_over_the_limit_is_413(make_api: MakeApi) -> None:
    """No Content-Length: the limit holds while the body streams in."""
    api = make_api(api={"max_body_bytes": 2048})
    chunks = (b"x" * 1024 for _ in range(10))
    response = send(api.client, "POST", "/api/lead_sources", content=chunks, headers=api.auth)
    assert response.status_code == 413
    assert response.json()["status"] is False
    assert_registry_untouched(api)


def test_body_under_the_limit_is_accepted(make_api: MakeApi) -> None:
    api = make_api(api={"max_body_bytes": 2048})
    assert api.post("/api/lead_sources", {"name": "x" * 150}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/nowhere", 404), ("PATCH", "/api/lead_sources/1", 405)],
)
def test_other_errors_are_json_too(api: Api, method: str, path: str, status: int) -> None:
    response = api.client.request(method, path, headers=api.auth)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status"] is False


# --------------------------------------------------------------------------------------------
# OpenAPI
# --------------------------------------------------------------------------------------------

OPENAPI_OPERATIONS = {
    "/api/lead_sources": {"get", "post"},
    "/api/lead_sources/{source_id}": {"get", "put", "delete"},
    "/api/delete/lead_sources/{source_id}": {"delete"},
    "/api/lead_sources/bulk": {"post"},
    "/api/lead_sources.csv": {"get"},
    "/api/v1/ingest/{kind}": {"post"},
}


def test_openapi_describes_every_endpoint(api: Api) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(OPENAPI_OPERATIONS) <= set(paths)
    for path, methods in OPENAPI_OPERATIONS.items():
        assert methods <= set(paths[path]), path


# --------------------------------------------------------------------------------------------
# POST /api/v1/ingest/{kind}
# --------------------------------------------------------------------------------------------

LEADS_CSV = b"lead_id,created_at,source_id\nU1,2026-03-02T10:00:00Z,1\nU2,2026-03-02T11:00:00Z,2\n"


def upload(api: Api, content: bytes, filename: str = "leads.csv") -> httpx.Response:
    return send(
        api.client,
        "POST",
        "/api/v1/ingest/leads",
        files={"file": (filename, content, "text/csv")},
        headers=api.auth,
    )


def test_ingest_json_array_loads_good_rows_and_rejects_bad_ones(api: Api) -> None:
    rows = [
        {"lead_id": "J1", "created_at": "2026-03-02T10:00:00Z", "source_id": 1},
        {"lead_id": "J2", "source_id": 1},
    ]
    response = api.post("/api/v1/ingest/leads", rows)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] is True
    assert (body["loaded"], body["rejected"]) == (1, 1)
    assert count(api.pipe, "leads") == 1
    assert api.source(1)["lead_count"] == 1


def test_ingest_multipart_csv_upload(api: Api) -> None:
    response = upload(api, LEADS_CSV)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] is True
    assert (body["loaded"], body["rejected"]) == (2, 0)
    assert [s["lead_count"] for s in api.get("/api/lead_sources").json()] == [1, 1]


def test_ingest_file_lacking_a_required_column_is_422(api: Api) -> None:
    response = upload(api, b"lead_id,source_id\nU1,1\n")
    assert response.status_code == 422
    body = response.json()
    assert body["status"] is False
    assert "created_at" in body["message"]
    assert count(api.pipe, "leads") == 0


def test_ingest_same_upload_twice_loads_it_once(api: Api) -> None:
    first = upload(api, LEADS_CSV).json()
    assert first["loaded"] == 2
    assert isinstance(first["batch_id"], int)
    second = upload(api, LEADS_CSV)
    assert second.status_code == 200, second.text
    again = second.json()
    assert again["already_loaded_as"] == first["batch_id"]
    assert again["loaded"] == 0
    assert count(api.pipe, "leads") == 2


def test_ingest_upload_over_the_body_limit_is_accepted_up_to_the_upload_limit(
    make_api: MakeApi,
) -> None:
    api = make_api(api={"max_body_bytes": 2048})
    rows = b"".join(f"B{i},2026-03-02T10:00:00Z,1\n".encode() for i in range(200))
    response = upload(api, b"lead_id,created_at,source_id\n" + rows)
    assert response.status_code == 200, response.text
    assert response.json()["loaded"] == 200


# --------------------------------------------------------------------------------------------
# Token storage and revocation
# --------------------------------------------------------------------------------------------


def test_tokens_are_never_stored_in_clear(api: Api) -> None:
    tokens = [api.token, api.token_with("get"), api.token_with("post", "put")]
    cursor = api.pipe.warehouse.con.execute("SELECT * FROM api_tokens")
    rows = cursor.fetchall()
    assert len(rows) == len(tokens)
    for row in rows:
        for value in row:
            assert not any(token in str(value) for token in tokens), value


def test_revoked_token_is_401(api: Api) -> None:
    assert api.get("/api/lead_sources").status_code == 200
    revoke_token(api.pipe.warehouse, name="all")
    response = api.get("/api/lead_sources")
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN)


def test_revoking_one_token_leaves_the_others_working(api: Api) -> None:
    other = api.token_with("get")
    revoke_token(api.pipe.warehouse, name="all")
    response = api.client.get("/api/lead_sources", headers={"authtoken": other})
    assert response.status_code == 200


# --------------------------------------------------------------------------------------------
# Ids that are digits to str.isdigit() but not to the contract, very long ids, shared usage
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/lead_sources/²"),
        ("PUT", "/api/lead_sources/²"),
        ("DELETE", "/api/lead_sources/²"),
        ("DELETE", "/api/delete/lead_sources/²"),
    ],
)
def test_unicode_digit_id_is_404_invalid_id(api: Api, method: str, path: str) -> None:
    response = api.client.request(method, path, json={"name": "X"}, headers=api.auth)
    assert (response.status_code, response.json()) == (404, INVALID_ID)


def test_bulk_unicode_digit_id_is_422(api: Api) -> None:
    response = bulk(api, {"action": "deactivate", "ids": ["²"]})
    assert response.status_code == 422
    assert response.json()["status"] is False


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/lead_sources/9999999999", NO_DATA),
        ("PUT", "/api/lead_sources/9999999999", UPDATE_FAIL),
        ("DELETE", "/api/lead_sources/9999999999", DELETE_FAIL),
        ("DELETE", "/api/delete/lead_sources/9999999999", DELETE_FAIL),
    ],
)
def test_long_numeric_unknown_id_is_the_unknown_id_answer(
    api: Api, method: str, path: str, body: dict[str, Any]
) -> None:
    response = api.client.request(method, path, json={"name": "X"}, headers=api.auth)
    assert (response.status_code, response.json()) == (404, body)


@pytest.mark.parametrize("path", DELETE_PATHS)
def test_delete_source_named_by_leads_and_touches_keeps_the_contract_message(
    api: Api, path: str
) -> None:
    api.add_leads(1, 2)
    api.add_touches(1, 1)
    response = api.delete(path.format(1))
    assert response.status_code == 409
    body = response.json()
    assert body["status"] is False
    assert body["message"] == "The lead source is in use by 2 leads and cannot be deleted."
    assert api.exists(1)
