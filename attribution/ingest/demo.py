"""The demo data set: seeded, realistic leads, touches, revenue and spend, with a few bad rows.

Everything is drawn with numpy in whole arrays (no loop over rows); the same seed and as-of date
give the same files byte for byte."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from attribution.warehouse.statements import statement

# name, channel, utm_source, utm_medium, share of leads, conversion rate, mean deal, daily spend
SOURCES: list[tuple[str, str, str, str, float, float, float, float]] = [
    ("Google", "Paid Search", "google", "cpc", 0.17, 0.090, 4200, 520),
    ("Facebook", "Paid Social", "facebook", "paid_social", 0.13, 0.050, 2600, 380),
    ("Bing Ads", "Paid Search", "bing", "cpc", 0.05, 0.080, 3900, 110),
    ("LinkedIn Ads", "Paid Social", "linkedin", "paid_social", 0.06, 0.110, 7800, 300),
    ("Organic Search", "Organic Search", "google", "organic", 0.16, 0.070, 3600, 0),
    ("Newsletter", "Email", "newsletter", "email", 0.08, 0.100, 3100, 0),
    ("Customer Referral", "Referral", "referral", "referral", 0.06, 0.180, 5200, 0),
    ("Trade Show", "Event", "tradeshow", "event", 0.04, 0.150, 9100, 0),
    ("Reseller Partners", "Partner", "partner", "partner", 0.05, 0.130, 6400, 0),
    ("Website", "Direct", "(direct)", "(none)", 0.09, 0.060, 3000, 0),
    ("Display Network", "Display", "gdn", "display", 0.06, 0.020, 2400, 160),
    ("Affiliate Program", "Affiliates", "affiliate", "affiliate", 0.05, 0.040, 2900, 90),
]
NOISE_CHANNELS = np.array(["Direct", "Organic Search", "Email", "Paid Social", "Referral"])
NOISE_WEIGHTS = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
WEEKDAY = np.array([1.15, 1.2, 1.15, 1.1, 0.95, 0.45, 0.4])  # Monday first


@dataclass(frozen=True)
class DemoData:
    leads: pa.Table
    touches: pa.Table
    revenue: pa.Table
    spend: pa.Table
    start: datetime
    end: datetime


def period(as_of: date, weeks: int) -> tuple[datetime, datetime]:
    """The `weeks` complete ISO weeks before as_of's week, as [start, end) UTC datetimes."""
    monday = as_of - timedelta(days=as_of.weekday())
    end = datetime(monday.year, monday.month, monday.day)
    return end - timedelta(weeks=weeks), end


