"""Reading a file for ingest: its format, its checks before DuckDB, and the view ingest_src
over it; DuckDB's complaints about it put in one line for the user."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from attribution.errors import IngestError, WarehouseError
from attribution.ingest import sniff
from attribution.ingest.kinds import FORMATS
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import quote_ident

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
    if suffix == ".json" and _opens_an_array(path):
        return "json_array", "json"  # one JSON array of records, as an API body
    return reader, ("crm" if requested == "crm" else reader)


def _opens_an_array(path: Path) -> bool:
    """Whether a .json file's text starts with `[` (a JSON array), not `{` (JSON Lines)."""
    try:
        opener = gzip.open if sniff.compressed(path) else open
        with opener(path, "rb") as f:
            head = f.read(4096)
    except (OSError, EOFError):
        return False  # the reader's own checks say what is wrong with it
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def read(wh: Warehouse, path: Path, reader: str, name: str) -> None:
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


def examine(path: Path, name: str, reader: str) -> str:
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


# DuckDB names its error's class first ("Invalid Input Error: ..."): the reader's words follow.
_ENGINE_PREFIX = re.compile(r"^(?:[A-Z][a-z]+ )+Error: ")


def _why(exc: BaseException, path: Path, name: str, reader: str) -> str:
    """What DuckDB says is wrong with the file, in one line, without SQL context or local paths."""
    if isinstance(exc, RuntimeError):
        return "the file is damaged: its metadata cannot be decoded"
    detail = str(exc.__cause__ if isinstance(exc, WarehouseError) and exc.__cause__ else exc)
    lines = [line.strip() for line in detail.strip().splitlines() if line.strip()]
    first = _ENGINE_PREFIX.sub("", lines[0]) if lines else "unreadable"
    if "not utf-8 encoded" in detail:  # a .gz file: its text is not looked into before
        first = "it is not UTF-8 text: save it as UTF-8 and load that"
    elif "Error when sniffing" in first:  # no delimiter, quoting and columns fit every line
        first = (
            "its delimiter, quoting and columns could not be told apart; save it as CSV text "
            "with a header line and one record a line, and load that"
        )
    elif "CSV Error on Line" in first:
        # The reason is on the next line (after the line itself, for a CSV error).
        reason = next((x for x in lines[1:] if not x.startswith("Original Line")), "")
        first = f"{first.rstrip('.')}: {reason}" if reason else first
    elif "expected records" in first:  # also when there is no object at all, as in []
        first = "it must hold JSON objects with fields, {...}, one a line, and nothing else"
        if reader == "json_array":
            first = "the array must hold JSON objects with fields, {...}, and nothing else"
    first = first.replace(str(path), name).replace(str(path.parent) + "/", "")
    return sniff.printable(first)[:300]


# DuckDB's errors of reading a damaged Parquet file (not of our SQL): exact types.
READ_ERRORS = (duckdb.Error, duckdb.IOException, duckdb.InvalidInputException)


@contextmanager
def read_lazily(wh: Warehouse, path: Path, reader: str, name: str) -> Iterator[None]:
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
        if reader != "parquet" or cause is None or type(cause) not in READ_ERRORS:
            raise
        raise IngestError(
            f"cannot read {name} as {reader}: {_why(cause, path, name, reader)}"
        ) from None
