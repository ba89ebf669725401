"""What ingest takes: the kinds of record, the file formats, and column maps (no I/O here, so
the command line can name them without loading the warehouse)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from attribution.errors import IngestError

Kind = Literal["leads", "touches", "revenue", "spend"]
KINDS: tuple[Kind, ...] = ("leads", "touches", "revenue", "spend")
FORMATS = ("auto", "csv", "parquet", "jsonl", "crm")


def parse_map(items: Sequence[str]) -> dict[str, str]:
    """`old=new` pairs from the command line into a mapping of lower-cased names."""
    out: dict[str, str] = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise IngestError(f"--map {item!r} is not OLD=NEW (for example --map dt=created_at)")
        out[old.strip().lower()] = new.strip().lower()
    return out
