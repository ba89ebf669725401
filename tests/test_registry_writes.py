"""Registry writes: one statement each, uniqueness refused with the contract's words, group
commit, and cached lists patched in place that equal what a fresh query returns."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from attribution import clock
from attribution.api import create_app
from attribution.config import Settings
from attribution.errors import ConflictError, WarehouseError
from attribution.registry import sources as registry
from attribution.registry.listing import ListQuery, SourceRow, Uncounted, csv_bytes
from attribution.registry.schemas import SourceUpdate
from attribution.registry.tokens import create_token
from attribution.service.pipeline import Pipeline
from attribution.warehouse.connection import Change, Warehouse

from .conftest import Migrated


@pytest.fixture
def pipe(settings: Settings, migrated: Migrated) -> Iterator[Pipeline]:
    with Pipeline.open(migrated(settings)) as p:
        yield p


def fields(**raw: Any) -> SourceUpdate:
    parsed, errors = SourceUpdate.parse(raw, creating="name" in raw)
    assert not errors, errors
    return parsed


def add(wh: Warehouse, **raw: Any) -> int:
    return registry.create_source(wh, fields=fields(**raw))


def rows(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    return wh.execute_text(sql).fetchall()


def stored(wh: Warehouse) -> list[tuple[Any, ...]]:
    return rows(wh, "SELECT * FROM lead_sources ORDER BY id")


# Names DuckDB's to_json and Python's json write differently unless told: control characters,
# a backslash before "u00..", quotes, non-ASCII and astral characters, line separators.
TRICKY = [
    "Tab\there",
    "Bell\x07",
    "Esc\x1bx",
    "Back\\u001bslash",
    'Quo"te',
    "Ünïcødé 名",
    "😀 Emoji",
    "Line\u2028sep",
]


def test_a_written_row_is_the_record_the_list_statement_builds(pipe: Pipeline) -> None:
    wh = pipe.warehouse
    for n, name in enumerate(TRICKY):
        before = wh.generation("registry")[0]
        new_id = add(wh, name=name, channel=f"C{n}\x01", utm_source=f"s{n}\\", utm_campaign="ü")
        changes = wh.changes("registry", before, before + 1)
        assert changes is not None and len(changes) == 1
        keys, rows = changes[0]
        assert keys == {new_id} and rows is not None
        handed = rows[new_id]
        assert isinstance(handed, SourceRow)
        fresh = registry.source_rows(wh, [new_id])[new_id]  # DuckDB's to_json
        assert handed.record == fresh.record, name
        assert (handed.name_lower, handed.searched) == (fresh.name_lower, fresh.searched)
    # A lead count is carried too: an update of a source that leads name.
    wh.execute_text(
        "INSERT INTO leads (lead_id, created_at, source_id, batch_id, row_number, lead_no) "
        "SELECT 'L' || range, TIMESTAMP '2026-01-01', 1, 0, range, range FROM range(3)"
    )
    before = wh.generation("registry")[0]
    assert registry.update_source(wh, source_id=1, fields=fields(channel="Search"))
    _, rows = (wh.changes("registry", before, before + 1) or [])[0]
    assert rows is not None
    update = rows[1]  # an update hands its row over without the lead count it cannot change
    assert isinstance(update, Uncounted)
    assert update.counted(3).record == registry.source_rows(wh, [1])[1].record


def test_uniqueness_is_refused_in_the_contracts_words_and_changes_nothing(
    pipe: Pipeline,
) -> None:
    wh = pipe.warehouse
    rule = {"utm_source": "google", "utm_medium": "cpc"}
    add(wh, name="Search Ads", **rule)
    bing = add(wh, name="Bing", utm_source="bing", utm_medium="cpc")
    before = stored(wh)
    with pytest.raises(ConflictError, match=r"^A lead source named 'Google' already exists\.$"):
        add(wh, name=" GOOGLE ")
    with pytest.raises(ConflictError) as caught:
        add(wh, name="Other", utm_source="GOOGLE", utm_medium="CPC")
    assert str(caught.value) == (
        "'Other' and 'Search Ads' cannot both claim the UTM rule utm_source=GOOGLE, "
        "utm_medium=CPC: a touch maps to one source only."
    )
    assert caught.value.field == "utm_source"
    # An update giving one part of the rule: the rule it would have is checked (bing + cpc ->
    # google + cpc), and the message names the source by its current name.
    with pytest.raises(ConflictError) as caught:
        registry.update_source(wh, source_id=bing, fields=fields(utm_source="Google"))
    assert str(caught.value) == (
        "'Bing' and 'Search Ads' cannot both claim the UTM rule utm_source=Google, "
        "utm_medium=cpc: a touch maps to one source only."
    )
    with pytest.raises(ConflictError, match="named 'Facebook' already exists"):
        registry.update_source(wh, source_id=bing, fields=fields(name="facebook"))
    assert stored(wh) == before, "a refused write changes nothing"
    # A source may change its own name's case; a change to the same values moves nothing.
    assert registry.update_source(wh, source_id=bing, fields=fields(name="BING"))
    after = rows(wh, f"SELECT name, updated_at FROM lead_sources WHERE id = {bing}")
    assert registry.update_source(wh, source_id=bing, fields=fields(name="BING", channel=""))
    assert registry.update_source(wh, source_id=bing, fields=fields(channel="Unassigned"))
    again = rows(wh, f"SELECT name, updated_at FROM lead_sources WHERE id = {bing}")
    assert after == again and after[0][0] == "BING"
    assert not registry.update_source(wh, source_id=999, fields=fields(channel="X"))


def test_concurrent_creates_of_one_name_give_one_id_and_conflicts(pipe: Pipeline) -> None:
    wh = pipe.warehouse
    start = threading.Barrier(8)
    outcomes: list[int | str] = []

    def create(n: int) -> None:
        start.wait()
        try:
            outcomes.append(add(wh, name=["Fair", "FAIR", " fair "][n % 3]))
        except ConflictError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    ids = [o for o in outcomes if isinstance(o, int)]
    assert len(ids) == 1 and len(outcomes) == 8
    assert all("already exists" in str(o) for o in outcomes if not isinstance(o, int))
    assert rows(wh, "SELECT count(*) FROM lead_sources WHERE name_key = 'fair'") == [(1,)]


def test_concurrent_posts_of_one_name_over_http_answer_200_once_and_409(
    settings: Settings, migrated: Migrated
) -> None:
    with Pipeline.open(migrated(settings)) as p:
        token, _ = create_token(p.warehouse, name="all")
        app = create_app(p)

        async def race() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                post = [
                    client.post("/api/lead_sources", json={"name": n}, headers={"authtoken": token})
                    for n in ("Trade Show", "TRADE SHOW", "trade show", "Trade show")
                ]
                return list(await asyncio.gather(*post))

        # Its own thread: a test before it on this worker may have left an event loop running.
        with ThreadPoolExecutor(1) as runner:
            answers = runner.submit(asyncio.run, race()).result()
        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
        won = next(a.json() for a in answers if a.status_code == 200)
        assert won["message"] == "Lead Source add successful." and isinstance(won["record_id"], int)
        for lost in (a.json() for a in answers if a.status_code == 409):
            assert lost["status"] is False and lost["error"] == {"name": lost["message"]}
            assert lost["message"].endswith("already exists.")


def test_writes_queued_together_share_a_transaction_and_a_failing_one_fails_alone(
    pipe: Pipeline,
) -> None:
    wh = pipe.warehouse

    def insert(name: str) -> Any:
        def job(db: Warehouse, change: Change) -> int:
            new = int(db.scalar("registry/source_id_by_name", {"name": "google"}))
            db.execute_text(
                "INSERT INTO lead_sources (name, name_key) VALUES ($n, lower($n))", {"n": name}
            )
            change.keys = set()
            return new

        return job

    def broken(db: Warehouse, change: Change) -> int:
        db.execute_text("INSERT INTO no_such_table VALUES (1)")
        return 0

    jobs = [insert("Queued A"), broken, insert("Queued B")]
    results: dict[int, Any] = {}
    before = wh.generation("registry")[0]

    def run(n: int) -> None:
        try:
            results[n] = wh.batched(("registry",), jobs[n])
        except WarehouseError as exc:
            results[n] = exc

    with wh.write_lock:  # the writers queue behind it, then one runs them all
        threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        deadline = clock.now().timestamp() + 10
        while len(wh._group._queue) < 3 and clock.now().timestamp() < deadline:
            threading.Event().wait(0.01)
        assert len(wh._group._queue) == 3
    for t in threads:
        t.join(30)
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], WarehouseError) and "no_such_table" in str(results[1])
    names = rows(wh, "SELECT name FROM lead_sources WHERE name LIKE 'Queued%' ORDER BY 1")
    assert names == [("Queued A",), ("Queued B",)]
    assert wh.generation("registry")[0] == before + 2, "the two done writes are noted, once each"


class CountingLock:
    """A re-entrant lock that counts the threads' outermost acquisitions."""

    def __init__(self) -> None:
        self.lock, self.depth, self.taken = threading.RLock(), threading.local(), 0

    def __enter__(self) -> None:
        self.lock.acquire()
        depth = getattr(self.depth, "n", 0)
        self.depth.n = depth + 1
        if depth == 0:
            self.taken += 1

    def __exit__(self, *exc: object) -> None:
        self.depth.n -= 1
        self.lock.release()


