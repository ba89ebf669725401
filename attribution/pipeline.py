"""The service object: the one Python API that the CLI, the HTTP routes and the jobs call."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from . import demo, registry, runs
from .config import Settings
from .ingest import BatchSummary, Ingestor, Progress
from .reporting import write_source_summary
from .schemas import SourceUpdate
from .warehouse import Migration, Warehouse

DEMO_MODELS = ("first_touch", "last_touch", "linear", "time_decay", "markov", "shapley")


@dataclass(frozen=True)
class DemoResult:
    warehouse: Path
    inputs: dict[str, Path]
    batches: list[BatchSummary]
    outputs: dict[str, Path]
    start: datetime
    end: datetime
    run_id: int


class Pipeline:
    """Settings plus an open warehouse; every capability of the service is a method here."""

    def __init__(self, settings: Settings, warehouse: Warehouse) -> None:
        self.settings = settings
        self.warehouse = warehouse

    @classmethod
    def open(cls, settings: Settings) -> Pipeline:
        """Open the configured warehouse, creating or upgrading it."""
        return cls(settings, Warehouse.open(settings))

    def close(self) -> None:
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
    ) -> BatchSummary:
        """Load one file as one batch (see ingest.Ingestor)."""
        return Ingestor(self.warehouse, self.settings).ingest_file(
            kind,
            path,
            requested_format=file_format,
            column_map=column_map,
            display_name=display_name,
            progress=progress,
        )

    def rejected_rows(self, batch_id: int, limit: int = 50) -> list[dict[str, Any]]:
        return self.warehouse.records(
            "ingest/rejected_rows", {"batch_id": batch_id, "limit": limit}
        )

    def batches(self, limit: int = 20) -> list[dict[str, Any]]:
        return self.warehouse.records("ingest/list_batches", {"limit": limit})

    def source_summary(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Per lead source: leads, converted leads, conversion rate, won revenue, spend."""
        return self.warehouse.records("reports/source_summary", {"start": start, "end": end})

    def write_source_summary(
        self, start: datetime, end: datetime, folder: Path, run_id: int | None = None
    ) -> dict[str, Path]:
        """The summary page and CSV files; with a run, its channel credit by model too."""
        rows = self.source_summary(start, end)
        credits = (
            self.warehouse.records("runs/channel_credits", {"run_id": run_id})
            if run_id is not None
            else []
        )
        return write_source_summary(
            rows,
            folder,
            start=start,
            end=end,
            base_currency=self.settings.ingest.base_currency,
            generated_at=datetime.now(UTC).replace(tzinfo=None),
            credits=credits,
            run_id=run_id,
        )


def run_demo(
    settings: Settings,
    *,
    as_of: date,
    progress: Callable[[str, Path], Progress | None] | None = None,
) -> DemoResult:
    """Generate the demo data, ingest it into a fresh demo warehouse, write the first summary."""
    cfg = settings.demo
    folder = settings.resolve(cfg.output_dir)
    data = demo.generate(seed=cfg.seed, leads=cfg.leads, weeks=cfg.weeks, as_of=as_of)
    inputs = demo.write_files(data, folder / "input")
    db = folder / "attribution.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(folder / "summary", ignore_errors=True)
    demo_settings = settings.model_copy(
        update={"warehouse": settings.warehouse.model_copy(update={"path": db})}
    )
    with Pipeline.open(demo_settings) as pipe:
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
        spec = runs.RunSpec(start=data.start, end=data.end, models=DEMO_MODELS)
        result = runs.run(pipe.warehouse, spec)
        outputs = pipe.write_source_summary(
            data.start, data.end, folder / "summary", run_id=result.run_id
        )
    return DemoResult(db, inputs, batches, outputs, data.start, data.end, result.run_id)
