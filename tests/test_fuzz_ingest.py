"""Ingest under bad input: property-based fuzzing of every format for every kind.

The property, for any file: `Pipeline.ingest` either

- refuses it with an AttributionError whose message is clear (not empty, no traceback, no
  DuckDB internals such as binder errors or SQL context) and leaves the warehouse exactly as it
  was (the same row count in every table, no new batch), or
- loads it as one whole batch: loaded + updated + duplicates + rejected == rows_read, every row
  of the file is read, every rejected row is in rejected_rows with its reason, the fact table
  grew by exactly `loaded`, the batch is recorded as loaded with those counts, and no other
  table changed (apart from the registry's new sources).

Loading the same file again adds nothing. Any other exception fails the test.

Files are built by Hypothesis (derandomized, so every run tries the same files) from columns of
the kind (some dropped, some renamed, extra and clashing ones added) and values from pools of
trouble: far dates, epochs, NaN and infinities, amounts past 16 digits, mixed types, text
with delimiters, quotes, `#` and newlines, repeated keys, 1 MB cells. Then they are serialised
with a random delimiter and encoding (UTF-8, UTF-8 with BOM, UTF-16 with and without BOM,
Latin-1), rows made ragged, or the bytes cut short. Random bytes are tried as every format. A
fixed list of edge cases runs through the same check in two time zones. The bugs it found are
pinned by the plain regression tests at the end."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attribution.config import load_settings
from attribution.errors import AttributionError, IngestError
from attribution.ingest.kinds import KINDS
from attribution.ingest.loader import BatchSummary
from attribution.service.pipeline import Pipeline

FUZZ = settings(
    max_examples=30,  # per kind and format
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMATS = ("csv", "parquet", "jsonl", "crm")
SUFFIX = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl", "crm": ".csv"}
FACT = {"leads": "leads", "touches": "touches", "revenue": "revenue_events", "spend": "spend"}
KNOWN_LEADS = ("G1", "G2", "G3")
MB = 1 << 20

# What a clear message never holds: Python or DuckDB internals, SQL context, control bytes.
LEAKS = (
    "Traceback",
    "duckdb.",
    "_duckdb",
    "statement ingest/",
    "Binder Error",
    "Catalog Error",
    "Internal Error",
    "Parser Error",
    "Invalid Input Error",  # DuckDB's error class, not the reader's words
    "Conversion Error",
    "Candidate functions",
    "LINE ",
    "object at 0x",
    "Possible Solution",
)


# --------------------------------------------------------------------------------------------
# The property
# --------------------------------------------------------------------------------------------


def table_counts(pipe: Pipeline) -> dict[str, int]:
    """Rows of every table of the warehouse."""
    con = pipe.warehouse.con
    names = [
        str(n)
        for (n,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name"
        ).fetchall()
    ]
    counts = {}
    for name in names:
        row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        assert row is not None
        counts[name] = int(row[0])
    return counts


def assert_clear(message: str) -> None:
    assert message.strip(), "an empty message"
    assert len(message) <= 1500, f"a message of {len(message)} characters"
    for leak in LEAKS:
        assert leak not in message, f"{leak!r} in the message: {message!r}"
    controls = [c for c in message if ord(c) < 32 and c not in "\n\t"]
    assert not controls, f"control characters in the message: {message!r}"


def ingest_checked(
    pipe: Pipeline, kind: str, path: Path, fmt: str, rows: int | None
) -> BatchSummary | AttributionError:
    """Ingest one file and check the property; `rows`: data rows the file holds, if known."""
    before = table_counts(pipe)
    try:
        summary = pipe.ingest(kind, path, file_format=fmt)
    except AttributionError as exc:
        assert_clear(str(exc))
        assert table_counts(pipe) == before, "a refused file changed the warehouse"
        return exc
    after = table_counts(pipe)
    if summary.already_loaded_as is not None:
        assert summary.batch_id is None
        assert (summary.loaded, summary.updated, summary.sources_created) == (0, 0, 0)
        assert after == before, "a file loaded before changed the warehouse"
        return summary
    batch = summary.batch_id
    assert batch is not None
    parts = (summary.loaded, summary.updated, summary.duplicates, summary.rejected)
    assert min(parts) >= 0, summary
    assert sum(parts) == summary.rows_read, summary
    if rows is not None:
        assert summary.rows_read == rows, f"{rows} rows in the file, {summary.rows_read} read"
    expected = dict.fromkeys(before, 0)
    expected[FACT[kind]] = summary.loaded
    expected["ingest_batches"] = 1
    expected["rejected_rows"] = summary.rejected
    expected["lead_sources"] = summary.sources_created
    assert {t: after[t] - before[t] for t in after} == expected
    con = pipe.warehouse.con
    record = con.execute(
        "SELECT status, rows_read, rows_loaded, rows_updated, rows_duplicate, rows_rejected, "
        "sources_created FROM ingest_batches WHERE batch_id = ?",
        [batch],
    ).fetchone()
    assert record == (
        "loaded",
        summary.rows_read,
        summary.loaded,
        summary.updated,
        summary.duplicates,
        summary.rejected,
        summary.sources_created,
    )
    assert con.execute(
        "SELECT count(*) FROM ingest_batches WHERE status <> 'loaded'"
    ).fetchone() == (0,)
    rejected = con.execute(
        "SELECT row_number, reason, raw_row FROM rejected_rows WHERE batch_id = ?", [batch]
    ).fetchall()
    assert len(rejected) == summary.rejected
    numbers = [int(n) for n, _, _ in rejected]
    assert len(set(numbers)) == len(numbers), "a row rejected twice"
    assert all(1 <= n <= summary.rows_read for n in numbers), numbers
    assert all(reason and str(reason).strip() for _, reason, _ in rejected)
    for _, _, raw in rejected:
        assert isinstance(json.loads(raw), dict)
    reasons = {part for _, r, _ in rejected for part in str(r).split("; ")}
    assert {r for r, _ in summary.top_reasons} <= reasons
    stored = con.execute(f"SELECT count(*) FROM {FACT[kind]} WHERE batch_id = ?", [batch])
    replaced = summary.updated if kind == "spend" else 0  # replaced spend rows come back
    assert stored.fetchone() == (summary.loaded + replaced,)
    return summary


# --------------------------------------------------------------------------------------------
# The warehouse: one per module, with leads that touches and revenue can name
# --------------------------------------------------------------------------------------------


def open_pipeline(
    folder: Path, zone: str = "UTC", small_upload_bytes: int = 65_536, unknown: str = "create"
) -> Pipeline:
    env = {
        "ATTRIBUTION_INGEST__UNKNOWN_SOURCES": unknown,
        "ATTRIBUTION_WAREHOUSE__PATH": str(folder / "wh.duckdb"),
        "ATTRIBUTION_INGEST__TIMEZONE": zone,
        "ATTRIBUTION_INGEST__CURRENCY_RATES": "{EUR: 1.5, JPY: 0.0067}",
        "ATTRIBUTION_SNAPSHOT__PUBLISH_AFTER_INGEST": "false",
        "ATTRIBUTION_INGEST__SMALL_UPLOAD_BYTES": str(small_upload_bytes),
    }
    pipe = Pipeline.open(load_settings(environ=env))
    seed = folder / "seed.csv"
    seed.write_text(
        "lead_id,created_at\n" + "".join(f"{lead},2026-03-02T10:00:00Z\n" for lead in KNOWN_LEADS)
    )
    assert pipe.ingest("leads", seed).loaded == len(KNOWN_LEADS)
    return pipe


@pytest.fixture(scope="module")
def pipe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with open_pipeline(tmp_path_factory.mktemp("fuzz-ingest")) as p:
        yield p


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("fuzz-files")


_serial = iter(range(10**9))


def write(work: Path, fmt: str, content: bytes) -> Path:
    path = work / f"f{next(_serial)}{SUFFIX[fmt]}"
    path.write_bytes(content)
    return path


# --------------------------------------------------------------------------------------------
# Values: pools of trouble per column
# --------------------------------------------------------------------------------------------

SPECIAL_TEXT = (
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "null",
    "NULL",
    "None",
    "true",
    "0x10",
    "\uff11\uff12",  # full-width digits
    "#1042",
    "# not a comment",
    'say "hi"',
    "a,b;c\td|e",
    "line\nbreak",
    "\r\n",
    "\\",
    "'",
    "ünïcødé ✓",
    "\u202e",
    "=1+1",
)
TIMES = (
    "2026-03-02T10:00:00Z",
    "2026-03-02 10:00",
    "2026-03-02",
    "2026-03-02T10:00:00+05:30",
    "2026-03-29T03:30:00",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2099-12-31T23:59:59",
    "2100-01-01T00:00:00Z",
    "0001-01-01",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59",
    "9999-12-31",
    "294247-01-10 04:00:54",
    "290309-12-22 (BC) 00:00:00",
    "-1",
    "-62135596800",
    "0",
    "1700000000",
    "253402300800",
    "infinity",
    "-infinity",
    "epoch",
    "2026-02-30",
    "3/1/2026",
    "tomorrow",
    "2026-13-01T00:00:00",
)
AMOUNTS = (
    "0",
    "12.5",
    "-3",
    "0.001",
    "1e3",
    "1e400",
    "-1e400",
    "1e30",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "922337204",
    "1000000000",
    "9999999999999999.99",
    "10000000000000000",
    "99999999999999999999999999",
    "5$",
    "1,5",
    " 7 ",
)
BOOLEANS = ("true", "false", "1", "0", "yes", "no", "t", "perhaps", "2", "TRUE")
SOURCE_IDS = ("1", "2", "99", "0", "-1", "1.5", "abc", "9223372036854775808", " 2 ")
SOURCES = ("Google", " google ", "FACEBOOK", "Fuzz Source", "fuzz source", "x" * 151)
CURRENCIES = ("USD", "usd", "EUR", " eur ", "JPY", "GBP", "US", "")
REVENUE_KINDS = ("won", "invoice", "refund", "REFUND", "gift", "")
LEAD_IDS = (*KNOWN_LEADS, "A1", "A2", "#A3", "NOPE")

ANY_VALUE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SPECIAL_TEXT + TIMES + AMOUNTS),
    st.text(max_size=12),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(-5, 5), max_size=2),
)


class Pool:
    """A column's good values and its troubled ones; a file mixes them at its noise level."""

    def __init__(self, good: st.SearchStrategy[Any], trouble: st.SearchStrategy[Any]) -> None:
        self.levels = {
            "clean": st.one_of(*[good] * 9, trouble),
            "noisy": st.one_of(good, good, good, trouble, trouble, st.text(max_size=12), ANY_VALUE),
            "wild": st.one_of(trouble, st.text(max_size=12), ANY_VALUE),
        }