def test_writers_whose_writes_were_run_for_them_never_take_the_write_lock(
    pipe: Pipeline,
) -> None:
    wh = pipe.warehouse
    lock = CountingLock()
    wh.write_lock = lock  # type: ignore[assignment]  # the group commit takes it from here
    names = [f"Handed {n}" for n in range(20)]
    done: dict[str, int] = {}

    def add_one(name: str) -> None:
        fields, _ = SourceUpdate.parse({"name": name}, creating=True)
        done[name] = registry.create_source(wh, fields=fields)

    with lock:  # the writers queue behind it, one of them waiting for the lock to lead
        threads = [threading.Thread(target=add_one, args=(n,)) for n in names]
        for t in threads:
            t.start()
        deadline = clock.now().timestamp() + 10
        while len(wh._group._queue) < len(names) and clock.now().timestamp() < deadline:
            threading.Event().wait(0.01)
        assert len(wh._group._queue) == len(names)
    for t in threads:
        t.join(30)
    assert sorted(done) == sorted(names) and len(set(done.values())) == len(names)
    assert lock.taken == 2, "once by this test, once by the writer that ran all twenty"


QUERIES: list[dict[str, str]] = [
    {},
    {"sort": "-name"},
    {"sort": "channel"},
    {"sort": "-lead_count"},
    {"sort": "updated_at"},
    {"sort": "-created_at"},
    {"sort": "active"},
    {"sort": "-id", "page": "2", "per_page": "3"},
    {"search": "ad"},
    {"search": "SEARCH", "sort": "-channel"},
    {"channel": "email"},
    {"active": "false"},
    {"active": "true", "sort": "-name", "per_page": "4"},
    {"search": "%_\\"},
]


