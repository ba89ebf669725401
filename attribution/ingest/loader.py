"""Ingest: files of leads, touches, revenue and spend into the warehouse, one transaction a file.

Validation, deduplication and loading are SQL (sql/ingest/); this module only chooses which
statements to run and names the file's columns."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from attribution import clock
from attribution.config import Settings
from attribution.errors import IngestError, WarehouseError
from attribution.ingest import limits as size_limits
from attribution.ingest import sniff
from attribution.ingest.kinds import FORMATS, KINDS, Kind
from attribution.warehouse.connection import Change, Warehouse
from attribution.warehouse.statements import fill, quote_ident, quote_literal, statement

# Columns each kind reads. Text columns are trimmed (empty = missing); others keep the file's
# type so that Parquet timestamps and numbers are not round-tripped through text.
_TEXT = "text"
_TIME = "time"  # read as UTC timestamps here, where the file's column type is known
_ANY = "any"


@dataclass(frozen=True)
class KindSpec:
    columns: Mapping[str, str]
    required: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...] = ()  # at least one of these column groups is present


SPECS: dict[Kind, KindSpec] = {
    "leads": KindSpec(
        columns={
            "lead_id": _TEXT,
            "created_at": _TIME,
            "source_id": _ANY,
            "source": _TEXT,
            "utm_source": _TEXT,
            "utm_medium": _TEXT,
            "utm_campaign": _TEXT,
            "status": _TEXT,
            "email": _TEXT,
            "converted_at": _TIME,
            "value": _ANY,
            "lost": _ANY,
            "junk": _ANY,
        },
        required=("lead_id", "created_at"),
    ),
    "touches": KindSpec(
        columns={
            "touch_id": _TEXT,
            "lead_id": _TEXT,
            "occurred_at": _TIME,
            "channel": _TEXT,
            "source_id": _ANY,
            "source": _TEXT,
            "utm_source": _TEXT,
            "utm_medium": _TEXT,
            "utm_campaign": _TEXT,
        },
        required=("lead_id", "occurred_at"),
        one_of=(("channel",), ("source_id",), ("source",), ("utm_source", "utm_medium")),
    ),
    "revenue": KindSpec(
        columns={
            "event_id": _TEXT,
            "lead_id": _TEXT,
            "occurred_at": _TIME,
            "amount": _ANY,
            "kind": _TEXT,
            "currency": _TEXT,
        },
        required=("event_id", "lead_id", "occurred_at", "amount"),
    ),
    "spend": KindSpec(
        columns={
            "date": _ANY,
            "source_id": _ANY,
            "source": _TEXT,
            "channel": _TEXT,
            "amount": _ANY,
            "campaign": _TEXT,
            "currency": _TEXT,
        },
        required=("date", "amount"),
        one_of=(("source_id",), ("source",), ("channel",)),
    ),
}

# Columns of a kind's validate query that only pass on columns of the file (the file's column
# or columns they come from): NULL on every row when the file has none of those, and then not
# stored (see sql/ingest/store_valid.sql).
PASSED_ON: dict[Kind, dict[str, tuple[str, ...]]] = {
    "leads": {
        "utm_source": ("utm_source",),
        "utm_medium": ("utm_medium",),
        "utm_campaign": ("utm_campaign",),
        "status": ("status",),
        "email_sha256": ("email",),
        "converted_at": ("converted_at",),
        "value": ("value",),
    },
    "touches": {
        "touch_id": ("touch_id",),
        "channel": ("channel",),
        "source_id": ("source_id", "source"),
        "utm_source": ("utm_source",),
        "utm_medium": ("utm_medium",),
        "utm_campaign": ("utm_campaign",),
    },
    "revenue": {},
    "spend": {"channel": ("channel",), "source_id": ("source_id", "source")},
}

# A type as DuckDB names it (VARCHAR, DECIMAL(22,6)): the only shape pasted into SQL text.
_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9_ ]*(\(\d+(, ?\d+)?\))?")

# The CRM's own lead export (`--format crm`): its names for our columns.
CRM_LEADS_MAP = {
    "id": "lead_id",
    "dateadded": "created_at",
    "source": "source_id",
    "date_converted": "converted_at",
    "lead_value": "value",
}

_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}

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


def file_format(path: Path, requested: str, name: str | None = None) -> tuple[str, str]:
    """(reader, label): which reader opens the file, and the format recorded for the batch.

    A name ending in .gz is read through gzip, by the extension before it (leads.csv.gz)."""
    if requested == "json_array":  # an API body: a JSON array of records
        return "json_array", "json"
    if requested not in FORMATS:
        raise IngestError(f"unknown format {requested!r}; use one of {', '.join(FORMATS)}")
    if requested in ("csv", "parquet", "jsonl"):
        return requested, requested
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = Path(path.stem).suffix.lower()
    reader = _SUFFIXES.get(suffix)
    if reader is None:
        name = name or path.name
        # A workbook, an archive, a Parquet file: say what it is rather than ask for --format.
        what = sniff.content_problem(path, name, "csv") if path.is_file() else None
        raise IngestError(
            what
            or f"cannot tell the format of {name} from its extension; "
            "pass --format csv, parquet or jsonl"
        )
    return reader, ("crm" if requested == "crm" else reader)


def _resolve_columns(
    kind: Kind, found: list[tuple[str, str]], column_map: Mapping[str, str], file: str
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Canonical column -> (file column, its type), and the file's columns left unused."""
    spec = SPECS[kind]
    for new in column_map.values():
        if new not in spec.columns:
            raise IngestError(
                f"--map names {new!r}, which {kind} do not have; "
                f"their columns are: {', '.join(spec.columns)}"
            )
    chosen: dict[str, tuple[str, str]] = {}
    extra: list[str] = []
    for name, col_type in found:
        key = name.strip().lower()
        target = column_map.get(key, key)
        if target not in spec.columns:
            extra.append(name)
            continue
        if target in chosen:
            raise IngestError(
                f"{file}: columns {chosen[target][0]!r} and {name!r} both give {target}; "
                "rename or drop one (--map)"
            )
        chosen[target] = (name, col_type)
    missing = [c for c in spec.required if c not in chosen]
    shown = ", ".join(_printable(n) for n, _ in found)
    if missing:
        raise IngestError(
            f"{file} lacks required {kind} column(s): {', '.join(missing)}. "
            f"Its columns: {shown or 'none'}. "
            "Rename with --map FILE_COLUMN=COLUMN."
        )
    if spec.one_of and not any(all(c in chosen for c in group) for group in spec.one_of):
        options = " or ".join(" + ".join(g) for g in spec.one_of)
        raise IngestError(
            f"{file} has no column saying what each row is about: give {options}. "
            f"Its columns: {shown}."
        )
    return chosen, extra