def pool(good: tuple[str, ...], bad: tuple[str, ...] = ()) -> Pool:
    return Pool(st.sampled_from(good), st.sampled_from(bad or good))


NOISE = ("clean", "noisy", "wild")
FRESH = st.text(alphabet="ABCDEFGHJKMNPQRSTVWXYZ0123456789", min_size=4, max_size=8)
GOOD_TIMES = ("2026-03-02T10:00:00Z", "2026-03-02 10:00", "2026-03-02", "2026-03-02T10:00:00+05:30")
TEXT = pool(("Email", "Paid Search", "spring", "cpc", "google", "newsletter"), SPECIAL_TEXT)
VALUES: dict[str, Pool] = {
    "lead_id": pool(KNOWN_LEADS, ("", " ", "#A4", "NOPE", "x" * 300)),
    "event_id": Pool(FRESH, st.sampled_from(["E1", "", "#E5", "NaN"])),
    "touch_id": Pool(st.one_of(FRESH, st.just("")), st.sampled_from(["T1", "#T3", "null"])),
    "created_at": pool(GOOD_TIMES, TIMES),
    "occurred_at": pool(GOOD_TIMES, TIMES),
    "converted_at": pool(("", "2026-03-20T12:00:00Z"), TIMES),
    "date": pool(("2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"), TIMES),
    "amount": pool(("10", "12.50", "0", "99.99"), AMOUNTS),
    "value": pool(("", "100", "0.5"), AMOUNTS),
    "lost": pool(("", "false", "0"), BOOLEANS),
    "junk": pool(("", "false", "1"), BOOLEANS),
    "source_id": pool(("", "1", "2"), SOURCE_IDS),
    "source": pool(("", "Google", "Facebook"), SOURCES),
    "currency": pool(("", "USD", "EUR"), CURRENCIES),
    "kind": pool(("", "won", "invoice", "refund"), REVENUE_KINDS),
    "channel": pool(("Email", "Display", "Paid Search"), SPECIAL_TEXT),
    "campaign": pool(("", "spring", "autumn"), SPECIAL_TEXT),
}
# New leads for a leads file; touches and revenue name the leads already loaded.
LEAD_VALUES = {
    "lead_id": Pool(st.one_of(FRESH, st.sampled_from(LEAD_IDS)), VALUES["lead_id"].levels["wild"])
}


COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": (
        "lead_id",
        "created_at",
        "source_id",
        "source",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "status",
        "email",
        "converted_at",
        "value",
        "lost",
        "junk",
    ),
    "touches": (
        "touch_id",
        "lead_id",
        "occurred_at",
        "channel",
        "source_id",
        "source",
        "utm_source",
        "utm_medium",
        "utm_campaign",
    ),
    "revenue": ("event_id", "lead_id", "occurred_at", "amount", "kind", "currency"),
    "spend": ("date", "source_id", "source", "channel", "amount", "campaign", "currency"),
}
# Columns without which a file of the kind is refused whole.
NEEDED = {
    "leads": ("lead_id", "created_at"),
    "touches": ("lead_id", "occurred_at", "channel"),
    "revenue": ("event_id", "lead_id", "occurred_at", "amount"),
    "spend": ("date", "amount", "channel"),
}
# The CRM's lead export names these columns its own way (`--format crm`).
CRM_NAMES = {
    "lead_id": "id",
    "created_at": "dateadded",
    "source_id": "source",
    "converted_at": "date_converted",
    "value": "lead_value",
}
EXTRA_COLUMNS = (
    "notes",
    "name",
    "rowid",
    "ROWID",
    "_ingest_row",
    "file_row_number",
    "row_number",
    "Lead_ID",
    " created_at ",
    "ünïcode",
    "a,b",
    'quo"te',
    "",
)


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True one time in n. Hypothesis starts from the first of sampled values, so the usual
    case comes first (st.integers(0, n) == 0 would start from the rare one)."""
    return st.sampled_from([False] * (n - 1) + [True])


class Sample:
    """A file's bytes, the data rows it holds (None once its bytes were mangled), and how it
    was made."""

    def __init__(self, content: bytes, rows: int | None, note: str) -> None:
        self.content, self.rows, self.note = content, rows, note

    def __repr__(self) -> str:  # short, for Hypothesis' falsifying example
        head = self.content[:400]
        return f"Sample({self.note}, rows={self.rows}, {len(self.content)} bytes: {head!r})"


@st.composite
def tables(draw: st.DrawFn, kind: str, crm: bool) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names (the file's, extras included) and rows of values keyed by them."""
    own = list(COLUMNS["leads" if crm else kind])
    keep = draw(st.lists(st.sampled_from(own), unique=True, min_size=0, max_size=len(own)))
    if not draw(one_in(8)):  # mostly: the columns the kind needs are there
        needed = list(NEEDED[kind])
        keep = needed + [c for c in keep if c not in needed]
    canonical = list(keep)
    names = [CRM_NAMES.get(c, c) if crm else c for c in canonical]
    names = [n.upper() if draw(one_in(20)) else n for n in names]
    extras = []
    if draw(one_in(3)):  # now and then columns the kind does not use
        extras = draw(st.lists(st.sampled_from(EXTRA_COLUMNS), unique=True, max_size=2))
    for extra in extras:
        if extra.strip().lower() not in (n.lower() for n in names):
            names.append(extra)
            canonical.append(extra)
    order = draw(st.permutations(range(len(names))))
    names = [names[i] for i in order]
    canonical = [canonical[i] for i in order]
    count = draw(st.one_of(st.integers(1, 6), st.just(0)))
    noise = draw(st.sampled_from(NOISE))
    values = {**VALUES, **LEAD_VALUES} if kind == "leads" else VALUES
    rows = []
    for _ in range(count):
        row = {}
        for name, column in zip(names, canonical, strict=True):
            row[name] = draw(values.get(column, TEXT).levels[noise])
        rows.append(row)
    huge = draw(one_in(25))  # now and then a 1 MB cell
    if rows and huge:
        victim = draw(st.sampled_from(names)) if names else None
        if victim is not None:
            rows[draw(st.integers(0, len(rows) - 1))][victim] = "X" * MB
    if len(rows) >= 2 and draw(st.booleans()):  # repeated keys within the file
        rows.append(dict(rows[0]))
    return names, rows


