"""The demo: seeded data in, a summary out whose figures are the warehouse's."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from attribution.demo import generate
from attribution.pipeline import DemoResult, run_demo

AS_OF = date(2026, 11, 25)


class TableParser(HTMLParser):
    """Collects the text of the cells of table#sources, by section."""

    def __init__(self, table_id: str = "sources") -> None:
        super().__init__()
        self.table_id = table_id
        self.in_table = False
        self.section = ""
        self.rows: dict[str, list[list[str]]] = {"thead": [], "tbody": [], "tfoot": []}
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.in_table = True
        elif self.in_table and tag in self.rows:
            self.section = tag
        elif self.in_table and tag == "tr":
            self.rows[self.section].append([])
        elif self.in_table and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_table = False
        elif self.in_table and tag in ("td", "th") and self.cell is not None:
            self.rows[self.section][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    from attribution.config import load_settings

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


def test_summary_figures_are_the_warehouses(demo_run: DemoResult) -> None:
    con = duckdb.connect(str(demo_run.warehouse), read_only=True)
    expected = {
        name: (leads, conv, Decimal(rev).quantize(Decimal("0.01")))
        for name, leads, conv, rev in con.execute(
            """
            SELECT s.name, count(*) FILTER (WHERE NOT l.junk),
                   count(DISTINCT l.lead_id) FILTER (WHERE NOT l.junk AND r.event_id IS NOT NULL),
                   coalesce(sum(r.amount) FILTER (WHERE NOT l.junk), 0)
            FROM leads l JOIN lead_sources s ON s.id = l.source_id
            LEFT JOIN revenue_events r ON r.lead_id = l.lead_id AND r.kind = 'won'
            WHERE l.created_at >= $start AND l.created_at < $end
            GROUP BY s.name
            """,
            {"start": demo_run.start, "end": demo_run.end},
        ).fetchall()
    }
    spend = dict(
        con.execute(
            "SELECT s.name, sum(p.amount) FROM spend p JOIN lead_sources s ON s.id = p.source_id "
            "GROUP BY s.name"
        ).fetchall()
    )
    con.close()
    with demo_run.outputs["csv"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 12
    for row in rows:
        if row["source"] in expected:
            leads, conv, rev = expected[row["source"]]
            assert (int(row["leads"]), int(row["converted_leads"])) == (leads, conv)
            assert Decimal(row["won_revenue"]) == rev
            assert float(row["conversion_rate"]) == pytest.approx(conv / leads, abs=5e-5)
        assert Decimal(row["spend"]) == spend.get(row["source"], Decimal(0))

    parser = TableParser()
    parser.feed(Path(demo_run.outputs["html"]).read_text(encoding="utf-8"))
    assert parser.rows["thead"][0][:4] == ["Source", "Channel", "Leads", "Converted leads"]
    body = {r[0]: r for r in parser.rows["tbody"]}
    for row in rows:
        cells = body[row["source"]]
        assert cells[2] == f"{int(row['leads']):,}"
        assert cells[5] == f"{Decimal(row['won_revenue']):,.2f}"
        assert cells[6] == f"{Decimal(row['spend']):,.2f}"
    total = parser.rows["tfoot"][0]
    assert total[2] == f"{sum(int(r['leads']) for r in rows):,}"


def test_the_page_shows_the_runs_channel_credit(demo_run: DemoResult) -> None:
    con = duckdb.connect(str(demo_run.warehouse), read_only=True)
    stored = {
        (channel, model): conversions
        for model, channel, conversions in con.execute(
            "SELECT model, channel, conversions FROM channel_credits WHERE run_id = $r",
            {"r": demo_run.run_id},
        ).fetchall()
    }
    total = con.execute(
        "SELECT conversions FROM attribution_runs WHERE run_id = $r", {"r": demo_run.run_id}
    ).fetchone()
    con.close()
    parser = TableParser("channel-conversions")
    parser.feed(Path(demo_run.outputs["html"]).read_text(encoding="utf-8"))
    models = parser.rows["thead"][0][1:]
    assert models == ["first_touch", "last_touch", "linear", "time_decay", "markov", "shapley"]
    assert total is not None
    for row in parser.rows["tbody"]:
        for model, cell in zip(models, row[1:], strict=True):
            assert float(cell) == pytest.approx(stored[(row[0], model)], abs=0.051)
    for model in models:
        assert sum(v for (_, m), v in stored.items() if m == model) == pytest.approx(total[0])