def test_cached_lists_follow_every_write_in_place_and_equal_fresh_queries(
    settings: Settings, migrated: Migrated
) -> None:
    rng = random.Random(19)
    with Pipeline.open(migrated(settings)) as p:
        wh = p.warehouse
        token, _ = create_token(wh, name="all")
        app = create_app(p)
        client, auth = TestClient(app), {"authtoken": token}
        for n in range(12):
            add(wh, name=rng.choice(TRICKY) + f" {n}", channel=rng.choice(["Email", "Ads"]))
        for query in QUERIES:  # fill the cache
            assert client.get("/api/lead_sources", params=query, headers=auth).status_code == 200
        client.get("/api/lead_sources.csv", headers=auth)
        cache = app.state.cache
        views = {
            ListQuery.of(q.get("search"), q.get("channel"), _flag(q), q.get("sort", "name"))
            for q in QUERIES
        }
        kept = {q: cache.get(("list", q)) for q in views}
        assert all(v is not None for v in kept.values())
        for step in range(60):
            _random_write(client, auth, rng, step)
            for query in QUERIES:
                answer = client.get("/api/lead_sources", params=query, headers=auth)
                fresh = registry.sorted_sources(
                    wh,
                    ListQuery.of(
                        query.get("search"),
                        query.get("channel"),
                        _flag(query),
                        query.get("sort", "name"),
                    ),
                )
                page = query.get("page"), query.get("per_page")
                paged = [None if x is None else int(x) for x in page]
                assert answer.content == fresh.json(*paged), (step, query)
            csv = client.get("/api/lead_sources.csv", headers=auth).content
            fresh_csv = registry.sorted_sources(wh, ListQuery.of(None, None, None, "name"))
            assert csv == csv_bytes(fresh_csv.csv_rows()[0])
        # Patched, never refilled: the very objects cached before the writes, for every list
        # that holds every source (a filtered list that an updated row enters refills itself:
        # it never saw that row's lead count).
        whole = [q for q in views if (q.search, q.channel, q.active) == (None, None, None)]
        assert len(whole) == 8
        assert all(cache.get(("list", q)) is kept[q] for q in whole)