def cell(value: Any) -> str:
    """A value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


ENCODINGS = ("utf-8",) * 8 + ("utf-8-sig", "utf-16", "utf-16-le", "latin-1")


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@st.composite
def csv_files(draw: st.DrawFn, kind: str, crm: bool = False) -> Sample:
    names, rows = draw(tables(kind, crm))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(names)
    lines = [[cell(r[n]) for n in names] for r in rows]
    ragged = bool(lines) and draw(one_in(10))
    if ragged:
        victim = lines[draw(st.integers(0, len(lines) - 1))]
        if draw(st.booleans()):
            victim.append("surplus")
        elif victim:
            victim.pop()
    writer.writerows(lines)
    text = buffer.getvalue()
    header_only = not rows
    encoding = draw(st.sampled_from(ENCODINGS))
    note = f"csv {encoding} delimiter={delimiter!r} ragged={ragged} header_only={header_only}"
    return Sample(encode(text, encoding), len(rows), note)


@st.composite
def jsonl_files(draw: st.DrawFn, kind: str) -> Sample:
    _, rows = draw(tables(kind, False))
    lines = []
    for row in rows:
        kept = {k: v for k, v in row.items() if not draw(one_in(6))}  # sparse records
        lines.append(json.dumps(kept, allow_nan=True, ensure_ascii=draw(st.booleans())))
    text = "".join(line + "\n" for line in lines)
    encoding = draw(st.sampled_from(ENCODINGS))
    return Sample(encode(text, encoding), len(rows), f"jsonl {encoding}")


TIME_COLUMNS = ("created_at", "occurred_at", "converted_at", "date")
PARQUET_TYPES = ("string", "int", "float", "bool", "timestamp", "timestamptz", "date", "list")


def arrow_column(kind_of: str, values: list[Any]) -> Any:
    """A pyarrow array of this type from drawn values (None where a value does not fit)."""
    if kind_of == "string":
        return pa.array([None if v is None else cell(v) for v in values], pa.string())
    if kind_of == "int":
        return pa.array([v if type(v) is int and abs(v) < 2**63 else None for v in values])
    if kind_of == "float":
        return pa.array(
            [float(v) if isinstance(v, int | float) and abs(v) < 2**1000 else None for v in values],
            pa.float64(),
        )
    if kind_of == "bool":
        return pa.array([v if isinstance(v, bool) else None for v in values], pa.bool_())
    if kind_of == "list":
        return pa.array([v if isinstance(v, list) else None for v in values])
    raise AssertionError(kind_of)


@st.composite
def parquet_files(draw: st.DrawFn, kind: str) -> Sample:
    names, rows = draw(tables(kind, False))
    arrays = []
    for name in names:
        natural = "timestamp" if name.strip().lower() in TIME_COLUMNS else "string"
        typed = draw(st.sampled_from([natural] * len(PARQUET_TYPES) + list(PARQUET_TYPES)))
        if typed in ("timestamp", "timestamptz", "date"):
            moments = draw(
                st.lists(
                    st.one_of(
                        st.none(),
                        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
                        st.sampled_from(
                            [datetime(2026, 3, 2, 10), datetime(1970, 1, 1), datetime(2099, 12, 31)]
                        ),
                    ),
                    min_size=len(rows),
                    max_size=len(rows),
                )
            )
            if typed == "date":
                arrays.append(pa.array([m.date() if m else None for m in moments], pa.date32()))
            else:
                zone = "UTC" if typed == "timestamptz" else None
                stamps = [m.replace(tzinfo=UTC) if m and zone else m for m in moments]
                arrays.append(pa.array(stamps, pa.timestamp("us", tz=zone)))
        else:
            arrays.append(arrow_column(typed, [r[name] for r in rows]))
    unique = list(dict.fromkeys(names))
    if len(unique) != len(names) or not names:  # a Parquet file needs distinct, some names
        names, arrays = ["x"], [pa.array([1] * len(rows), pa.int64())]
    buffer = io.BytesIO()
    pq.write_table(pa.table(arrays, names=names), buffer)
    return Sample(buffer.getvalue(), len(rows), f"parquet {len(names)} columns")


@st.composite
def mangled(draw: st.DrawFn, inner: st.SearchStrategy[Sample]) -> Sample:
    """A file cut short, or with bytes flipped: the row count is no longer known."""
    sample = draw(inner)
    data = bytearray(sample.content)
    if not data:
        return sample
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data) - 1))
        return Sample(bytes(data[:cut]), None, sample.note + f" cut at {cut}")
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return Sample(bytes(data), None, sample.note + " bytes flipped")


RANDOM_BYTES = st.builds(
    lambda b: Sample(b, None, "random bytes"), st.binary(min_size=1, max_size=512)
)


def samples(kind: str, fmt: str) -> st.SearchStrategy[Sample]:
    made: st.SearchStrategy[Sample]
    if fmt == "parquet":
        made = parquet_files(kind)
    elif fmt == "jsonl":
        made = jsonl_files(kind)
    else:
        made = csv_files(kind, crm=fmt == "crm")
    return st.one_of(*[made] * 6, mangled(made), RANDOM_BYTES)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data())
def test_any_file_is_refused_cleanly_or_loaded_whole(
    pipe: Pipeline, work: Path, kind: str, fmt: str, data: st.DataObject
) -> None:
    sample = data.draw(samples(kind, fmt), label="file")
    again = data.draw(st.booleans(), label="again")  # drawn first: the warehouse is shared
    path = write(work, fmt, sample.content)
    first = ingest_checked(pipe, kind, path, fmt, sample.rows)
    if isinstance(first, BatchSummary) and first.batch_id is not None and again:
        repeat = ingest_checked(pipe, kind, path, fmt, sample.rows)
        assert isinstance(repeat, BatchSummary)
        assert repeat.already_loaded_as is not None, "the same file again was loaded again"


@pytest.fixture(scope="module")
def paths_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, Pipeline]]:
    """Two warehouses alike but for the path small leads files take: small upload, bulk.
    Unknown source names are refused: a file that would create sources takes the bulk path."""
    small = open_pipeline(tmp_path_factory.mktemp("fuzz-small"), unknown="reject")
    bulk = open_pipeline(
        tmp_path_factory.mktemp("fuzz-bulk"), small_upload_bytes=0, unknown="reject"
    )
    with small, bulk:
        yield small, bulk


def _outcome(pipe: Pipeline, path: Path, fmt: str) -> object:
    """What one ingest of leads answers (the summary but its seconds, or the refusal) and every
    row it leaves (leads, rejected rows, batch records but their times)."""
    try:
        summary = pipe.ingest("leads", path, file_format=fmt).as_dict()
        summary.pop("seconds")
        answer: object = summary
    except AttributionError as exc:
        answer = (type(exc).__name__, str(exc).replace(str(path.parent), "DIR"))
    con = pipe.warehouse.con
    rows = [
        con.execute(sql).fetchall()
        for sql in (
            "SELECT * FROM leads ORDER BY lead_id",
            "SELECT * FROM rejected_rows ORDER BY batch_id, row_number",
            "SELECT * EXCLUDE (started_at, finished_at) FROM ingest_batches ORDER BY batch_id",
        )
    ]
    return answer, rows


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "crm", "json_array"])
@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_a_small_upload_answers_and_stores_what_the_bulk_path_does(
    paths_pair: tuple[Pipeline, Pipeline], work: Path, fmt: str, data: st.DataObject
) -> None:
    """Any leads file, loaded (or refused) once or twice: the small-upload path and the path
    for large files give the same answer and leave the same rows, keys included. JSON arrays
    (an API upload's body) are JSON Lines files' records joined into one array."""
    sample = data.draw(samples("leads", "jsonl" if fmt == "json_array" else fmt), label="file")
    times = data.draw(st.integers(1, 2), label="times")
    content = sample.content
    if fmt == "json_array":
        content = b"[" + b",".join(line for line in content.splitlines() if line.strip()) + b"]"
    path = write(work, "jsonl" if fmt == "json_array" else fmt, content)
    small, bulk = paths_pair
    for _ in range(times):
        assert _outcome(small, path, fmt) == _outcome(bulk, path, fmt)


# --------------------------------------------------------------------------------------------
# Fixed edge cases, each kind and format, in two time zones
# --------------------------------------------------------------------------------------------

GOOD: dict[str, dict[str, Any]] = {
    "leads": {"lead_id": "E-L1", "created_at": "2026-03-02T10:00:00Z", "value": "10"},
    "touches": {"lead_id": "G1", "occurred_at": "2026-03-01T10:00:00Z", "channel": "Email"},
    "revenue": {
        "event_id": "E-R1",
        "lead_id": "G1",
        "occurred_at": "2026-03-09T10:00:00Z",
        "amount": "10",
    },
    "spend": {"date": "2026-03-02", "channel": "Display", "amount": "7"},
}
TIME_OF = {"leads": "created_at", "touches": "occurred_at", "revenue": "occurred_at"}


def as_crm(row: dict[str, Any]) -> dict[str, Any]:
    return {CRM_NAMES.get(k, k): v for k, v in row.items()}


def render(fmt: str, rows: list[dict[str, Any]], *, encoding: str = "utf-8") -> bytes:
    """Rows (dicts with the same keys) as a file of the format."""
    if fmt == "crm":
        rows = [as_crm(r) for r in rows]
        fmt = "csv"
    names = list(rows[0]) if rows else []
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([[cell(r.get(n)) for n in names] for r in rows])
        return buffer.getvalue().encode(encoding)
    if fmt == "jsonl":
        text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in rows)
        return text.encode(encoding)
    out = io.BytesIO()
    pq.write_table(pa.table({n: [r.get(n) for r in rows] for n in names}), out)
    return out.getvalue()


def edge_cases(kind: str, fmt: str, salt: str) -> Iterator[tuple[str, bytes, int | None]]:
    """(name, file content, data rows) of every listed kind of trouble."""
    good = {
        k: (f"{v}-{salt}" if k in ("lead_id", "event_id") else v) for k, v in GOOD[kind].items()
    }
    rng = random.Random(f"{kind}-{fmt}")
    yield "empty file", b"", None
    yield "random bytes", bytes(rng.randrange(256) for _ in range(4096)), None
    yield "one good row", render(fmt, [good]), 1
    if fmt != "parquet":
        text = render(fmt, [good]).decode()
        yield "utf-8 bom", b"\xef\xbb\xbf" + text.encode(), 1
        yield "utf-16 with bom", text.encode("utf-16"), 1
        yield "utf-16 without bom", text.encode("utf-16-le"), 1
        yield "utf-32", text.encode("utf-32"), 1
        latin = {**good, "status" if kind == "leads" else "campaign": "Jos\xe9 Mu\xf1oz"}
        yield "latin-1", render(fmt, [latin], encoding="latin-1"), 1
        if fmt in ("csv", "crm"):
            header = text.splitlines()[0]
            yield "header only", (header + "\n").encode(), 0
            yield "header only, no newline", header.encode(), 0
            fields = len(header.split(","))
            more = ",".join(["x"] * (fields + 1))
            ragged = f"{text}{more}\n{text.splitlines()[1]}\n"
            yield "a row with a field too many", ragged.encode(), 3
            short = ",".join(["y"] * max(1, fields - 1))
            yield "a row with a field too few", f"{text}{short}\n".encode(), 2
            comment = re.sub(r"^([^,\n]*)", r"#\1", text.splitlines()[1])
            yield "a row starting with #", f"{text}{comment}\n".encode(), 2
            quoted = [{**good, "notes": "'"}, {**good, "notes": "x"}, {**good, "notes": "'"}]
            yield "fields that are a lone apostrophe", render(fmt, quoted), 3
        else:
            yield "a line that is not an object", (text + "[1, 2]\n").encode(), None
            yield "a truncated last line", (text + '{"lead_id": ').encode(), None
            yield "a key twice in one object", text.replace("{", '{"x": 1, "x": 2, ', 1).encode(), 1
    else:
        yield "no rows", _empty_parquet(good), 0
        yield "cut short", render(fmt, [good])[:-20], None
        yield "a column name that is not UTF-8", damaged_name(good), None
        yield "a value that is not UTF-8", damaged_value(good), None
        clash = {**good, "file_row_number": 9, "FILE_ROW_NUMBER_2": 1}
        yield "a column named file_row_number", render(fmt, [clash, clash]), 2
    yield "a 1 MB cell", render(fmt, [{**good, "notes": "N" * MB}]), 1
    huge_key = {**good}
    first = next(iter(good))
    huge_key[first] = "K" * MB
    yield "a 1 MB key", render(fmt, [huge_key]), 1
    missing = {k: v for k, v in good.items() if k != next(iter(good))}
    yield "a required column missing", render(fmt, [missing]), 1
    yield "extra columns", render(fmt, [{**good, "rowid": 7, "extra": "x", "_ingest_row": 3}]), 1
    yield "rowid values repeating", render(fmt, [{**good, "rowid": 5}, {**good, "rowid": 5}]), 2
    mixed = [
        {**good, "source_id": 1},
        {**good, "source_id": "two"},
        {**good, "source_id": 2.5},
    ]
    if fmt == "jsonl":
        mixed.append({**good, "source_id": [1, 2]})
        mixed.append({**good, "source_id": {"id": 1}})
    if fmt != "parquet":  # a Parquet column has one type
        yield "mixed types in a column", render(fmt, mixed), len(mixed)
    if kind in TIME_OF:
        col = TIME_OF[kind]
        far = ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "-1", "-62135596800", "infinity"]
        if fmt == "parquet":
            stamps = [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59), datetime(1969, 12, 31)]
            yield (
                "far timestamps",
                render(fmt, [{**good, col: s} for s in stamps]),
                len(stamps),
            )
            epochs = [-1, -62135596800, 253402300800]
            yield "epochs", render(fmt, [{**good, col: e} for e in epochs]), len(epochs)
        else:
            yield "far timestamps", render(fmt, [{**good, col: s} for s in far]), len(far)
            yield "epochs", render(fmt, [{**good, col: e} for e in (-1, -62135596800)]), 2
    if kind == "spend":
        days: list[Any] = ["0001-01-01", "9999-12-31", "-1", "1969-12-31"]
        if fmt == "parquet":
            days = [date(1, 1, 1), date(9999, 12, 31), date(1969, 12, 31)]
        spread = [{**good, "date": d, "campaign": str(i)} for i, d in enumerate(days)]
        yield "far dates", render(fmt, spread), len(spread)
    if kind in ("revenue", "spend"):
        amounts: list[Any] = ["NaN", "inf", "-inf", "1e400", "1000000000", "9999999999999999.99"]
        if fmt != "csv" and fmt != "crm":
            amounts = [math.nan, math.inf, -math.inf, 1e300, 1e9, 9999999999999999.99]
        bad = [
            {
                **good,
                "amount": a,
                "currency": "EUR",
                **({"event_id": f"E-NaN{i}-{salt}"} if kind == "revenue" else {}),
                **({"campaign": f"c{i}"} if kind == "spend" else {}),
            }
            for i, a in enumerate(amounts)
        ]
        yield "NaN, infinite and huge amounts", render(fmt, bad), len(bad)
    if kind == "leads":
        amounts = ["NaN", "inf", "-inf", "1e400"]
        if fmt == "parquet":
            amounts = [math.nan, math.inf, -math.inf, 1e300]
        rows = [{**good, "lead_id": f"E-V{i}-{salt}", "value": a} for i, a in enumerate(amounts)]
        yield "NaN and infinite values", render(fmt, rows), len(rows)
    yield "a key twice in the file", render(fmt, [good, good, good]), 3


def damaged_name(good: dict[str, Any]) -> bytes:
    """A Parquet file whose footer names a column with bytes that are not UTF-8."""
    out = io.BytesIO()
    pq.write_table(pa.table({**{k: [v] for k, v in good.items()}, "QQQQQQQQ": ["x"]}), out)
    return out.getvalue().replace(b"QQQQQQQQ", b"\xff\xfeQQQQQQ")


def damaged_value(good: dict[str, Any]) -> bytes:
    """A Parquet file that opens, but whose first column holds a string that is not UTF-8:
    DuckDB meets it only when the statements that read the file in place get to that page."""
    first = next(iter(good))
    out = io.BytesIO()
    table = pa.table({k: ["Quixotic" if k == first else v] * 3 for k, v in good.items()})
    pq.write_table(table, out, compression="none", write_statistics=False)
    return out.getvalue().replace(b"Quixotic", b"Quixoti\xff")


def _empty_parquet(good: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({k: pa.array([], pa.string()) for k in good}), out)
    return out.getvalue()


ZONED = ("one good row", "far timestamps", "epochs", "far dates")  # the cases a zone changes


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati"])
def test_edge_cases_are_refused_cleanly_or_loaded_whole(tmp_path: Path, zone: str) -> None:
    with open_pipeline(tmp_path, zone) as p:
        for kind in KINDS:
            for fmt in FORMATS:
                for name, content, rows in edge_cases(kind, fmt, f"{kind}-{fmt}"):
                    if zone != "UTC" and name not in ZONED:
                        continue
                    path = write(tmp_path, fmt, content)
                    try:
                        ingest_checked(p, kind, path, fmt, rows)
                    except AssertionError as exc:
                        raise AssertionError(f"{kind} {fmt} {name}: {exc}") from None


# --------------------------------------------------------------------------------------------
# Regression tests of what the fuzzing found
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Pipeline]:
    with open_pipeline(tmp_path) as p:
        yield p


def _ingest(p: Pipeline, folder: Path, kind: str, name: str, content: bytes) -> BatchSummary:
    path = folder / name
    path.write_bytes(content)
    return p.ingest(kind, path)


def _rejected(p: Pipeline, batch: int | None) -> list[tuple[int, str]]:
    return [(int(r["row_number"]), str(r["reason"])) for r in p.rejected_rows(batch or -1)]


def test_a_rowid_field_does_not_renumber_the_rows(fresh: Pipeline, tmp_path: Path) -> None:
    """A JSON Lines file with a numeric `rowid` field was numbered by that field: rows shared a
    number, the good row was quarantined with the bad ones, the lead kept a wrong row_number."""
    content = (
        b'{"rowid": 7, "lead_id": "Q1", "created_at": "2026-03-02"}\n'
        b'{"rowid": 7, "lead_id": "Q2", "created_at": "never"}\n'
        b'{"rowid": 3, "lead_id": "Q3", "created_at": "never"}\n'
    )
    s = _ingest(fresh, tmp_path, "leads", "rowid.jsonl", content)
    assert (s.rows_read, s.loaded, s.rejected, s.extra_columns) == (3, 1, 2, ["rowid"])
    reason = "created_at is not an ISO 8601 timestamp"
    assert _rejected(fresh, s.batch_id) == [(2, reason), (3, reason)]
    raw = fresh.rejected_rows(s.batch_id or -1)[0]["raw_row"]
    assert json.loads(raw) == {"rowid": 7, "lead_id": "Q2", "created_at": "never"}
    stored = fresh.warehouse.con.execute("SELECT row_number FROM leads WHERE lead_id = 'Q1'")
    assert stored.fetchall() == [(1,)]


def test_a_rowid_column_does_not_refuse_a_csv_file(fresh: Pipeline, tmp_path: Path) -> None:
    """A CSV file with a `ROWID` column (an Oracle or SQLite export) was refused with DuckDB's
    "No function matches ... '-(VARCHAR, VARCHAR)'"."""
    content = b"ROWID,lead_id,created_at\nAAAx,R1,2026-03-02\nAAAy,R2,never\n"
    s = _ingest(fresh, tmp_path, "leads", "rowid.csv", content)
    assert (s.rows_read, s.loaded, s.rejected, s.extra_columns) == (2, 1, 1, ["ROWID"])
    assert _rejected(fresh, s.batch_id) == [(2, "created_at is not an ISO 8601 timestamp")]


def test_rows_starting_with_a_hash_are_read(fresh: Pipeline, tmp_path: Path) -> None:
    """DuckDB's sniffer took `#` for a comment marker and dropped those rows without a word."""
    content = b"lead_id,created_at\n#1041,2026-03-02\n1042,2026-03-02\n#1043,never\n"
    s = _ingest(fresh, tmp_path, "leads", "hash.csv", content)
    assert (s.rows_read, s.loaded, s.rejected) == (3, 2, 1)
    assert _rejected(fresh, s.batch_id) == [(3, "created_at is not an ISO 8601 timestamp")]


def test_a_row_with_a_field_too_many_never_hides_the_rows_above(
    fresh: Pipeline, tmp_path: Path
) -> None:
    """The sniffer took the widest row for the header and skipped every line above it: here
    lead S1 was dropped without a word, and S2 and S3 were loaded under the wrong header."""
    content = b"lead_id,created_at\nS1,2026-03-02\nS2,2026-03-02,x\nS3,2026-03-02,y\n"
    before = table_counts(fresh)
    with pytest.raises(IngestError) as info:
        _ingest(fresh, tmp_path, "leads", "ragged.csv", content)
    assert_clear(str(info.value))
    assert str(info.value) == (
        "ragged.csv: line 3 has 3 fields, the header has 2 (1 more line differs too). Fix those "
        "lines, or put double quotes around fields that hold a comma"
    )
    assert table_counts(fresh) == before


def test_amounts_of_100_million_and_more_are_stored_or_rejected_by_row(
    fresh: Pipeline, tmp_path: Path
) -> None:
    """An amount of 100,000,000 or more (DECIMAL(18, 2) times the rate overflowed DuckDB's 18
    digits) refused the whole file: "statement ingest/revenue_validate failed: Out of Range
    Error: Overflow in multiplication of DECIMAL(18)". Amounts are DECIMAL(22, 6) since."""
    content = (
        b"event_id,lead_id,occurred_at,amount,currency\n"
        b"B1,G1,2026-03-09,1000000000,USD\n"
        b"B2,G1,2026-03-09,9999999999999999.99,USD\n"
        b"B3,G1,2026-03-09,9999999999999999.99,EUR\n"
        b"B4,G1,2026-03-09,12.5,EUR\n"
    )
    s = _ingest(fresh, tmp_path, "revenue", "big.csv", content)
    assert (s.rows_read, s.loaded, s.rejected) == (4, 3, 1)
    reason = "amount is too large in the base currency: at most 16 digits before the decimal point"
    assert _rejected(fresh, s.batch_id) == [(3, reason)]
    got = fresh.warehouse.con.execute(
        "SELECT event_id, CAST(amount AS VARCHAR) FROM revenue_events "
        "WHERE event_id LIKE 'B%' ORDER BY event_id"
    ).fetchall()
    assert got == [
        ("B1", "1000000000.000000"),
        ("B2", "9999999999999999.990000"),
        ("B4", "18.750000"),
    ]
    spend = (
        b"date,channel,amount,currency\n"
        b"2026-03-02,Display,1000000000,USD\n"
        b"2026-03-03,Display,9999999999999999.99,EUR\n"
    )
    s = _ingest(fresh, tmp_path, "spend", "big.csv", spend)
    assert (s.rows_read, s.loaded, s.rejected) == (2, 1, 1)
    assert _rejected(fresh, s.batch_id) == [(2, reason)]


def test_a_field_starting_with_an_apostrophe_is_not_a_quote(
    fresh: Pipeline, tmp_path: Path
) -> None:
    """DuckDB's sniffer took ' for the quote character when a field started with one, and merged
    every line up to the next ' into one field: three leads became one, A1, whose status held
    the two lines after it."""
    content = b"lead_id,created_at,status\nA1,2026-03-02,'\nA2,2026-03-02,new\nA3,2026-03-02,'\n"
    s = _ingest(fresh, tmp_path, "leads", "apostrophes.csv", content)
    assert (s.rows_read, s.loaded) == (3, 3)
    got = fresh.warehouse.con.execute(
        "SELECT lead_id, status FROM leads WHERE lead_id LIKE 'A_' ORDER BY lead_id"
    ).fetchall()
    assert got == [("A1", "'"), ("A2", "new"), ("A3", "'")]


def test_a_parquet_column_named_file_row_number_is_read(fresh: Pipeline, tmp_path: Path) -> None:
    """It clashed with DuckDB's own Parquet row numbers: the file was refused with "Binder Error:
    Option file_row_number adds column "file_row_number"..."."""
    out = io.BytesIO()
    table = {"file_row_number": [7, 7], "lead_id": ["N1", "N2"], "created_at": ["2026-03-02", "x"]}
    pq.write_table(pa.table(table), out)
    s = _ingest(fresh, tmp_path, "leads", "numbered.parquet", out.getvalue())
    assert (s.rows_read, s.loaded, s.rejected) == (2, 1, 1)
    assert s.extra_columns == ["file_row_number"]
    assert _rejected(fresh, s.batch_id) == [(2, "created_at is not an ISO 8601 timestamp")]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [(damaged_name, "metadata cannot be decoded"), (damaged_value, "not valid UTF8")],
    ids=["column name", "value"],
)
def test_a_damaged_parquet_file_is_refused_as_unreadable(
    fresh: Pipeline, tmp_path: Path, damage: Any, expected: str
) -> None:
    """A column name that is not UTF-8 escaped as a RuntimeError from DuckDB's Python binding
    ("nanobind::str(): conversion error!"), not an AttributionError: the CLI's exit code 70 and
    the API's 500. A value that is not UTF-8 (or any damaged page) surfaced only when
    validation read the file in place: "statement ingest/leads_validate failed: Invalid Input
    Error: ...", with the file's full path."""
    before = table_counts(fresh)
    good = {"lead_id": "D1", "created_at": "2026-03-02"}
    with pytest.raises(IngestError) as info:
        _ingest(fresh, tmp_path, "leads", "damaged.parquet", damage(good))
    message = str(info.value)
    assert_clear(message)
    assert message.startswith("cannot read damaged.parquet as parquet: ")
    assert expected in message
    assert str(tmp_path) not in message
    assert table_counts(fresh) == before