def generate(*, seed: int, leads: int, weeks: int, as_of: date) -> DemoData:
    """The demo data set (bad rows included) as Arrow tables."""
    rng = np.random.default_rng(seed)
    start, end = period(as_of, weeks)
    days = weeks * 7
    start64 = np.datetime64(start, "s")
    end64 = np.datetime64(end, "s")
    names = np.array([s[0] for s in SOURCES])
    channels = np.array([s[1] for s in SOURCES])
    utm_src = np.array([s[2] for s in SOURCES])
    utm_med = np.array([s[3] for s in SOURCES])
    share = np.array([s[4] for s in SOURCES])
    conv = np.array([s[5] for s in SOURCES])
    deal = np.array([s[6] for s in SOURCES])
    daily_spend = np.array([s[7] for s in SOURCES])

    # Leads: weekday rhythm, a slow upward trend, a mid-period campaign bump.
    day_idx = np.arange(days)
    weekday = (np.datetime64(start.date(), "D") + day_idx).astype("datetime64[D]").view("int64")
    weekday = (weekday + 3) % 7  # 1970-01-01 was a Thursday
    day_weight = WEEKDAY[weekday] * (1 + 0.25 * day_idx / days)
    day_weight *= 1 + 0.5 * np.exp(-(((day_idx - days * 0.6) / 5) ** 2))
    day_weight /= day_weight.sum()
    lead_day = rng.choice(days, size=leads, p=day_weight)
    seconds = lead_day * 86400 + rng.integers(7 * 3600, 21 * 3600, leads)
    created = start64 + seconds.astype("timedelta64[s]")
    src = rng.choice(len(SOURCES), size=leads, p=share / share.sum())
    lead_ids = np.char.add("L", np.char.zfill(np.arange(1, leads + 1).astype(str), 6))

    # Conversions: the source's rate, higher for leads touched more; delay of days to weeks.
    n_touch = 1 + np.minimum(rng.poisson(1.6, leads), 7)
    p_conv = conv[src] * (0.7 + 0.15 * n_touch)
    delay = (rng.gamma(2.0, 6.0, leads) * 86400).astype("int64") + 3600
    won_at = created + delay.astype("timedelta64[s]")
    converted = (rng.random(leads) < p_conv) & (won_at < end64)
    junk = (rng.random(leads) < 0.02) & ~converted
    lost = (
        ~converted
        & ~junk
        & (rng.random(leads) < 0.35)
        & (created < end64 - np.timedelta64(30, "D"))
    )
    status = np.where(converted, "customer", np.where(lost, "lost", np.where(junk, "junk", "new")))
    value = np.round(deal[src] * rng.lognormal(0, 0.35, leads), 2)
    email = np.char.add(np.char.add("contact", np.arange(1, leads + 1).astype(str)), "@example.com")
    lead_table = pa.table(
        {
            "lead_id": lead_ids,
            "created_at": np.datetime_as_string(created, unit="s"),
            "source": names[src],
            "utm_source": utm_src[src],
            "utm_medium": utm_med[src],
            "utm_campaign": np.char.add(utm_src[src], np.where(lead_day < days / 2, "_h1", "_h2")),
            "status": status,
            "email": email,
            "converted_at": np.where(converted, np.datetime_as_string(won_at, unit="s"), ""),
            "value": value,
            "lost": lost,
            "junk": junk,
        }
    )

    # Touches: before the lead (up to 30 days) and after it (nurture, up to the deal).
    owner = np.repeat(np.arange(leads), n_touch)
    total = owner.size
    after = rng.random(total) < 0.3
    span_after = np.where(converted[owner], delay[owner] - 60, 20 * 86400)
    offset = np.where(
        after,
        (rng.random(total) * span_after).astype("int64") + 60,
        -(rng.random(total) * 30 * 86400).astype("int64") - 60,
    )
    when = created[owner] + offset.astype("timedelta64[s]")
    keep = when < end64
    owner, when = owner[keep], when[keep]
    same = rng.random(owner.size) < 0.5
    noise = rng.choice(NOISE_CHANNELS, size=owner.size, p=NOISE_WEIGHTS)
    touch_channel = np.where(same, channels[src[owner]], noise)
    how = rng.random(owner.size)  # say what touched by channel, by source name, or by UTM
    by_channel = how < 0.45
    by_source = (how >= 0.45) & (how < 0.6) & same
    by_utm = ~by_channel & ~by_source & same
    touches = pa.table(
        {
            "lead_id": np.concatenate([lead_ids[owner], np.array(["L999999"] * 5)]),
            "occurred_at": np.concatenate(
                [when.astype("datetime64[us]"), np.full(5, start64, dtype="datetime64[us]")]
            ),
            "channel": np.concatenate(
                [np.where(by_channel | (~by_source & ~by_utm), touch_channel, None), ["Email"] * 5]
            ),
            "source": np.concatenate([np.where(by_source, names[src[owner]], None), [None] * 5]),
            "utm_source": np.concatenate([np.where(by_utm, utm_src[src[owner]], None), [None] * 5]),
            "utm_medium": np.concatenate([np.where(by_utm, utm_med[src[owner]], None), [None] * 5]),
        }
    )

    # Revenue: a won deal per converted lead; some refunds; four deliberately bad rows.
    won_idx = np.flatnonzero(converted)
    refund = won_idx[rng.random(won_idx.size) < 0.03]
    refund_at = np.minimum(won_at[refund] + np.timedelta64(14, "D"), end64 - np.timedelta64(1, "h"))
    bad_owner = np.resize(won_idx if won_idx.size else np.arange(1), 4)  # four, even if few won
    revenue = pa.table(
        {
            "event_id": np.concatenate(
                [
                    np.char.add("D", lead_ids[won_idx]),
                    np.char.add("R", lead_ids[refund]),
                    np.array(["BAD1", "BAD2", "BAD3", "BAD4"]),
                ]
            ),
            "lead_id": np.concatenate([lead_ids[won_idx], lead_ids[refund], lead_ids[bad_owner]]),
            "occurred_at": np.concatenate(
                [
                    np.datetime_as_string(won_at[won_idx], unit="s"),
                    np.datetime_as_string(refund_at, unit="s"),
                    np.array(["2026-02-30T10:00:00"] * 2 + [np.datetime_as_string(start64)] * 2),
                ]
            ),
            "amount": np.concatenate(
                [value[won_idx], -np.round(value[refund] * 0.5, 2), [100.0, 100.0, -50.0, 75.0]]
            ),
            "kind": np.concatenate(
                [
                    np.full(won_idx.size, "won"),
                    np.full(refund.size, "refund"),
                    np.array(["won", "won", "won", "won"]),
                ]
            ),
            "currency": np.concatenate(
                [np.full(won_idx.size + refund.size, ""), np.array(["", "", "", "XYZ"])]
            ),
        }
    )

    # Spend: daily per paid source and campaign; two bad rows (negative, unknown source).
    paid = np.flatnonzero(daily_spend > 0)
    grid_day = np.repeat(day_idx, paid.size * 2)
    grid_src = np.tile(np.repeat(paid, 2), days)
    grid_camp = np.tile(np.array(["_h1", "_h2"]), days * paid.size)
    amount = (
        daily_spend[grid_src]
        / 2
        * WEEKDAY[weekday[grid_day]]
        * rng.lognormal(0, 0.2, grid_day.size)
    )
    spend_day = (np.datetime64(start.date(), "D") + grid_day).astype(str)
    spend = pa.table(
        {
            "date": np.concatenate([spend_day, np.array([spend_day[0], spend_day[0]])]),
            "source": np.concatenate([names[grid_src], np.array(["Google", "Nonexistent Ads"])]),
            "campaign": np.concatenate(
                [np.char.add(utm_src[grid_src], grid_camp), np.array(["bad", "bad"])]
            ),
            "amount": np.concatenate([np.round(amount, 2), np.array([-10.0, 25.0])]),
        }
    )

    # Deliberately bad leads: an unreadable date and a negative value.
    bad = pa.table(
        {
            "lead_id": ["LBAD1", "LBAD2", "LBAD3"],
            "created_at": ["yesterday", "2026-13-01", np.datetime_as_string(start64)],
            "source": ["Google", "Google", "Google"],
            "value": [100.0, 100.0, -5.0],
        }
    )
    lead_table = pa.concat_tables([lead_table, bad], promote_options="default")
    return DemoData(lead_table, touches, revenue, spend, start, end)


def write_files(data: DemoData, folder: Path) -> dict[str, Path]:
    """The demo's input files: leads CSV, touches Parquet, revenue JSON Lines, spend CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    plan = {
        "leads": (data.leads, "csv"),
        "touches": (data.touches, "parquet"),
        "revenue": (data.revenue, "jsonl"),
        "spend": (data.spend, "csv"),
    }
    out = {}
    con = duckdb.connect()
    try:
        for kind, (table, fmt) in plan.items():
            path = folder / f"{kind}.{fmt}"
            con.register("demo_out", table)
            con.execute(statement(f"demo/write_{fmt}"), {"path": str(path)})
            con.unregister("demo_out")
            out[kind] = path
    finally:
        con.close()
    return out
