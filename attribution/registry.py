"""The lead-source registry: where every lead came from."""

from __future__ import annotations

from .errors import AttributionError
from .warehouse import Warehouse

NAME_MAX = 150


def ensure_source(
    wh: Warehouse,
    *,
    name: str,
    channel: str = "Unassigned",
    utm_source: str | None = None,
    utm_medium: str | None = None,
    utm_campaign: str | None = None,
) -> int:
    """The id of the source named so, created with these fields when missing."""
    clean = name.strip()
    if not 1 <= len(clean) <= NAME_MAX:
        raise AttributionError(f"a source name must have 1 to {NAME_MAX} characters: {name!r}")
    wh.execute(
        "registry/ensure_source",
        {
            "name": clean,
            "channel": channel,
            "utm_source": utm_source,
            "utm_medium": utm_medium,
            "utm_campaign": utm_campaign,
        },
    )
    return int(wh.scalar("registry/source_id_by_name", {"name": clean}))
