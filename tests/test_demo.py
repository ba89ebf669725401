"""The demo: seeded data in, a summary out whose figures are the warehouse's."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from attribution.cli import main
from attribution.config import load_settings
from attribution.ingest.demo import generate
from attribution.registry.tokens import (
    TokenChecker,
    TokenInfo,
    create_token,
    list_tokens,
    revoke_token,
)
from attribution.service.pipeline import DemoResult, run_demo
from attribution.warehouse.connection import Warehouse

AS_OF = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    folder = tmp_path_factory.mktemp("demo")
    env = {
        "ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder),
        "ATTRIBUTION_DEMO__LEADS": "3000",
        "ATTRIBUTION_DEMO__WEEKS": "6",
    }
    return run_demo(load_settings(environ=env), as_of=AS_OF)


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generate(seed=3, leads=500, weeks=4, as_of=AS_OF)
    b = generate(seed=3, leads=500, weeks=4, as_of=AS_OF)
    c = generate(seed=4, leads=500, weeks=4, as_of=AS_OF)
    assert a.touches.equals(b.touches) and a.revenue.equals(b.revenue)
    assert not a.touches.equals(c.touches)


def test_demo_data_is_realistic() -> None:
    data = generate(seed=7, leads=20_000, weeks=16, as_of=AS_OF)
    sources = set(data.leads.column("source").to_pylist())
    assert len(sources) >= 12
    assert data.leads.num_rows >= 20_000
    assert data.touches.num_rows > data.leads.num_rows
    con = duckdb.connect()
    con.register("data_leads", data.leads)
    weekday, weekend = con.execute(
        "SELECT avg(n) FILTER (WHERE d BETWEEN 1 AND 5), avg(n) FILTER (WHERE d IN (0, 6)) FROM "
        "(SELECT dayofweek(TRY_CAST(created_at AS TIMESTAMP)) AS d, "
        "CAST(TRY_CAST(created_at AS TIMESTAMP) AS DATE) AS day, count(*) AS n FROM data_leads "
        "WHERE TRY_CAST(created_at AS TIMESTAMP) IS NOT NULL GROUP BY ALL)"
    ).fetchone() or (0, 0)
    assert weekday > 1.8 * weekend  # weekly seasonality


def test_demo_loads_everything_but_the_bad_rows(demo_run: DemoResult) -> None:
    by_kind = {b.kind: b for b in demo_run.batches}
    assert set(by_kind) == {"leads", "touches", "revenue", "spend"}
    assert by_kind["leads"].rejected == 3
    assert by_kind["touches"].rejected == 5
    assert by_kind["revenue"].rejected == 4
    assert by_kind["spend"].rejected == 1
    assert all(b.loaded > 0 and b.duplicates == 0 for b in demo_run.batches)


def test_the_demo_builds_the_weekly_report(demo_run: DemoResult) -> None:
    built = demo_run.report
    assert built.index.is_file() and built.folder.parent == demo_run.warehouse.parent / "reports"
    assert built.manifest["label"] == "2026-W47"  # the last complete week before 2026-11-25
    con = duckdb.connect(str(demo_run.warehouse), read_only=True)
    leads = con.execute(
        "SELECT count(*) FROM leads WHERE NOT junk AND created_at >= '2026-11-16' "
        "AND created_at < '2026-11-23'"
    ).fetchone()
    con.close()
    assert leads is not None
    with built.files["channel_summary"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    primary = built.manifest["primary_model"]
    assert sum(int(r["leads"]) for r in rows if r["model"] == primary) == leads[0]


@pytest.mark.parametrize(("leads", "weeks"), [(100, 2), (200, 2), (150, 3)])
def test_small_demo_data_sets_are_whole(leads: int, weeks: int) -> None:
    data = generate(seed=3, leads=leads, weeks=weeks, as_of=AS_OF)
    assert data.leads.num_rows == leads + 3  # and the three deliberately bad rows
    assert data.revenue.num_rows >= 4


def test_the_demo_reports_data_quality_equals_independent_counts(demo_run: DemoResult) -> None:
    """The demo's report is the folder's first: every row the demo's ingest rejected and every
    source it created counts; the leads' figures are the week's, counted here in plain SQL."""
    from attribution.reporting.render import model_label
    from attribution.reporting.tables import QUALITY_LABELS

    built = demo_run.report
    with built.files["data_quality"].open(encoding="utf-8") as fh:
        shown = {r["measure"]: r["value"] for r in csv.DictReader(fh)}
    primary = built.manifest["primary_model"]
    label = {k: v.format(primary=model_label(primary)) for k, v in QUALITY_LABELS.items()}
    week = "created_at >= '2026-11-16' AND created_at < '2026-11-23' AND NOT junk"
    con = duckdb.connect(str(demo_run.warehouse), read_only=True)
    counts = {
        "rejected_rows": "SELECT count(*) FROM rejected_rows",
        "sources_auto_created": "SELECT count(*) FROM lead_sources WHERE auto_created",
        "leads": f"SELECT count(*) FROM leads WHERE {week}",
        "leads_unknown_origin": f"SELECT count(*) FROM leads WHERE {week} AND source_id IS NULL "
        "AND coalesce(utm_source, utm_medium, utm_campaign) IS NULL",
        "revenue_without_lead": "SELECT count(*) FROM rejected_rows JOIN ingest_batches "
        "USING (batch_id) WHERE kind = 'revenue' AND reason LIKE 'lead_id is unknown%'",
    }
    expected = {key: con.execute(sql).fetchone() for key, sql in counts.items()}
    con.close()
    assert expected["rejected_rows"] == (13,)  # the demo's planted bad rows
    assert expected["sources_auto_created"] == (1,)
    for key, row in expected.items():
        assert row is not None
        assert int(shown[label[key]]) == row[0], key


def small_demo(folder: Path) -> dict[str, str]:
    """Settings of a small, quick demo in folder, as environment variables."""
    return {
        "ATTRIBUTION_DEMO__OUTPUT_DIR": str(folder),
        "ATTRIBUTION_DEMO__LEADS": "100",
        "ATTRIBUTION_DEMO__WEEKS": "2",
    }


def kept(info: TokenInfo) -> tuple[object, ...]:
    """What a token keeps across demo runs: everything but its id."""
    return (
        info.name,
        info.prefix,
        info.capabilities,
        info.created_at,
        info.last_used_at,
        info.revoked_at,
    )


def test_running_the_demo_again_keeps_its_api_tokens(tmp_path: Path) -> None:
    settings = load_settings(environ=small_demo(tmp_path))
    first = run_demo(settings, as_of=AS_OF)
    assert (first.tokens_kept, first.tokens_lost) == (0, "")
    with Warehouse.open_path(first.warehouse) as wh:
        token, _ = create_token(wh, name="me", capabilities=["get", "put"])
        revoked, _ = create_token(wh, name="old")
        revoke_token(wh, name="old")
        assert TokenChecker(wh).check(token) is not None  # records its last use
        before = [kept(t) for t in list_tokens(wh)]
    assert before[0][4] is not None and before[1][5] is not None  # last used; revoked
    second = run_demo(settings, as_of=AS_OF)
    assert (second.tokens_kept, second.tokens_lost) == (2, "")
    assert {b.kind: b.loaded for b in second.batches} == {b.kind: b.loaded for b in first.batches}
    with Warehouse.open_path(second.warehouse) as wh:
        assert [kept(t) for t in list_tokens(wh)] == before
        checker = TokenChecker(wh)
        found = checker.check(token)
        assert found is not None and (found.name, found.capabilities) == ("me", ("get", "put"))
        assert checker.check(revoked) is None  # still revoked


def test_a_demo_warehouse_that_cannot_be_read_is_replaced_and_the_output_says_so(
    tmp_path: Path,
) -> None:
    env = small_demo(tmp_path)
    (tmp_path / "attribution.duckdb").write_text("not a DuckDB file", encoding="utf-8")
    lost = CliRunner().invoke(main, ["demo", "--as-of", str(AS_OF)], env=env)
    assert lost.exit_code == 0, lost.output
    last = " ".join(lost.output.split()).split("API tokens: ")[-1]
    assert last.startswith("none kept: the old demo warehouse could not be read (cannot open")
    assert "not a valid DuckDB database file" in last
    assert "so it was replaced, and its API tokens with it. Create one:" in last
    assert last.endswith("attribution tokens create NAME")
    with Warehouse.open_path(tmp_path / "attribution.duckdb") as wh:
        create_token(wh, name="me")
    again = CliRunner().invoke(main, ["demo", "--as-of", str(AS_OF)], env=env)
    assert again.exit_code == 0, again.output
    last = " ".join(again.output.split()).split("API tokens: ")[-1]
    assert last.startswith("1 kept from the demo warehouse this run replaced. List them:")
    assert last.endswith("attribution tokens list")