def _time_expr(ident: str, col_type: str) -> str:
    """A UTC timestamp from a column of this type; zone-less values read in the session zone."""
    if col_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone('UTC', {ident})"
    if col_type == "VARCHAR":
        ident = f"NULLIF(trim({ident}), '')"
    return f"timezone('UTC', TRY_CAST({ident} AS TIMESTAMPTZ))"


def _norm_view(kind: Kind, chosen: Mapping[str, tuple[str, str]], utc_naive: bool) -> str:
    """The view that renames the file's columns to ours (identifiers quoted, none from values).

    Time columns come with a `<name>_given` flag, so that SQL can tell missing from unreadable.
    utc_naive: zone-less timestamps are UTC, so a TIMESTAMP column needs no conversion."""
    exprs = ["_ingest_row AS row_number"]
    for col, how in SPECS[kind].columns.items():
        out = quote_ident(col)
        if col not in chosen:
            null = "CAST(NULL AS TIMESTAMP)" if how == _TIME else "CAST(NULL AS VARCHAR)"
            exprs.append(f"{null} AS {out}")
            if how == _TIME:
                exprs.append(f"false AS {quote_ident(col + '_given')}")
            continue
        src, col_type = chosen[col]
        ident = quote_ident(src)
        if how == _TIME:
            plain = utc_naive and col_type.startswith("TIMESTAMP") and "TIME ZONE" not in col_type
            value = f"CAST({ident} AS TIMESTAMP)" if plain else _time_expr(ident, col_type)
            given = f"NULLIF(trim({ident}), '')" if col_type == "VARCHAR" else ident
            exprs.append(f"{value} AS {out}")
            exprs.append(f"{given} IS NOT NULL AS {quote_ident(col + '_given')}")
        elif how == _TEXT or col_type == "VARCHAR":
            exprs.append(f"NULLIF(trim(CAST({ident} AS VARCHAR)), '') AS {out}")
        else:
            exprs.append(f"{ident} AS {out}")
    # Every identifier above went through quote_ident; no value is pasted in.
    select = ", ".join(exprs)
    return f"CREATE OR REPLACE TEMP VIEW ingest_norm AS SELECT {select} FROM ingest_src"  # noqa: S608


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
        reader, label = file_format(path, requested_format, name)
        mapping = dict(column_map or {})
        if label == "crm":
            if k != "leads":
                raise IngestError("--format crm is the CRM's lead export: use it with `leads`")
            mapping = {**CRM_LEADS_MAP, **mapping}
        started = time.perf_counter()
        summary = BatchSummary(kind=k, file=name, file_format=label)
        sha = _examine(path, name, reader)
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
                with wh.writing("data"):
                    self._run_batch(wh, staged, label, sha, summary, tick)
                    if summary.sources_created:  # the registry changed too, rows unsaid
                        wh.note_change(("registry",), Change())
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
        _read(wh, path, reader, name)
        found = [
            (str(n), str(t)) for n, t in wh.fetchall("ingest/describe_src") if n != "_ingest_row"
        ]
        if reader == "csv" and len(found) == 1 and any(d in found[0][0] for d in ",;\t|"):
            # DuckDB finds no delimiter when a line has more or fewer fields than the header.
            raise IngestError(
                sniff.ragged_line(path, name)
                or f"{name} was read as one single column, "
                f"{_printable(found[0][0])[:80]!r}: its rows do not all have the same number "
                "of fields as its header line. Fix those rows, or quote the fields that "
                "hold the delimiter."
            )
        chosen, summary.extra_columns = _resolve_columns(k, found, mapping, name)
        utc = self.settings.ingest.timezone == "UTC"
        wh.execute_text(_norm_view(k, chosen, utc), name="ingest_norm")
        staged = _Staged(k, path, reader, name, mapping, chosen)
        # Names of unknown sources are created under the lock, and validated after that.
        staged.creates = (
            self.settings.ingest.unknown_sources == "create"
            and k != "revenue"
            and "source" in chosen
        )
        tick("validating", 1, steps)
        with _read_lazily(wh, path, reader, name):  # the statements that read the file
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
            with _read_lazily(wh, path, reader, name):  # the statements that read the file
                if staged.creates:
                    summary.sources_created = _count(wh.execute("ingest/create_sources"))
                if not self._still_valid(wh, staged):
                    self._validate(wh, staged, summary)
                tick("quarantining", 3, steps)
                wh.execute("ingest/insert_rejected", {"batch_id": batch_id})
            tick("loading", 4, steps)
            self._load(wh, k, batch_id, summary)
            summary.duplicates = summary.rows_read - summary.rejected - summary.loaded
            summary.duplicates -= summary.updated
            tick("committing", 5, steps)
            nothing_new = not (summary.loaded or summary.updated or summary.sources_created)
            # Only a batch that added nothing can be a repeat: look for its file only then.
            previous = nothing_new and wh.fetchone(
                "ingest/find_loaded_file", {"kind": k, "sha256": sha}
            )
            if previous:
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
            wh.execute("ingest/resolve_sources")
        self._store_valid(wh, staged.kind, staged.chosen)
        read, rejected, repeats = wh.fetchone("ingest/count_valid") or (0, 0, 0)
        summary.rows_read, summary.rejected = int(read), int(rejected)
        if repeats:
            wh.execute("ingest/drop_key_repeats")
        summary.top_reasons = [
            (str(r), int(n)) for r, n in wh.fetchall("ingest/top_reasons", {"limit": 5})
        ]
        wh.execute("ingest/stage_rejected")  # quarantined by ingest/insert_rejected

    def _still_valid(self, wh: Warehouse, staged: _Staged) -> bool:
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
        absent = [c for c, given in PASSED_ON[kind].items() if not any(g in chosen for g in given)]
        types = _valid_types(wh, kind, chosen, query, params) if absent else {}
        nulls = ""
        for col in absent:
            if not _TYPE_NAME.fullmatch(types[col]):
                raise WarehouseError(f"unexpected type {types[col]!r} of ingest_valid.{col}")
            nulls += f", CAST(NULL AS {types[col]}) AS {quote_ident(col)}"
        excluded = ", ".join(quote_ident(c) for c in absent)
        columns = f"* EXCLUDE ({excluded})" if absent else "*"
        wh.execute_text(
            fill("ingest/store_valid", columns=columns, query=query),
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


def _read(wh: Warehouse, path: Path, reader: str, name: str) -> None:
    """Expose the file as the temporary view ingest_src, numbered by _ingest_row from 1."""
    if path.stat().st_size == 0:
        raise IngestError(f"{name} is empty: it has no header and no rows")
    try:
        if reader == "parquet":
            columns = wh.con.read_parquet(str(path)).columns
            if any(c.lower() == "file_row_number" for c in columns):
                # DuckDB's own row numbers would clash with the file's column: copy and number.
                wh.execute("ingest/read_parquet", {"path": str(path)})
                _number_rows(wh)
                return
            # Parquet keeps its own row numbers: read it in place instead of copying it.
            rel = wh.con.read_parquet(str(path), file_row_number=True)
            rel = rel.project("file_row_number + 1 AS _ingest_row, * EXCLUDE (file_row_number)")
            wh.con.register("ingest_src", rel)  # this connection only, like a temp view
        else:
            with wh.failures_expected():  # a file DuckDB cannot read is the user's to fix
                wh.execute(f"ingest/read_{reader}", {"path": str(path)})
            _number_rows(wh)
    except (WarehouseError, duckdb.Error, RuntimeError) as exc:
        # RuntimeError: DuckDB's Python binding cannot decode a damaged file's metadata.
        ragged = "Expected Number of Columns" in str(exc) and sniff.ragged_line(path, name)
        raise IngestError(
            ragged or f"cannot read {name} as {reader}: {_why(exc, path, name, reader)}"
        ) from None


def _number_rows(wh: Warehouse) -> None:
    """ingest_src over ingest_file, numbered in file order by the table's rowid. A column of the
    file named rowid hides that pseudo-column, so it is set aside for the numbering and keeps
    its own name in the view."""
    clash = next(
        (str(n) for (n,) in wh.fetchall("ingest/describe_file") if n.lower() == "rowid"), None
    )
    if clash is None:
        wh.execute("ingest/src_from_table")
        return
    aside, original = quote_ident("_ingest_file_rowid"), quote_ident(clash)
    wh.execute_text(
        f"ALTER TABLE ingest_file RENAME COLUMN {original} TO {aside}", name="ingest_rowid_aside"
    )
    # Both identifiers went through quote_ident; no value is pasted in.
    wh.execute_text(
        "CREATE OR REPLACE TEMP VIEW ingest_src AS "  # noqa: S608
        "SELECT rowid - (SELECT min(rowid) FROM ingest_file) + 1 AS _ingest_row, "
        f"* RENAME ({aside} AS {original}) FROM ingest_file",
        name="ingest_src_rowid",
    )


def _examine(path: Path, name: str, reader: str) -> str:
    """The file's SHA-256, after refusing a file of another type (a workbook, an archive) or,
    for text, one that is not UTF-8: DuckDB reads only UTF-8 and says so less clearly."""
    problem = sniff.content_problem(path, name, reader)
    if problem:
        raise IngestError(problem)
    text = reader != "parquet" and not sniff.compressed(path)
    sha, bad = sniff.digest(path, text=text)
    if bad is not None:
        raise IngestError(sniff.not_utf8(name, bad))
    return sha


def _why(exc: BaseException, path: Path, name: str, reader: str) -> str:
    """What DuckDB says is wrong with the file, in one line, without SQL context or local paths."""
    if isinstance(exc, RuntimeError):
        return "the file is damaged: its metadata cannot be decoded"
    detail = str(exc.__cause__ if isinstance(exc, WarehouseError) and exc.__cause__ else exc)
    lines = [line.strip() for line in detail.strip().splitlines() if line.strip()]
    first = lines[0] if lines else "unreadable"
    if "not utf-8 encoded" in detail:  # a .gz file: its text is not looked into before
        first = "it is not UTF-8 text: save it as UTF-8 and load that"
    elif "CSV Error on Line" in first or "Error when sniffing" in first:
        # The reason is on the next line (after the line itself, for a CSV error).
        reason = next((x for x in lines[1:] if not x.startswith("Original Line")), "")
        first = f"{first.rstrip('.')}: {reason}" if reason else first
    elif "expected records" in first:  # also when there is no object at all, as in []
        first = "it must hold JSON objects with fields, {...}, one a line, and nothing else"
        if reader == "json_array":
            first = "the array must hold JSON objects with fields, {...}, and nothing else"
    first = first.replace(str(path), name).replace(str(path.parent) + "/", "")
    return _printable(first)[:300]


def _printable(text: str) -> str:
    """Text from a file, safe in a message: control and format characters as U+FFFD."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


# DuckDB's errors of reading a damaged Parquet file (not of our SQL): exact types.
_READ_ERRORS = (duckdb.Error, duckdb.IOException, duckdb.InvalidInputException)


@contextmanager
def _read_lazily(wh: Warehouse, path: Path, reader: str, name: str) -> Iterator[None]:
    """A Parquet file is read in place by the statements that use it, so a damaged page shows
    up there: refuse the file as when it cannot be opened."""
    try:
        if reader == "parquet":
            with wh.failures_expected():  # logged at DEBUG; an error of ours is raised still
                yield
        else:
            yield
    except WarehouseError as exc:
        cause = exc.__cause__
        if reader != "parquet" or cause is None or type(cause) not in _READ_ERRORS:
            raise
        raise IngestError(
            f"cannot read {name} as {reader}: {_why(cause, path, name, reader)}"
        ) from None


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


class _AlreadyLoaded(Exception):
    """Raised inside the batch transaction to roll back a repeat of a loaded file."""
