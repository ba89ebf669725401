"""Retention: prune what the warehouse and its folders would otherwise keep for ever (see the
`retention` settings). Older runs lose their per-conversion rows but keep their aggregates and
their reports' figures; report folders, backups and job history past their limits go."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from attribution import clock
from attribution.config import Settings
from attribution.engine import retention
from attribution.engine.retention import OldRun
from attribution.errors import WarehouseError
from attribution.reporting import kept
from attribution.reporting.period import Period
from attribution.reporting.report import list_reports, write_index
from attribution.warehouse import backup as backups
from attribution.warehouse import compact as compaction
from attribution.warehouse.connection import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Folder:
    """A folder pruned: a built report or a backup, and its size."""

    kind: str  # report, backup
    path: Path
    bytes: int


@dataclass(frozen=True)
class Pruned:
    """What a prune removed (or, with dry_run, would remove), and the warehouse file's size."""

    dry_run: bool
    runs: list[OldRun]
    periods_kept: int  # report periods whose figures were kept for the pruned runs
    folders: list[Folder]
    job_runs: int
    file_bytes_before: int
    file_bytes_after: int
    free_bytes: int  # of the file, free for later writes to reuse

    @property
    def rows(self) -> int:
        return sum(r.row_count for r in self.runs)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready account (job outputs, --format json)."""
        return {
            "dry_run": self.dry_run,
            "runs": [
                {
                    "run_id": r.run_id,
                    "created_at": r.created_at.isoformat(),
                    "window_start": r.window_start.isoformat(),
                    "window_end": r.window_end.isoformat(),
                    "rows": r.rows,
                }
                for r in self.runs
            ],
            "rows": self.rows,
            "periods_kept": self.periods_kept,
            "folders": [
                {"kind": f.kind, "path": str(f.path), "bytes": f.bytes} for f in self.folders
            ],
            "job_runs": self.job_runs,
            "file_bytes_before": self.file_bytes_before,
            "file_bytes_after": self.file_bytes_after,
            "free_bytes": self.free_bytes,
        }


def file_bytes(path: Path) -> int:
    """The warehouse's size on disk: its file and its write-ahead log."""
    wal = path.with_name(path.name + ".wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


def free_bytes(wh: Warehouse) -> int:
    row = wh.records("retention/database_size")
    return int(row[0]["free_blocks"]) * int(row[0]["block_size"]) if row else 0


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _report_folders(settings: Settings, dry_run: bool) -> list[Folder]:
    """Report folders past retention.report_folders, latest period first kept; the index is
    written again without them."""
    limit = settings.retention.report_folders
    root = settings.resolve(settings.reports.output_dir)
    if not limit or not root.is_dir():
        return []
    old = [root / m["folder"] for m in list_reports(root)[limit:]]
    found = [Folder("report", p, _size(p)) for p in old]
    if not dry_run and old:
        for path in old:
            shutil.rmtree(path, ignore_errors=True)
        write_index(root)
    return found


def _backups(settings: Settings, warehouse: Path, dry_run: bool) -> list[Folder]:
    """Backups past api.backups_keep in the API's backups folder, its sub-folders, and
    retention.backup_folders."""
    root = backups.api_folder(warehouse, None)
    parents = [root, *sorted(p for p in root.glob("*") if p.is_dir())] if root.is_dir() else []
    parents += [settings.resolve(p) for p in settings.retention.backup_folders]
    found = []
    for parent in parents:
        old = backups.prune(parent, warehouse.stem, settings.api.backups_keep, dry_run=True)
        found += [Folder("backup", p, _size(p)) for p in old]
        if not dry_run:
            backups.prune(parent, warehouse.stem, settings.api.backups_keep)
    return found


def _in_use(wh: Warehouse, settings: Settings) -> list[int]:
    """Runs that stay whole whatever their age: the latest report's (recorded, and in the
    reports folder)."""
    ids = [wh.scalar("retention/latest_report_run")]
    root = settings.resolve(settings.reports.output_dir)
    latest = list_reports(root)[:1] if root.is_dir() else []
    ids += [m.get("run_id") for m in latest]
    return sorted({int(i) for i in ids if isinstance(i, int)})


def _spans(run: OldRun, wh: Warehouse, settings: Settings) -> list[kept.Span]:
    """The periods whose figures to keep for a run: those its reports recorded, and those of
    report folders made from it before reports recorded them."""
    spans = set(kept.periods(wh, run.run_id))
    root = settings.resolve(settings.reports.output_dir)
    for m in list_reports(root) if root.is_dir() else []:
        if m.get("run_id") == run.run_id and m.get("period_start") and m.get("period_end"):
            period = Period(
                datetime.fromisoformat(m["period_start"]),
                datetime.fromisoformat(m["period_end"]),
                str(m.get("label", "")),
            )
            previous = period.previous()
            spans |= {(period.start, period.end), (previous.start, previous.end)}
    return sorted(spans)


def _prune_runs(
    wh: Warehouse, settings: Settings, now: datetime, dry_run: bool
) -> tuple[list[OldRun], int]:
    """Prune the runs past retention.full_runs: keep their reports' figures, delete their
    per-conversion rows, mark them; one transaction, under the write lock, so a run being
    stored finishes first and is then among the newest."""
    with wh.writing("data"):
        old = retention.old_runs(
            wh, keep=settings.retention.full_runs, in_use=_in_use(wh, settings)
        )
        if dry_run or not old:
            return old, 0
        with wh.transaction():
            periods = sum(kept.keep(wh, r.run_id, _spans(r, wh, settings)) for r in old)
            retention.delete(wh, [r.run_id for r in old], now)
    return old, periods


def _job_history(wh: Warehouse, settings: Settings, now: datetime, dry_run: bool) -> int:
    days = settings.retention.job_history_days
    if not days:
        return 0
    before = {"before": now - timedelta(days=days)}
    with wh.writing("data"):
        count = int(wh.scalar("jobs/prunable", before) or 0)
        if count and not dry_run:
            wh.execute("jobs/prune", before)
    return count


def prune(wh: Warehouse, settings: Settings, *, dry_run: bool = False) -> Pruned:
    """Prune runs, report folders, backups and job history past the retention settings."""
    now = clock.utc_now()
    before = file_bytes(wh.path)
    runs, periods = _prune_runs(wh, settings, now, dry_run)
    jobs = _job_history(wh, settings, now, dry_run)
    if (runs or jobs) and not dry_run:
        with wh.writing("data"):
            try:
                wh.execute("snapshot/checkpoint")  # the deleted rows' blocks free for reuse now
            except WarehouseError as exc:  # another transaction is open: DuckDB's own later
                log.info("prune: checkpoint skipped (%s)", exc)
    folders = _report_folders(settings, dry_run) + _backups(settings, wh.path, dry_run)
    return Pruned(
        dry_run=dry_run,
        runs=runs,
        periods_kept=periods,
        folders=folders,
        job_runs=jobs,
        file_bytes_before=before,
        file_bytes_after=file_bytes(wh.path),
        free_bytes=free_bytes(wh),
    )


def compact(settings: Settings) -> tuple[int, int]:
    """Rewrite the warehouse file without the free space DuckDB keeps inside it (see
    warehouse.compact); the file's sizes before and after. The file must not be open."""
    cfg = settings.warehouse
    path = settings.resolve(cfg.path)
    return compaction.compact(path, memory_limit=cfg.memory_limit, threads=cfg.threads)
