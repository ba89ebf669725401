"""Ingest: every validation rule, idempotency, one transaction a batch, and the file formats."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from attribution.cli import main
from attribution.errors import IngestError, IngestLimitError
from attribution.ingest.limits import Limits, check
from attribution.service.pipeline import Pipeline
from attribution.service.scheduler import Jobs

from .conftest import MakeSettings, count, write_csv

LEADS_HEADER = ["lead_id", "created_at", "source", "value", "email", "lost", "junk", "converted_at"]
GOOD_LEAD = ["G1", "2026-03-02T10:00:00Z", "Google", "100", "A@Example.com ", "0", "false", ""]


def load_good_leads(pipe: Pipeline, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "good_leads.csv", LEADS_HEADER, [GOOD_LEAD])
    assert pipe.ingest("leads", path).loaded == 1


# (kind, header, bad row, expected reason); each file also carries one good row.
CASES = [
    ("leads", LEADS_HEADER, ["", "2026-03-02", "", "", "", "", "", ""], "lead_id is missing"),
    ("leads", LEADS_HEADER, ["B1", "", "", "", "", "", "", ""], "created_at is missing"),
    (
        "leads",
        LEADS_HEADER,
        ["B1", "tomorrow", "", "", "", "", "", ""],
        "created_at is not an ISO 8601 timestamp",
    ),
    (
        "leads",
        LEADS_HEADER,
        ["B1", "1900-01-01", "", "", "", "", "", ""],
        "created_at is outside 1970-2099",
    ),
    (
        "leads",
        LEADS_HEADER,
        ["B1", "2026-03-02", "", "lots", "", "", "", ""],
        "value is not a number",
    ),
    ("leads", LEADS_HEADER, ["B1", "2026-03-02", "", "-1", "", "", "", ""], "value is negative"),
    (
        "leads",
        LEADS_HEADER,
        ["B1", "2026-03-02", "", "", "", "perhaps", "", ""],
        "lost is not a boolean (true/false, 1/0)",
    ),
    (
        "leads",
        LEADS_HEADER,
        ["B1", "2026-03-02", "", "", "", "", "", "soon"],
        "converted_at is not an ISO 8601 timestamp",
    ),
    (
        "leads",
        LEADS_HEADER,
        ["B1", "2026-03-02", "x" * 151, "", "", "", "", ""],
        "source is not in the lead-source registry",
    ),
    (
        "leads",
        ["lead_id", "created_at", "source_id"],
        ["B1", "2026-03-02", "99"],
        "source_id is not in the lead-source registry",
    ),
    (
        "leads",
        ["lead_id", "created_at", "source_id"],
        ["B1", "2026-03-02", "one"],
        "source_id is not an integer",
    ),
    (
        "touches",
        ["lead_id", "occurred_at", "channel"],
        ["NOPE", "2026-03-01", "Email"],
        "lead_id is unknown: load its lead first",
    ),
    (
        "touches",
        ["lead_id", "occurred_at", "channel"],
        ["G1", "3/1/2026", "Email"],
        "occurred_at is not an ISO 8601 timestamp",
    ),
    (
        "touches",
        ["lead_id", "occurred_at", "channel", "utm_source"],
        ["G1", "2026-03-01", "", "x"],
        "nothing says what touched the lead: give channel, source_id, source, "
        "or utm_source and utm_medium",
    ),
    (
        "revenue",
        ["event_id", "lead_id", "occurred_at", "amount"],
        ["", "G1", "2026-03-09", "5"],
        "event_id is missing",
    ),
    (
        "revenue",
        ["event_id", "lead_id", "occurred_at", "amount"],
        ["E9", "NOPE", "2026-03-09", "5"],
        "lead_id is unknown: load its lead first",
    ),
    (
        "revenue",
        ["event_id", "lead_id", "occurred_at", "amount"],
        ["E9", "G1", "2026-03-09", "-5"],
        "amount is negative: only kind refund may be",
    ),
    (
        "revenue",
        ["event_id", "lead_id", "occurred_at", "amount"],
        ["E9", "G1", "2026-03-09", "5$"],
        "amount is not a number",
    ),
    (
        "revenue",
        ["event_id", "lead_id", "occurred_at", "amount", "kind"],
        ["E9", "G1", "2026-03-09", "5", "gift"],
        "kind is not one of won, invoice, refund",
    ),
    (
        "revenue",
        ["event_id", "lead_id", "occurred_at", "amount", "currency"],
        ["E9", "G1", "2026-03-09", "5", "JPY"],
        "currency has no rate to the base currency: add it under ingest.currency_rates",
    ),
    (
        "revenue",
        ["event_id", "lead_id", "occurred_at", "amount"],
        ["E9", "G1", "2026-03-09", "1e16"],
        "amount is too large: at most 16 digits before the decimal point",
    ),
    (
        "leads",
        LEADS_HEADER,
        ["B1", "2026-03-02", "", "12345678901234567890", "", "", "", ""],
        "value is too large: at most 16 digits before the decimal point",
    ),
    (
        "spend",
        ["date", "source", "amount"],
        ["2026-02-30", "Google", "5"],
        "date is not an ISO 8601 date",
    ),
    (
        "spend",
        ["date", "source", "amount"],
        ["2026-03-01", "Google", "1e400"],
        "amount is too large: at most 16 digits before the decimal point",
    ),
    ("spend", ["date", "source", "amount"], ["2026-03-01", "Google", "-5"], "amount is negative"),
    ("spend", ["date", "source", "amount"], ["2026-03-01", "Google", ""], "amount is missing"),
    (
        "spend",
        ["date", "source", "channel", "amount"],
        ["2026-03-01", "", "", "5"],
        "nothing says where it was spent: give source_id, source or channel",
    ),
]

GOOD_ROWS = {
    "leads": lambda header: {"lead_id": "OK1", "created_at": "2026-03-03"},
    "touches": lambda header: {
        "lead_id": "G1",
        "occurred_at": "2026-03-01",
        "channel": "Email",
        "utm_source": "",
        "source_id": "",
    },
    "revenue": lambda header: {
        "event_id": "E1",
        "lead_id": "G1",
        "occurred_at": "2026-03-09",
        "amount": "10",
    },
    "spend": lambda header: {
        "date": "2026-03-02",
        "source": "Google",
        "amount": "7",
        "channel": "",
    },
}
TABLES = {"leads": "leads", "touches": "touches", "revenue": "revenue_events", "spend": "spend"}


@pytest.mark.parametrize(("kind", "header", "bad", "reason"), CASES, ids=[c[3][:40] for c in CASES])
def test_each_rule_rejects_its_row_and_good_rows_land(
    pipe: Pipeline, tmp_path: Path, kind: str, header: list[str], bad: list[str], reason: str
) -> None:
    if kind != "leads":
        load_good_leads(pipe, tmp_path)
    good = GOOD_ROWS[kind](header)
    before = count(pipe, TABLES[kind])
    path = write_csv(tmp_path / "in.csv", header, [[good.get(c, "") for c in header], bad])
    summary = pipe.ingest(kind, path)
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert count(pipe, TABLES[kind]) == before + 1
    rejected = pipe.rejected_rows(summary.batch_id or -1)
    assert [(r["row_number"], r["reason"]) for r in rejected] == [(2, reason)]
    raw = json.loads(rejected[0]["raw_row"])
    assert [raw[c] or "" for c in header] == bad


def test_several_reasons_are_all_given(pipe: Pipeline, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", LEADS_HEADER, [["", "nope", "", "-3", "", "", "", ""]])
    summary = pipe.ingest("leads", path)
    assert pipe.rejected_rows(summary.batch_id or -1)[0]["reason"] == (
        "lead_id is missing; created_at is not an ISO 8601 timestamp; value is negative"
    )


def test_good_lead_is_stored_typed_and_hashed(pipe: Pipeline, tmp_path: Path) -> None:
    load_good_leads(pipe, tmp_path)
    row = pipe.warehouse.con.execute(
        "SELECT created_at, source_id, value, email_sha256, lost, junk FROM leads"
    ).fetchone()
    import hashlib

    assert row == (
        datetime(2026, 3, 2, 10, 0),
        1,
        Decimal("100.00"),
        hashlib.sha256(b"a@example.com").hexdigest(),
        False,
        False,
    )


def test_the_same_file_twice_adds_nothing_and_says_so(pipe: Pipeline, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "l.csv", LEADS_HEADER, [GOOD_LEAD, ["X", "bad", "", "", "", "", "", ""]]
    )
    first = pipe.ingest("leads", path)
    tables = ("leads", "ingest_batches", "rejected_rows", "lead_sources")
    before = [count(pipe, t) for t in tables]
    again = pipe.ingest("leads", path)
    assert again.already_loaded_as == first.batch_id
    assert again.batch_id is None
    assert (again.loaded, again.duplicates, again.rejected) == (0, 1, 1)
    assert [count(pipe, t) for t in tables] == before


def test_the_same_rows_in_another_file_are_skipped_as_duplicates(
    pipe: Pipeline, tmp_path: Path
) -> None:
    rows = [
        ["T1", "G1", "2026-03-01T08:00:00Z", "Email"],
        ["", "G1", "2026-03-01T09:00:00Z", "Direct"],
    ]
    header = ["touch_id", "lead_id", "occurred_at", "channel"]
    load_good_leads(pipe, tmp_path)
    assert pipe.ingest("touches", write_csv(tmp_path / "a.csv", header, rows)).loaded == 2
    # The same touches again, reordered, one repeated within the file, in another file.
    again = pipe.ingest("touches", write_csv(tmp_path / "b.csv", header, rows[::-1] + rows[:1]))
    assert (again.loaded, again.duplicates, again.batch_id is not None) == (0, 3, True)
    assert count(pipe, "touches") == 2


def test_a_source_named_or_given_by_id_is_the_same_touch(pipe: Pipeline, tmp_path: Path) -> None:
    load_good_leads(pipe, tmp_path)
    header = ["lead_id", "occurred_at", "channel", "source", "source_id"]
    first = [["G1", "2026-03-01T08:00:00Z", "Paid Search", "google", ""]]
    assert pipe.ingest("touches", write_csv(tmp_path / "a.csv", header, first)).loaded == 1
    # Google is source 1: the same touch, by its id; then a touch by another source.
    rows = [
        ["G1", "2026-03-01T08:00:00Z", "Paid Search", "", "1"],
        ["G1", "2026-03-01T08:00:00Z", "Paid Search", "Facebook", ""],
    ]
    again = pipe.ingest("touches", write_csv(tmp_path / "b.csv", header, rows))
    assert (again.loaded, again.duplicates) == (1, 1)
    assert count(pipe, "touches") == 2


def _md5_key(*fields: str) -> int:
    """A touch key as documented: md5 of the fields joined by |, read as DuckDB's md5_number."""
    return int.from_bytes(hashlib.md5("|".join(fields).encode()).digest(), "little")


