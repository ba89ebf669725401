"""Channel attribution: which channels bring revenue, not just clicks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import Settings, load_settings
from .errors import AttributionError

if TYPE_CHECKING:
    from .pipeline import Pipeline

__version__ = "0.1.0"
__all__ = ["AttributionError", "Pipeline", "Settings", "__version__", "load_settings"]


def __getattr__(name: str) -> Any:
    """Pipeline on first use: a command that needs only the snapshot (`attribution sql`) starts
    without loading the engine, charts and scheduler."""
    if name == "Pipeline":
        from .pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'attribution' has no attribute {name!r}")
