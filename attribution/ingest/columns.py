"""The columns each kind of file gives, and the view that renames a file's columns to ours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from attribution.errors import IngestError
from attribution.ingest import sniff
from attribution.ingest.kinds import Kind
from attribution.warehouse.statements import quote_ident

# Columns each kind reads. Text columns are trimmed (empty = missing); others keep the file's
# type so that Parquet timestamps and numbers are not round-tripped through text.
_TEXT = "text"
_TIME = "time"  # read as UTC timestamps here, where the file's column type is known
_ANY = "any"
_ID = "id"  # an integer id however the file types it: read as its text, checked in SQL


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
            "source_id": _ID,
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
            "source_id": _ID,
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
            "source_id": _ID,
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

# The CRM's own lead export (`--format crm`): its names for our columns.
CRM_LEADS_MAP = {
    "id": "lead_id",
    "dateadded": "created_at",
    "source": "source_id",
    "date_converted": "converted_at",
    "lead_value": "value",
}


def resolve_columns(
    kind: Kind, found: list[tuple[str, str]], column_map: Mapping[str, str], file: str
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Canonical column -> (file column, its type), and the file's columns left unused."""
    spec = SPECS[kind]
    # Names as the file's columns are matched, whoever built the map (the CLI and API lower it).
    column_map = {k.strip().lower(): v.strip().lower() for k, v in column_map.items()}
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
    shown = ", ".join(sniff.printable(n) for n, _ in found)
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
    elif col_type == "JSON":
        # Values of mixed types: a string's text, read as text is. JSON's own cast to a
        # timestamp took zone-less values as UTC, whatever the session's zone.
        ident = f"NULLIF(trim(json_extract_string({ident}, '$')), '')"
    return f"timezone('UTC', TRY_CAST({ident} AS TIMESTAMPTZ))"


def norm_view(kind: Kind, chosen: Mapping[str, tuple[str, str]], utc_naive: bool) -> str:
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
        elif col_type == "JSON" and how in (_TEXT, _ID):
            # A JSON column (values of mixed types): a string's text, not its quoted JSON.
            exprs.append(f"NULLIF(trim(json_extract_string({ident}, '$')), '') AS {out}")
        elif how in (_TEXT, _ID) or col_type == "VARCHAR":
            exprs.append(f"NULLIF(trim(CAST({ident} AS VARCHAR)), '') AS {out}")
        else:
            exprs.append(f"{ident} AS {out}")
    # Every identifier above went through quote_ident; no value is pasted in.
    select = ", ".join(exprs)
    return f"CREATE OR REPLACE TEMP VIEW ingest_norm AS SELECT {select} FROM ingest_src"  # noqa: S608