def _lead_key(lead_no: int, when: str, *what: str) -> int:
    """A touch key without a touch_id, as documented: the lead's number in the high 64 bits;
    in the low ones the time in epoch microseconds XOR DuckDB's md5_number_lower (the digest's
    last 8 bytes, little-endian) of channel|source_id|utm_source|utm_medium|utm_campaign."""
    digest = hashlib.md5("|".join(what).encode()).digest()
    return (lead_no << 64) | (int(_epoch_us(when)) ^ int.from_bytes(digest[8:], "little"))


def _epoch_us(text: str) -> str:
    return str(int(datetime.fromisoformat(text).timestamp()) * 10**6)


# The lead numbers of K1 and K2, the first two rows of the first batch: (batch << 32) + row.
K1, K2 = (1 << 32) + 1, (1 << 32) + 2
# Touches with every kind of "what touched", and the keys stored for them, spelled out from the
# formula of sql/ingest/touches_validate.sql: a re-load finds them only if these never change.
# What touched is hashed as stored: a source by its registry id (Google is 1; Partner, created
# by this load, 3), whether the file names it or gives its id.
KEYED_TOUCHES = [
    (["T-1", "K1", "2026-03-02T10:00:00Z", "Email", "", "", "", "", ""], _md5_key("id:T-1")),
    (
        ["", "K1", "2026-03-02T10:00:00Z", "Paid Search", "", "", "", "", ""],
        _lead_key(K1, "2026-03-02T10:00:00+00:00", "Paid Search", "", "", "", ""),
    ),
    (
        ["", "K2", "2026-03-02T11:00:00Z", "", "", "Google", "", "", ""],
        _lead_key(K2, "2026-03-02T11:00:00+00:00", "", "1", "", "", ""),
    ),
    (
        ["", "K2", "2026-03-03T10:00:00Z", "", "1", "", "", "", ""],
        _lead_key(K2, "2026-03-03T10:00:00+00:00", "", "1", "", "", ""),
    ),
    (
        ["", "K2", "2026-03-04T10:00:00Z", "", "", "", "google", "cpc", "spring"],
        _lead_key(K2, "2026-03-04T10:00:00+00:00", "", "", "google", "cpc", "spring"),
    ),
    (
        ["", "K2", "2026-03-05T10:00:00Z", "Referral", "", "Partner", "news", "", ""],
        _lead_key(K2, "2026-03-05T10:00:00+00:00", "Referral", "3", "news", "", ""),
    ),
]
TOUCH_COLUMNS = ["touch_id", "lead_id", "occurred_at", "channel", "source_id", "source"]
TOUCH_COLUMNS += ["utm_source", "utm_medium", "utm_campaign"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_touch_keys_are_the_documented_formula(pipe: Pipeline, tmp_path: Path, fmt: str) -> None:
    leads = [["K1", "2026-03-01T00:00:00Z"], ["K2", "2026-03-01T00:00:00Z"]]
    pipe.ingest("leads", write_csv(tmp_path / "k.csv", ["lead_id", "created_at"], leads))
    rows = [r for r, _ in KEYED_TOUCHES]
    # The same touch again, its text padded and its time given in another zone: the same key.
    rows.append(["", " K1 ", "2026-03-02 12:00:00+02:00", " Paid Search ", "", "", "", "", ""])
    path = write_csv(tmp_path / "t.csv", TOUCH_COLUMNS, rows)
    if fmt == "parquet":
        table = pa.table({c: [r[i] or None for r in rows] for i, c in enumerate(TOUCH_COLUMNS)})
        path = tmp_path / "t.parquet"
        pq.write_table(table, path)
    s = pipe.ingest("touches", path)
    assert (s.loaded, s.duplicates, s.rejected) == (6, 1, 0)
    stored = pipe.warehouse.con.execute(
        "SELECT CAST(touch_key AS VARCHAR) FROM touches ORDER BY row_number"
    ).fetchall()
    assert [int(k) for (k,) in stored] == [k for _, k in KEYED_TOUCHES]


def test_touch_ids_are_stored_with_zstd_and_keys_as_they_are(pipe: Pipeline) -> None:
    con = pipe.warehouse.con
    con.execute(
        "INSERT INTO touches SELECT range, 'T' || range, 'L' || (range // 3), "
        "TIMESTAMP '2026-03-01' + INTERVAL (range) SECOND, 'Email', NULL, NULL, NULL, NULL, "
        "1, range, range // 3 FROM range(50000)"
    )
    con.execute("CHECKPOINT")
    stored = con.execute(
        "SELECT column_name, list(DISTINCT compression ORDER BY compression) "
        "FROM pragma_storage_info('touches') "
        "WHERE column_name IN ('touch_key', 'lead_id', 'touch_id', 'channel') "
        "AND segment_type <> 'VALIDITY' GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    # DuckDB's own choice for the channel, a few repeated names; ZSTD for the ids; the md5
    # keys as they are.
    assert stored == [
        ("channel", ["DICT_FSST"]),
        ("lead_id", ["ZSTD"]),
        ("touch_id", ["ZSTD"]),
        ("touch_key", ["Uncompressed"]),
    ]


def test_lead_ids_are_stored_with_zstd(pipe: Pipeline) -> None:
    con = pipe.warehouse.con
    con.execute(
        "INSERT INTO leads (lead_id, created_at, batch_id, row_number, lead_no) "
        "SELECT 'L' || range, TIMESTAMP '2026-03-01' + INTERVAL (range) SECOND, 1, range, range "
        "FROM range(50000)"
    )
    con.execute("CHECKPOINT")
    stored = con.execute(
        "SELECT list(DISTINCT compression ORDER BY compression) "
        "FROM pragma_storage_info('leads') "
        "WHERE column_name = 'lead_id' AND segment_type <> 'VALIDITY'"
    ).fetchall()
    assert stored == [(["ZSTD"],)]


def test_a_lead_repeated_within_a_file_lands_once(pipe: Pipeline, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", LEADS_HEADER, [GOOD_LEAD, GOOD_LEAD])
    s = pipe.ingest("leads", path)
    assert (s.loaded, s.duplicates) == (1, 1)
    row = pipe.warehouse.con.execute("SELECT row_number FROM leads").fetchone()
    assert row == (1,)


def test_repeats_are_counted_among_good_rows_only(pipe: Pipeline, tmp_path: Path) -> None:
    # A rejected row with the same lead_id as two good ones is rejected, not a repeat; with no
    # row rejected, every row counts (the two counts of ingest/key_repeats*).
    bad = [GOOD_LEAD[0], "not a time", *GOOD_LEAD[2:]]
    other = ["G9", *GOOD_LEAD[1:]]
    path = write_csv(tmp_path / "l.csv", LEADS_HEADER, [bad, GOOD_LEAD, other, GOOD_LEAD])
    s = pipe.ingest("leads", path)
    assert (s.rows_read, s.loaded, s.duplicates, s.rejected) == (4, 2, 1, 1)
    rows = pipe.warehouse.con.execute("SELECT row_number FROM leads ORDER BY 1").fetchall()
    assert rows == [(2,), (3,)]  # the first good row of a repeated lead wins
    clean = write_csv(tmp_path / "m.csv", LEADS_HEADER, [["G8", *GOOD_LEAD[1:]]] * 3)
    s = pipe.ingest("leads", clean)
    assert (s.rows_read, s.loaded, s.duplicates, s.rejected) == (3, 1, 2, 0)


def test_a_crm_re_export_updates_changed_leads(pipe: Pipeline, tmp_path: Path) -> None:
    load_good_leads(pipe, tmp_path)
    changed = [*GOOD_LEAD[:5], "0", "0", "2026-03-20T12:00:00Z"]
    s = pipe.ingest("leads", write_csv(tmp_path / "l2.csv", LEADS_HEADER, [changed]))
    assert (s.loaded, s.updated, s.duplicates) == (0, 1, 0)
    row = pipe.warehouse.con.execute("SELECT converted_at FROM leads").fetchone()
    assert row == (datetime(2026, 3, 20, 12, 0),)


def test_spend_with_a_new_amount_replaces_the_old(pipe: Pipeline, tmp_path: Path) -> None:
    header = ["date", "source", "campaign", "amount"]
    first = [["2026-03-01", "Google", "spring", "10"], ["2026-03-02", "Google", "spring", "20"]]
    pipe.ingest("spend", write_csv(tmp_path / "s1.csv", header, first))
    fixed = [["2026-03-01", "Google", "spring", "12.5"], ["2026-03-02", "Google", "spring", "20"]]
    s = pipe.ingest("spend", write_csv(tmp_path / "s2.csv", header, fixed))
    assert (s.loaded, s.updated, s.duplicates) == (0, 1, 1)
    rows = pipe.warehouse.con.execute("SELECT amount FROM spend ORDER BY spend_date").fetchall()
    assert rows == [(Decimal("12.50"),), (Decimal("20.00"),)]


def test_spend_repeating_a_key_within_a_file_is_rejected(pipe: Pipeline, tmp_path: Path) -> None:
    header = ["date", "channel", "amount"]
    rows = [["2026-03-01", "Display", "10"], ["2026-03-01", "Display", "11"]]
    s = pipe.ingest("spend", write_csv(tmp_path / "s.csv", header, rows))
    assert (s.loaded, s.rejected) == (1, 1)
    assert pipe.rejected_rows(s.batch_id or -1)[0]["reason"] == (
        "repeats the date, source or channel and campaign of an earlier row"
    )


def test_currencies_convert_and_refunds_are_negative(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    settings = make_settings(ingest={"base_currency": "EUR", "currency_rates": {"USD": 0.5}})
    with Pipeline.open(settings) as pipe:
        load_good_leads(pipe, tmp_path)
        header = ["event_id", "lead_id", "occurred_at", "amount", "kind", "currency"]
        rows = [
            ["E1", "G1", "2026-03-09", "100", "won", "usd"],
            ["E2", "G1", "2026-03-10", "30", "refund", ""],
        ]
        s = pipe.ingest("revenue", write_csv(tmp_path / "r.csv", header, rows))
        assert s.loaded == 2
        got = pipe.warehouse.con.execute(
            "SELECT amount, currency, amount_original FROM revenue_events ORDER BY event_id"
        ).fetchall()
    assert got == [
        (Decimal("50.00"), "USD", Decimal("100.00")),
        (Decimal("-30.00"), "EUR", Decimal("-30.00")),
    ]


@pytest.mark.parametrize(
    ("zone", "given", "stored"),
    [
        ("UTC", "2026-03-02 10:00", datetime(2026, 3, 2, 10, 0)),
        ("Europe/Bucharest", "2026-03-02 10:00", datetime(2026, 3, 2, 8, 0)),
        ("Europe/Bucharest", "2026-07-02T10:00:00", datetime(2026, 7, 2, 7, 0)),
        ("Europe/Bucharest", "2026-03-02T10:00:00+05:00", datetime(2026, 3, 2, 5, 0)),
        ("America/New_York", "2026-03-02T10:00:00Z", datetime(2026, 3, 2, 10, 0)),
        ("America/New_York", "2026-03-02", datetime(2026, 3, 2, 5, 0)),
    ],
)
def test_timestamps_without_offset_are_read_in_the_configured_zone(
    make_settings: MakeSettings, tmp_path: Path, zone: str, given: str, stored: datetime
) -> None:
    with Pipeline.open(make_settings(ingest={"timezone": zone})) as pipe:
        pipe.ingest(
            "leads", write_csv(tmp_path / "l.csv", ["lead_id", "created_at"], [["Z", given]])
        )
        assert pipe.warehouse.con.execute("SELECT created_at FROM leads").fetchone() == (stored,)


@pytest.mark.parametrize("small_bytes", [65_536, 0], ids=["small path", "bulk path"])
def test_zone_less_times_are_read_in_the_zone_when_other_rows_are_not_text(
    make_settings: MakeSettings, tmp_path: Path, small_bytes: int
) -> None:
    """A JSON column of mixed types (a number among the dates) was read with JSON's own cast,
    which took zone-less values as UTC: five hours off in New York, without a word."""
    records = [
        {"lead_id": "N1", "created_at": "2026-03-01 10:00"},
        {"lead_id": "N2", "created_at": "2026-03-01"},
        {"lead_id": "N3", "created_at": 1700000000},
    ]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    zone = {"timezone": "America/New_York", "small_upload_bytes": small_bytes}
    with Pipeline.open(make_settings(ingest=zone)) as pipe:
        done = pipe.ingest("leads", path)
        assert (done.loaded, done.rejected) == (2, 1)
        stored = pipe.warehouse.con.execute(
            "SELECT lead_id, created_at FROM leads ORDER BY lead_id"
        ).fetchall()
    assert stored == [("N1", datetime(2026, 3, 1, 15, 0)), ("N2", datetime(2026, 3, 1, 5, 0))]


def test_unknown_sources_are_created_or_rejected_by_config(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    rows = [["A", "2026-03-02", "Podcast"], ["B", "2026-03-02", " podcast "]]
    path = write_csv(tmp_path / "l.csv", ["lead_id", "created_at", "source"], rows)
    with Pipeline.open(make_settings(ingest={"unknown_sources": "create"})) as pipe:
        s = pipe.ingest("leads", path)
        assert (s.loaded, s.sources_created) == (2, 1)
        src = pipe.warehouse.con.execute(
            "SELECT name, channel, auto_created FROM lead_sources WHERE id > 2"
        ).fetchall()
        assert src == [("Podcast", "Unassigned", True)]
    (tmp_path / "wh.duckdb").unlink()
    with Pipeline.open(make_settings(ingest={"unknown_sources": "reject"})) as pipe:
        s = pipe.ingest("leads", path)
        assert (s.loaded, s.rejected, s.sources_created) == (0, 2, 0)
        assert count(pipe, "lead_sources") == 2


def test_missing_required_columns_refuse_the_file_whole(pipe: Pipeline, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ["id", "when"], [["1", "2026-03-02"]])
    with pytest.raises(IngestError) as info:
        pipe.ingest("leads", path)
    assert "lacks required leads column(s): lead_id, created_at" in str(info.value)
    assert "Its columns: id, when" in str(info.value)
    assert "--map" in str(info.value)
    assert count(pipe, "ingest_batches") == 0


def test_touches_need_a_column_saying_what_touched(pipe: Pipeline, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["lead_id", "occurred_at"], [["G1", "2026-03-01"]])
    with pytest.raises(IngestError, match="give channel or source_id or source or utm_source"):
        pipe.ingest("touches", path)


def test_an_unreadable_file_is_refused_with_the_reason(pipe: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(IngestError) as info:
        pipe.ingest("leads", path)
    assert str(info.value) == (
        "broken.parquet is text, not a Parquet file: if it is CSV or JSON Lines, "
        "load it with --format csv or --format jsonl"
    )
    path = tmp_path / "latin1.csv"
    path.write_bytes("lead_id,created_at\nJos\xe9,2026-03-02\n".encode("latin-1"))
    with pytest.raises(IngestError) as info:
        pipe.ingest("leads", path)
    assert str(info.value) == (
        "latin1.csv is not UTF-8 text (byte 0xE9 at line 2): save it as UTF-8 and load that"
    )
    assert count(pipe, "ingest_batches") == 0


def test_map_renames_columns(pipe: Pipeline, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ["Ref", "Opened"], [["M1", "2026-03-02"]])
    assert (
        pipe.ingest("leads", path, column_map={"ref": "lead_id", "opened": "created_at"}).loaded
        == 1
    )
    with pytest.raises(IngestError, match="which leads do not have"):
        pipe.ingest("leads", path, column_map={"ref": "lead_number"})
    # Written as the file writes them, through the Python API: matched all the same.
    other = write_csv(tmp_path / "m.csv", ["Ref", "Opened"], [["M2", "2026-03-02"]])
    mapped = {" Ref": "Lead_ID", "OPENED": "created_at"}
    assert pipe.ingest("leads", other, column_map=mapped).loaded == 1


def test_the_crm_export_is_read_as_is(pipe: Pipeline, tmp_path: Path) -> None:
    header = [
        "id",
        "name",
        "dateadded",
        "source",
        "status",
        "lead_value",
        "date_converted",
        "lost",
        "junk",
        "email",
    ]
    rows = [["17", "Ana", "2026-03-02 09:15:00", "2", "1", "250.00", "", "0", "0", "ana@x.ro"]]
    s = pipe.ingest("leads", write_csv(tmp_path / "crm.csv", header, rows), file_format="crm")
    assert (s.loaded, s.file_format) == (1, "crm")
    assert "name" in s.extra_columns
    row = pipe.warehouse.con.execute("SELECT lead_id, source_id, value FROM leads").fetchone()
    assert row == ("17", 2, Decimal("250.00"))


def test_parquet_and_json_lines_are_read(pipe: Pipeline, tmp_path: Path) -> None:
    con = duckdb.connect()
    parquet = tmp_path / "leads.parquet"
    con.execute(
        "COPY (SELECT 'P' || range AS lead_id, TIMESTAMP '2026-03-02 10:00' AS created_at "
        "FROM range(3)) TO $p (FORMAT parquet)",
        {"p": str(parquet)},
    )
    assert pipe.ingest("leads", parquet).loaded == 3
    jsonl = tmp_path / "rev.jsonl"
    jsonl.write_text(
        '{"event_id": "J1", "lead_id": "P0", "occurred_at": "2026-03-05T10:00:00Z", '
        '"amount": 9.5}\n'
        '{"event_id": "J2", "lead_id": "P9", "occurred_at": "2026-03-05T10:00:00Z", "amount": 1}\n',
        encoding="utf-8",
    )
    s = pipe.ingest("revenue", jsonl)
    assert (s.loaded, s.rejected) == (1, 1)
    # The work tables of a batch belong to its connection: nothing is left in the warehouse.
    views = pipe.warehouse.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal")
    assert views.fetchall() == [("conversion_credits",)]  # the schema's one view (0014)
    tables = pipe.warehouse.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert [t for (t,) in tables if t.startswith("ingest_")] == ["ingest_batches"]


def test_a_json_file_is_read_as_an_array_or_as_lines_by_its_first_character(
    pipe: Pipeline, tmp_path: Path
) -> None:
    """A .json file holding one array of records (as exports and API bodies are) is read as
    such, one of JSON Lines as before; gzipped too."""
    records = [{"lead_id": f"J{i}", "created_at": "2026-03-02"} for i in range(3)]
    array = tmp_path / "leads.json"
    array.write_text("\ufeff\n  " + json.dumps(records, indent=2), encoding="utf-8")
    done = pipe.ingest("leads", array)
    assert (done.loaded, done.rejected) == (3, 0)
    lines = tmp_path / "more.json"
    lines.write_text('{"lead_id": "L1", "created_at": "2026-03-02"}\n', encoding="utf-8")
    assert pipe.ingest("leads", lines).loaded == 1
    packed = tmp_path / "packed.json.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as f:
        f.write(json.dumps([{"lead_id": "G1", "created_at": "2026-03-02"}]))
    assert pipe.ingest("leads", packed).loaded == 1
    formats = pipe.warehouse.con.execute(
        "SELECT file_format FROM ingest_batches ORDER BY batch_id"
    ).fetchall()
    assert formats == [("json",), ("jsonl",), ("json",)]


def test_a_failure_mid_batch_leaves_no_row_of_it(pipe: Pipeline, tmp_path: Path) -> None:
    rows = [[f"F{i}", "2026-03-02", "Brand New Source", "", "", "", "", ""] for i in range(50)]
    rows.append(["BAD", "never", "", "", "", "", "", ""])
    path = write_csv(tmp_path / "l.csv", LEADS_HEADER, rows)

    def fail_after_loading(stage: str, step: int, steps: int) -> None:
        if stage == "committing":  # every insert of the batch has run by now
            assert count(pipe, "leads") == 0  # not visible outside the batch's transaction
            raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected failure"):
        pipe.ingest("leads", path, progress=fail_after_loading)
    for table in ("leads", "ingest_batches", "rejected_rows"):
        assert count(pipe, table) == 0
    assert count(pipe, "lead_sources") == 2
    assert pipe.ingest("leads", path).loaded == 50  # and the same file loads afterwards


KILLED = """
import os, sys
from pathlib import Path
from attribution.config import load_settings
from attribution.service.pipeline import Pipeline
settings = load_settings(environ={"ATTRIBUTION_WAREHOUSE__PATH": sys.argv[1]})
def tick(stage, step, steps):
    if stage == "loading":
        print("loading", flush=True)
with Pipeline.open(settings) as pipe:
    pipe.ingest("touches", Path(sys.argv[2]), progress=tick)
print("committed", flush=True)
"""


@pytest.mark.slow
def test_a_process_killed_mid_batch_leaves_nothing(pipe: Pipeline, tmp_path: Path) -> None:
    load_good_leads(pipe, tmp_path)
    db = pipe.warehouse.path
    pipe.close()
    touches = tmp_path / "touches.parquet"
    duckdb.connect().execute(
        "COPY (SELECT 'G1' AS lead_id, TIMESTAMP '2026-01-01' + INTERVAL (range) SECOND "
        "AS occurred_at, 'Email' AS channel FROM range(2000000)) TO $p (FORMAT parquet)",
        {"p": str(touches)},
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(db), str(touches)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "loading"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Pipeline.open(pipe.settings) as again:
        assert count(again, "touches") == 0
        assert count(again, "ingest_batches") == 1  # the leads' batch only
        assert count(again, "leads") == 1
        assert again.ingest("touches", touches).loaded == 2_000_000


# --------------------------------------------------------------------------------------------
# Amounts: kept to the decimals given (up to 6); too large said so, not "not a number"
# --------------------------------------------------------------------------------------------


def test_amounts_keep_their_decimals_and_past_the_limit_are_too_large(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    """0.001 was stored as 0.00, amount_original too; 1e16 and more was "not a number"."""
    settings = make_settings(ingest={"base_currency": "USD", "currency_rates": {"EUR": 1.5}})
    large = "amount is too large: at most 16 digits before the decimal point"
    with Pipeline.open(settings) as pipe:
        load_good_leads(pipe, tmp_path)
        header = ["event_id", "lead_id", "occurred_at", "amount", "currency"]
        rows = [
            ["R1", "G1", "2026-03-09", "1e16", "USD"],
            ["R2", "G1", "2026-03-09", "12345678901234567890", "USD"],
            ["R3", "G1", "2026-03-09", "1e400", "USD"],
            ["R4", "G1", "2026-03-09", "0.001", "USD"],
            ["R5", "G1", "2026-03-09", "0.001", "EUR"],
            ["R6", "G1", "2026-03-09", "12.3456789", "USD"],
            ["R7", "G1", "2026-03-09", "NaN", "USD"],
            ["R8", "G1", "2026-03-09", "9999999999999999.99", "USD"],
            ["R9", "G1", "2026-03-09", "9999999999999999", "EUR"],
        ]
        s = pipe.ingest("revenue", write_csv(tmp_path / "r.csv", header, rows))
        assert (s.loaded, s.rejected) == (4, 5)
        assert [(r["row_number"], r["reason"]) for r in pipe.rejected_rows(s.batch_id or -1)] == [
            (1, large),
            (2, large),
            (3, large),
            (7, "amount is not a number"),
            (9, "amount is too large in the base currency: " + large.split(": ")[1]),
        ]
        stored = pipe.warehouse.con.execute(
            "SELECT event_id, amount, amount_original FROM revenue_events ORDER BY event_id"
        ).fetchall()
        assert stored == [
            ("R4", Decimal("0.001"), Decimal("0.001")),
            ("R5", Decimal("0.0015"), Decimal("0.001")),
            ("R6", Decimal("12.345679"), Decimal("12.345679")),  # rounded past 6 decimals
            ("R8", Decimal("9999999999999999.99"), Decimal("9999999999999999.99")),
        ]
        spend = write_csv(
            tmp_path / "s.csv",
            ["date", "channel", "amount", "currency"],
            [["2026-03-02", "Display", "0.001", "EUR"], ["2026-03-03", "Display", "1e16", ""]],
        )
        s = pipe.ingest("spend", spend)
        assert (s.loaded, s.top_reasons) == (1, [(large, 1)])
        assert pipe.warehouse.con.execute(
            "SELECT amount, amount_original FROM spend"
        ).fetchall() == [(Decimal("0.0015"), Decimal("0.001"))]
        leads = write_csv(
            tmp_path / "l.csv",
            ["lead_id", "created_at", "value"],
            [["V1", "2026-03-02", "0.0001"], ["V2", "2026-03-02", "1e16"]],
        )
        s = pipe.ingest("leads", leads)
        assert (s.loaded, s.top_reasons) == (
            1,
            [("value is too large: at most 16 digits before the decimal point", 1)],
        )
        value = pipe.warehouse.con.execute("SELECT value FROM leads WHERE lead_id = 'V1'")
        assert value.fetchall() == [(Decimal("0.0001"),)]


# --------------------------------------------------------------------------------------------
# Files refused whole: one line saying what the file is and what to do
# --------------------------------------------------------------------------------------------

LEADS_TEXT = "lead_id,created_at\nW1,2026-03-02\n"


def zip_of(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


# A minimal Excel workbook: the parts an xlsx file is told by.
XLSX = zip_of(
    {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxml'
        'formats.org/package/2006/content-types"/>',
        "xl/workbook.xml": "<workbook/>",
    }
)
AS_CSV = "save it as CSV (UTF-8) and load that"
AS_UTF8 = "save it as UTF-8 and load that"


def parquet_of_leads() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"lead_id": ["W1"], "created_at": ["2026-03-02"]}), out)
    return out.getvalue()


OTHER_TYPES = [
    ("leads.csv", XLSX, f"leads.csv is an Excel workbook (xlsx), not CSV: {AS_CSV}"),
    ("leads.xlsx", XLSX, f"leads.xlsx is an Excel workbook (xlsx), not CSV: {AS_CSV}"),
    ("leads.jsonl", XLSX, f"leads.jsonl is an Excel workbook (xlsx), not JSON Lines: {AS_CSV}"),
    ("leads.parquet", XLSX, f"leads.parquet is an Excel workbook (xlsx), not Parquet: {AS_CSV}"),
    (
        "old.csv",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        f"old.csv is an Excel 97-2003 workbook (xls) or another Office file, not CSV: {AS_CSV}",
    ),
    (
        "packed.csv",
        gzip.compress(LEADS_TEXT.encode()),
        "packed.csv is gzip-compressed, not plain CSV: unpack it (gunzip) and load that, "
        "or name it packed.csv.gz",
    ),
    (
        "archive.csv",
        zip_of({"leads.csv": LEADS_TEXT}),
        "archive.csv is a zip archive, not CSV: unpack it and load the file inside",
    ),
    (
        "columns.csv",
        parquet_of_leads(),
        "columns.csv is a Parquet file, not CSV: load it with --format parquet, or name it "
        ".parquet",
    ),
    (
        "report.csv",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "report.csv is a PDF document, not CSV: export the data as CSV (UTF-8) and load that",
    ),
    (
        "page.csv",
        b"\n<!DOCTYPE html>\n<html><body>Sign in</body></html>\n",
        "page.csv is a web page (HTML), not CSV: download the data file itself, as CSV "
        "(UTF-8), and load that",
    ),
    ("u16.csv", LEADS_TEXT.encode("utf-16"), f"u16.csv is UTF-16 text, not UTF-8: {AS_UTF8}"),
    ("u16.csv", LEADS_TEXT.encode("utf-16-le"), f"u16.csv is UTF-16 text, not UTF-8: {AS_UTF8}"),
    ("u32.csv", LEADS_TEXT.encode("utf-32-le"), f"u32.csv is UTF-32 text, not UTF-8: {AS_UTF8}"),
    (
        "latin.csv",
        "lead_id,created_at,status\nW1,2026-03-02,new\nW2,2026-03-02,Jos\xe9\n".encode("latin-1"),
        f"latin.csv is not UTF-8 text (byte 0xE9 at line 3): {AS_UTF8}",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    OTHER_TYPES,
    ids=[
        "xlsx",
        "xlsx by name",
        "xlsx as jsonl",
        "xlsx as parquet",
        "xls",
        "gzip",
        "zip",
        "parquet",
        "pdf",
        "html",
        "utf-16",
        "utf-16 no bom",
        "utf-32 no bom",
        "latin-1",
    ],
)
def test_a_file_of_another_type_is_named_with_what_to_do(
    pipe: Pipeline, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    """An xlsx file was "UTF-16 text", an xls file "UTF-32 text"; gzip and Latin-1 got DuckDB's
    "CSV Error on Line: 1: Invalid unicode ..."."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        pipe.ingest("leads", path)
    assert str(info.value) == message
    assert count(pipe, "ingest_batches") == 0


def test_a_file_named_gz_is_read_through_gzip(pipe: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv.gz"
    path.write_bytes(gzip.compress(LEADS_TEXT.encode()))
    s = pipe.ingest("leads", path)
    assert (s.loaded, s.file_format) == (1, "csv")


def test_the_first_byte_that_is_not_utf8_is_found_past_a_chunk(
    pipe: Pipeline, tmp_path: Path
) -> None:
    """A character cut in two by the 1 MiB read is UTF-8 still; the bad byte's line is exact."""
    filler = "x" * 99 + "\n"  # 100 bytes a line
    lines = (1 << 20) // 100  # the header and this many lines end before the first MiB ...
    head = "lead_id,created_at,status\n"
    text = head + filler * (lines - 1) + "y" * ((1 << 20) - len(head) - 100 * (lines - 1) - 1)
    content = text.encode() + "é\n".encode() + b"z,\xff\n"  # ... é straddles it
    assert content[(1 << 20) - 1 : (1 << 20) + 1] == "é".encode()
    path = tmp_path / "big.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        pipe.ingest("leads", path)
    line = text.count("\n") + 2
    assert str(info.value) == f"big.csv is not UTF-8 text (byte 0xFF at line {line}): {AS_UTF8}"


# (name, content, message): a line with a field too many or too few, named by its line.
RAGGED = [
    (
        "rag.csv",
        "lead_id,created_at,source\n"
        + "".join(f"L{i},2026-03-0{i},Google\n" for i in range(1, 6))
        + "L6,2026-03-06,Google,extra\nL7,2026-03-07,Google\n",
        "rag.csv: line 7 has 4 fields, the header has 3. Fix that line, or put double quotes "
        "around fields that hold a comma",
    ),
    (
        "semi.csv",
        "\ufefflead_id;created_at;source\nL1;2026-03-02\nL2;2026-03-02;a;b\nL3;2026-03-02;c;d\n",
        "semi.csv: line 2 has 2 fields, the header has 3 (2 more lines differ too). Fix those "
        "lines, or put double quotes around fields that hold a semicolon",
    ),
    (
        "quoted.csv",
        'lead_id,created_at,status\nL1,2026-03-02,"two\nlines, one field"\nL2,2026-03-02\n',
        "quoted.csv: line 4 has 2 fields, the header has 3. Fix that line, or put double "
        "quotes around fields that hold a comma",
    ),
    (
        "late.csv",  # past the lines DuckDB's sniffer looks at: DuckDB's own error, reworded
        "lead_id,created_at,status\n"
        + "".join(f"L{i},2026-03-02,new\n" for i in range(30_000))
        + "L,2026-03-02,new,x\n",
        "late.csv: line 30002 has 4 fields, the header has 3. Fix that line, or put double "
        "quotes around fields that hold a comma",
    ),
]


@pytest.mark.parametrize(("name", "text", "message"), RAGGED, ids=[r[0] for r in RAGGED])
def test_a_ragged_line_is_named_by_its_line(
    pipe: Pipeline, tmp_path: Path, name: str, text: str, message: str
) -> None:
    """The file was refused as "read as one single column", or with DuckDB's "Expected Number of
    Columns: 3 Found: 4", without saying which line to fix."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(IngestError) as info:
        pipe.ingest("leads", path)
    assert str(info.value) == message
    assert count(pipe, "ingest_batches") == 0


def damaged_parquet() -> bytes:
    """Parquet that opens, with a value that is not UTF-8: met by the statements that read it."""
    out = io.BytesIO()
    table = pa.table({"lead_id": ["Quixotic"] * 3, "created_at": ["2026-03-02"] * 3})
    pq.write_table(table, out, compression="none", write_statistics=False)
    return out.getvalue().replace(b"Quixotic", b"Quixoti\xff")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "cut.jsonl",
            b'{"lead_id": "W1", "created_at": "2026-03-02"}\n{"lead_id": ',
            "cannot read cut.jsonl as jsonl: Malformed JSON in file "
            '"cut.jsonl", at byte 13 in line 3: unexpected end of data.',
        ),
        (
            "latin.csv.gz",
            gzip.compress("lead_id,created_at\nJos\xe9,2026\n".encode("latin-1")),
            "cannot read latin.csv.gz as csv: it is not UTF-8 text: save it as UTF-8 and load that",
        ),
        (
            "damaged.parquet",
            damaged_parquet(),
            "cannot read damaged.parquet as parquet: Invalid string encoding "
            'found in Parquet file "damaged.parquet": value "Quixoti\\xFF" is not valid UTF8!',
        ),
    ],
    ids=["jsonl cut short", "latin-1 gzip", "damaged parquet"],
)
def test_a_file_duckdb_cannot_read_is_logged_at_debug_only(
    pipe: Pipeline,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    name: str,
    content: bytes,
    message: str,
) -> None:
    """The failing statement was logged at ERROR, so the command line printed it, with its SQL
    and DuckDB's "Possible fixes", before the one line of the refusal."""
    path = tmp_path / name
    path.write_bytes(content)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(IngestError) as info:
        pipe.ingest("leads", path)
    assert str(info.value) == message
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    logged = [r for r in caplog.records if r.name == "attribution.warehouse.connection"]
    assert logged and all(r.levelno == logging.DEBUG for r in logged)


def test_a_latin1_file_prints_one_line_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("lead_id,created_at\nL1,2026-03-02\nJos\xe9,2026-03-02\n".encode("latin-1"))
    done = subprocess.run(
        [sys.executable, "-m", "attribution", "ingest", "leads", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "80", "ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "w")},
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"error: latin.csv is not UTF-8 text (byte 0xE9 at line 3): {AS_UTF8}\n"


# --------------------------------------------------------------------------------------------
# Every row rejected: exit code 6 on the command line, a failed job
# --------------------------------------------------------------------------------------------


def test_every_row_rejected_exits_6_after_the_summary(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    make_settings()
    env = {"ATTRIBUTION_CONFIG": str(tmp_path / "config.yaml"), "COLUMNS": "80"}
    bad = write_csv(tmp_path / "bad.csv", ["lead_id", "created_at"], [["", "2026-03-02"]])
    mixed = write_csv(
        tmp_path / "mixed.csv", ["lead_id", "created_at"], [["M1", "2026-03-02"], ["M2", "x"]]
    )
    runner = CliRunner()
    first = runner.invoke(main, ["ingest", "leads", str(bad)], env=env)
    assert first.exit_code == 6, first.output
    assert "bad.csv: batch 1, 1 rows read: 0 loaded, 0 duplicates skipped, 1 rejected" in (
        first.stdout
    )
    assert "1 x lead_id is missing" in first.stdout
    assert first.stderr == (
        "error: every row of bad.csv (batch 1) was rejected, so nothing was loaded: fix the "
        "rows (reasons above) and load it again\n"
    )
    again = runner.invoke(main, ["ingest", "leads", str(bad)], env=env)
    assert again.exit_code == 0, again.output  # already loaded: nothing new, nothing wrong
    assert "already loaded as batch 1" in again.stdout
    some = runner.invoke(main, ["ingest", "leads", str(mixed)], env=env)
    assert some.exit_code == 0, some.output
    bad2 = write_csv(tmp_path / "bad2.csv", ["lead_id", "created_at"], [["B", "never"]])
    both = runner.invoke(main, ["ingest", "leads", str(bad2), str(mixed), "--json"], env=env)
    assert both.exit_code == 6, both.output
    summaries = json.loads(both.stdout)
    assert [(s["file"], s["rows_read"], s["rejected"]) for s in summaries] == [
        ("bad2.csv", 1, 1),
        ("mixed.csv", 2, 1),
    ]
    assert both.stderr.startswith("error: every row of bad2.csv (batch 3) was rejected")
    refused = runner.invoke(main, ["ingest", "leads", str(tmp_path / "config.yaml")], env=env)
    assert refused.exit_code == 1  # a file refused whole is still 1


def test_a_job_whose_new_file_is_all_rejected_fails_without_retries(
    make_settings: MakeSettings, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    (drop / "leads").mkdir(parents=True)
    write_csv(drop / "leads" / "a_good.csv", ["lead_id", "created_at"], [["J1", "2026-03-02"]])
    write_csv(drop / "leads" / "b_bad.csv", ["lead_id", "created_at"], [["J2", "never"]])
    job = {"name": "load", "cron": "0 7 * * mon", "steps": ["ingest"], "drop_folder": str(drop)}
    settings = make_settings(jobs={"definitions": [job], "retries": 2, "retry_backoff_seconds": 0})
    waits: list[float] = []
    with Pipeline.open(settings) as pipe:
        jobs = Jobs(pipe, sleep=waits.append)
        first = jobs.run("load")
        assert (first.status, waits) == ("failed", [])  # not retried: waiting mends nothing
        assert first.error == (
            "step ingest failed: every row of leads/b_bad.csv (batch 2) was rejected, so "
            "nothing was loaded: see why with `attribution batches --rejected 2`, fix the rows "
            "and load the file again"
        )
        assert count(pipe, "leads") == 1  # the good file is loaded all the same
        second = jobs.run("load")  # the same files: already loaded, nothing new
        assert second.status == "succeeded"
        assert [f["already_loaded"] for f in second.outputs["ingest"]] == [True, True]


# -- size limits (issue 17): refused before DuckDB reads the file ----------------------------


def _limited(make_settings: MakeSettings, migrated: Any, **ingest: Any) -> Pipeline:
    return Pipeline.open(migrated(make_settings(ingest=ingest)))


TOO_WIDE = (
    "{name} has 6 columns; the limit is 5 (`ingest.max_columns`). Split the file or drop what "
    "is not needed, or raise the limit in the configuration."
)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "csv.gz"])
def test_a_file_wider_than_max_columns_is_refused_before_it_is_read(
    make_settings: MakeSettings, migrated: Any, tmp_path: Path, fmt: str
) -> None:
    record = {"lead_id": "L1", "created_at": "2026-03-02", "a": 1, "b": 2, "c": 3, "d": 4}
    path = tmp_path / f"leads.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.table({k: [v] for k, v in record.items()}), path)
    elif fmt == "jsonl":
        path.write_text(json.dumps(record) + "\n")
    else:
        text = ",".join(record) + "\n" + ",".join(str(v) for v in record.values()) + "\n"
        path.write_bytes(gzip.compress(text.encode()) if fmt.endswith("gz") else text.encode())
    with _limited(make_settings, migrated, max_columns=5) as pipe:
        with pytest.raises(IngestLimitError) as refused:
            pipe.ingest("leads", path)
        assert str(refused.value) == TOO_WIDE.format(name=path.name)
        assert count(pipe, "ingest_batches") == 0


def test_rows_and_decompressed_bytes_past_the_cli_limits_are_refused(
    make_settings: MakeSettings, migrated: Any, tmp_path: Path
) -> None:
    rows = [(f"L{i}", "2026-03-02") for i in range(30)]
    plain = write_csv(tmp_path / "leads.csv", ["lead_id", "created_at"], rows)
    packed = tmp_path / "leads.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes() + b"L99," + b"x" * 4000 + b"\n"))
    table = pa.table({"lead_id": [r[0] for r in rows], "created_at": [r[1] for r in rows]})
    pq.write_table(table, tmp_path / "leads.parquet")
    with _limited(make_settings, migrated, max_rows=20, max_decompressed_bytes=2048) as pipe:
        for name in ("leads.csv", "leads.parquet"):
            with pytest.raises(IngestLimitError, match=r"the limit is 20 \(`ingest.max_rows`\)"):
                pipe.ingest("leads", tmp_path / name)
        with pytest.raises(IngestLimitError) as refused:
            pipe.ingest("leads", packed)
        assert str(refused.value).startswith(
            "leads.csv.gz expands to more than 2,048 bytes; the limit is 2,048 "
            "(`ingest.max_decompressed_bytes`)."
        )
        assert pipe.ingest("leads", plain, limits=Limits(5, 30, 2048)).loaded == 30


def test_an_upload_that_expands_past_the_compression_ratio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv.gz"
    path.write_bytes(gzip.compress(b"lead_id,created_at\n" + b"L1,2026-03-02\n" * 20_000))
    with pytest.raises(IngestLimitError) as refused:
        check(path, path.name, "csv", Limits(10, 10**9, 10**9, max_ratio=50))
    assert str(refused.value).startswith(
        "leads.csv.gz expands more than 50 times its size; the limit is 50 "
        "(`api.max_compression_ratio`)."
    )


@pytest.mark.parametrize("suffix", ["jsonl", "json_array"])
def test_json_record_with_more_than_200_keys_keeps_its_columns(
    pipe: Pipeline, tmp_path: Path, suffix: str
) -> None:
    # DuckDB reads an object of more than 200 keys as one MAP unless told not to, and the file
    # was refused as "not JSON objects with fields".
    record = {"lead_id": "W1", "created_at": "2026-03-02T10:00:00Z", "source": "Google"}
    record.update({f"x{i}": str(i) for i in range(300)})
    path = tmp_path / "wide.json"
    if suffix == "jsonl":
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
        summary = pipe.ingest("leads", path, file_format="jsonl")
    else:
        path.write_text(json.dumps([record]), encoding="utf-8")
        summary = pipe.ingest("leads", path, file_format="json_array")
    assert summary.loaded == 1
    assert summary.extra_columns == [f"x{i}" for i in range(300)]
