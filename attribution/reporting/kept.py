"""A report's figures kept past pruning. A report records the periods it read from its run
(its period and the previous one); when the run's per-conversion rows are pruned, the figures
of those periods that its aggregates cannot give (distinct converted leads, days-to-convert
quantiles and bins, journey counts, data quality of the journeys) are stored first, at the
period's grain, and read instead (sql/schema/0012_retention.sql)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from attribution.errors import AttributionError
from attribution.reporting.period import Period
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import fill, quote_ident, statement

DAYS_CAP = 60  # days to convert: the last bin holds this many days and more (metrics' cap)

# metrics query -> its kept table, and the query that reads the kept rows back
KEPT = {
    "metrics/channel_period": ("kept_channel_periods", "metrics/kept_channel_period"),
    "metrics/source_period": ("kept_source_periods", "metrics/kept_source_period"),
    "metrics/days_to_convert": ("kept_days_to_convert", "metrics/kept_days_to_convert"),
}

Span = tuple[datetime, datetime]


def record(wh: Warehouse, run_id: int, periods: Sequence[Period]) -> None:
    """Record the periods whose figures a report read from the run."""
    with wh.writing("data"), wh.transaction():
        for period in periods:
            wh.execute(
                "retention/record_report_period",
                {"run_id": run_id, "from": period.start, "to": period.end},
            )


def periods(wh: Warehouse, run_id: int) -> list[Span]:
    """The periods recorded for the run, as (start, end)."""
    rows = wh.fetchall("retention/report_periods", {"run_id": run_id})
    return [(start, end) for start, end in rows]


def keep(wh: Warehouse, run_id: int, spans: Iterable[Span]) -> int:
    """Store the run's figures of each period before its per-conversion rows go (in the
    caller's transaction); returns how many periods were kept."""
    kept = 0
    for start, end in sorted(set(spans)):
        params = {"run_id": run_id, "from": start, "to": end}
        for query, (table, _) in KEPT.items():
            sql = fill(
                "retention/keep_period_rows", table=quote_ident(table), query=statement(query)
            )
            days = query == "metrics/days_to_convert"
            wh.execute_text(sql, {**params, "cap": DAYS_CAP} if days else params, name=table)
        sql = fill("retention/keep_quality", query=statement("metrics/data_quality"))
        wh.execute_text(sql, {**params, "model": "", "since": None}, name="keep quality")
        kept += 1
    return kept


def reads(wh: Warehouse, run_id: int, period: Period) -> dict[str, str]:
    """The query to read for each metrics query of KEPT, for the run and period: itself, or,
    when the run was pruned, the query of its kept rows; a period not kept is refused."""
    pruned = wh.scalar("retention/run_pruned", {"run_id": run_id})
    if pruned is None:
        return {name: name for name in KEPT}
    recorded = periods(wh, run_id)
    if (period.start, period.end) not in recorded:
        kept = ", ".join(f"{s:%Y-%m-%d} to {e - timedelta(days=1):%Y-%m-%d}" for s, e in recorded)
        raise AttributionError(
            f"run {run_id} was pruned on {pruned:%Y-%m-%d}: its figures are kept only for the "
            f"periods its reports showed ({kept or 'none'}), not {period.label}; build a new "
            "report of that period"
        )
    return {name: kept_name for name, (_, kept_name) in KEPT.items()}
