"""Channel mapping: which marketing channel each touch (and each lead's creation) belongs to.

The rules are data: sql/channels/default_rules.csv (versioned, modelled on GA4's default channel
group) and the lead-source registry. The set work is SQL in sql/channels/; this module chooses
the statements and shapes their answers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final

from attribution.errors import AttributionError
from attribution.warehouse.connection import Warehouse
from attribution.warehouse.statements import SQL_DIR

DEFAULT_RULES: Final[Path] = SQL_DIR / "channels" / "default_rules.csv"
UNASSIGNED: Final = "Unassigned"
# How a touch's channel was found, in order of precedence.
MAPPED_BY: Final = ("touch", "registry", "default_rule", "unassigned")


def load_default_rules(
    wh: Warehouse, *, version: int | None = None, path: Path = DEFAULT_RULES
) -> int:
    """Load one version (default: the highest) of the rules into channel_rules; return its count."""
    wh.execute("channels/load_rules", {"path": str(path), "version": version})
    row = wh.fetchone("channels/check_rules")
    rules, incomplete = (int(row[0]), int(row[1])) if row else (0, 0)
    wanted = "its highest version" if version is None else f"version {version}"
    if rules == 0:
        raise AttributionError(f"{path.name} has no channel rules for {wanted}; add some")
    if incomplete:
        raise AttributionError(
            f"{path.name}: {incomplete} rule(s) of {wanted} lack a priority or a channel; "
            "fill them in"
        )
    return rules


def rules_loaded(wh: Warehouse) -> bool:
    """Whether this connection holds channel_rules."""
    return bool(wh.scalar("channels/rules_loaded"))


def map_touches(
    wh: Warehouse,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    all_leads: bool = False,
) -> None:
    """Build touch_channels on this connection (only touches in [since, until) when given;
    with all_leads, every lead's creation before until, whenever it was), loading the default
    rules first if needed. The rules are matched once per distinct mapping key (and leave
    run_mapping_keys, run_key_channels and run_channels on the connection)."""
    if not rules_loaded(wh):
        load_default_rules(wh)
    window = {"since": since, "until": until, "leads_since": None if all_leads else since}
    wh.temp_view("run_touch_rows", "channels/touch_rows", window)
    wh.execute("journeys/mapping_keys")
    wh.execute("journeys/key_channels")
    wh.execute("journeys/run_channels")
    wh.execute("channels/map_touches")


def unassigned_share(wh: Warehouse) -> float:
    """Share of touch_channels rows whose channel is Unassigned (0.0 when there are none)."""
    share = wh.scalar("channels/unassigned_share")
    return 0.0 if share is None else float(share)


def mapping_summary(wh: Warehouse) -> list[dict[str, Any]]:
    """Touches per (channel, mapped_by) of touch_channels, most first."""
    return [
        {
            "channel": str(r["channel"]),
            "mapped_by": str(r["mapped_by"]),
            "touches": int(r["touches"]),
        }
        for r in wh.records("channels/mapping_summary")
    ]
