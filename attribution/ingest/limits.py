"""Size limits of one file, checked before DuckDB reads it: columns, rows, decompressed bytes.

A 2 MB .csv.gz or a 300 KB Parquet file can hold tens of millions of rows; a JSON record with
tens of thousands of keys makes DuckDB's work grow with the square of them. These checks read
only what they must: a Parquet file's metadata, a text file's first lines and a stream count of
its lines (a .gz file decompressed on the fly, stopped as soon as it passes a limit)."""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from attribution.config import Settings
from attribution.errors import IngestLimitError
from attribution.ingest import sniff

_CHUNK = 1 << 20
_HEAD = 16 << 20  # the first line (CSV header) or records (JSON) looked at for their columns
_SAMPLE = 1000  # JSON records whose keys are counted


@dataclass(frozen=True)
class Limits:
    """The limits of one surface, with the config keys that set them (named in refusals)."""

    max_columns: int
    max_rows: int
    max_decompressed_bytes: int
    max_ratio: float | None = None  # uploads only: decompressed bytes per uploaded byte
    rows_key: str = "ingest.max_rows"
    bytes_key: str = "ingest.max_decompressed_bytes"

    @classmethod
    def cli(cls, settings: Settings) -> Limits:
        ing = settings.ingest
        return cls(ing.max_columns, ing.max_rows, ing.max_decompressed_bytes)

    @classmethod
    def upload(cls, settings: Settings) -> Limits:
        api = settings.api
        return cls(
            settings.ingest.max_columns,
            api.max_upload_rows,
            api.max_decompressed_bytes,
            api.max_compression_ratio,
            rows_key="api.max_upload_rows",
            bytes_key="api.max_decompressed_bytes",
        )


def check(path: Path, name: str, reader: str, limits: Limits) -> None:
    """Raise IngestLimitError when the file passes one of the limits (unreadable files pass:
    the reader says what is wrong with them)."""
    if reader == "parquet":
        _check_parquet(path, name, limits)
    else:
        _check_text(path, name, reader, limits)


def _refuse(name: str, what: str, found: str, limit: float, key: str) -> IngestLimitError:
    return IngestLimitError(
        f"{name} {what} {found}; the limit is {limit:,} (`{key}`). "
        "Split the file or drop what is not needed, or raise the limit in the configuration."
    )


def _columns(name: str, count: int, limits: Limits) -> None:
    if count > limits.max_columns:
        raise _refuse(name, "has", f"{count:,} columns", limits.max_columns, "ingest.max_columns")


def _check_parquet(path: Path, name: str, limits: Limits) -> None:
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception:  # damaged or not Parquet: DuckDB's reader says which
        return
    _columns(name, meta.num_columns, limits)
    if meta.num_rows > limits.max_rows:
        raise _refuse(name, "has", f"{meta.num_rows:,} rows", limits.max_rows, limits.rows_key)
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    _expanded(name, size, path.stat().st_size, limits)


def _expanded(name: str, size: int, stored: int, limits: Limits) -> None:
    if size > limits.max_decompressed_bytes:
        raise _refuse(
            name,
            "expands to more than",
            f"{limits.max_decompressed_bytes:,} bytes",
            limits.max_decompressed_bytes,
            limits.bytes_key,
        )
    if limits.max_ratio is not None and size > limits.max_ratio * max(stored, 1):
        raise _refuse(
            name,
            "expands more than",
            f"{limits.max_ratio:g} times its size",
            limits.max_ratio,
            "api.max_compression_ratio",
        )


def _check_text(path: Path, name: str, reader: str, limits: Limits) -> None:
    """One streaming pass: columns from the head, lines counted, bytes after gzip counted."""
    packed = sniff.compressed(path)
    stored = path.stat().st_size
    head = b""
    looked = False
    lines = 0
    total = 0
    try:
        with gzip.open(path, "rb") if packed else path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                if not looked:
                    head += chunk[: _HEAD - len(head)]
                    if len(head) >= _HEAD or (reader == "csv" and b"\n" in head):
                        _head_columns(name, reader, head, limits)
                        looked = True
                total += len(chunk)
                lines += chunk.count(b"\n")
                if packed:
                    _expanded(name, total, stored, limits)
                if reader != "json_array" and lines - (reader == "csv") > limits.max_rows:
                    rows = f"{limits.max_rows:,} rows"
                    raise _refuse(name, "has more than", rows, limits.max_rows, limits.rows_key)
    except (OSError, EOFError, zlib.error):
        return  # a damaged .gz file: the reader says so
    if not looked and head:
        _head_columns(name, reader, head, limits)


def _fields(line: str, delimiter: str) -> int:
    """Fields of a CSV line; a line Python's reader cannot parse (a bare carriage return inside
    it) counts its delimiters, at most one field too many: the file's reader says what is
    wrong with it."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:
        return line.count(delimiter) + 1


def _head_columns(name: str, reader: str, head: bytes, limits: Limits) -> None:
    """Columns of a CSV header line, or distinct keys of the first JSON records."""
    text = head.decode("utf-8", errors="replace")
    if reader == "csv":
        line = text.split("\n", 1)[0]
        _columns(name, max(_fields(line, d) for d in ",;\t|"), limits)
        return
    keys: set[str] = set()
    decoder = json.JSONDecoder()
    pos = 0
    if reader == "json_array":
        pos = text.find("[") + 1
    for _ in range(_SAMPLE):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        try:
            record, pos = decoder.raw_decode(text, pos)
        except ValueError:
            break  # cut off at the end of the head, or not JSON: the reader says so
        except RecursionError:  # Python's reader stops at about a thousand levels
            raise IngestLimitError(
                f"{name} holds a value nested hundreds of levels deep; give each record plain "
                "fields (text, numbers, dates) and load that"
            ) from None
        if isinstance(record, dict):
            keys.update(record)
            _columns(name, len(keys), limits)