def test_column_names_are_shown_printable(fresh: Pipeline, tmp_path: Path) -> None:
    """Control bytes of a column name went into the message as they were."""
    with pytest.raises(IngestError) as info:
        _ingest(fresh, tmp_path, "leads", "nul.csv", b"lead\x00id,when\x1b[31m\n1,2\n")
    assert "Its columns: lead\ufffdid, when\ufffd[31m." in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("u16.csv", "lead_id,created_at\nU1,2026-03-02\n".encode("utf-16"), "UTF-16"),
        ("u16.csv", "lead_id,created_at\nU1,2026-03-02\n".encode("utf-16-le"), "UTF-16"),
        ("u16.jsonl", '{"lead_id": "U1"}\n'.encode("utf-16-le"), "UTF-16"),
        ("u32.csv", "lead_id,created_at\nU1,2026-03-02\n".encode("utf-32"), "UTF-32"),
        ("latin.csv", "lead_id,created_at\nJos\xe9,2026-03-02\n".encode("latin-1"), "UTF-8"),
        ("empty.csv", b"", "is empty"),
        ("empty.jsonl", b"", "is empty"),
        ("blank.jsonl", b"\n\n", "JSON objects with fields"),
        ("array.jsonl", b'[{"lead_id": "A"}]', "one a line"),  # .json: read as an array
        ("long.csv", b"lead_id,created_at\n" + b"L" * (3 * MB) + b",2026-03-02\n", "line"),
        ("deep.jsonl", b'{"lead_id": "A", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}\n", "nested"),
    ],
    ids=[
        "utf-16",
        "utf-16 no bom",
        "utf-16 jsonl",
        "utf-32",
        "latin-1",
        "empty csv",
        "empty jsonl",
        "blank jsonl",
        "json array",
        "3 MB line",
        "nested 5,000 deep",
    ],
)
def test_unreadable_files_are_refused_saying_why(
    fresh: Pipeline, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    """UTF-16 without a BOM was refused listing columns full of NUL bytes; UTF-16 with one, or
    Latin-1, as "CSV Error on Line: 1"; an empty JSON Lines file as a binder error."""
    before = table_counts(fresh)
    with pytest.raises(IngestError) as info:
        _ingest(fresh, tmp_path, "leads", name, content)
    message = str(info.value)
    assert_clear(message)
    assert expected.lower() in message.lower()
    assert table_counts(fresh) == before


def test_a_bare_carriage_return_in_the_header_line_is_no_crash(
    fresh: Pipeline, tmp_path: Path
) -> None:
    """The column count before reading parsed the header line with Python's csv module, which
    raised its own error (a traceback) on a carriage return inside the line."""
    content = b"lead_id,created_at\r\x00,x\r\nL1,2026-03-02T10:00:00Z\r\n"
    with pytest.raises(AttributionError) as refused:
        _ingest(fresh, tmp_path, "leads", "cr.csv", content)
    assert str(refused.value) == (
        "cannot read cr.csv as csv: its delimiter, quoting and columns could not be told apart; "
        "save it as CSV text with a header line and one record a line, and load that"
    )
