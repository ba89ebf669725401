"""The service object: the Python API that the CLI, the HTTP routes and the jobs call for
ingest, runs, reports, snapshots and backups. The registry, tokens, the SQL sandbox and mail
are modules of their own that the adapters call with the pipeline's warehouse.

A command imports only what its work needs: the modules of ingest, reports, the registry,
snapshots, backups and SQLAlchemy are imported by the methods that use them (a run from the
command line starts about 0.5 s sooner)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb

from attribution.config import Settings
from attribution.engine import runs
from attribution.engine.runs import RunResult, RunSpec
from attribution.errors import AttributionError, first_line
from attribution.reporting import coverage
from attribution.warehouse.connection import Migration, Warehouse

if TYPE_CHECKING:
    from attribution.engine.sqlrun import StoredRun
    from attribution.ingest.limits import Limits
    from attribution.ingest.loader import BatchSummary, Progress
    from attribution.reporting.period import Period
    from attribution.reporting.report import Report, ReportSpec
    from attribution.service.retention import Pruned
    from attribution.warehouse.backup import Backup
    from attribution.warehouse.snapshot import Publisher, Snapshot


@dataclass(frozen=True)
class DemoResult:
    warehouse: Path
    inputs: dict[str, Path]
    batches: list[BatchSummary]
    report: Report
    start: datetime
    end: datetime
    tokens_kept: int = 0  # API tokens carried over from the demo warehouse it replaced
    tokens_lost: str = ""  # why that warehouse's tokens could not be read ("" if they were)


class Pipeline:
    """Settings plus an open warehouse, and the work done with them."""

    def __init__(self, settings: Settings, warehouse: Warehouse) -> None:
        self.settings = settings
        self.warehouse = warehouse
        self._publisher: Publisher | None = None

    @classmethod
    def open(cls, settings: Settings) -> Pipeline:
        """Open the configured warehouse, creating or upgrading it."""
        return cls(settings, Warehouse.open(settings))

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.wait(300)  # a background publish ends before the warehouse closes
        self.warehouse.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self) -> list[Migration]:
        return self.warehouse.migrate()

    def ingest(
        self,
        kind: str,
        path: Path,
        *,
        file_format: str = "auto",
        column_map: Mapping[str, str] | None = None,
        display_name: str | None = None,
        progress: Progress | None = None,
        limits: Limits | None = None,
    ) -> BatchSummary:
        """Load one file as one batch (see ingest.Ingestor)."""
        from attribution.ingest.loader import Ingestor
        from attribution.registry import sources as registry

        # The registry's rows of the sources a batch changes go to the caches of reads.
        ingestor = Ingestor(self.warehouse, self.settings, source_rows=registry.source_rows)
        return ingestor.ingest_file(
            kind,
            path,
            requested_format=file_format,
            column_map=column_map,
            display_name=display_name,
            progress=progress,
            limits=limits,
        )

    def rejected_rows(self, batch_id: int, limit: int = 50) -> list[dict[str, Any]]:
        return self.warehouse.records(
            "ingest/rejected_rows", {"batch_id": batch_id, "limit": limit}
        )

    def batches(self, limit: int = 20) -> list[dict[str, Any]]:
        return self.warehouse.records("ingest/list_batches", {"limit": limit})

    def publish_snapshot(self) -> Snapshot:
        """Publish the analysts' snapshot of this warehouse (see snapshot.publish)."""
        from attribution.warehouse.snapshot import publish

        return publish(self.warehouse, self.settings)

    def snapshot_publisher(self) -> Publisher:
        """The one background publisher of this pipeline (the API and the jobs share it)."""
        if self._publisher is None:
            from attribution.warehouse.snapshot import Publisher

            self._publisher = Publisher(self.publish_snapshot)
        return self._publisher

    def backup(self, parent: Path) -> Backup:
        """Back up the whole warehouse into a new folder inside `parent` (see backup.create)."""
        from attribution.warehouse import backup as backups

        return backups.create(self.warehouse, parent)

    def prune(self, *, dry_run: bool = False) -> Pruned:
        """Prune runs, report folders, backups and job history past the retention settings
        (see service.retention); with dry_run, only say what would go."""
        from attribution.service import retention

        with self.warehouse.cursor() as cur:  # this thread's own connection
            return retention.prune(cur, self.settings, dry_run=dry_run)

    def report_spec(
        self,
        period: Period,
        *,
        models: Sequence[str] | None = None,
        primary: str | None = None,
        lookback_days: float | None = None,
    ) -> ReportSpec:
        """A report's settings from these arguments and the config (report.spec_for)."""
        from attribution.reporting import report

        return report.spec_for(
            self.settings.reports,
            period,
            models=models,
            primary=primary,
            lookback_days=lookback_days,
        )

    def report(
        self,
        spec: ReportSpec,
        out_root: Path | None = None,
        progress: Callable[[str], None] | None = None,
        *,
        allow_empty: bool = False,
    ) -> Report:
        """Build a report (a run over its window, figures, charts, CSV files) and the index;
        the run is made on the configured engine (Pipeline.attribute). A period with no leads
        and no conversions is refused (EmptyPeriodError) before the run, unless allow_empty."""
        from attribution.reporting import report

        folder = out_root or self.settings.resolve(self.settings.reports.output_dir)
        return report.build(
            self.warehouse,
            spec,
            folder,
            base_currency=self.settings.ingest.base_currency,
            progress=progress,
            # build checked the period; the wider window it runs over holds at least as much
            attribute=lambda run_spec: self.attribute(
                run_spec, progress=progress, allow_empty=True
            ),
            allow_empty=allow_empty,
        )

    def attribute(
        self,
        spec: RunSpec,
        engine: Literal["duckdb", "spark"] | None = None,
        progress: Callable[[str], None] | None = None,
        *,
        allow_empty: bool = False,
    ) -> RunResult | StoredRun:
        """Run the models and store the run, on the engine given or configured (`engine`):
        duckdb computes in memory from the warehouse; spark runs the same SQL on Spark and
        stores its results here. A window with no leads and no conversions is refused
        (EmptyPeriodError) before anything is stored, unless allow_empty."""
        if not allow_empty:
            coverage.require_data(
                self.warehouse,
                spec.start,
                spec.end,
                kinds=spec.kinds,
                what=f"the window {coverage.days(spec.start, spec.end)}",
                unit="window",
                action="run it",
            )
        if (engine or self.settings.engine) == "spark":
            from attribution.engine import spark  # PySpark is imported only for the Spark engine

            return spark.run(self.warehouse, self.settings, spec, progress=progress)
        return runs.run(self.warehouse, spec)


