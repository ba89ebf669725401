"""Ingest: files of leads, touches, revenue and spend into the warehouse, one transaction a file.

Validation, deduplication and loading are SQL (sql/ingest/); this module only chooses which
statements to run. The file's columns are named in columns.py; it is read in reading.py."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from attribution import clock
from attribution.config import Settings
from attribution.errors import IngestError, WarehouseError
from attribution.ingest import columns, reading, sniff
from attribution.ingest import limits as size_limits
from attribution.ingest.kinds import KINDS, Kind
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import fill, quote_ident, quote_literal, statement

# A type as DuckDB names it (VARCHAR, DECIMAL(22,6)): the only shape pasted into SQL text.
_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9_ ]*(\(\d+(, ?\d+)?\))?")

Progress = Callable[[str, int, int], None]
"""Called as (stage, step, steps) while a file is ingested."""


@dataclass
class BatchSummary:
    """What one file's ingest did."""

    kind: str
    file: str
    file_format: str
    batch_id: int | None = None
    rows_read: int = 0
    loaded: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    sources_created: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    already_loaded_as: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items()}

    @property
    def all_rejected(self) -> bool:
        """A new batch whose every row was rejected: nothing of the file is in the warehouse."""
        return self.batch_id is not None and 0 < self.rows_read == self.rejected


def _count(cur: duckdb.DuckDBPyConnection) -> int:
    row = cur.fetchone()
    return int(row[0]) if row else 0


