"""Channel attribution: which channels bring revenue, not just clicks.

The Python API is the Pipeline (`attribution.Pipeline.open(attribution.load_settings())`).
Its names load on first use, so that `attribution --help` starts without them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attribution.config import Settings, load_settings
    from attribution.errors import AttributionError
    from attribution.service.pipeline import Pipeline

__version__ = "0.1.0"
__all__ = ["AttributionError", "Pipeline", "Settings", "__version__", "load_settings"]
_LAZY = {
    "AttributionError": "attribution.errors",
    "Pipeline": "attribution.service.pipeline",
    "Settings": "attribution.config",
    "load_settings": "attribution.config",
}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'attribution' has no attribute {name!r}")
