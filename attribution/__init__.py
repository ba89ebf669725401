"""Channel attribution: which channels bring revenue, not just clicks."""

from .config import Settings, load_settings
from .errors import AttributionError
from .pipeline import Pipeline

__version__ = "0.1.0"
__all__ = ["AttributionError", "Pipeline", "Settings", "__version__", "load_settings"]
