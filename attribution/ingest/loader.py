"""Ingest: files of leads, touches, revenue and spend into the warehouse, one transaction a file.

Validation, deduplication and loading are SQL (sql/ingest/); this module only chooses which
statements to run. The file's columns are named in columns.py; it is read in reading.py."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from attribution import clock
from attribution.config import Settings
from attribution.errors import IngestError, WarehouseError
from attribution.ingest import columns, grouped, reading, small, sniff
from attribution.ingest import limits as size_limits
from attribution.ingest.kinds import KINDS, Kind
from attribution.warehouse.connection import Change, Warehouse
from attribution.warehouse.statements import fill, quote_ident, quote_literal, statement

# A type as DuckDB names it (VARCHAR, DECIMAL(22,6)): the only shape pasted into SQL text.
_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9_ ]*(\(\d+(, ?\d+)?\))?")

Progress = Callable[[str, int, int], None]
"""Called as (stage, step, steps) while a file is ingested."""

SourceRows = Callable[[Warehouse, Sequence[int]], Mapping[int, object]]
"""The rows of the registry's lists of these sources, as they are now (the registry's
source_rows, passed by the service: ingest does not import the registry)."""

HAND_OVER_MAX = 256  # a batch changing more sources has the caches drop instead


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

    def __init__(
        self,
        warehouse: Warehouse,
        settings: Settings,
        source_rows: SourceRows | None = None,
        small_bytes: int | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.settings = settings
        self.source_rows = source_rows
        # Files up to this size take the small path (small.py); by default the config's.
        self.small_bytes = (
            settings.ingest.small_upload_bytes if small_bytes is None else small_bytes
        )

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
            # Reading and validating the file need no lock: only the writes wait for it.
            staged = self._stage(wh, k, path, reader, name, mapping, summary, tick)
            try:
                if staged.small:  # written with the small uploads queued meanwhile
                    grouped.write(self, wh, staged, label, sha, summary)
                else:
                    with wh.writing("data") as change:
                        try:
                            self._run_batch(wh, staged, label, sha, summary, tick)
                        except _AlreadyLoaded:
                            change.keys, change.rows = set(), {}  # rolled back: no change
                            raise
                        self._hand_over(wh, summary, change)
            except _AlreadyLoaded:
                summary.batch_id = None
        tick("done", steps, steps)
        summary.seconds = time.perf_counter() - started
        return summary

    def _stage(
        self,
        wh: Warehouse,
        k: Kind,
        path: Path,
        reader: str,
        name: str,
        mapping: dict[str, str],
        summary: BatchSummary,
        tick: Progress,
    ) -> _Staged:
        """Read the file into this cursor's temporary tables and validate it, before the write
        lock: a refused file costs no one any waiting, and a batch holds the lock only for
        its writes. Validation reads only the registry; _run_batch checks, under the lock,
        that no registry change since can alter it (else validates again there)."""
        steps = 7
        if small.eligible(k, reader, path, self.small_bytes):
            quick = small.stage(self, wh, k, path, reader, name, mapping, summary)
            if quick is not None:
                tick("validating", 2, steps)
                return quick
        reading.read(wh, path, reader, name)
        found = [
            (str(n), str(t)) for n, t in wh.fetchall("ingest/describe_src") if n != "_ingest_row"
        ]
        if reader == "csv" and len(found) == 1 and any(d in found[0][0] for d in ",;\t|"):
            # DuckDB finds no delimiter when a line has more or fewer fields than the header.
            raise IngestError(
                sniff.ragged_line(path, name)
                or f"{name} was read as one single column, "
                f"{sniff.printable(found[0][0])[:80]!r}: its rows do not all have the same number "
                "of fields as its header line. Fix those rows, or quote the fields that "
                "hold the delimiter."
            )
        chosen, summary.extra_columns = columns.resolve_columns(k, found, mapping, name)
        utc = self.settings.ingest.timezone == "UTC"
        wh.execute_text(columns.norm_view(k, chosen, utc), name="ingest_norm")
        staged = _Staged(k, path, reader, name, mapping, chosen)
        # Names of unknown sources are created under the lock, and validated after that.
        staged.creates = (
            self.settings.ingest.unknown_sources == "create"
            and k != "revenue"
            and "source" in chosen
        )
        tick("validating", 1, steps)
        with reading.read_lazily(wh, path, reader, name):  # the statements that read the file
            if k in ("revenue", "spend"):  # the kinds whose validation converts currencies
                self._rates(wh)
            if not staged.creates:
                staged.registry = wh.generation("registry")  # before the reads of it
                self._validate(wh, staged, summary)
                if k != "revenue":
                    ids, names = wh.fetchone("ingest/staged_sources") or ([], [])
                    staged.ids, staged.names = frozenset(ids), tuple(names)
        tick("validating", 2, steps)
        return staged

    def _run_batch(
        self,
        wh: Warehouse,
        staged: _Staged,
        label: str,
        sha: str,
        summary: BatchSummary,
        tick: Progress,
    ) -> None:
        """The batch's writes in one transaction, under the write lock; _AlreadyLoaded rolls
        back a repeat of a loaded file."""
        steps = 7
        k, path, reader, name = staged.kind, staged.path, staged.reader, staged.name
        with wh.transaction():
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
                        "column_map": json.dumps(staged.mapping, sort_keys=True),
                        "started_at": now,
                    },
                )
            )
            with reading.read_lazily(wh, path, reader, name):  # the statements that read the file
                if staged.creates:
                    summary.sources_created = _count(wh.execute("ingest/create_sources"))
                if not self.still_valid(wh, staged):
                    self._validate(wh, staged, summary)
                tick("quarantining", 3, steps)
                if summary.rejected:
                    wh.execute("ingest/insert_rejected", {"batch_id": batch_id})
            tick("loading", 4, steps)
            self._load(wh, k, batch_id, summary)
            summary.duplicates = summary.rows_read - summary.rejected - summary.loaded
            summary.duplicates -= summary.updated
            tick("committing", 5, steps)
            if not (summary.loaded or summary.updated or summary.sources_created):
                small.refuse_repeat(wh, k, sha, summary)  # only a batch that added nothing
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

    def _hand_over(self, wh: Warehouse, summary: BatchSummary, change: Change) -> None:
        """Tell the caches of registry reads which sources a committed batch changed, with
        their rows as they are now, so that cached lists are patched rather than dropped. Runs
        under the write lock: no other write comes between. When that is not known (no
        source_rows, no cache following the changes, many sources, a failing read),
        change.keys stays None: caches drop what the data may touch."""
        rows = self._changed_sources(wh, summary)
        if rows is not None:
            change.keys, change.rows = set(rows), dict(rows)
        if summary.sources_created:  # the registry changed too: ingests validating meanwhile
            wh.note_change(("registry",), Change(change.keys, change.rows))

    def _changed_sources(self, wh: Warehouse, summary: BatchSummary) -> dict[int, object] | None:
        """The rows (None: gone) of the sources whose rows in the lists the batch changed: the
        lead counts of those its new leads name, and the ones it created; None if unknown."""
        created = summary.sources_created
        if self.source_rows is None or summary.batch_id is None or not wh.watched():
            return None  # unknown, or no cache to tell (the CLI): no statements for it
        if summary.kind != "leads" and not created:  # only leads count towards a source's row
            return {}
        params = {"batch_id": summary.batch_id, "created": created}
        try:
            ids = [int(i) for i in wh.scalar("ingest/batch_source_ids", params) or []]
            if len(ids) > HAND_OVER_MAX:
                return None
            rows = self.source_rows(self.warehouse, ids) if ids else {}
        except WarehouseError:  # logged; the batch is committed, the caches drop instead
            return None
        return {i: rows.get(i) for i in ids}

    def _rates(self, wh: Warehouse) -> None:
        """The currency rates of the config, as the validate queries join them."""
        wh.execute("ingest/create_rates")
        rates = {self.settings.ingest.base_currency: 1.0, **self.settings.ingest.currency_rates}
        for code, rate in rates.items():
            wh.execute("ingest/insert_rate", {"currency": code, "rate": rate})

    def _validate(self, wh: Warehouse, staged: _Staged, summary: BatchSummary) -> None:
        """Resolve sources, validate the rows into ingest_valid_rows, count them, and set the
        rejected ones aside as they are to be quarantined."""
        if staged.kind != "revenue":
            named = "source_id" in staged.chosen or "source" in staged.chosen
            wh.execute("ingest/resolve_sources" if named else "ingest/sources_unnamed")
        self._store_valid(wh, staged.kind, staged.chosen)
        read, rejected, repeats = wh.fetchone("ingest/count_valid") or (0, 0, 0)
        summary.rows_read, summary.rejected = int(read), int(rejected)
        if repeats:
            wh.execute("ingest/drop_key_repeats")
        summary.top_reasons = []
        if summary.rejected:  # nothing to quarantine otherwise
            summary.top_reasons = [
                (str(r), int(n)) for r, n in wh.fetchall("ingest/top_reasons", {"limit": 5})
            ]
            wh.execute("ingest/stage_rejected")  # quarantined by ingest/insert_rejected

    def still_valid(self, wh: Warehouse, staged: _Staged) -> bool:
        """Whether the validation done before the lock holds now (under the lock): revenue
        reads no registry; else no registry change since touched a source the file names or
        resolved to, or gave a source a name it names (or the default source's)."""
        if staged.registry is None:
            return False
        if staged.kind == "revenue":
            return True
        since, now = staged.registry[0], wh.generation("registry")[0]
        keys = wh.changed_keys("registry", since, now)
        if keys is None or keys & staged.ids:
            return False
        default = self.settings.registry.default_source
        if not keys or not (staged.names or default.strip()):
            return True
        params = {"ids": sorted(keys), "names": list(staged.names), "default_source": default}
        return not wh.scalar("ingest/sources_named", params)

    def _store_valid(
        self, wh: Warehouse, kind: Kind, chosen: Mapping[str, tuple[str, str]]
    ) -> None:
        """Run the kind's validate query into ingest_valid_rows, leaving out the columns that
        are NULL throughout (the file lacks what they pass on); ingest_valid gives them back."""
        query, params = statement(f"ingest/{kind}_validate"), self._validate_params(kind)
        passed_on = columns.PASSED_ON[kind]
        absent = [c for c, given in passed_on.items() if not any(g in chosen for g in given)]
        types = _valid_types(wh, kind, chosen, query, params) if absent else {}
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


# The column types of a kind's validate query, by the types of the file's columns it reads:
# the same for every file of those types (DESCRIBE plans the query: a few ms per batch).
_VALID_TYPES: dict[tuple[Any, ...], dict[str, str]] = {}


def _valid_types(
    wh: Warehouse,
    kind: Kind,
    chosen: Mapping[str, tuple[str, str]],
    query: str,
    params: Mapping[str, Any],
) -> dict[str, str]:
    """Column -> type of the validate query over this file's columns (ingest_norm)."""
    key = (kind, tuple(sorted((col, typ) for col, (_, typ) in chosen.items())))
    known = _VALID_TYPES.get(key)
    if known is None:
        described = wh.execute_text(
            fill("ingest/describe_valid", query=query), params, name="ingest/describe_valid"
        ).fetchall()
        known = {str(row[0]): str(row[1]) for row in described}
        if len(_VALID_TYPES) > 1000:
            _VALID_TYPES.clear()
        _VALID_TYPES[key] = known
    return known


@dataclass
class _Staged:
    """A file read and named on an ingest's cursor before the write lock (Ingestor._stage)."""

    kind: Kind
    path: Path
    reader: str
    name: str
    mapping: dict[str, str]
    chosen: dict[str, tuple[str, str]]
    creates: bool = False  # unknown source names are created (under the lock)
    registry: tuple[int, ...] | None = None  # its generation when validated; None: not yet
    ids: frozenset[int] = frozenset()  # sources its rows name or resolved to, then
    names: tuple[str, ...] = ()  # source names it gives, lower-case
    small: bool = False  # takes the small path (small.py)
    # The small path's (small.py): the file and its validated rows as Arrow tables, the keys
    # of its good rows, and the cursor that read it.
    src: Any = None
    valid: Any = None
    keys: frozenset[str] = frozenset()
    cursor: Any = None


# Raised inside the batch transaction to roll back a repeat of a loaded file (either path).
_AlreadyLoaded = small.AlreadyLoaded