def _flag(query: dict[str, str]) -> bool | None:
    return None if "active" not in query else query["active"] == "true"


def _random_write(client: TestClient, auth: dict[str, str], rng: random.Random, step: int) -> None:
    ids = [int(s["id"]) for s in client.get("/api/lead_sources", headers=auth).json()]
    body: dict[str, Any]
    kind = rng.choice(["create", "update", "update", "delete", "bulk", "taken"])
    target = rng.choice(ids)
    if kind == "create":
        body = {
            "name": f"{rng.choice(TRICKY)} new {step}",
            "channel": rng.choice(["Email", "Ads", "Search"]),
        }
        assert client.post("/api/lead_sources", json=body, headers=auth).status_code == 200
    elif kind == "update":
        body = rng.choice(
            [
                {"channel": "Email"},
                {"active": rng.random() < 0.5},
                {"name": f"Ad {step}"},
                {"utm_campaign": f"c{step}"},
            ]
        )
        assert client.put(f"/api/lead_sources/{target}", json=body, headers=auth).status_code == 200
    elif kind == "delete":
        assert client.delete(f"/api/lead_sources/{target}", headers=auth).status_code in (200, 409)
    elif kind == "bulk":
        action = rng.choice(["activate", "deactivate", "set_channel", "delete"])
        body = {"action": action, "ids": [str(i) for i in rng.sample(ids, 2)], "channel": "Search"}
        assert client.post("/api/lead_sources/bulk", json=body, headers=auth).status_code in (
            200,
            409,
        )
    else:
        taken = client.get(f"/api/lead_sources/{target}", headers=auth).json()["name"].upper()
        answer = client.post("/api/lead_sources", json={"name": taken}, headers=auth)
        assert answer.status_code == 409


def test_an_updated_source_entering_a_filtered_list_refills_it_with_its_lead_count(
    settings: Settings, migrated: Migrated
) -> None:
    with Pipeline.open(migrated(settings)) as p:
        wh = p.warehouse
        token, _ = create_token(wh, name="all")
        app = create_app(p)
        client, auth = TestClient(app), {"authtoken": token}
        wh.execute_text(
            "INSERT INTO leads (lead_id, created_at, source_id, batch_id, row_number, lead_no) "
            "SELECT 'L' || range, TIMESTAMP '2026-01-01', 2, 0, range, range FROM range(4)"
        )
        email = client.get("/api/lead_sources", params={"channel": "Email"}, headers=auth)
        assert email.json() == []
        whole = client.get("/api/lead_sources", headers=auth).json()
        assert [s["lead_count"] for s in whole] == [4, 0]  # Facebook, Google
        client.put("/api/lead_sources/2", json={"channel": "Email"}, headers=auth)
        email = client.get("/api/lead_sources", params={"channel": "email"}, headers=auth)
        assert [(s["name"], s["lead_count"]) for s in email.json()] == [("Facebook", 4)]
        whole = client.get("/api/lead_sources", headers=auth).json()
        assert [(s["channel"], s["lead_count"]) for s in whole] == [
            ("Email", 4),
            ("Paid Search", 0),
        ]
        assert client.get("/api/lead_sources/2", headers=auth).json()["lead_count"] == 4


def _queued(wh: Warehouse, calls: list[Any], count: int) -> None:
    """Wait until `count` writes are queued behind the write lock this thread holds."""
    deadline = clock.now().timestamp() + 10
    while len(wh._group._queue) < count and clock.now().timestamp() < deadline:
        threading.Event().wait(0.01)
    assert len(wh._group._queue) == count, calls