class Ingestor:
    """Loads files into one warehouse under one set of settings."""

    def __init__(self, warehouse: Warehouse, settings: Settings) -> None:
        self.warehouse = warehouse
        self.settings = settings

    def ingest_file(
        self,
        kind: str,
        path: Path,
        *,
        requested_format: str = "auto",
        column_map: Mapping[str, str] | None = None,
        display_name: str | None = None,
        progress: Progress | None = None,
        limits: size_limits.Limits | None = None,
    ) -> BatchSummary:
        """Validate and load one file as one batch: whole or not at all.

        limits: of an upload (Limits.upload); by default the CLI's, from `ingest.*`."""
        if kind not in KINDS:
            raise IngestError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        k: Kind = kind
        name = display_name or path.name
        if not path.is_file():
            raise IngestError(f"{path} does not exist or is not a file")
        reader, label = reading.file_format(path, requested_format, name)
        mapping = dict(column_map or {})
        if label == "crm":
            if k != "leads":
                raise IngestError("--format crm is the CRM's lead export: use it with `leads`")
            mapping = {**columns.CRM_LEADS_MAP, **mapping}
        started = time.perf_counter()
        summary = BatchSummary(kind=k, file=name, file_format=label)
        sha = reading.examine(path, name, reader)
        # Before the write lock and before DuckDB: a refused file costs no one any waiting.
        size_limits.check(path, name, reader, limits or size_limits.Limits.cli(self.settings))
        steps = 7
        tick = progress or (lambda stage, step, total: None)

        with self.warehouse.cursor() as wh:
            zone = quote_literal(self.settings.ingest.timezone)
            wh.execute_text(fill("ingest/set_timezone", zone=zone), name="ingest/set_timezone")
            tick("reading", 0, steps)
            try:
                with wh.writing("data", "registry"):
                    self._run_batch(wh, k, path, reader, label, name, sha, mapping, summary, tick)
            except _AlreadyLoaded:
                summary.batch_id = None
        tick("done", steps, steps)
        summary.seconds = time.perf_counter() - started
        return summary

    def _run_batch(
        self,
        wh: Warehouse,
        k: Kind,
        path: Path,
        reader: str,
        label: str,
        name: str,
        sha: str,
        mapping: dict[str, str],
        summary: BatchSummary,
        tick: Progress,
    ) -> None:
        """The batch's one transaction; _AlreadyLoaded rolls back a repeat of a loaded file."""
        steps = 7
        with wh.transaction():
            reading.read(wh, path, reader, name)
            found = [
                (str(n), str(t))
                for n, t in wh.fetchall("ingest/describe_src")
                if n != "_ingest_row"
            ]
            if reader == "csv" and len(found) == 1 and any(d in found[0][0] for d in ",;\t|"):
                # DuckDB finds no delimiter when a line has more or fewer fields than the header.
                raise IngestError(
                    sniff.ragged_line(path, name)
                    or f"{name} was read as one single column, "
                    f"{sniff.printable(found[0][0])[:80]!r}: its rows do not all have the same "
                    "number of fields as its header line. Fix those rows, or quote the fields that "
                    "hold the delimiter."
                )
            chosen, summary.extra_columns = columns.resolve_columns(k, found, mapping, name)
            utc = self.settings.ingest.timezone == "UTC"
            wh.execute_text(columns.norm_view(k, chosen, utc), name="ingest_norm")
            previous = wh.fetchone("ingest/find_loaded_file", {"kind": k, "sha256": sha})
            now = clock.utc_now()
            batch_id = int(
                wh.scalar(
                    "ingest/start_batch",
                    {
                        "kind": k,
                        "file_name": name,
                        "file_format": label,
                        "sha256": sha,
                        "extra_columns": summary.extra_columns,
                        "column_map": json.dumps(mapping, sort_keys=True),
                        "started_at": now,
                    },
                )
            )
            tick("validating", 1, steps)
            with reading.read_lazily(wh, path, reader, name):  # the statements that read the file
                self._prepare(wh, k, summary)
                tick("validating", 2, steps)
                if k != "revenue":
                    named = "source_id" in chosen or "source" in chosen
                    wh.execute("ingest/resolve_sources" if named else "ingest/sources_unnamed")
                self._store_valid(wh, k, chosen)
                read, rejected, repeats = wh.fetchone("ingest/count_valid") or (0, 0, 0)
                summary.rows_read, summary.rejected = int(read), int(rejected)
                if repeats:
                    wh.execute("ingest/drop_key_repeats")
                tick("quarantining", 3, steps)
                if summary.rejected:
                    wh.execute("ingest/insert_rejected", {"batch_id": batch_id})
            if summary.rejected:
                summary.top_reasons = [
                    (str(r), int(n)) for r, n in wh.fetchall("ingest/top_reasons", {"limit": 5})
                ]
            tick("loading", 4, steps)
            self._load(wh, k, batch_id, summary)
            summary.duplicates = summary.rows_read - summary.rejected - summary.loaded
            summary.duplicates -= summary.updated
            tick("committing", 5, steps)
            nothing_new = not (summary.loaded or summary.updated or summary.sources_created)
            if previous is not None and nothing_new:
                # The same file again: keep no trace of this attempt, and say so.
                summary.already_loaded_as = int(previous[0])
                raise _AlreadyLoaded()
            wh.execute(
                "ingest/finish_batch",
                {
                    "batch_id": batch_id,
                    "rows_read": summary.rows_read,
                    "rows_loaded": summary.loaded,
                    "rows_updated": summary.updated,
                    "rows_duplicate": summary.duplicates,
                    "rows_rejected": summary.rejected,
                    "sources_created": summary.sources_created,
                    "finished_at": clock.utc_now(),
                },
            )
            summary.batch_id = batch_id
            tick("committing", 6, steps)

    def _prepare(self, wh: Warehouse, kind: Kind, summary: BatchSummary) -> None:
        """Currency rates, and registry entries for unknown source names when config says so."""
        wh.execute("ingest/create_rates")
        rates = {self.settings.ingest.base_currency: 1.0, **self.settings.ingest.currency_rates}
        for code, rate in rates.items():
            wh.execute("ingest/insert_rate", {"currency": code, "rate": rate})
        if self.settings.ingest.unknown_sources == "create" and kind != "revenue":
            summary.sources_created = _count(wh.execute("ingest/create_sources"))

    def _store_valid(
        self, wh: Warehouse, kind: Kind, chosen: Mapping[str, tuple[str, str]]
    ) -> None:
        """Run the kind's validate query into ingest_valid_rows, leaving out the columns that
        are NULL throughout (the file lacks what they pass on); ingest_valid gives them back."""
        query, params = statement(f"ingest/{kind}_validate"), self._validate_params(kind)
        passed_on = columns.PASSED_ON[kind]
        absent = [c for c, given in passed_on.items() if not any(g in chosen for g in given)]
        types = {
            str(row[0]): str(row[1])
            for row in wh.execute_text(
                fill("ingest/describe_valid", query=query), params, name="ingest/describe_valid"
            ).fetchall()
        }
        nulls = ""
        for col in absent:
            if not _TYPE_NAME.fullmatch(types[col]):
                raise WarehouseError(f"unexpected type {types[col]!r} of ingest_valid.{col}")
            nulls += f", CAST(NULL AS {types[col]}) AS {quote_ident(col)}"
        excluded = ", ".join(quote_ident(c) for c in absent)
        kept = f"* EXCLUDE ({excluded})" if absent else "*"
        wh.execute_text(
            fill("ingest/store_valid", columns=kept, query=query),
            params,
            name=f"ingest/{kind}_validate",
        )
        wh.execute_text(fill("ingest/valid_view", nulls=nulls), name="ingest/valid_view")

    def _validate_params(self, kind: Kind) -> dict[str, Any]:
        if kind in ("revenue", "spend"):
            return {"base_currency": self.settings.ingest.base_currency}
        if kind == "leads":
            return {"default_source": self.settings.registry.default_source}
        return {}

    def _load(self, wh: Warehouse, kind: Kind, batch_id: int, summary: BatchSummary) -> None:
        if kind == "leads":
            summary.updated = _count(wh.execute("ingest/leads_update"))
        if kind == "spend":
            summary.updated = _count(wh.execute("ingest/spend_replace"))
        summary.loaded = _count(wh.execute(f"ingest/{kind}_insert", {"batch_id": batch_id}))
        if kind == "spend":
            # A replaced row is removed and inserted again: count it once, as updated.
            summary.loaded -= summary.updated


class _AlreadyLoaded(Exception):
    """Raised inside the batch transaction to roll back a repeat of a loaded file."""