TOKEN_COLUMNS = (
    "name",
    "token_sha256",
    "prefix",
    "capabilities",
    "created_at",
    "last_used_at",
    "revoked_at",
)


def _demo_tokens(db: Path) -> tuple[list[dict[str, Any]], str]:
    """The api_tokens rows of the demo warehouse about to be replaced (none if there is none),
    and why they could not be read ("" if they were)."""
    if not db.exists():
        return [], ""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from attribution.registry.orm import ApiToken

    try:
        with Warehouse.open_path(db, read_only=True) as old, old.sessions()() as session:
            found = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
            return [{c: getattr(t, c) for c in TOKEN_COLUMNS} for t in found], ""
    except (AttributionError, SQLAlchemyError, duckdb.Error) as exc:
        return [], first_line(exc)


def run_demo(
    settings: Settings,
    *,
    as_of: date,
    progress: Callable[[str, Path], Progress | None] | None = None,
) -> DemoResult:
    """Generate the demo data, ingest it into a fresh demo warehouse, write the first summary."""
    from attribution.ingest import demo
    from attribution.registry import sources as registry
    from attribution.registry.orm import ApiToken
    from attribution.registry.schemas import SourceUpdate
    from attribution.reporting.period import Period

    cfg = settings.demo
    folder = settings.resolve(cfg.output_dir)
    data = demo.generate(seed=cfg.seed, leads=cfg.leads, weeks=cfg.weeks, as_of=as_of)
    inputs = demo.write_files(data, folder / "input")
    db = folder / "attribution.duckdb"
    tokens, tokens_lost = _demo_tokens(db)  # kept: re-running the demo keeps its tokens
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(folder / "summary", ignore_errors=True)  # written by earlier versions
    shutil.rmtree(folder / "reports", ignore_errors=True)
    demo_settings = settings.model_copy(
        update={"warehouse": settings.warehouse.model_copy(update={"path": db})}
    )
    with Pipeline.open(demo_settings) as pipe:
        if tokens:
            with pipe.warehouse.writing("tokens"), pipe.warehouse.sessions()() as session:
                session.add_all([ApiToken(**row) for row in tokens])  # new ids, same rows
                session.commit()
        for name, channel, utm_source, utm_medium, *_ in demo.SOURCES:
            fields, _ = SourceUpdate.parse(
                {
                    "name": name,
                    "channel": channel,
                    "utm_source": utm_source,
                    "utm_medium": utm_medium,
                },
                creating=True,
            )
            registry.ensure_source(pipe.warehouse, fields=fields)
        batches = [
            pipe.ingest(kind, path, progress=progress(kind, path) if progress else None)
            for kind, path in inputs.items()
        ]
        spec = pipe.report_spec(Period.last_complete_week(data.end.date()))
        built = pipe.report(spec, folder / "reports")
    return DemoResult(db, inputs, batches, built, data.start, data.end, len(tokens), tokens_lost)