def test_like_writes_queued_together_share_one_statement_and_answer_as_alone(
    pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Creates, and changes of channel or active, queued together run as one statement each
    (a name or UTM rule repeated within the queue, or a source changed twice, starts another);
    every writer gets the answer it would get alone, refusals in the contract's words."""
    from attribution.warehouse import batching

    wh = pipe.warehouse
    statements: list[int] = []
    many = batching._attempt_many

    def counted(db: Warehouse, group: list[Any]) -> None:
        statements.append(len(group))
        many(db, group)

    monkeypatch.setattr(batching, "_attempt_many", counted)
    creates: list[dict[str, Any]] = [
        {"name": "One"},
        {"name": "Two", "utm_source": "news", "utm_medium": "mail"},
        {"name": "google"},  # taken before: refused alone
        {"name": "Three", "utm_source": "NEWS", "utm_medium": "Mail"},  # Two's rule: next group
        {"name": "ONE"},  # One's name, in that next group: refused there
        {"name": "Four", "channel": "Email", "active": False},
    ]
    answers: dict[int, Any] = {}

    def create(n: int) -> None:
        try:
            answers[n] = add(wh, **creates[n])
        except ConflictError as exc:
            answers[n] = str(exc)

    with wh.write_lock:
        threads = []
        for n in range(len(creates)):  # one after another: the queue keeps their order
            threads.append(threading.Thread(target=create, args=(n,)))
            threads[-1].start()
            _queued(wh, statements, n + 1)
    for t in threads:
        t.join(30)
    assert statements == [3, 3]
    assert answers[2] == "A lead source named 'Google' already exists."
    assert answers[3].startswith("'Three' and 'Two' cannot both claim the UTM rule")
    assert answers[4] == "A lead source named 'One' already exists."
    made = {n: answers[n] for n in (0, 1, 5)}
    assert sorted(made.values()) == list(range(3, 6))
    assert rows(
        wh, "SELECT id, name, channel, active FROM lead_sources WHERE id > 2 ORDER BY id"
    ) == [
        (made[0], "One", "Unassigned", True),
        (made[1], "Two", "Unassigned", True),
        (made[5], "Four", "Email", False),
    ]

    statements.clear()
    changes: list[tuple[int, dict[str, Any]]] = [
        (1, {"channel": "Search"}),
        (2, {"channel": "Social"}),
        (999, {"channel": "Nowhere"}),  # no such source: False
        (1, {"channel": "Ads"}),  # the same source again: next group, and last wins
        (made[0], {"active": False}),  # other fields: a group of its own
        (2, {"name": "Meta"}),  # a name is checked: alone
    ]
    found: dict[int, bool] = {}
    before = wh.generation("registry")[0]

    def change(n: int) -> None:
        sid, raw = changes[n]
        found[n] = registry.update_source(wh, source_id=sid, fields=fields(**raw))

    with wh.write_lock:
        threads = []
        for n in range(len(changes)):
            threads.append(threading.Thread(target=change, args=(n,)))
            threads[-1].start()
            _queued(wh, statements, n + 1)
    for t in threads:
        t.join(30)
    assert statements == [3]
    assert found == {0: True, 1: True, 2: False, 3: True, 4: True, 5: True}
    assert rows(
        wh, "SELECT id, name, channel, active FROM lead_sources WHERE id <= 3 ORDER BY id"
    ) == [
        (1, "Google", "Ads", True),
        (2, "Meta", "Social", True),
        (3, "One", "Unassigned", False),
    ]
    # Each write's change is noted with its own rows, in order.
    noted = wh.changes("registry", before, wh.generation("registry")[0])
    assert noted is not None and [sorted(keys) for keys, _ in noted] == [
        [1],
        [2],
        [],
        [1],
        [made[0]],
        [2],
    ]


def test_like_jobs_group_across_others_but_never_past_a_shared_claim_or_a_lone_job() -> None:
    from attribution.warehouse import batching

    def never(db: Warehouse, parts: list[Any], changes: list[Change]) -> list[Any]:
        raise AssertionError("only grouped here")

    def queued(name: str, key: str | None, *claims: object) -> Any:
        combine = None if key is None else batching.Combine(key, name, frozenset(claims), never)
        return batching._Queued(lambda db, change: name, ("registry",), combine)

    batch = [
        queued("c1", "create", "name a"),
        queued("u1", "update", 1),
        queued("c2", "create", "name b"),  # joins c1, passing u1 (nothing in common)
        queued("u2", "update", 2),  # joins u1
        queued("u3", "update", 1),  # source 1 again: a group of its own, after u1's
        queued("c3", "create", "name c"),  # joins c1's group: passes u3, which claims source 1
        queued("bulk", None),  # cannot share: stays in its place, and nothing passes it
        queued("c4", "create", "name d"),
        queued("c5", "create", "name a"),  # c4's group claims nothing of it; c1's is past bulk
    ]
    groups = [[q.combine.part if q.combine else "bulk" for q in g] for g in batching._groups(batch)]
    assert groups == [["c1", "c2", "c3"], ["u1", "u2"], ["u3"], ["bulk"], ["c4", "c5"]]
