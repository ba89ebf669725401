"""Channel mapping: each default rule, precedence touch > registry > default > Unassigned,
registry UTM rules, case-insensitivity, lead-creation touches and the data-quality figures."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from attribution.engine import channels
from attribution.errors import AttributionError
from attribution.registry.schemas import SourceUpdate
from attribution.registry.sources import create_source
from attribution.service.pipeline import Pipeline

from .conftest import write_csv

# Registry sources added before the data: (name, channel, utm_source, utm_medium, utm_campaign).
# The seed already holds Google (Paid Search) and Facebook (Paid Social).
SOURCES = [
    ("Acme Partners", "Partner", "acme", "", ""),
    ("Acme Spring", "Event", "ACME", "", "Spring-Launch"),  # more specific than Acme Partners
    ("Parked", "Unassigned", "parked", "cpc", ""),  # an Unassigned source's rule is skipped
    ("Meetup Group", "organic SOCIAL", "", "", ""),  # spelled as a default group, ignoring case
    ("Podcast Network", "Podcasts", "pod", "audio", ""),  # a channel of the project's own
]

TOUCH_HEADER = ["touch_id", "lead_id", "occurred_at", "channel", "source"]
TOUCH_HEADER += ["utm_source", "utm_medium", "utm_campaign"]

TOUCH, REGISTRY, RULE, NONE = channels.MAPPED_BY
# (what the row shows, (channel, source, utm_source, utm_medium, utm_campaign), channel, mapped_by)
TOUCH_CASES: list[tuple[str, tuple[str, str, str, str, str], str, str]] = [
    # the touch's own channel
    ("touch beats registry", ("Email", "Google", "", "", ""), "Email", TOUCH),
    ("touch beats rules", ("Referral", "", "google", "cpc", ""), "Referral", TOUCH),
    ("touch channel normalised", ("paid search", "", "", "", ""), "Paid Search", TOUCH),
    ("touch channel upper case", ("ORGANIC SOCIAL", "", "", "", ""), "Organic Social", TOUCH),
    ("touch channel of its own", ("Podcast Ads", "", "", "", ""), "Podcast Ads", TOUCH),
    ("touch Unassigned is none", ("unassigned", "Facebook", "", "", ""), "Paid Social", REGISTRY),
    # the registry: the source's channel, then UTM rules
    ("source beats rules", ("", "Google", "google", "organic", ""), "Paid Search", REGISTRY),
    ("source name any case", ("", "facebook", "", "", ""), "Paid Social", REGISTRY),
    ("source channel normalised", ("", "Meetup Group", "", "", ""), "Organic Social", REGISTRY),
    ("utm rule", ("", "", "acme", "email", ""), "Partner", REGISTRY),
    ("utm rule, any case", ("", "", "AcMe", "cpc", "other"), "Partner", REGISTRY),
    ("most specific utm rule", ("", "", "acme", "x", "spring-launch"), "Event", REGISTRY),
    ("utm rule all fields", ("", "", "Pod", "AUDIO", ""), "Podcasts", REGISTRY),
    (
        "unassigned source, utm rule",
        ("", "Trade Fair 2026", "acme", "cpc", ""),
        "Partner",
        REGISTRY,
    ),
    ("utm rule partly matched", ("", "", "pod", "cpc", ""), "Paid Other", RULE),
    ("unassigned source's rule", ("", "", "parked", "cpc", ""), "Paid Other", RULE),
    # default rules; the source's name stands in for a missing utm_source
    ("source name as utm_source", ("", "Newsletter", "", "", ""), "Email", RULE),
    ("search engine name", ("", "Bing", "", "", ""), "Organic Search", RULE),
    ("utm_source beats name", ("", "Bing", "facebook", "paid_social", ""), "Paid Social", RULE),
    ("direct", ("", "", "(direct)", "(none)", ""), "Direct", RULE),
    ("cross-network first", ("", "", "google", "cpc", "PMax_Cross-Network"), "Cross-network", RULE),
    ("paid shopping", ("", "", "amazon", "cpc", ""), "Paid Shopping", RULE),
    ("paid search cpc", ("", "", "google", "cpc", ""), "Paid Search", RULE),
    ("paid search ppc", ("", "", "Bing", "PPC", ""), "Paid Search", RULE),
    ("paid search paidsearch", ("", "", "yahoo", "paidsearch", ""), "Paid Search", RULE),
    ("paid search pattern", ("", "", "duckduckgo", "brand_paid_search", ""), "Paid Search", RULE),
    ("paid search domain", ("", "", "www.baidu.com", "cpc", ""), "Paid Search", RULE),
    ("paid social cpc", ("", "", "facebook", "cpc", ""), "Paid Social", RULE),
    ("paid social paid_social", ("", "", "Instagram", "paid_social", ""), "Paid Social", RULE),
    ("paid social ppc", ("", "", "linkedin", "ppc", ""), "Paid Social", RULE),
    ("paid social x", ("", "", "x", "paid", ""), "Paid Social", RULE),
    ("paid social tiktok", ("", "", "tiktok", "cpc", ""), "Paid Social", RULE),
    ("paid video", ("", "", "youtube", "cpv", ""), "Paid Video", RULE),
    ("display", ("", "", "adroll", "display", ""), "Display", RULE),
    ("display banner", ("", "", "adroll", "Banner", ""), "Display", RULE),
    ("display cpm", ("", "", "criteo", "cpm", ""), "Display", RULE),
    ("paid other", ("", "", "criteo", "retargeting", ""), "Paid Other", RULE),
    ("event", ("", "", "eventbrite", "event", ""), "Event", RULE),
    ("event webinar", ("", "", "linkedin", "Webinar", ""), "Event", RULE),
    ("event trade show", ("", "", "expo", "trade-show", ""), "Event", RULE),
    ("partner", ("", "", "reseller", "partner", ""), "Partner", RULE),
    ("organic shopping", ("", "", "etsy", "referral", ""), "Organic Shopping", RULE),
    ("organic social source", ("", "", "facebook", "referral", ""), "Organic Social", RULE),
    ("organic social medium", ("", "", "blog-ring", "social-network", ""), "Organic Social", RULE),
    ("organic social sm", ("", "", "forum", "SM", ""), "Organic Social", RULE),
    ("organic video", ("", "", "vimeo", "referral", ""), "Organic Video", RULE),
    ("organic search", ("", "", "google", "organic", ""), "Organic Search", RULE),
    ("organic search yandex", ("", "", "Yandex", "Organic", ""), "Organic Search", RULE),
    ("organic medium", ("", "", "startpage", "organic", ""), "Organic Search", RULE),
    ("referral", ("", "", "example.com", "referral", ""), "Referral", RULE),
    ("email medium", ("", "", "mailchimp", "e-mail", ""), "Email", RULE),
    ("email source", ("", "", "newsletter", "weekly", ""), "Email", RULE),
    ("email e_mail", ("", "", "crm", "E_Mail", ""), "Email", RULE),
    ("affiliates", ("", "", "partnerize", "affiliate", ""), "Affiliates", RULE),
    ("audio", ("", "", "spotify", "audio", ""), "Audio", RULE),
    ("sms medium", ("", "", "twilio", "sms", ""), "SMS", RULE),
    ("sms source", ("", "", "SMS", "text", ""), "SMS", RULE),
    ("push", ("", "", "onesignal", "web-push", ""), "Mobile Push Notifications", RULE),
    ("push firebase", ("", "", "firebase", "inapp", ""), "Mobile Push Notifications", RULE),
    # nothing matches
    ("no rule matches", ("", "", "mystery", "carrier-pigeon", ""), "Unassigned", NONE),
    ("unknown source name", ("", "Trade Fair 2026", "", "", ""), "Unassigned", NONE),
]

LEAD_HEADER = ["lead_id", "created_at", "source", "utm_source", "utm_medium", "utm_campaign"]
# (lead row, channel, mapped_by) of each lead's creation touch
LEAD_CASES: list[tuple[list[str], str, str]] = [
    (["L1", "2026-03-01T09:00:00Z", "Google", "", "", ""], "Paid Search", REGISTRY),
    (["L3", "2026-03-03T09:00:00Z", "", "LinkedIn", "CPC", ""], "Paid Social", RULE),
    (["L4", "2026-03-04T09:00:00Z", "", "acme", "", ""], "Partner", REGISTRY),
    (["L5", "2026-03-05T09:00:00Z", "Mystery Fair", "", "", ""], "Unassigned", NONE),
]
# A lead with no source and no UTM values is of unknown origin: its creation is no touch.
UNKNOWN_ORIGIN = ["L2", "2026-03-02T09:00:00Z", "", "", "", ""]
# The source each lead creation carries: the lead's own, else the source whose UTM rule matches.
LEAD_SOURCES = {"L1": "Google", "L3": None, "L4": "Acme Partners", "L5": "Mystery Fair"}
# The source each touch carries where it names none: the source whose UTM rule matches.
UTM_SOURCES = {
    "utm rule": "Acme Partners",
    "utm rule, any case": "Acme Partners",
    "most specific utm rule": "Acme Spring",
    "utm rule all fields": "Podcast Network",
    "unassigned source's rule": "Parked",  # its rule names the source, not the channel
}


def add_registry(pipe: Pipeline) -> None:
    for name, channel, utm_source, utm_medium, utm_campaign in SOURCES:
        raw = {"name": name, "channel": channel, "utm_source": utm_source}
        raw |= {"utm_medium": utm_medium, "utm_campaign": utm_campaign}
        fields, errors = SourceUpdate.parse(raw, creating=True)
        assert errors == {}
        create_source(pipe.warehouse, fields=fields)


def load_cases(pipe: Pipeline, tmp_path: Path) -> None:
    """The registry, the leads and the touches of the tables above."""
    add_registry(pipe)
    rows = [row for row, _, _ in LEAD_CASES] + [UNKNOWN_ORIGIN]
    leads = write_csv(tmp_path / "leads.csv", LEAD_HEADER, sorted(rows))
    assert pipe.ingest("leads", leads).loaded == len(LEAD_CASES) + 1
    rows = [
        [f"T{i}", "L1", f"2026-03-10T{i // 60:02d}:{i % 60:02d}:00Z", *given]
        for i, (_, given, _, _) in enumerate(TOUCH_CASES)
    ]
    touches = write_csv(tmp_path / "touches.csv", TOUCH_HEADER, rows)
    summary = pipe.ingest("touches", touches)
    assert (summary.loaded, summary.rejected) == (len(TOUCH_CASES), 0)


@pytest.fixture
def mapped(pipe: Pipeline, tmp_path: Path) -> Pipeline:
    load_cases(pipe, tmp_path)
    channels.map_touches(pipe.warehouse)
    return pipe


def test_each_touch_maps_as_its_case_says(mapped: Pipeline) -> None:
    got = mapped.warehouse.con.execute(
        "SELECT channel, mapped_by FROM touch_channels WHERE NOT is_lead_creation "
        "ORDER BY row_number"
    ).fetchall()
    labelled = [(label, *row) for (label, _, _, _), row in zip(TOUCH_CASES, got, strict=True)]
    assert labelled == [(label, ch, by) for label, _, ch, by in TOUCH_CASES]


def test_each_lead_creation_is_a_touch_unless_of_unknown_origin(mapped: Pipeline) -> None:
    got = mapped.warehouse.con.execute(
        "SELECT c.lead_id, c.occurred_at, s.name, c.channel, c.mapped_by "
        "FROM touch_channels AS c LEFT JOIN lead_sources AS s ON s.id = c.source_id "
        "WHERE c.is_lead_creation ORDER BY c.lead_id"
    ).fetchall()
    expected = [
        (row[0], datetime.fromisoformat(row[1].removesuffix("Z")), LEAD_SOURCES[row[0]], ch, by)
        for row, ch, by in LEAD_CASES
    ]
    assert got == expected  # no touch of L2, a lead with no source and no UTM values


def test_a_touch_naming_no_source_carries_the_source_its_utm_rule_matches(
    mapped: Pipeline,
) -> None:
    got = mapped.warehouse.con.execute(
        "SELECT s.name FROM touch_channels AS c LEFT JOIN lead_sources AS s "
        "ON s.id = c.source_id WHERE NOT c.is_lead_creation ORDER BY c.row_number"
    ).fetchall()
    for (label, given, _, _), (source,) in zip(TOUCH_CASES, got, strict=True):
        named = given[1] or None
        want = UTM_SOURCES.get(label, named)
        assert (label, source.lower() if source else None) == (
            label,
            want.lower() if want else None,
        )


def test_one_row_per_touch_and_lead_keeps_ingest_order(mapped: Pipeline) -> None:
    con = mapped.warehouse.con
    rows = con.execute(
        "SELECT is_lead_creation, count(*), count(DISTINCT (batch_id, row_number)) "
        "FROM touch_channels GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert rows == [(False, len(TOUCH_CASES), len(TOUCH_CASES)), (True, 4, 4)]
    first = con.execute(
        "SELECT lead_id, row_number FROM touch_channels WHERE NOT is_lead_creation "
        "ORDER BY row_number LIMIT 1"
    ).fetchone()
    assert first == ("L1", 1)


def test_unassigned_share_counts_touches_and_leads(mapped: Pipeline) -> None:
    expected = [ch for _, _, ch, _ in TOUCH_CASES] + [ch for _, ch, _ in LEAD_CASES]
    share = channels.unassigned_share(mapped.warehouse)
    assert share == pytest.approx(expected.count("Unassigned") / len(expected), abs=1e-12)
    assert share == pytest.approx(3 / 65, abs=1e-12)


def test_mapping_summary_counts_channel_and_method(mapped: Pipeline) -> None:
    counts = Counter((ch, by) for _, _, ch, by in TOUCH_CASES)
    counts.update((ch, by) for _, ch, by in LEAD_CASES)
    summary = channels.mapping_summary(mapped.warehouse)
    assert {(r["channel"], r["mapped_by"]): r["touches"] for r in summary} == dict(counts)
    assert summary[0] == {"channel": "Paid Social", "mapped_by": "default_rule", "touches": 7}
    assert [r["touches"] for r in summary] == sorted((r["touches"] for r in summary), reverse=True)
    assert {r["mapped_by"] for r in summary} == set(channels.MAPPED_BY)


def test_empty_warehouse_has_no_unassigned_share(pipe: Pipeline) -> None:
    channels.map_touches(pipe.warehouse)
    assert channels.unassigned_share(pipe.warehouse) == 0.0
    assert channels.mapping_summary(pipe.warehouse) == []


def test_default_rules_are_versioned_data(pipe: Pipeline) -> None:
    with channels.DEFAULT_RULES.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["version"] for r in rows} == {"1"}
    # One channel per priority: the order of rows within a priority cannot change a result.
    by_priority: dict[str, set[str]] = {}
    for r in rows:
        by_priority.setdefault(r["priority"], set()).add(r["channel"])
    assert all(len(names) == 1 for names in by_priority.values())
    assert channels.load_default_rules(pipe.warehouse) == len(rows)
    assert channels.rules_loaded(pipe.warehouse)
    got = pipe.warehouse.con.execute(
        "SELECT DISTINCT channel FROM channel_rules ORDER BY channel"
    ).fetchall()
    assert [c for (c,) in got] == sorted(
        [
            "Affiliates",
            "Audio",
            "Cross-network",
            "Direct",
            "Display",
            "Email",
            "Event",
            "Mobile Push Notifications",
            "Organic Search",
            "Organic Shopping",
            "Organic Social",
            "Organic Video",
            "Paid Other",
            "Paid Search",
            "Paid Shopping",
            "Paid Social",
            "Paid Video",
            "Partner",
            "Referral",
            "SMS",
        ]
    )


def test_rules_load_per_connection(pipe: Pipeline) -> None:
    other = pipe.warehouse.cursor()
    channels.load_default_rules(pipe.warehouse)
    assert channels.rules_loaded(pipe.warehouse)
    assert not channels.rules_loaded(other)
    channels.map_touches(other)  # loads the default rules itself
    assert channels.rules_loaded(other)


def test_first_matching_rule_by_priority_wins_not_file_order(
    pipe: Pipeline, tmp_path: Path
) -> None:
    header = ["version", "priority", "channel", "source_pattern", "medium_pattern"]
    header.append("campaign_pattern")
    rules = write_csv(
        tmp_path / "rules.csv",
        header,
        [
            [1, 5, "Old", "", "", ""],
            [2, 20, "Broad", "%", "", ""],
            [2, 10, "Narrow", "", " CPC ", "%Spring%"],
            [2, 30, "Never", "", "", ""],
        ],
    )
    assert channels.load_default_rules(pipe.warehouse, path=rules) == 3
    leads = write_csv(
        tmp_path / "leads.csv",
        LEAD_HEADER,
        [
            ["A", "2026-03-01", "", "x", "cpc", "SPRING-sale"],
            ["B", "2026-03-01", "", "x", "cpc", "autumn"],
        ],
    )
    pipe.ingest("leads", leads)
    channels.map_touches(pipe.warehouse)  # keeps the rules this connection loaded
    got = pipe.warehouse.con.execute(
        "SELECT lead_id, channel, mapped_by FROM touch_channels ORDER BY lead_id"
    ).fetchall()
    assert got == [("A", "Narrow", "default_rule"), ("B", "Broad", "default_rule")]
    assert channels.load_default_rules(pipe.warehouse, path=rules, version=1) == 1
    channels.map_touches(pipe.warehouse)
    assert channels.mapping_summary(pipe.warehouse) == [
        {"channel": "Old", "mapped_by": "default_rule", "touches": 2}
    ]


def test_bad_rule_files_are_refused(pipe: Pipeline, tmp_path: Path) -> None:
    header = ["version", "priority", "channel", "source_pattern", "medium_pattern"]
    header.append("campaign_pattern")
    rules = write_csv(tmp_path / "rules.csv", header, [[1, "", "Email", "", "email", ""]])
    with pytest.raises(AttributionError, match=r"1 rule\(s\) of its highest version lack"):
        channels.load_default_rules(pipe.warehouse, path=rules)
    with pytest.raises(AttributionError, match=r"rules\.csv has no channel rules for version 7"):
        channels.load_default_rules(pipe.warehouse, path=rules, version=7)


def test_a_runs_keyed_mapping_gives_every_row_the_channel_and_source_of_map_touches(
    mapped: Pipeline,
) -> None:
    """The run maps each distinct key once and finds a touch's key by hash
    (journeys/key_channels.sql, run_touches.sql): the same rows as map_touches, on every case
    above (NULL and empty values, case, registry rules, lead creations)."""
    wh = mapped.warehouse
    window = {"since": None, "until": None, "leads_since": None}
    wh.temp_view("run_touch_rows", "channels/touch_rows", window)
    for name in ("mapping_keys", "key_channels", "run_channels", "run_touches"):
        wh.execute(f"journeys/{name}")
    keyed = wh.con.execute(
        "SELECT l.lead_id, t.occurred_at, t.batch_id, t.row_number, t.is_lead_creation, "
        "t.source_id, c.channel FROM run_touches AS t JOIN run_channels AS c "
        "ON c.code = t.channel_code JOIN leads AS l ON l.lead_no = t.lead_no ORDER BY ALL"
    ).fetchall()
    plain = wh.con.execute(
        "SELECT lead_id, occurred_at, batch_id, row_number, is_lead_creation, source_id, "
        "channel FROM touch_channels ORDER BY ALL"
    ).fetchall()
    assert len(plain) == len(TOUCH_CASES) + 4
    assert keyed == plain
    codes = wh.con.execute("SELECT channel, code FROM run_channels ORDER BY code").fetchall()
    names = sorted({row[-1] for row in plain})
    assert codes == [(name, code) for code, name in enumerate(names)]
